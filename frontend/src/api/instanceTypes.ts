import { get, type Schema } from './client';
import type { InstanceKind } from './instances';

export type InstanceType = Schema<'InstanceTypeView'>;

export const listInstanceTypes = (kind?: InstanceKind) =>
  get<Schema<'ItemsInstanceTypeView'>>('/instance-types', { kind });
