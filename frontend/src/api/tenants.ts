import { get, post, segment, type Operation } from './client';

export interface Tenant {
  id: string;
  slug: string;
  displayName?: string;
  instances: number;
  users: number;
  createdAt: string;
}

export const listTenants = () => get<{ items: Tenant[] }>('/admin/tenants');

export const getTenant = (id: string) => get<Tenant>(`/admin/tenants/${segment(id)}`);

export const createTenant = (body: { slug: string; displayName?: string }) => post<Operation>('/admin/tenants', body);
