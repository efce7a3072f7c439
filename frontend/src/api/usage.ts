import { get, type Schema } from './client';

/** One charge: what an instance consumed of one resource over the range. */
export type UsageLine = Schema<'LineItem'>;

/** What the tenant used and what it costs between `from` and `to` (GET /usage). */
export type Usage = Schema<'BillingReport'>;

export const getUsage = (from: string, to: string) => get<Usage>('/usage', { from, to });
