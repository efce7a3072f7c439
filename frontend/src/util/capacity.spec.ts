import { describe, expect, it } from 'vitest';
import { capacityFigures, totalCapacity } from './capacity';

describe('host capacity', () => {
  it('derives overcommit and fill', () => {
    const figures = capacityFigures({ physical: 8, ratio: 4, reserved: 2, allocatable: 30, allocated: 12 });
    expect(figures.effectiveOvercommit).toBe(1.5);
    expect(figures.allocatedFraction).toBe(0.4);
    expect(figures.free).toBe(18);
    expect(figures.used).toBeNull();
  });

  it('copes with empty or exhausted hosts', () => {
    const figures = capacityFigures({ physical: 0, ratio: 1, reserved: 4, allocatable: -4, allocated: 1 });
    expect(figures.allocatable).toBe(0);
    expect(figures.allocatedFraction).toBe(1);
    expect(figures.effectiveOvercommit).toBe(0);
  });

  it('sums hosts', () => {
    const total = totalCapacity([
      { physical: 8, ratio: 4, reserved: 2, allocatable: 30, allocated: 12 },
      { physical: 4, ratio: 1, reserved: 0, allocatable: 4, allocated: 1 },
    ]);
    expect(total).toEqual({ physical: 12, ratio: 0, reserved: 2, allocatable: 34, allocated: 13 });
  });
});
