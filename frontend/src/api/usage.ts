import { get } from './client';
import type { ResourceTotal } from './billing';

/** One charge: what an instance consumed of one resource over the range. */
export interface UsageLine {
  instanceId: string;
  instanceName?: string;
  kind?: string;
  /** vcpu, memory, disk, snapshot or image. */
  resource: string;
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  cost: number;
  chargeStart?: string;
  chargeEnd?: string;
}

/** What the tenant used and what it costs between `from` and `to` (GET /usage). */
export interface Usage {
  tenant: string;
  plan?: string;
  currency: string;
  from: string;
  to: string;
  instances: number;
  lines?: UsageLine[];
  /** Quantity, unit and cost per resource. */
  resources?: Record<string, ResourceTotal>;
  /** Σ of the line costs, six decimal places. */
  total: number;
  /** The total rounded half-up to cents. */
  amountDue: number;
}

export const getUsage = (from: string, to: string) => get<Usage>('/usage', { from, to });
