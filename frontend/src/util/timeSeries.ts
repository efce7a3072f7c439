// Time series for the charts: ranges the user picks, and gaps where samples are missing, so a
// chart draws a hole, not a line across (or a fall to zero at) an hour nobody measured.

export type RangeName = 'hour' | 'day' | 'week' | 'month';

export const RANGES: Record<RangeName, { label: string; seconds: number }> = {
  hour: { label: 'Last hour', seconds: 3600 },
  day: { label: 'Last day', seconds: 86_400 },
  week: { label: 'Last week', seconds: 7 * 86_400 },
  month: { label: 'Last 30 days', seconds: 30 * 86_400 },
};

export const isRangeName = (value: string | null): value is RangeName => value !== null && value in RANGES;

/** The range ending at `now`, as ISO strings and as Unix seconds (uPlot's x scale). */
export function rangeOf(name: RangeName, now: Date): { from: string; to: string; min: number; max: number } {
  const max = Math.floor(now.getTime() / 1000);
  const min = max - RANGES[name].seconds;
  return { from: new Date(min * 1000).toISOString(), to: new Date(max * 1000).toISOString(), min, max };
}

/** A range cut into windows of at most `maxSeconds` (the metrics API answers at most 5000 samples). */
export function windows(from: string, to: string, maxSeconds: number): { from: string; to: string }[] {
  const start = new Date(from).getTime();
  const end = new Date(to).getTime();
  const parts: { from: string; to: string }[] = [];
  for (let at = start; at < end; at += maxSeconds * 1000) {
    parts.push({ from: new Date(at).toISOString(), to: new Date(Math.min(end, at + maxSeconds * 1000)).toISOString() });
  }
  return parts;
}

/**
 * Columns for a chart: x in Unix seconds and one column per series, with a null point inserted
 * wherever two samples lie more than `gapSeconds` apart (uPlot leaves nulls as gaps). Missing
 * values (a host that does not measure something) stay null too, never zero.
 */
export function columnsWithGaps<T>(samples: T[], at: (sample: T) => string, series: ((sample: T) => number | null | undefined)[], gapSeconds: number): [number[], ...(number | null)[][]] {
  const xs: number[] = [];
  const ys: (number | null)[][] = series.map(() => []);
  let previous: number | null = null;
  for (const sample of samples) {
    const x = Math.floor(new Date(at(sample)).getTime() / 1000);
    if (!Number.isFinite(x)) continue;
    if (previous !== null && x - previous > gapSeconds) {
      xs.push(previous + Math.floor((x - previous) / 2));
      for (const column of ys) column.push(null);
    }
    xs.push(x);
    series.forEach((value, index) => {
      const y = value(sample);
      ys[index].push(y === null || y === undefined || !Number.isFinite(y) ? null : y);
    });
    previous = x;
  }
  return [xs, ...ys];
}
