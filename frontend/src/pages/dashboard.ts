import { isUnavailable } from '../api/client';
import { listHosts } from '../api/hosts';
import { totalCapacity } from '../util/capacity';
import { listInstances } from '../api/instances';
import { listOperations } from '../api/operations';
import { getQuota } from '../api/quota';
import { getUsage } from '../api/usage';
import { empty, errorBanner, gauge, loading, operationRow, pageHeader, section, stateBadge, table, unavailable } from '../components/ui';
import { getQuotaHistory, listQuotaHosts } from '../api/capacity';
import { capacityHistory, type CapacityHistoryHandle } from '../components/capacityHistory';
import { h, replace } from '../lib/dom';
import { formatBytes, formatDateTime, formatGiB, formatMiB, formatNumber } from '../util/format';
import { formatAmountDue, formatCost } from '../util/money';
import { mergeOperationEvent } from '../util/operations';
import { periodOf, periodToDate } from '../util/period';
import { getBillingSummary } from '../api/billing';
import { normalizeQuota, QUOTA_LABELS } from '../util/quota';
import { canOperate, isPlatformAdmin } from '../util/roles';
import type { Page } from './page';

const RESOURCE_LABELS: Record<string, string> = { vcpu: 'vCPUs', memory: 'Memory', disk: 'Disk', snapshot: 'Snapshots', image: 'Image fees' };

const FORMATS: Record<string, (value: number) => string> = {
  count: (value) => String(value),
  MiB: formatMiB,
  GiB: formatGiB,
  bytes: formatBytes,
};

