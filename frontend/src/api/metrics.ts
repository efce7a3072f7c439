import { get, segment, type Schema } from './client';

/** One sample of an instance's use. */
export type MetricSample = Schema<'Sample'>;

export const getInstanceMetrics = (instanceId: string, query: { from?: string; to?: string } = {}) =>
  get<Schema<'ItemsSample'>>(`/instances/${segment(instanceId)}/metrics`, query);
