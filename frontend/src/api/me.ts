import { request } from './client';

export type Role = 'platform-admin' | 'tenant-admin' | 'tenant-member' | 'tenant-viewer';

/** Who is signed in (GET /me). */
export interface Me {
  username: string;
  tenant: string | null;
  tenantId?: string | null;
  roles: Role[];
  /** A demo installation: known passwords, never for real use. */
  demo?: boolean;
}

export const getMe = () => request<Me>('/me', { quietAuth: true });
