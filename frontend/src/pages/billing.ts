// The tenant's usage and billing: any month's bill with its line items, a breakdown per instance,
// CSV and FOCUS downloads, the cost over the month's days and the resources held per day.

import { getMyBill, myBillExportUrl, type TenantBillReport } from '../api/billing';
import { ApiError, isUnavailable } from '../api/client';
import { timeChart, type TimeChartHandle } from '../components/timeChart';
import { empty, errorBanner, loading, pageHeader, section, table, unavailable } from '../components/ui';
import { h, replace } from '../lib/dom';
import { averageAllocatedPerDay, costPerInstance, spreadOverDays, type BillLine } from '../util/billing';
import { formatDateTime, formatNumber } from '../util/format';
import { formatAmountDue, formatCost } from '../util/money';
import { isPeriod, periodOf, recentPeriods } from '../util/period';
import type { Page } from './page';

const RESOURCE_LABELS: Record<string, string> = { vcpu: 'vCPUs', memory: 'Memory', disk: 'Disk', snapshot: 'Snapshots', image: 'Image fees' };

export const billingPage: Page = (root, { query, navigate, signal }) => {
  const now = new Date();
  const asked = query.get('period') ?? '';
  const period = isPeriod(asked) ? asked : periodOf(now);
  const periods = recentPeriods(now, 13);
  if (!periods.includes(period)) periods.push(period);
  const monthName = (label: string) => new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${label}-01T00:00:00Z`));
  const select = h('select', { id: 'billing-period', 'data-testid': 'billing-period' },
    periods.map((label) => h('option', { value: label, selected: label === period }, monthName(label))));
  select.addEventListener('change', () => navigate(`#/billing?period=${encodeURIComponent(select.value)}`));
  const downloads = h('span', { class: 'page-actions' },
    h('a', { class: 'button', href: myBillExportUrl(period, 'csv'), download: '', 'data-testid': 'download-csv' }, 'Download CSV'),
    h('a', { class: 'button', href: myBillExportUrl(period, 'focus'), download: '', 'data-testid': 'download-focus' }, 'Download FOCUS'));
  root.append(pageHeader('Usage and billing', h('label', { for: 'billing-period' }, 'Month '), select, downloads));
  const body = h('div', null, loading('Loading the bill'));
  root.append(body);
  const charts: TimeChartHandle[] = [];

  getMyBill(period).then((bill) => {
    if (signal.aborted) return;
    render(bill);
  }).catch((error) => {
    if (signal.aborted) return;
    if (error instanceof ApiError && error.status === 403) replace(body, errorBanner(error, 'Billing is for a tenant\'s users'));
    else replace(body, isUnavailable(error) ? unavailable('Billing', 'GET /api/v1/billing') : errorBanner(error, 'Loading the bill'));
  });

  function render(bill: TenantBillReport) {
    const lines = (bill.lines ?? []) as BillLine[];
    const currency = bill.currency;
    const end = new Date(Math.min(new Date(bill.to).getTime(), Date.now())).toISOString();
    const summary = section('Summary',
      h('p', { class: 'big-figure', 'data-testid': 'bill-amount-due' }, formatAmountDue(bill.total, currency)),
      h('p', { class: 'hint' }, `Amount due for ${monthName(period)} (${bill.plan ?? 'no'} plan, ${currency}); rated cost ${formatCost(bill.total, currency)}. `,
        `From ${formatDateTime(bill.from)} to ${formatDateTime(bill.to)}.`),
      Object.keys(bill.resources ?? {}).length
        ? table('Cost per resource', ['Resource', 'Quantity', 'Cost'], Object.entries(bill.resources).map(([resource, total]) => [
          RESOURCE_LABELS[resource] ?? resource, `${formatNumber(total.quantity, 4)} ${total.unit}`, h('span', { 'data-sort': String(total.cost) }, formatCost(total.cost, currency)),
        ]))
        : empty('Nothing was used this month.'));
    if (lines.length === 0) { replace(body, summary); return; }

    const perInstance = costPerInstance(lines);
    const breakdown = section('Per instance', table('Cost per instance', ['Instance', 'Kind', 'vCPUs', 'Memory', 'Disk', 'Other', 'Total'], perInstance.map((row) => {
      const other = Object.entries(row.costs).filter(([resource]) => !['vcpu', 'memory', 'disk'].includes(resource)).reduce((sum, [, cost]) => sum + cost, 0);
      const money = (value: number | undefined) => h('span', { 'data-sort': String(value ?? 0) }, value ? formatCost(value, currency) : '—');
      return [
        h('a', { href: `#/instances/${encodeURIComponent(row.instanceId)}` }, row.name), row.kind,
        money(row.costs.vcpu), money(row.costs.memory), money(row.costs.disk), money(other || undefined), money(row.total),
      ];
    }), (index) => ({ 'data-instance': perInstance[index].name }), undefined, { filter: true }));

    // Over the month's days so far: cost (bars, and the running total) and resources held.
    const costDays = spreadOverDays(lines, bill.from, end, (line) => line.cost);
    let running = 0;
    const xs = costDays.map((day) => day.day / 1000 + 43_200);
    const bounds = { min: new Date(bill.from).getTime() / 1000, max: new Date(bill.to).getTime() / 1000 };
    charts.push(timeChart({
      title: 'Cost per day and so far this month', testId: 'chart-cost',
      columns: [xs, costDays.map((day) => day.value), costDays.map((day) => (running += day.value))],
      series: [{ label: 'per day', color: '#0b63c5', bars: true }, { label: 'so far', color: '#0e7a3b' }],
      format: (value) => formatCost(value, currency), range: bounds,
    }));
    const vcpus = averageAllocatedPerDay(lines, bill.from, end, 'vcpu');
    const memory = averageAllocatedPerDay(lines, bill.from, end, 'memory');
    charts.push(timeChart({
      title: 'Held while running, average per day', testId: 'chart-allocated',
      columns: [xs, vcpus.map((day) => day.value), memory.map((day) => day.value)],
      series: [{ label: 'vCPUs', color: '#6b3fa0' }, { label: 'memory (GiB)', color: '#8a5a00' }],
      // a few minutes of a small instance average to thousandths a day: ticks keep their digits
      format: (value) => formatNumber(value, value !== 0 && Math.abs(value) < 0.01 ? 6 : 2), range: bounds,
    }));

    const lineTable = section('Line items', table('Line items', ['Instance', 'Resource', 'What', 'Quantity', 'Unit price', 'Cost', 'From', 'To'], lines.map((line) => [
      line.instanceName ?? line.instanceId, RESOURCE_LABELS[line.resource] ?? line.resource, (line as BillLine & { description?: string }).description ?? '',
      h('span', { 'data-sort': String(line.quantity) }, `${formatNumber(line.quantity, 6)} ${line.unit}`),
      formatCost((line as BillLine & { unitPrice?: number }).unitPrice, currency),
      h('span', { 'data-sort': String(line.cost) }, formatCost(line.cost, currency)),
      h('span', { 'data-sort': line.chargeStart ?? '' }, formatDateTime(line.chargeStart)),
      h('span', { 'data-sort': line.chargeEnd ?? '' }, formatDateTime(line.chargeEnd)),
    ]), undefined, undefined, { filter: true }));
    replace(body, summary,
      section('Over the month', h('div', { class: 'charts time-charts' }, charts.map((chart) => chart.element)),
        h('p', { class: 'hint' }, 'Each line\'s cost and hours are spread evenly over the time it was charged: exact for disk, an estimate for running time within a day. The CSV and FOCUS downloads hold the lines themselves.')),
      breakdown, lineTable);
  }

  return () => charts.forEach((chart) => chart.dispose());
};
