import { get, type Page } from './client';

export interface AuditEntry {
  id: string;
  tenant?: string;
  actor?: string;
  action: string;
  targetType?: string;
  target?: string;
  outcome: 'accepted' | 'succeeded' | 'failed' | 'denied' | string;
  clientAddress?: string;
  details?: Record<string, unknown>;
  at: string;
}

export const listAudit = (query: { tenant?: string; action?: string; limit?: number; cursor?: string } = {}) =>
  get<Page<AuditEntry>>('/audit', query);
