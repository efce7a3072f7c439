import { del, get, patch, post, segment, type Operation, type Schema } from './client';

/** One resource of a host: physical, overcommit ratio, reserve, allocatable and allocated. */
export type Capacity = Schema<'Capacity'>;

export type Host = Schema<'HostView'>;

export type UpdateHostRequest = Schema<'UpdateHostRequest'>;

export const listHosts = () => get<Schema<'ItemsHostView'>>('/admin/hosts');

/** One public address of a host's pool and who holds it. */
export type PoolAddress = Schema<'PoolAddress'>;

export const listPoolAddresses = (hostId: string) => get<Schema<'ItemsPoolAddress'>>(`/admin/hosts/${segment(hostId)}/addresses`);
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
