import { get, segment } from './client';

/** One sample of an instance's use. */
export interface MetricSample {
  at: string;
  running?: boolean;
  cpuPercent?: number | null;
  memoryMiB?: number | null;
  diskUsedGiB?: number | null;
  netRxBytes?: number | null;
  netTxBytes?: number | null;
}

export const getInstanceMetrics = (instanceId: string, query: { from?: string; to?: string } = {}) =>
  get<{ items: MetricSample[] }>(`/instances/${segment(instanceId)}/metrics`, query);
