import type { CapacitySeries } from '../api/capacity';

/** Columns for the capacity charts: x in Unix seconds; measured use null where nothing was measured. */
export function capacityColumns(series: CapacitySeries) {
  const x = series.points.map((point) => Math.floor(new Date(point.at).getTime() / 1000));
  const constant = (value: number | null | undefined) => series.points.map(() => value ?? null);
  return {
    x,
    vcpus: series.points.map((point) => point.vcpus),
    memory: series.points.map((point) => point.memoryMiB),
    disk: series.points.map((point) => point.diskGiB),
    memoryUsed: series.points.map((point) => point.memoryUsedMiB ?? null),
    diskUsed: series.points.map((point) => point.diskUsedGiB ?? null),
    vcpusCeiling: constant(series.ceiling.vcpus),
    memoryCeiling: constant(series.ceiling.memoryMiB),
    diskCeiling: constant(series.ceiling.diskGiB),
  };
}
