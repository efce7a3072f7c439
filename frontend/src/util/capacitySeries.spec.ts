import { describe, expect, it } from 'vitest';
import { capacityColumns } from './capacitySeries';

describe('capacityColumns', () => {
  it('keeps unmeasured buckets as gaps and the ceiling as a flat line', () => {
    const columns = capacityColumns({
      from: '2032-05-10T08:00:00Z', to: '2032-05-10T08:02:00Z', stepSeconds: 60,
      ceiling: { vcpus: 8, diskGiB: 100 },
      points: [
        { at: '2032-05-10T08:00:00Z', vcpus: 0, memoryMiB: 0, diskGiB: 0 },
        { at: '2032-05-10T08:01:00Z', vcpus: 2, memoryMiB: 1024, diskGiB: 10, memoryUsedMiB: 512, diskUsedGiB: 3 },
      ],
    });
    expect(columns.x).toEqual([1967788800, 1967788860]);
    expect(columns.memoryUsed).toEqual([null, 512]);
    expect(columns.vcpus).toEqual([0, 2]);
    expect(columns.vcpusCeiling).toEqual([8, 8]);
    expect(columns.memoryCeiling).toEqual([null, null]);
  });
});
