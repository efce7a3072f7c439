import { ApiError, request } from '../api/client';
import { getMe, isRole } from '../api/me';
import { inferRoles, type Session } from '../util/roles';

const probe = async (path: string): Promise<boolean> => {
  try {
    await request(path, { quietAuth: true, query: { limit: 1 } });
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 499)) throw error;
    return false;
  }
};

/**
 * Who is signed in: GET /me, or, on a server without it, roles inferred from which calls succeed.
 * Answers null when there is no session (401) or it expired (499).
 */
export async function loadSession(): Promise<Session | null> {
  try {
    const me = await getMe();
    return { username: me.username, tenant: me.tenant ?? null, roles: me.roles.filter(isRole), inferred: false, demo: me.demo === true };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401 || error.status === 499) return null;
    if (error.status !== 404) throw error;
  }
  try {
    await request('/instances', { quietAuth: true, query: { limit: 1 } });
    const [adminHosts, audit] = [await probe('/admin/hosts'), await probe('/audit')];
    return { username: null, tenant: null, roles: inferRoles({ adminHosts, audit }), inferred: true };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 499)) return null;
    throw error;
  }
}
