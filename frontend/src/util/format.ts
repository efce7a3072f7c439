// Formatting of sizes, dates, money and percentages for display, through Intl in the browser's
// locale. A number and its unit are joined by a no-break space, so "1 GiB" and "4 min ago" never
// wrap inside a table cell.

/** U+00A0: keeps a figure and its unit on one line. */
export const NBSP = '\u00a0';

/** The user's locale (the browser's first language); tests pass their own. */
export const userLocale = (): string | undefined => (typeof navigator !== 'undefined' ? navigator.language : undefined);

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; whole numbers stay whole ("2 GiB"). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  return `${sign}${formatNumber(Math.round(value * 10) / 10)}${NBSP}${BYTE_UNITS[unit]}`;
}

export const formatMiB = (mib: number | null | undefined) =>
  mib === null || mib === undefined ? '—' : formatBytes(mib * 1024 * 1024);

export const formatGiB = (gib: number | null | undefined) =>
  gib === null || gib === undefined ? '—' : formatBytes(gib * 1024 * 1024 * 1024);

/** A number in the user's locale with at most `decimals` decimals: 12345.6 → "12,345.6" in English. */
export function formatNumber(value: number | null | undefined, decimals = 1, locale = userLocale()): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat(locale, { maximumFractionDigits: decimals }).format(value);
}

/** At most one decimal, none when whole (for machine-readable places: no grouping, a dot). */
export function trimNumber(value: number, decimals = 1): string {
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  return String(rounded);
}

/** 0.4567 → "46%"; clamps nothing, so overcommit shows as "150%". */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return new Intl.NumberFormat(userLocale(), { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}

/** An amount in the currency's own decimals (JPY none, EUR two, BHD three), in the user's locale. */
export function formatMoney(amount: number | null | undefined, currency = 'EUR', locale = userLocale()): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

/**
 * ISO time → date and time with seconds and the time zone, in the user's locale and zone:
 * "Nov 21, 2026, 7:05:03 PM UTC" in American English, "21.11.2026, 19:05:03 MEZ" in German.
 */
export function formatDateTime(iso: string | null | undefined, locale = userLocale(), timeZone?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZoneName: 'short', timeZone,
  }).format(date);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago" relative to `now`. */
export function formatAgo(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now.getTime() - then) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}${NBSP}min${NBSP}ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours}${NBSP}h${NBSP}ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? `1${NBSP}day${NBSP}ago` : `${days}${NBSP}days${NBSP}ago`;
}

/** Duration between two instants: "42 s", "3 min 5 s", "2 h 4 min". */
export function formatDuration(fromIso: string, toIso: string | null | undefined, now: Date = new Date()): string {
  const start = new Date(fromIso).getTime();
  const end = toIso ? new Date(toIso).getTime() : now.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return '—';
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
