import { get, segment } from './client';

/** One sample of an instance's use. */
export interface MetricSample {
  at: string;
  cpuPercent?: number;
  memoryMiB?: number;
  diskUsedGiB?: number;
  netRxBytes?: number;
  netTxBytes?: number;
}

export const getInstanceMetrics = (instanceId: string, query: { from?: string; to?: string } = {}) =>
  get<{ items: MetricSample[] }>(`/instances/${segment(instanceId)}/metrics`, query);
