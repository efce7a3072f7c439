import { get, segment } from './client';

/** One bucket of a tenant's or a host's allocation and measured use (null: nothing measured). */
export interface CapacityPoint {
  at: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  memoryUsedMiB: number | null;
  diskUsedGiB: number | null;
}

/** The most a series may reach: the tenant's limits or the host's allocatable capacity. */
export interface CapacityCeiling {
  vcpus: number | null;
  memoryMiB: number | null;
  diskGiB: number | null;
}

export interface CapacitySeries {
  from: string;
  to: string;
  stepSeconds: number;
  ceiling: CapacityCeiling;
  points: CapacityPoint[];
}

/** A host a tenant runs on, by pseudonym, and the overcommit it runs at. */
export interface HostCommitment {
  label: string;
  instances: number;
  cpuRatio: number;
  memoryRatio: number;
  vcpusCommitted: number;
  memoryCommitted: number;
}

export const getQuotaHistory = (query: { from?: string; to?: string } = {}) =>
  get<CapacitySeries>('/quota/history', query);

export const listQuotaHosts = () => get<{ items: HostCommitment[] }>('/quota/hosts');

export const getHostHistory = (hostId: string, query: { from?: string; to?: string } = {}) =>
  get<CapacitySeries>(`/admin/hosts/${segment(hostId)}/history`, query);
