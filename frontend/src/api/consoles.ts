import { apiUrl, get, post, segment, type Schema } from './client';

export type ConsoleType = Schema<'SessionView'>['type'];

/** A one-time ticket for a console WebSocket; `url` may be relative to the panel. */
export type ConsoleTicket = Schema<'Issued'>;

export const openConsole = (instanceId: string, type: ConsoleType) =>
  post<ConsoleTicket>(`/instances/${segment(instanceId)}/console`, { type });

/** One audited console session (GET /console-sessions: tenant admins their tenant's, platform admins all). */
export type ConsoleSession = Schema<'SessionView'>;

export const listConsoleSessions = (query: { instance?: string; limit?: number; cursor?: string } = {}) =>
  get<Schema<'PageSessionView'>>('/console-sessions', query);

/** Where the browser downloads a serial session's asciicast recording. */
export const recordingUrl = (sessionId: string) => apiUrl(`/console-sessions/${segment(sessionId)}/recording`);
