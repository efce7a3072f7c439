import { isUnavailable } from '../../api/client';
import { billingExportUrl, getBillingSummary, type BillingFormat, type BillingSummary, type TenantBill } from '../../api/billing';
import { stackedBar } from '../../components/chart';
import { errorBanner, loading, pageHeader, section, table, unavailable } from '../../components/ui';
import { h, replace } from '../../lib/dom';
import { trimNumber } from '../../util/format';
import { formatAmountDue, formatCost } from '../../util/money';
import { isPeriod, periodOf, periodRange, recentPeriods } from '../../util/period';
import { timeChart, type TimeChartHandle } from '../../components/timeChart';
import type { Page } from '../page';

const FORMATS: { format: BillingFormat; label: string; file: (period: string) => string }[] = [
  { format: 'csv', label: 'CSV', file: (period) => `billing-${period}.csv` },
  { format: 'focus', label: 'FOCUS', file: (period) => `billing-${period}-focus.csv` },
  { format: 'json', label: 'JSON', file: (period) => `billing-${period}.json` },
];

const HEADERS = ['Tenant', 'Plan', 'Instances', 'vCPU-hours', 'Memory GiB-hours', 'Disk GiB-months', 'Snapshot GiB-months', 'Cost', 'Amount due'];

const quantity = (bill: TenantBill, resource: string) => trimNumber(bill.resources?.[resource]?.quantity ?? 0, 4);

/** The money cells, marked so that tests (and people copying figures) find them. */
function amounts(total: number, currency: string, kind: 'tenant' | 'period'): HTMLElement[] {
  return [
    h('span', { class: 'amount', 'data-testid': `${kind}-cost` }, formatCost(total, currency)),
    h('span', { class: 'amount', 'data-testid': `${kind}-amount-due` }, formatAmountDue(total, currency)),
  ];
}

function report(summary: BillingSummary, exports: HTMLElement): HTMLElement[] {
  const currencies = Object.keys(summary.totals ?? {});
  const max = Math.max(0, ...summary.tenants.map((bill) => bill.total));
  return [
    section(`Report for ${summary.period}`,
      h('p', { class: 'hint' }, 'Costs are rated to the millionth; the amount due is the cost rounded half-up to the cent. The exports carry every line item.'),
      h('div', { class: 'big-figures' }, currencies.map((currency) => h('div', null,
        h('p', { class: 'big-figure', 'data-currency': currency }, formatAmountDue(summary.totals[currency], currency)),
        h('p', { class: 'hint' }, currencies.length > 1 ? `due in ${currency}` : 'due for the period')))),
      exports,
      table(`Billing ${summary.period}`, HEADERS,
        summary.tenants.map((bill) => [bill.tenant, bill.plan ?? '—', String(bill.instances), quantity(bill, 'vcpu'), quantity(bill, 'memory'),
          quantity(bill, 'disk'), quantity(bill, 'snapshot'), ...amounts(bill.total, bill.currency, 'tenant')]),
        (index) => ({ 'data-testid': 'billing-tenant', 'data-tenant': summary.tenants[index].tenant, 'data-currency': summary.tenants[index].currency }),
        currencies.map((currency) => ({
          cells: [currencies.length > 1 ? `All tenants (${currency})` : 'All tenants', '', '', '', '', '', '', ...amounts(summary.totals[currency], currency, 'period')],
          attributes: { 'data-testid': 'billing-total', 'data-currency': currency },
        })))),
    section('Cost per tenant', h('div', { class: 'charts bars' }, summary.tenants.map((bill) =>
      stackedBar(`${bill.tenant}: ${formatCost(bill.total, bill.currency)}`, [{ key: 'allocated', label: 'cost', value: bill.total }], max)))),
  ];
}

export const billingPage: Page = (root, { query, navigate, signal }) => {
  const requested = query.get('period') ?? '';
  const period = isPeriod(requested) ? requested : periodOf(new Date());
  const picker = h('select', { id: 'billing-period' }, recentPeriods(new Date(), 13).map((p) => h('option', { value: p, selected: p === period }, p)));
  picker.addEventListener('change', () => navigate(`#/admin/billing?period=${encodeURIComponent(picker.value)}`));
  const exports = h('div', { class: 'row-actions' }, FORMATS.map(({ format, label, file }) =>
    h('a', { class: 'button', href: billingExportUrl(period, format), download: file(period) }, `Export ${label}`)));
  root.append(pageHeader('Billing', h('label', { for: 'billing-period' }, 'Period '), picker));
  const body = h('div', null, loading('Loading the report'));
  root.append(body);

  const trend = h('div', null, loading('Loading the months before'));
  let chart: TimeChartHandle | null = null;
  getBillingSummary(period).then((summary) => {
    if (signal.aborted) return;
    replace(body, ...report(summary, exports), section('Billed per month', trend));
    // The chosen month and the five before it, one report each (they are cached by the server's rating).
    const months = recentPeriods(new Date(periodRange(period).from), 6).reverse();
    Promise.all(months.map((month) => (month === period ? Promise.resolve(summary) : getBillingSummary(month)))).then((summaries) => {
      if (signal.aborted) return;
      const currencies = [...new Set(summaries.flatMap((each) => Object.keys(each.totals ?? {})))];
      const currency = currencies[0] ?? 'EUR';
      const xs = months.map((month) => new Date(periodRange(month).from).getTime() / 1000 + 14 * 86_400);
      const range = { min: new Date(periodRange(months[0]).from).getTime() / 1000, max: new Date(periodRange(months[months.length - 1]).to).getTime() / 1000 };
      chart = timeChart({
        title: `Amount billed per month (${currency})`, testId: 'chart-billed-per-month', range,
        columns: [xs, summaries.map((each) => each.totals?.[currency] ?? 0)],
        series: [{ label: 'all tenants', color: '#0b63c5', bars: true }],
        format: (value) => formatCost(value, currency),
      });
      replace(trend, chart.element, currencies.length > 1
        ? h('p', { class: 'hint' }, `Tenants also pay in ${currencies.slice(1).join(', ')}: the table above has those totals.`) : null);
    }).catch((error) => { if (!signal.aborted) replace(trend, errorBanner(error, 'Loading the months before')); });
  }).catch((error) => {
    if (signal.aborted) return;
    replace(body, isUnavailable(error) ? unavailable('Billing reports', 'GET /api/v1/admin/billing?period=') : errorBanner(error, 'Loading the report'));
  });
  return () => chart?.dispose();
};
