import { get, segment, type Schema } from './client';

/** One bucket of a tenant's or a host's allocation and measured use (absent: nothing measured). */
export type CapacityPoint = Schema<'Point'>;

/** The most a series may reach: the tenant's limits or the host's allocatable capacity. */
export type CapacityCeiling = Schema<'Ceiling'>;

export type CapacitySeries = Schema<'Series'>;

/** A host a tenant runs on, by pseudonym, and the overcommit it runs at. */
export type HostCommitment = Schema<'HostCommitment'>;

export const getQuotaHistory = (query: { from?: string; to?: string } = {}) =>
  get<CapacitySeries>('/quota/history', query);

export const listQuotaHosts = (signal?: AbortSignal) => get<Schema<'ItemsHostCommitment'>>('/quota/hosts', undefined, signal);

export const getHostHistory = (hostId: string, query: { from?: string; to?: string } = {}) =>
  get<CapacitySeries>(`/admin/hosts/${segment(hostId)}/history`, query);
