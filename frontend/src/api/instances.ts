import { del, get, patch, post, segment, type Operation, type Page } from './client';

export type InstanceKind = 'jail' | 'vm';
export type InstanceState =
  | 'provisioning' | 'stopped' | 'starting' | 'running' | 'stopping'
  | 'crashed' | 'error' | 'deleting' | 'deleted';

export interface Instance {
  id: string;
  name: string;
  tenant?: string;
  kind: InstanceKind;
  type?: string;
  image: string;
  imageVersion?: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  desiredState: 'stopped' | 'running' | 'deleted';
  state: InstanceState;
  stateDetail?: string;
  /** what happens when it stops while meant to run */
  restartPolicy?: RestartPolicy;
  /** automatic restarts since it last ran steadily */
  restarts?: number;
  host?: string;
  address?: string;
  createdAt: string;
  updatedAt: string;
}

export interface CreateInstanceRequest {
  name: string;
  kind: InstanceKind;
  image: string;
  type?: string;
  vcpus?: number;
  memoryMiB?: number;
  diskGiB?: number;
  start?: boolean;
  tenant?: string;
  /** ids of the user's SSH keys */
  sshKeys?: string[];
  userData?: string;
}

export type InstanceAction = 'start' | 'stop' | 'restart';

export type RestartPolicy = 'never' | 'on-failure' | 'always';

/** Sets what happens when the instance stops while meant to run. */
export const setRestartPolicy = (id: string, restartPolicy: RestartPolicy) =>
  patch<Operation>(`/instances/${segment(id)}`, { restartPolicy });

export const listInstances = (query: { kind?: InstanceKind; limit?: number; cursor?: string } = {}) =>
  get<Page<Instance>>('/instances', query);

export const getInstance = (id: string) => get<Instance>(`/instances/${segment(id)}`);

export const createInstance = (body: CreateInstanceRequest) => post<Operation>('/instances', body);

/** New sizes (disks only grow): a running jail gets them live, a VM at its next start. */
export const resizeInstance = (id: string, sizes: { vcpus?: number; memoryMiB?: number; diskGiB?: number }) =>
  patch<Operation>(`/instances/${segment(id)}`, sizes);

export const deleteInstance = (id: string) => del<Operation>(`/instances/${segment(id)}`);

/** A fresh disk from `image` (absent: the instance's own image reference, resolved again). */
export const rebuildInstance = (id: string, image?: string) =>
  post<Operation>(`/instances/${segment(id)}/rebuild`, image ? { image } : {});

export const actOnInstance = (id: string, action: InstanceAction) =>
  post<Operation>(`/instances/${segment(id)}/${action}`);
