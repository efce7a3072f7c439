import { describe, expect, it } from 'vitest';
import { canManageTokens, canOperate, canReadAudit, inferRoles, isPlatformAdmin, roleLabel, type Session } from './roles';

const session = (roles: Session['roles']): Session => ({ username: 'x', tenant: 'acme', roles, inferred: false });

describe('roles', () => {
  it('answers what a role may do', () => {
    expect(canOperate(session(['tenant-viewer']))).toBe(false);
    expect(canOperate(session(['tenant-member']))).toBe(true);
    expect(canReadAudit(session(['tenant-member']))).toBe(false);
    expect(canReadAudit(session(['tenant-admin']))).toBe(true);
    expect(isPlatformAdmin(session(['platform-admin']))).toBe(true);
    expect(canManageTokens(session(['tenant-member']))).toBe(false);
    expect(canManageTokens(session(['tenant-viewer']))).toBe(false);
    expect(canManageTokens(session(['tenant-admin']))).toBe(true);
    expect(canManageTokens(session(['platform-admin']))).toBe(true);
  });

  it('infers roles from probes', () => {
    expect(inferRoles({ adminHosts: true, audit: true })).toEqual(['platform-admin']);
    expect(inferRoles({ adminHosts: false, audit: true })).toEqual(['tenant-admin']);
    expect(inferRoles({ adminHosts: false, audit: false })).toEqual(['tenant-member']);
  });

  it('labels the strongest role', () => {
    expect(roleLabel(session(['tenant-viewer', 'tenant-admin']))).toBe('tenant admin');
    expect(roleLabel(session([]))).toBe('no role');
  });
});
