import { request, type Schema } from './client';

/** A platform role, as the API names them (an API token's role is one). */
export type Role = Schema<'ApiTokenView'>['role'];

const ROLES: readonly string[] = ['platform-admin', 'tenant-admin', 'tenant-member', 'tenant-viewer'] satisfies Role[];

/** Whether a role name of GET /me is one the portal knows (others are ignored). */
export const isRole = (name: string): name is Role => ROLES.includes(name);

/** Who is signed in (GET /me). */
export type Me = Schema<'Me'>;

export const getMe = () => request<Me>('/me', { quietAuth: true });
