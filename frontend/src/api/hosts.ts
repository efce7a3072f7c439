import { del, get, patch, post, segment, type Operation } from './client';

/** One resource of a host: physical, overcommit ratio, reserve, allocatable and allocated. */
export interface Capacity {
  physical: number;
  ratio: number;
  reserved: number;
  allocatable: number;
  allocated: number;
  /** What instances actually use, once hosts report it. */
  used?: number;
}

export interface Host {
  id: string;
  name: string;
  state: 'ready' | 'draining' | 'offline' | string;
  /** An admin cordoned it: it keeps its instances and takes no new one. */
  cordoned?: boolean;
  local: boolean;
  kinds: string[];
  vcpus: Capacity;
  memoryMiB: Capacity;
  storageGiB: Capacity;
  facts?: Record<string, unknown>;
  lastSeen?: string;
  createdAt: string;
}

export interface UpdateHostRequest {
  state?: 'ready' | 'draining' | 'offline';
  cpuRatio?: number;
  memoryRatio?: number;
  diskRatio?: number;
  reservedCpus?: number;
  reservedMemoryMiB?: number;
  reservedStorageGiB?: number;
}

export const listHosts = () => get<{ items: Host[] }>('/admin/hosts');

/** One public address of a host's pool and who holds it. */
export interface PoolAddress {
  id: string;
  address: string;
  shared: boolean;
  tenant?: string | null;
  instance?: string | null;
  forwards: number;
  createdAt: string;
}

export const listPoolAddresses = (hostId: string) => get<{ items: PoolAddress[] }>(`/admin/hosts/${segment(hostId)}/addresses`);
export const addPoolAddresses = (hostId: string, addresses: string[], shared: boolean) =>
  post<Operation>(`/admin/hosts/${segment(hostId)}/addresses`, { addresses, shared });
export const removePoolAddress = (hostId: string, address: string) =>
  del<Operation>(`/admin/hosts/${segment(hostId)}/addresses/${segment(address)}`);

export const getHost = (id: string) => get<Host>(`/admin/hosts/${segment(id)}`);

export const updateHost = (id: string, body: UpdateHostRequest) => patch<Operation>(`/admin/hosts/${segment(id)}`, body);

/** Cordon a host (it takes no new instance) or let it take new ones again; both are audited. */
export const cordonHost = (id: string) => post<Operation>(`/admin/hosts/${segment(id)}/cordon`);
export const uncordonHost = (id: string) => post<Operation>(`/admin/hosts/${segment(id)}/uncordon`);
/** Drain a host: cordon it and move its jails away; running ones too (stopped, moved, started) when asked. */
export const drainHost = (id: string, moveRunning: boolean) =>
  post<Operation>(`/admin/hosts/${segment(id)}/drain${moveRunning ? '?running=stop-move-start' : ''}`);
