import { describe, expect, it } from 'vitest';
import { averageAllocatedPerDay, costPerInstance, spreadOverDays } from './billing';

const line = (instanceId: string, resource: string, cost: number, quantity: number, unit: string, chargeStart?: string, chargeEnd?: string) =>
  ({ instanceId, instanceName: `name-${instanceId}`, kind: 'jail', resource, cost, quantity, unit, chargeStart, chargeEnd });

describe('a bill taken apart', () => {
  it('sums per instance, most expensive first', () => {
    const rows = costPerInstance([line('a', 'vcpu', 1, 1, 'vCPU-hour'), line('b', 'disk', 3, 1, 'GiB-month'), line('a', 'memory', 0.5, 1, 'GiB-hour')]);
    expect(rows.map((row) => [row.name, row.total])).toEqual([['name-b', 3], ['name-a', 1.5]]);
    expect(rows[1].costs).toEqual({ vcpu: 1, memory: 0.5 });
  });

  it('spreads a line evenly over the days of its charge period', () => {
    const days = spreadOverDays([line('a', 'disk', 3, 1, 'GiB-month', '2026-12-01T12:00:00Z', '2026-12-03T00:00:00Z')],
      '2026-12-01T00:00:00Z', '2026-12-04T00:00:00Z', (l) => l.cost);
    expect(days.map((d) => d.value)).toEqual([1, 2, 0]);
    expect(new Date(days[1].day).toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });

  it('turns vCPU-hours into vCPUs held per day', () => {
    const days = averageAllocatedPerDay([line('a', 'vcpu', 0, 48, 'vCPU-hour', '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z'),
      line('a', 'disk', 0, 5, 'GiB-month', '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z')],
    '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z', 'vcpu');
    expect(days.map((d) => d.value)).toEqual([2, 0]);
  });
});
