import { apiUrl, get, post, segment, type Page } from './client';

export type ConsoleType = 'serial' | 'vnc';

/** A one-time ticket for a console WebSocket; `url` may be relative to the panel. */
export interface ConsoleTicket {
  ticket: string;
  url: string;
  expiresAt: string;
  type?: ConsoleType;
  /** Viewers watch; they cannot type. */
  readOnly?: boolean;
}

export const openConsole = (instanceId: string, type: ConsoleType) =>
  post<ConsoleTicket>(`/instances/${segment(instanceId)}/console`, { type });

/** One audited console session (GET /console-sessions: tenant admins their tenant's, platform admins all). */
export interface ConsoleSession {
  id: string;
  tenant?: string;
  instance?: string;
  user?: string;
  type: ConsoleType;
  readOnly?: boolean;
  clientAddress?: string;
  startedAt: string;
  endedAt?: string | null;
  seconds?: number | null;
  bytesIn?: number;
  bytesOut?: number;
  closeReason?: string | null;
  recorded?: boolean;
}

export const listConsoleSessions = (query: { instance?: string; limit?: number; cursor?: string } = {}) =>
  get<Page<ConsoleSession>>('/console-sessions', query);

/** Where the browser downloads a serial session's asciicast recording. */
export const recordingUrl = (sessionId: string) => apiUrl(`/console-sessions/${segment(sessionId)}/recording`);
