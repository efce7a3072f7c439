import type { QuotaResource, QuotaResponse } from '../api/quota';

/** The resources the portal knows how to label, in display order. */
export const QUOTA_LABELS: Record<string, { label: string; unit: 'count' | 'MiB' | 'GiB' | 'bytes' }> = {
  instances: { label: 'Instances', unit: 'count' },
  vcpus: { label: 'vCPUs', unit: 'count' },
  memoryMiB: { label: 'Memory', unit: 'MiB' },
  diskGiB: { label: 'Disk', unit: 'GiB' },
  snapshots: { label: 'Snapshots', unit: 'count' },
  snapshotGiB: { label: 'Snapshot space', unit: 'GiB' },
  privateImages: { label: 'Private images', unit: 'count' },
  imageMiB: { label: 'Image storage', unit: 'MiB' },
  addresses: { label: 'Public addresses', unit: 'count' },
  consoleSessions: { label: 'Console sessions', unit: 'count' },
};

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Normalizes the quota answer into a list of resources, whether it is `{items: [...]}`, a map
 * `{resources: {vcpus: {limit, allocated, used}, …}}` (what GET /quota answers) or that map at the
 * top level; unknown shapes give an empty list.
 */
export function normalizeQuota(answer: QuotaResponse | null | undefined): QuotaResource[] {
  if (!answer || typeof answer !== 'object') return [];
  const nested = (answer as { resources?: unknown }).resources;
  const response = nested && typeof nested === 'object' && !Array.isArray(nested) ? (nested as QuotaResponse) : answer;
  const list: QuotaResource[] = [];
  if (Array.isArray((response as { items?: unknown }).items)) {
    for (const item of (response as { items: QuotaResource[] }).items) {
      if (item && typeof item.resource === 'string') {
        list.push({
          resource: item.resource,
          limit: isNumber(item.limit) ? item.limit : null,
          allocated: isNumber(item.allocated) ? item.allocated : 0,
          used: isNumber(item.used) ? item.used : null,
        });
      }
    }
  } else {
    for (const [resource, value] of Object.entries(response)) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
      const entry = value as Record<string, unknown>;
      if (!('limit' in entry) && !('allocated' in entry)) continue;
      list.push({
        resource,
        limit: isNumber(entry.limit) ? entry.limit : null,
        allocated: isNumber(entry.allocated) ? entry.allocated : 0,
        used: isNumber(entry.used) ? entry.used : null,
      });
    }
  }
  const order = Object.keys(QUOTA_LABELS);
  const rank = (resource: string) => (order.indexOf(resource) + order.length + 1) % (order.length + 1);
  return list.sort((a, b) => rank(a.resource) - rank(b.resource) || a.resource.localeCompare(b.resource));
}

/** What is left of a limit; null means unlimited. Never negative. */
export function remaining(resource: QuotaResource): number | null {
  if (resource.limit === null) return null;
  return Math.max(0, resource.limit - resource.allocated);
}

/** allocated / limit, for a gauge (0 when unlimited). */
export function fillFraction(resource: QuotaResource): number {
  if (resource.limit === null || resource.limit <= 0) return resource.limit === 0 && resource.allocated > 0 ? 1 : 0;
  return resource.allocated / resource.limit;
}

/** A gauge's colour: fine below 75 %, warning below 90 %, critical from there. */
export function gaugeLevel(fraction: number): 'fine' | 'warning' | 'critical' {
  if (fraction >= 0.9) return 'critical';
  if (fraction >= 0.75) return 'warning';
  return 'fine';
}

export interface QuotaCheck {
  resource: string;
  requested: number;
  left: number | null;
  fits: boolean;
}

/** What creating an instance of these sizes takes from each limited resource, and whether it fits. */
export function checkRequest(
  quota: QuotaResource[],
  request: { vcpus: number; memoryMiB: number; diskGiB: number },
): QuotaCheck[] {
  const wanted: Record<string, number> = {
    instances: 1, vcpus: request.vcpus, memoryMiB: request.memoryMiB, diskGiB: request.diskGiB,
  };
  return quota
    .filter((resource) => resource.resource in wanted)
    .map((resource) => {
      const left = remaining(resource);
      const requested = wanted[resource.resource];
      return { resource: resource.resource, requested, left, fits: left === null || requested <= left };
    });
}
