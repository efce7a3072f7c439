// A tenant's bill taken apart: per instance, and over the days of the month. The API gives each
// line's quantity and cost with the period it was charged over; spreading a line evenly over that
// period gives the days (exact for disk, which is held all the time; an estimate for running time).

export interface BillLine {
  instanceId: string;
  instanceName?: string;
  kind?: string;
  resource: string;
  quantity: number;
  unit: string;
  cost: number;
  chargeStart?: string;
  chargeEnd?: string;
}

export interface InstanceCost {
  instanceId: string;
  name: string;
  kind: string;
  /** cost per resource (vcpu, memory, disk, snapshot, image) */
  costs: Record<string, number>;
  total: number;
}

/** One row per instance, most expensive first. */
export function costPerInstance(lines: BillLine[]): InstanceCost[] {
  const rows = new Map<string, InstanceCost>();
  for (const line of lines) {
    const row = rows.get(line.instanceId) ?? { instanceId: line.instanceId, name: line.instanceName ?? line.instanceId, kind: line.kind ?? '', costs: {}, total: 0 };
    row.costs[line.resource] = (row.costs[line.resource] ?? 0) + line.cost;
    row.total += line.cost;
    rows.set(line.instanceId, row);
  }
  return [...rows.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
}

const DAY = 86_400_000;

/** The UTC days from `from` up to `to` (exclusive), as their first instants in ms. */
export function daysOf(from: string, to: string): number[] {
  const start = Math.floor(new Date(from).getTime() / DAY) * DAY;
  const end = new Date(to).getTime();
  const days: number[] = [];
  for (let day = start; day < end; day += DAY) days.push(day);
  return days;
}

/**
 * Per UTC day, the part of each line's `value` that falls in it when the line is spread evenly
 * over its charge period (a line without one counts on the period's first day).
 */
export function spreadOverDays(lines: BillLine[], from: string, to: string, value: (line: BillLine) => number): { day: number; value: number }[] {
  const days = daysOf(from, to);
  const totals = new Map<number, number>(days.map((day) => [day, 0]));
  for (const line of lines) {
    const amount = value(line);
    if (!amount) continue;
    const start = line.chargeStart ? new Date(line.chargeStart).getTime() : NaN;
    const end = line.chargeEnd ? new Date(line.chargeEnd).getTime() : NaN;
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      const day = days[0];
      if (day !== undefined) totals.set(day, (totals.get(day) ?? 0) + amount);
      continue;
    }
    for (const day of days) {
      const overlap = Math.min(end, day + DAY) - Math.max(start, day);
      if (overlap > 0) totals.set(day, (totals.get(day) ?? 0) + (amount * overlap) / (end - start));
    }
  }
  return days.map((day) => ({ day, value: totals.get(day) ?? 0 }));
}

/** Average units allocated on each day from unit-hour lines (vCPU-hours → vCPUs): hours held ÷ 24. */
export function averageAllocatedPerDay(lines: BillLine[], from: string, to: string, resource: string): { day: number; value: number }[] {
  return spreadOverDays(lines.filter((line) => line.resource === resource && /-hour$/.test(line.unit)), from, to, (line) => line.quantity)
    .map(({ day, value }) => ({ day, value: value / 24 }));
}
