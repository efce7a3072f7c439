import { get, post, segment, type Operation, type Schema } from './client';

export type { Operation } from './client';

export const listOperations = (query: { target?: string; state?: string; limit?: number; cursor?: string } = {}) =>
  get<Schema<'PageOperationView'>>('/operations', query);

export const getOperation = (id: string) => get<Operation>(`/operations/${segment(id)}`);

export const cancelOperation = (id: string) => post<Operation>(`/operations/${segment(id)}/cancel`);
