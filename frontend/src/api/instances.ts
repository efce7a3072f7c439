import { del, get, patch, post, segment, type Operation, type Schema } from './client';

export type InstanceKind = Schema<'InstanceView'>['kind'];
export type InstanceState = Schema<'InstanceView'>['state'];

export type Instance = Schema<'InstanceView'>;

export type CreateInstanceRequest = Schema<'CreateInstanceRequest'>;

export type InstanceAction = 'start' | 'stop' | 'restart';

export type RestartPolicy = NonNullable<Schema<'InstanceView'>['restartPolicy']>;

/** Sets what happens when the instance stops while meant to run. */
export const setRestartPolicy = (id: string, restartPolicy: RestartPolicy) =>
  patch<Operation>(`/instances/${segment(id)}`, { restartPolicy });

export const listInstances = (query: { kind?: InstanceKind; limit?: number; cursor?: string } = {}) =>
  get<Schema<'PageInstanceView'>>('/instances', query);

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
