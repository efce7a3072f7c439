// The serial console's font size: chosen with A− / A+, remembered in the browser.

export const TERMINAL_FONT_SIZES = { min: 10, max: 28, default: 14, step: 2 } as const;

/** The next size one step up (+1) or down (−1), within the bounds. */
export function stepFontSize(current: number, direction: 1 | -1): number {
  const next = current + direction * TERMINAL_FONT_SIZES.step;
  return Math.min(TERMINAL_FONT_SIZES.max, Math.max(TERMINAL_FONT_SIZES.min, next));
}

/** A stored size, or the default when it is missing or not a size the console offers. */
export function parseFontSize(stored: string | null): number {
  const value = Number(stored);
  if (stored === null || !Number.isInteger(value)) return TERMINAL_FONT_SIZES.default;
  if (value < TERMINAL_FONT_SIZES.min || value > TERMINAL_FONT_SIZES.max) return TERMINAL_FONT_SIZES.default;
  return value;
}
