import { apiUrl, get } from './client';

export interface BillingTenantLine {
  tenant: string;
  slug?: string;
  displayName?: string;
  vcpuHours?: number;
  memoryGiBHours?: number;
  diskGiBMonths?: number;
  snapshotGiBMonths?: number;
  total: number;
}

/** A billing period's report (GET /admin/billing?period=YYYY-MM). */
export interface BillingReport {
  period: string;
  currency: string;
  total?: number;
  tenants: BillingTenantLine[];
}

export type BillingFormat = 'csv' | 'json' | 'focus';

export const getBillingReport = (period: string) => get<BillingReport>('/admin/billing', { period });

/** Where the browser downloads the report in one export format. */
export const billingExportUrl = (period: string, format: BillingFormat) =>
  apiUrl('/admin/billing', { period, format });
