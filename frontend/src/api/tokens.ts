import { del, get, post, segment, type Schema } from './client';

export type TokenRole = Schema<'ApiTokenView'>['role'];

/** An API token as its tenant's admins see it: never its secret. */
export type ApiToken = Schema<'ApiTokenView'>;

/** A token just created: `secret` is its whole text, shown this once. */
export type CreatedApiToken = Schema<'CreatedApiToken'>;

export const listTokens = (signal?: AbortSignal) => get<Schema<'ApiTokenPage'>>('/tokens', { limit: 500 }, signal);
export const createToken = (name: string, role: TokenRole, expiresAt?: string) =>
  post<CreatedApiToken>('/tokens', expiresAt ? { name, role, expiresAt } : { name, role });
export const revokeToken = (id: string) => del<ApiToken>(`/tokens/${segment(id)}`);
