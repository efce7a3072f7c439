import type { Capacity } from '../api/hosts';

export interface CapacityFigures {
  physical: number;
  allocatable: number;
  allocated: number;
  /** What instances use of it: hosts do not report it (the API's Capacity has no such field), so null. */
  used: number | null;
  ratio: number;
  /** allocated / physical: how far the host is overcommitted in fact (1 = fully, >1 = over). */
  effectiveOvercommit: number;
  /** allocated / allocatable: how full the host is for placement. */
  allocatedFraction: number;
  free: number;
}

/** Derived figures of one host resource for the capacity table and charts. */
export function capacityFigures(capacity: Capacity): CapacityFigures {
  const ratio = Number(capacity.ratio);
  const allocatable = Math.max(0, capacity.allocatable);
  return {
    physical: capacity.physical,
    allocatable,
    allocated: capacity.allocated,
    used: null,
    ratio: Number.isFinite(ratio) ? ratio : 1,
    effectiveOvercommit: capacity.physical > 0 ? capacity.allocated / capacity.physical : 0,
    allocatedFraction: allocatable > 0 ? capacity.allocated / allocatable : capacity.allocated > 0 ? 1 : 0,
    free: Math.max(0, allocatable - capacity.allocated),
  };
}

/** Sums a resource over hosts (for the platform totals). */
export function totalCapacity(capacities: Capacity[]): Capacity {
  return capacities.reduce<Capacity>(
    (sum, c) => ({
      physical: sum.physical + c.physical,
      ratio: 0,
      reserved: sum.reserved + c.reserved,
      allocatable: sum.allocatable + Math.max(0, c.allocatable),
      allocated: sum.allocated + c.allocated,
    }),
    { physical: 0, ratio: 0, reserved: 0, allocatable: 0, allocated: 0 },
  );
}
