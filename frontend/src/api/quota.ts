import { get, put, type Operation } from './client';

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

export interface QuotaLine {
  limit: number | null;
  allocated: number;
  used: number | null;
}

/** GET /quota: `resources` maps instances, vcpus, memoryMiB, diskGiB, snapshots, … to a line. */
export interface QuotaView {
  tenant: string;
  plan: string | null;
  runningOnly: boolean;
  resources: Record<string, QuotaLine>;
}

export type QuotaResponse = QuotaView | { items: QuotaResource[] } | Record<string, unknown>;

/** Rates of the tenant's price plan, in `currency`. */
export interface PricePlan {
  name?: string;
  currency: string;
  vcpuHour?: number;
  memoryGiBHour?: number;
  /** The same rate as the plan entity spells it. */
  memoryGibHour?: number;
  diskGibMonth?: number;
  diskGiBMonth?: number;
  snapshotGiBMonth?: number;
}

export const getQuota = () => get<QuotaView>('/quota');

/** A tenant's own limits (absent fields inherit the plan's) and optionally its plan. */
export interface SetQuotaRequest {
  instances?: number;
  vcpus?: number;
  memoryMiB?: number;
  diskGiB?: number;
  snapshots?: number;
  snapshotGiB?: number;
  privateImages?: number;
  imageMiB?: number;
  addresses?: number;
  consoleSessions?: number;
  runningOnly?: boolean;
  plan?: string;
}

export const setTenantQuota = (tenantId: string, body: SetQuotaRequest) =>
  put<Operation>(`/admin/quotas/${encodeURIComponent(tenantId)}`, body);

/** A tenant's quota as the tenant sees it (platform admins). */
export const getTenantQuota = (tenantId: string) => get<QuotaView>(`/admin/quotas/${encodeURIComponent(tenantId)}`);

/** The price plan that applies to the caller's tenant (GET /prices). */
export const getPricePlan = () => get<PricePlan>('/prices');
