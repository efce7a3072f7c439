import { get, post, segment, type Operation, type Page } from './client';

export type { Operation } from './client';

export const listOperations = (query: { target?: string; state?: string; limit?: number; cursor?: string } = {}) =>
  get<Page<Operation>>('/operations', query);

export const getOperation = (id: string) => get<Operation>(`/operations/${segment(id)}`);

export const cancelOperation = (id: string) => post<Operation>(`/operations/${segment(id)}/cancel`);
