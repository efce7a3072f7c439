import { get } from './client';
import type { InstanceKind } from './instances';

export interface InstanceType {
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  description?: string;
}

export const listInstanceTypes = (kind?: InstanceKind) =>
  get<{ items: InstanceType[] }>('/instance-types', { kind });