export const dashboardPage: Page = (root, { session, events, signal }) => {
  root.append(pageHeader('Dashboard', canOperate(session) ? h('a', { class: 'button primary', href: '#/instances/new' }, 'New instance') : null));
  const quotaBody = h('div', { class: 'gauges' }, loading('Loading the quota'));
  const costBody = h('div', null, loading('Loading the cost'));
  const instancesBody = h('div', null, loading('Loading instances'));
  const activityBody = h('div', null, loading('Loading activity'));
  root.append(h('div', { class: 'grid' },
    section('Quota', quotaBody),
    section('Cost this period', costBody),
    section('Instances', instancesBody),
    section('Recent activity', activityBody)));

  if (isPlatformAdmin(session) && !session.tenant) {
    // Platform admins act for no tenant: the platform's capacity takes the quota's place.
    quotaBody.closest('section')?.querySelector('h2')?.replaceChildren('Platform capacity');
    listHosts().then(({ items }) => {
      if (signal.aborted) return;
      const resources = [
        { label: 'vCPUs', total: totalCapacity(items.map((host) => host.vcpus)), format: (n: number) => String(n) },
        { label: 'Memory', total: totalCapacity(items.map((host) => host.memoryMiB)), format: formatMiB },
        { label: 'Storage', total: totalCapacity(items.map((host) => host.storageGiB)), format: formatGiB },
      ];
      replace(quotaBody,
        resources.map(({ label, total, format }) => gauge(label, total.allocated, total.allocatable, null, format, 'allocatable')),
        h('a', { href: '#/admin/hosts' }, `${items.length} host${items.length === 1 ? '' : 's'}`));
    }).catch((error) => { if (!signal.aborted) replace(quotaBody, errorBanner(error, 'Loading hosts')); });
  } else getQuota().then((answer) => {
    if (signal.aborted) return;
    const resources = normalizeQuota(answer);
    if (resources.length === 0) { replace(quotaBody, empty('No quota is set for your tenant.')); return; }
    replace(quotaBody, resources.map((resource) => {
      const meta = QUOTA_LABELS[resource.resource] ?? { label: resource.resource, unit: 'count' as const };
      return gauge(meta.label, resource.allocated, resource.limit, resource.used ?? null, FORMATS[meta.unit]);
    }));
  }).catch((error) => {
    if (!signal.aborted) replace(quotaBody, isUnavailable(error) ? unavailable('The quota', 'GET /api/v1/quota') : errorBanner(error, 'Loading the quota'));
  });

  const period = periodToDate(new Date());
  if (isPlatformAdmin(session) && !session.tenant) {
    // A platform admin acts for no tenant (GET /usage is a tenant's): the platform's month instead.
    costBody.closest('section')?.querySelector('h2')?.replaceChildren('Billed this month (all tenants)');
    const month = periodOf(new Date());
    getBillingSummary(month).then((summary) => {
      if (signal.aborted) return;
      const currencies = Object.keys(summary.totals ?? {});
      replace(costBody,
        currencies.length === 0
          ? h('p', { class: 'big-figure', 'data-testid': 'cost' }, formatAmountDue(0))
          : currencies.map((currency) => h('p', { class: 'big-figure', 'data-testid': 'cost' }, formatAmountDue(summary.totals[currency], currency))),
        h('p', { class: 'hint' }, `${summary.tenants.length} tenant${summary.tenants.length === 1 ? '' : 's'} since ${formatDateTime(summary.from)}`),
        h('a', { href: '#/admin/billing' }, 'Billing by tenant'));
    }).catch((error) => {
      if (!signal.aborted) replace(costBody, errorBanner(error, 'Loading the billing summary'));
    });
  } else getUsage(period.from, period.to).then((usage) => {
    if (signal.aborted) return;
    replace(costBody,
      h('p', { class: 'big-figure', 'data-testid': 'cost' }, formatAmountDue(usage.total, usage.currency)),
      h('p', { class: 'hint' }, `From ${formatDateTime(usage.from)} to now · `, h('a', { href: '#/billing' }, 'Usage and billing')),
      Object.keys(usage.resources ?? {}).length ? h('ul', { class: 'cost-lines' }, Object.entries(usage.resources ?? {}).map(([resource, total]) =>
        h('li', null, `${RESOURCE_LABELS[resource] ?? resource}: ${formatNumber(total.quantity, 2)} ${total.unit} · ${formatCost(total.cost, usage.currency)}`))) : null);
  }).catch((error) => {
    if (!signal.aborted) replace(costBody, isUnavailable(error) ? unavailable('Usage and cost', 'GET /api/v1/usage') : errorBanner(error, 'Loading the cost'));
  });

  const loadInstances = () => listInstances({ limit: 500 }).then((page) => {
    if (signal.aborted) return;
    if (page.items.length === 0) { replace(instancesBody, empty('No instances yet.')); return; }
    const counts = new Map<string, number>();
    for (const instance of page.items) counts.set(instance.state, (counts.get(instance.state) ?? 0) + 1);
    replace(instancesBody,
      h('p', { class: 'big-figure' }, String(page.items.length), page.next ? '+' : ''),
      h('ul', { class: 'state-counts' }, [...counts].map(([state, count]) => h('li', null, stateBadge(state), ` ${count}`))),
      h('a', { href: '#/instances' }, 'All instances'));
  }).catch((error) => { if (!signal.aborted) replace(instancesBody, errorBanner(error, 'Loading instances')); });
  void loadInstances();

  let operations: Awaited<ReturnType<typeof listOperations>>['items'] = [];
  const renderActivity = () => replace(activityBody, operations.length
    ? h('div', { class: 'operations' }, operations.slice(0, 6).map(operationRow), h('a', { href: '#/activity' }, 'All activity'))
    : empty('Nothing has happened yet.'));
  listOperations({ limit: 6 }).then((page) => { if (!signal.aborted) { operations = page.items; renderActivity(); } })
    .catch((error) => { if (!signal.aborted) replace(activityBody, errorBanner(error, 'Loading activity')); });

  let refresh: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = events.subscribe((event) => {
    const merged = mergeOperationEvent(operations, event);
    if (merged !== operations) { operations = merged; renderActivity(); }
    if (event.targetType === 'instance' && !refresh) refresh = setTimeout(() => { refresh = null; void loadInstances(); }, 1000);
  });
  const stopPolling = events.whileNotLive(() => {
    void loadInstances();
    listOperations({ limit: 6 }).then((page) => { if (!signal.aborted) { operations = page.items; renderActivity(); } }).catch(() => undefined);
  }, 10_000);
  let history: CapacityHistoryHandle | null = null;
  if (session.tenant) {
    // The tenant's allocation against its limits over time, and the hosts it runs on.
    history = capacityHistory({
      load: (range) => getQuotaHistory(range), ceilingLabel: 'limit', endpoint: 'GET /api/v1/quota/history',
      testId: 'quota-history',
    });
    const hostsBody = h('div', null, loading('Loading the hosts'));
    root.append(section('Quota over time', history.element), section('Where your instances run', hostsBody));
    listQuotaHosts(signal).then(({ items }) => {
      if (signal.aborted) return;
      replace(hostsBody, items.length === 0 ? empty('None of your instances is placed on a host yet.') : [
        table('Hosts your instances run on', ['Host', 'Your instances', 'vCPUs promised per core', 'vCPUs held per core', 'Memory promised per MiB', 'Memory held per MiB'],
          items.map((host) => [h('code', null, host.label), String(host.instances),
            `up to ${formatNumber(host.cpuRatio, 2)}`, formatNumber(host.vcpusCommitted, 2),
            `up to ${formatNumber(host.memoryRatio, 2)}`, formatNumber(host.memoryCommitted, 2)])),
        h('p', { class: 'hint' }, 'Overcommit: how many vCPUs (and how much memory) the provider may promise per physical core (and MiB) of a host, '
          + 'and how much every tenant\'s running instances hold there now. Above 1, instances share what the host has.'),
      ]);
    }).catch((error) => {
      if (!signal.aborted) replace(hostsBody, isUnavailable(error) ? unavailable('Hosts', 'GET /api/v1/quota/hosts') : errorBanner(error, 'Loading the hosts'));
    });
  }
  return () => { stopPolling(); unsubscribe(); if (refresh) clearTimeout(refresh); history?.dispose(); };
};
