import { describe, expect, it } from 'vitest';
import { isPeriod, periodOf, periodRange, periodToDate, recentPeriods } from './period';

describe('billing periods', () => {
  it('names and checks periods', () => {
    expect(periodOf(new Date('2026-11-21T19:00:00Z'))).toBe('2026-11');
    expect(isPeriod('2026-11')).toBe(true);
    expect(isPeriod('2026-13')).toBe(false);
    expect(isPeriod('26-1')).toBe(false);
  });

  it('gives the range of a period, across years', () => {
    expect(periodRange('2026-12')).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
    expect(() => periodRange('nope')).toThrow();
    expect(periodToDate(new Date('2026-11-21T19:00:00Z'))).toEqual({
      from: '2026-11-01T00:00:00.000Z', to: '2026-11-21T19:00:00.000Z',
    });
  });

  it('lists recent periods newest first', () => {
    expect(recentPeriods(new Date('2026-02-10T00:00:00Z'), 3)).toEqual(['2026-02', '2026-01', '2025-12']);
  });
});
