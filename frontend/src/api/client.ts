// The one way the portal talks to the control plane: same-origin fetch with the session cookie.
// Every request says it comes from JavaScript, so an ended session answers 401/499 instead of a
// redirect to the identity provider; the portal then signs the user in again.

import type { components } from './schema';

export const API_BASE = '/api/v1';

/**
 * A schema of the API's OpenAPI document (docs/openapi.json), as openapi-typescript generates it
 * into schema.d.ts: the portal's API types are these, never copies written by hand.
 */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** A 4xx/5xx answer of the API: its code, its human-readable message and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Whether a feature's endpoint is not offered by this server (yet): the page then says so instead
 * of showing data. Only call it for feature endpoints (quota, images, usage, …), where a 404 cannot
 * mean a missing resource.
 */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501);
}

/** What a mutation answers (202): the operation that carries it out. */
export type Operation = Schema<'OperationView'>;

type SessionEndedHandler = (status: number) => void;
let onSessionEnded: SessionEndedHandler = () => {
  window.location.assign('/login');
};

/** What a request outside `request` (an upload) does when its answer says the session ended. */
export function reportSessionEnded(status: number): void {
  onSessionEnded(status);
}

/** Replaces what happens when the session is missing (401) or expired (499). */
export function setSessionEndedHandler(handler: SessionEndedHandler): void {
  onSessionEnded = handler;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

/** `/api/v1` + path + the defined query parameters. */
export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return API_BASE + path + (search ? `?${search}` : '');
}

/** Turns a non-2xx answer into an ApiError, whatever its body. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  return parseError(response.status, text, response.statusText);
}

export function parseError(status: number, text: string, statusText = ''): ApiError {
  try {
    const body = JSON.parse(text) as { error?: string; message?: string; details?: unknown };
    if (body && typeof body === 'object' && (body.error || body.message)) {
      return new ApiError(status, body.error ?? `http_${status}`, body.message ?? body.error ?? statusText, body.details);
    }
  } catch {
    // not JSON: fall through
  }
  const fallback = status === 404 ? 'not available on this server' : statusText || `HTTP ${status}`;
  return new ApiError(status, status === 404 ? 'endpoint_missing' : `http_${status}`, fallback);
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not send the user to /login on 401/499 (used to probe the session). */
  quietAuth?: boolean;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Requested-With': 'JavaScript',
  };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'The panel cannot be reached; check your connection and try again.');
  }
  if (response.status === 401 || response.status === 499) {
    const error = await errorFrom(response);
    if (!options.quietAuth) onSessionEnded(response.status);
    throw error;
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal });
export const post = <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body: body ?? {} });
export const patch = <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body });
export const put = <T>(path: string, body: unknown) => request<T>(path, { method: 'PUT', body });
export const del = <T>(path: string) => request<T>(path, { method: 'DELETE' });

/** Encodes one path segment (ids, names). */
export const segment = (value: string) => encodeURIComponent(value);
