import { apiUrl, get, type Schema } from './client';

/** What a tenant held of one resource over the period and what it costs. */
export type ResourceTotal = Schema<'ResourceTotal'>;

/** One tenant's bill in the admin summary (no line items). */
export type TenantBill = Schema<'BillingReport'>;

/** Every tenant's bill for a month (GET /admin/billing?period=YYYY-MM). */
export type BillingSummary = Schema<'BillingSummary'>;

export type BillingFormat = 'csv' | 'json' | 'focus';

export const getBillingSummary = (period: string) => get<BillingSummary>('/admin/billing', { period });

/** Where the browser downloads every tenant's bill in one export format. */
export const billingExportUrl = (period: string, format: BillingFormat) =>
  apiUrl('/admin/billing', { period, format });

/** The caller's tenant's bill for a month with its line items (GET /billing?period=YYYY-MM). */
export type TenantBillReport = Schema<'BillingReport'>;

export const getMyBill = (period: string) => get<TenantBillReport>('/billing', { period });

/** Where the browser downloads the caller's tenant's bill as CSV or FOCUS. */
export const myBillExportUrl = (period: string, format: Exclude<BillingFormat, 'json'>) => apiUrl('/billing', { period, format });
