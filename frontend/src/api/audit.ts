import { get, type Schema } from './client';

export type AuditEntry = Schema<'AuditView'>;

export const listAudit = (query: { tenant?: string; action?: string; limit?: number; cursor?: string } = {}) =>
  get<Schema<'PageAuditView'>>('/audit', query);
