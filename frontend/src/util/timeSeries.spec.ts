import { describe, expect, it } from 'vitest';
import { columnsWithGaps, rangeOf, windows } from './timeSeries';

describe('time series', () => {
  it('inserts a gap where samples are missing and keeps missing values null', () => {
    const samples = [
      { at: '2026-12-01T00:00:00Z', v: 1 },
      { at: '2026-12-01T00:01:00Z', v: 2 },
      { at: '2026-12-01T00:10:00Z', v: 3 },  // nine minutes later: a gap before it
      { at: '2026-12-01T00:11:00Z', v: null },
    ];
    const [xs, ys] = columnsWithGaps(samples, (s) => s.at, [(s) => s.v], 150);
    const t0 = Date.parse('2026-12-01T00:00:00Z') / 1000;
    expect(xs).toEqual([t0, t0 + 60, t0 + 60 + 270, t0 + 600, t0 + 660]);
    expect(ys).toEqual([1, 2, null, 3, null]);
  });

  it('gives ranges and cuts long ones into windows', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const day = rangeOf('day', now);
    expect(day.from).toBe('2026-12-06T12:00:00.000Z');
    expect(day.max - day.min).toBe(86_400);
    const parts = windows('2026-12-01T00:00:00Z', '2026-12-03T12:00:00Z', 86_400);
    expect(parts.map((p) => p.from)).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']);
    expect(parts[2].to).toBe('2026-12-03T12:00:00.000Z');
  });
});
