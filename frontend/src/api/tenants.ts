import { get, post, segment, type Operation, type Schema } from './client';

export type Tenant = Schema<'TenantView'>;

export const listTenants = () => get<Schema<'ItemsTenantView'>>('/admin/tenants');

export const getTenant = (id: string) => get<Tenant>(`/admin/tenants/${segment(id)}`);

export const createTenant = (body: { slug: string; displayName?: string }) => post<Operation>('/admin/tenants', body);
