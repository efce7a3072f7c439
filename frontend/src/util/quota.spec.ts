import { describe, expect, it } from 'vitest';
import { checkRequest, fillFraction, gaugeLevel, normalizeQuota, remaining } from './quota';

describe('quota', () => {
  it('normalizes a list answer in display order', () => {
    const quota = normalizeQuota({
      items: [
        { resource: 'memoryMiB', limit: 4096, allocated: 1024, used: 300 },
        { resource: 'zeta', limit: 1, allocated: 0 },
        { resource: 'instances', limit: 10, allocated: 2 },
      ],
    });
    expect(quota.map((q) => q.resource)).toEqual(['instances', 'memoryMiB', 'zeta']);
    expect(quota[1].used).toBe(300);
    expect(quota[0].used).toBeNull();
  });

  it('normalizes a map answer and skips what is no resource', () => {
    const quota = normalizeQuota({
      tenant: 'acme',
      vcpus: { limit: 8, allocated: 3, used: 1 },
      diskGiB: { limit: null, allocated: 5 },
      plan: { currency: 'EUR' },
    } as never);
    expect(quota).toEqual([
      { resource: 'vcpus', limit: 8, allocated: 3, used: 1 },
      { resource: 'diskGiB', limit: null, allocated: 5, used: null },
    ]);
    expect(normalizeQuota(null)).toEqual([]);
  });

  it('normalizes what GET /quota answers', () => {
    const quota = normalizeQuota({
      tenant: 'acme', plan: 'standard', runningOnly: false,
      resources: {
        instances: { limit: 10, allocated: 1, used: null },
        memoryMiB: { limit: null, allocated: 64, used: 12 },
      },
    } as never);
    expect(quota).toEqual([
      { resource: 'instances', limit: 10, allocated: 1, used: null },
      { resource: 'memoryMiB', limit: null, allocated: 64, used: 12 },
    ]);
  });

  it('computes what is left and how full a gauge is', () => {
    expect(remaining({ resource: 'vcpus', limit: 8, allocated: 3 })).toBe(5);
    expect(remaining({ resource: 'vcpus', limit: 2, allocated: 3 })).toBe(0);
    expect(remaining({ resource: 'vcpus', limit: null, allocated: 3 })).toBeNull();
    expect(fillFraction({ resource: 'vcpus', limit: 8, allocated: 6 })).toBe(0.75);
    expect(fillFraction({ resource: 'vcpus', limit: null, allocated: 6 })).toBe(0);
    expect(fillFraction({ resource: 'vcpus', limit: 0, allocated: 1 })).toBe(1);
    expect(gaugeLevel(0.5)).toBe('fine');
    expect(gaugeLevel(0.75)).toBe('warning');
    expect(gaugeLevel(0.95)).toBe('critical');
  });

  it('checks a request against the quota', () => {
    const quota = [
      { resource: 'instances', limit: 3, allocated: 3 },
      { resource: 'vcpus', limit: 8, allocated: 2 },
      { resource: 'memoryMiB', limit: null, allocated: 0 },
      { resource: 'snapshots', limit: 5, allocated: 0 },
    ];
    expect(checkRequest(quota, { vcpus: 2, memoryMiB: 512, diskGiB: 2 })).toEqual([
      { resource: 'instances', requested: 1, left: 0, fits: false },
      { resource: 'vcpus', requested: 2, left: 6, fits: true },
      { resource: 'memoryMiB', requested: 512, left: null, fits: true },
    ]);
  });
});
