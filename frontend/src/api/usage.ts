import { get } from './client';

export interface UsageLine {
  description: string;
  resource?: string;
  instance?: string;
  quantity: number;
  unit: string;
  amount: number;
}

/** What the tenant used and what it costs between `from` and `to` (GET /usage). */
export interface Usage {
  from: string;
  to: string;
  currency: string;
  total: number;
  lines?: UsageLine[];
}

export const getUsage = (from: string, to: string) => get<Usage>('/usage', { from, to });
