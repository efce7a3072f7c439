import type { PricePlan } from '../api/quota';

/** Billing months are 730 hours (365 × 24 / 12), as cloud price lists count them. */
export const HOURS_PER_MONTH = 730;

export interface PriceBreakdown {
  currency: string;
  vcpus: number;
  memory: number;
  disk: number;
  total: number;
}

/** What an instance of these sizes costs per month, running all month, on this plan. */
export function monthlyPrice(
  plan: PricePlan,
  sizes: { vcpus: number; memoryMiB: number; diskGiB: number },
): PriceBreakdown {
  const vcpus = Number(plan.vcpuHour ?? 0) * sizes.vcpus * HOURS_PER_MONTH;
  const memory = Number(plan.memoryGiBHour ?? 0) * (sizes.memoryMiB / 1024) * HOURS_PER_MONTH;
  const disk = Number(plan.diskGiBMonth ?? 0) * sizes.diskGiB;
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    currency: plan.currency,
    vcpus: round(vcpus),
    memory: round(memory),
    disk: round(disk),
    total: round(vcpus + memory + disk),
  };
}
