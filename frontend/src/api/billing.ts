import { apiUrl, get } from './client';

/** What a tenant held of one resource over the period and what it costs. */
export interface ResourceTotal {
  quantity: number;
  unit: string;
  cost: number;
}

/** One tenant's bill in the admin summary (no line items). */
export interface TenantBill {
  tenantId: string;
  /** The tenant's slug. */
  tenant: string;
  plan?: string;
  currency: string;
  period?: string;
  from: string;
  to: string;
  instances: number;
  /** vcpu, memory, disk, snapshot, image: only those with usage. */
  resources: Record<string, ResourceTotal>;
  /** Σ of the line costs, six decimal places. */
  total: number;
  /** The total rounded half-up to cents. */
  amountDue: number;
}

/** Every tenant's bill for a month (GET /admin/billing?period=YYYY-MM). */
export interface BillingSummary {
  period: string;
  from: string;
  to: string;
  tenants: TenantBill[];
  /** Σ of the tenants' totals per currency. */
  totals: Record<string, number>;
}

export type BillingFormat = 'csv' | 'json' | 'focus';

export const getBillingSummary = (period: string) => get<BillingSummary>('/admin/billing', { period });

/** Where the browser downloads every tenant's bill in one export format. */
export const billingExportUrl = (period: string, format: BillingFormat) =>
  apiUrl('/admin/billing', { period, format });

/** The caller's tenant's bill for a month with its line items (GET /billing?period=YYYY-MM). */
export interface TenantBillReport extends TenantBill {
  lines?: import('./usage').UsageLine[];
}

export const getMyBill = (period: string) => get<TenantBillReport>('/billing', { period });

/** Where the browser downloads the caller's tenant's bill as CSV or FOCUS. */
export const myBillExportUrl = (period: string, format: Exclude<BillingFormat, 'json'>) => apiUrl('/billing', { period, format });
