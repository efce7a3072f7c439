import { isUnavailable } from '../../api/client';
import { billingExportUrl, getBillingReport, type BillingFormat } from '../../api/billing';
import { stackedBar } from '../../components/chart';
import { empty, errorBanner, loading, pageHeader, section, table, unavailable } from '../../components/ui';
import { h, replace } from '../../lib/dom';
import { formatMoney, trimNumber } from '../../util/format';
import { isPeriod, periodOf, recentPeriods } from '../../util/period';
import type { Page } from '../page';

const FORMATS: { format: BillingFormat; label: string }[] = [
  { format: 'csv', label: 'CSV' },
  { format: 'json', label: 'JSON' },
  { format: 'focus', label: 'FOCUS' },
];

export const billingPage: Page = (root, { query, navigate, signal }) => {
  const requested = query.get('period') ?? '';
  const period = isPeriod(requested) ? requested : periodOf(new Date());
  const picker = h('select', { id: 'billing-period' }, recentPeriods(new Date(), 13).map((p) => h('option', { value: p, selected: p === period }, p)));
  picker.addEventListener('change', () => navigate(`#/admin/billing?period=${encodeURIComponent(picker.value)}`));
  const exports = h('div', { class: 'row-actions' }, FORMATS.map(({ format, label }) =>
    h('a', { class: 'button', href: billingExportUrl(period, format), download: `multiplicity-${period}.${format === 'focus' ? 'focus.csv' : format}` }, `Export ${label}`)));
  root.append(pageHeader('Billing', h('label', { for: 'billing-period' }, 'Period '), picker));
  const body = h('div', null, loading('Loading the report'));
  root.append(body);

  getBillingReport(period).then((report) => {
    if (signal.aborted) return;
    const max = Math.max(0, ...report.tenants.map((line) => line.total));
    replace(body,
      section(`Report for ${report.period}`,
        h('p', { class: 'big-figure' }, formatMoney(report.total ?? report.tenants.reduce((sum, line) => sum + line.total, 0), report.currency)),
        exports,
        report.tenants.length === 0 ? empty('No usage in this period.') : table(`Billing ${report.period}`,
          ['Tenant', 'vCPU hours', 'Memory GiB-hours', 'Disk GiB-months', 'Snapshot GiB-months', 'Total'],
          report.tenants.map((line) => [line.displayName ?? line.slug ?? line.tenant, trimNumber(line.vcpuHours ?? 0, 2), trimNumber(line.memoryGiBHours ?? 0, 2),
            trimNumber(line.diskGiBMonths ?? 0, 2), trimNumber(line.snapshotGiBMonths ?? 0, 2), formatMoney(line.total, report.currency)]))),
      section('Cost per tenant', h('div', { class: 'charts bars' }, report.tenants.map((line) =>
        stackedBar(`${line.slug ?? line.tenant}: ${formatMoney(line.total, report.currency)}`, [{ key: 'allocated', label: 'total', value: line.total }], max)))));
  }).catch((error) => {
    if (signal.aborted) return;
    replace(body, isUnavailable(error) ? unavailable('Billing reports', 'GET /api/v1/admin/billing?period=') : errorBanner(error, 'Loading the report'));
  });
};
