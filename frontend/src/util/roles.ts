import type { Role } from '../api/me';

export interface Session {
  username: string | null;
  tenant: string | null;
  roles: Role[];
  /** Whether the roles come from GET /me or were inferred from which calls succeed. */
  inferred: boolean;
  /** A demo installation (GET /me says so): the portal shows a banner on every page. */
  demo?: boolean;
}

export const isPlatformAdmin = (session: Session) => session.roles.includes('platform-admin');

/** Creates, starts, stops and deletes instances (the API has the final word). */
export const canOperate = (session: Session) =>
  session.roles.some((role) => role === 'platform-admin' || role === 'tenant-admin' || role === 'tenant-member');

/** Creates and revokes API tokens (tenant admins for their tenant, platform admins for the platform). */
export const canManageTokens = (session: Session) =>
  session.roles.some((role) => role === 'platform-admin' || role === 'tenant-admin');

/** Reads the tenant's audit log. */
export const canReadAudit = (session: Session) =>
  session.roles.some((role) => role === 'platform-admin' || role === 'tenant-admin');

/**
 * Roles inferred without GET /me, from probes: the admin host list answers 200 only to platform
 * admins, the audit log only to admins. Members and viewers cannot be told apart: the portal shows
 * members' controls and the API refuses a viewer's change with a message.
 */
export function inferRoles(probes: { adminHosts: boolean; audit: boolean }): Role[] {
  if (probes.adminHosts) return ['platform-admin'];
  if (probes.audit) return ['tenant-admin'];
  return ['tenant-member'];
}

const ROLE_LABELS: Record<string, string> = {
  'platform-admin': 'platform admin',
  'tenant-admin': 'tenant admin',
  'tenant-member': 'member',
  'tenant-viewer': 'viewer',
};

/** The role to show next to the user name: the strongest one. */
export function roleLabel(session: Session): string {
  for (const role of ['platform-admin', 'tenant-admin', 'tenant-member', 'tenant-viewer']) {
    if (session.roles.includes(role as Role)) return ROLE_LABELS[role];
  }
  return 'no role';
}
