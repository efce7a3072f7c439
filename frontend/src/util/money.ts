// Money as the panel rates it: line costs and totals at six decimal places, amounts due rounded
// half-up to the currency's own minor unit (cents for EUR, none for JPY, thousandths for BHD).
// Amounts arrive as JSON numbers; integer micro-units keep the arithmetic exact. Shown through
// Intl in the user's locale.

import { userLocale } from './format';

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

/** The currency's own decimals (ISO 4217 minor unit): EUR 2, JPY 0, BHD 3; 2 for an unknown code. */
export function currencyDecimals(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** The amount rounded half-up (away from zero) to `decimals` places (0 to 6), as an exact number. */
export function roundHalfUp(amount: number, decimals: number): number {
  const micros = toMicros(amount);
  const step = 10 ** (6 - Math.max(0, Math.min(6, decimals)));
  const units = Math.floor((Math.abs(micros) + step / 2) / step);
  return ((micros < 0 ? -units : units) * step) / 1_000_000;
}

function formatter(currency: string, maximumFractionDigits: number, locale: string | undefined): Intl.NumberFormat | null {
  try {
    const minimumFractionDigits = Math.min(currencyDecimals(currency), maximumFractionDigits);
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits, maximumFractionDigits });
  } catch {
    return null;
  }
}

/** A cost at the precision it is rated with: 0.000167 → "€0.000167", 12.5 → "€12.50". */
export function formatCost(amount: number | null | undefined, currency = 'EUR', locale = userLocale()): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  const exact = toMicros(amount) / 1_000_000;
  return formatter(currency, 6, locale)?.format(exact) ?? `${exact} ${currency}`;
}

/** What is due for an amount: rounded half-up to the currency's decimals, 1.005 → "€1.01", ¥12.5 → "¥13". */
export function formatAmountDue(amount: number | null | undefined, currency = 'EUR', locale = userLocale()): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  const decimals = currencyDecimals(currency);
  const due = roundHalfUp(amount, decimals);
  return formatter(currency, decimals, locale)?.format(due) ?? `${due} ${currency}`;
}
