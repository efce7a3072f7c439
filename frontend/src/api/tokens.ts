import { del, get, post, segment, type Page } from './client';

export type TokenRole = 'platform-admin' | 'tenant-admin' | 'tenant-member' | 'tenant-viewer';

/** An API token as its tenant's admins see it: never its secret. */
export interface ApiToken {
  id: string;
  name: string;
  role: TokenRole;
  tenant?: string | null;
  /** Its recognisable beginning, mpt_<lookup>_… */
  display: string;
  state: 'active' | 'expired' | 'revoked';
  createdBy?: string | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt?: string | null;
  lastUsedFrom?: string | null;
  revokedAt?: string | null;
}

/** A token just created: `secret` is its whole text, shown this once. */
export interface CreatedApiToken {
  token: ApiToken;
  secret?: string | null;
}

export const listTokens = (signal?: AbortSignal) => get<Page<ApiToken>>('/tokens', { limit: 500 }, signal);
export const createToken = (name: string, role: TokenRole, expiresAt?: string) =>
  post<CreatedApiToken>('/tokens', expiresAt ? { name, role, expiresAt } : { name, role });
export const revokeToken = (id: string) => del<ApiToken>(`/tokens/${segment(id)}`);
