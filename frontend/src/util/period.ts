// Billing periods are calendar months in UTC, named "YYYY-MM".

const PERIOD = /^(\d{4})-(\d{2})$/;

export const periodOf = (date: Date): string =>
  `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;

/** Whether `period` is a valid "YYYY-MM". */
export function isPeriod(period: string): boolean {
  const match = PERIOD.exec(period);
  return !!match && Number(match[2]) >= 1 && Number(match[2]) <= 12;
}

/** The first instant of the period and the first instant of the next, as ISO strings. */
export function periodRange(period: string): { from: string; to: string } {
  const match = PERIOD.exec(period);
  if (!match || !isPeriod(period)) throw new Error(`not a billing period: ${period}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return {
    from: new Date(Date.UTC(year, month, 1)).toISOString(),
    to: new Date(Date.UTC(year, month + 1, 1)).toISOString(),
  };
}

/** The current period so far: from its start to `now`. */
export function periodToDate(now: Date): { from: string; to: string } {
  return { from: periodRange(periodOf(now)).from, to: now.toISOString() };
}

/** The `count` most recent periods, newest first. */
export function recentPeriods(now: Date, count: number): string[] {
  const periods: string[] = [];
  for (let i = 0; i < count; i++) {
    periods.push(periodOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))));
  }
  return periods;
}
