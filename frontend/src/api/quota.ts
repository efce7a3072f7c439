import { get, put, type Operation, type Schema } from './client';

/**
 * The tenant's quota (GET /quota): per resource a hard limit, what instances have allocated and
 * what they use. The portal accepts a list (`items`) or a map keyed by resource; see
 * util/quota.ts, which normalizes both.
 */
export interface QuotaResource {
  resource: string;
  limit: number | null;
  allocated: number;
  used?: number | null;
  unit?: string;
}

export type QuotaLine = Schema<'Line'>;

/** GET /quota: `resources` maps instances, vcpus, memoryMiB, diskGiB, snapshots, … to a line. */
export type QuotaView = Schema<'QuotaView'>;

export type QuotaResponse = QuotaView | { items: QuotaResource[] } | Record<string, unknown>;

/** Rates of the tenant's price plan, in `currency`. */
export type PricePlan = Schema<'Prices'>;

export const getQuota = () => get<QuotaView>('/quota');

/** A tenant's own limits (absent fields inherit the plan's) and optionally its plan. */
export type SetQuotaRequest = Schema<'SetQuotaRequest'>;

export const setTenantQuota = (tenantId: string, body: SetQuotaRequest) =>
  put<Operation>(`/admin/quotas/${encodeURIComponent(tenantId)}`, body);

/** A tenant's quota as the tenant sees it (platform admins). */
export const getTenantQuota = (tenantId: string) => get<QuotaView>(`/admin/quotas/${encodeURIComponent(tenantId)}`);

/** The price plan that applies to the caller's tenant (GET /prices). */
export const getPricePlan = () => get<PricePlan>('/prices');
