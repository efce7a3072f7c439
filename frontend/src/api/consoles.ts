import { get, post, segment, type Page } from './client';

export type ConsoleType = 'serial' | 'vnc';

/** A one-time ticket for a console WebSocket; `url` may be relative to the panel. */
export interface ConsoleTicket {
  ticket: string;
  url: string;
  expiresAt: string;
}

export const openConsole = (instanceId: string, type: ConsoleType) =>
  post<ConsoleTicket>(`/instances/${segment(instanceId)}/console`, { type });

/** One audited console session (GET /admin/console-sessions). */
export interface ConsoleSession {
  id: string;
  tenant?: string;
  user?: string;
  instance?: string;
  instanceName?: string;
  type: ConsoleType;
  clientAddress?: string;
  startedAt: string;
  endedAt?: string | null;
  bytesIn?: number;
  bytesOut?: number;
}

export const listConsoleSessions = (query: { tenant?: string; limit?: number; cursor?: string } = {}) =>
  get<Page<ConsoleSession>>('/admin/console-sessions', query);
