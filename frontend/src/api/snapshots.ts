import { del, get, post, segment, type Operation } from './client';

export interface Snapshot {
  name: string;
  createdAt?: string;
  sizeBytes?: number;
}

export const listSnapshots = (instanceId: string) =>
  get<{ items: Snapshot[] }>(`/instances/${segment(instanceId)}/snapshots`);

export const createSnapshot = (instanceId: string, name: string) =>
  post<Operation>(`/instances/${segment(instanceId)}/snapshot`, { name });

export const deleteSnapshot = (instanceId: string, snapshot: string) =>
  del<Operation>(`/instances/${segment(instanceId)}/snapshots/${segment(snapshot)}`);

export const rollbackSnapshot = (instanceId: string, snapshot: string) =>
  post<Operation>(`/instances/${segment(instanceId)}/rollback`, { name: snapshot });
