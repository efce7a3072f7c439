// Money as the panel rates it: line costs and totals at six decimal places, amounts due rounded
// half-up to cents. Amounts arrive as JSON numbers; integer micro-units keep the arithmetic exact.

const MICROS_PER_CENT = 10_000;

/** 0.000167 → 167: the amount in millionths, exact for the six decimal places the API uses. */
export function toMicros(amount: number): number {
  return Math.round(amount * 1_000_000);
}

/** The amount rounded half-up (away from zero) to whole cents: 0.004999 → 0, 0.005 → 1, 1.005 → 101. */
export function centsHalfUp(amount: number): number {
  const micros = toMicros(amount);
  const cents = Math.floor((Math.abs(micros) + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
  return micros < 0 ? -cents : cents;
}

function formatter(currency: string, maximumFractionDigits: number): Intl.NumberFormat | null {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits });
  } catch {
    return null;
  }
}

/** A cost at the precision it is rated with: 0.000167 → "€0.000167", 12.5 → "€12.50". */
export function formatCost(amount: number | null | undefined, currency = 'EUR'): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  const exact = toMicros(amount) / 1_000_000;
  return formatter(currency, 6)?.format(exact) ?? `${exact.toFixed(6)} ${currency}`;
}

/** What is due for an amount: rounded half-up to cents, 1.005 → "€1.01". */
export function formatAmountDue(amount: number | null | undefined, currency = 'EUR'): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  const due = centsHalfUp(amount) / 100;
  return formatter(currency, 2)?.format(due) ?? `${due.toFixed(2)} ${currency}`;
}
