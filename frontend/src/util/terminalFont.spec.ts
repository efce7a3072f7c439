import { describe, expect, it } from 'vitest';
import { parseFontSize, stepFontSize, TERMINAL_FONT_SIZES } from './terminalFont';

describe('terminal font size', () => {
  it('steps within the bounds', () => {
    expect(stepFontSize(14, 1)).toBe(16);
    expect(stepFontSize(14, -1)).toBe(12);
    expect(stepFontSize(TERMINAL_FONT_SIZES.max, 1)).toBe(TERMINAL_FONT_SIZES.max);
    expect(stepFontSize(TERMINAL_FONT_SIZES.min, -1)).toBe(TERMINAL_FONT_SIZES.min);
  });

  it('reads a stored size, falling back to the default', () => {
    expect(parseFontSize('18')).toBe(18);
    expect(parseFontSize(null)).toBe(TERMINAL_FONT_SIZES.default);
    expect(parseFontSize('huge')).toBe(TERMINAL_FONT_SIZES.default);
    expect(parseFontSize('200')).toBe(TERMINAL_FONT_SIZES.default);
    expect(parseFontSize('12.5')).toBe(TERMINAL_FONT_SIZES.default);
  });
});
