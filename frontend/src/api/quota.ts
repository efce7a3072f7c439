import { get } from './client';

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

export type QuotaResponse =
  | { items: QuotaResource[]; plan?: PricePlan }
  | { tenant?: string; plan?: PricePlan; [resource: string]: unknown };

/** Rates of the tenant's price plan, in `currency`. */
export interface PricePlan {
  name?: string;
  currency: string;
  vcpuHour?: number;
  memoryGiBHour?: number;
  diskGiBMonth?: number;
  snapshotGiBMonth?: number;
}

export const getQuota = () => get<QuotaResponse>('/quota');

/** The price plan that applies to the caller's tenant (GET /prices). */
export const getPricePlan = () => get<PricePlan>('/prices');
