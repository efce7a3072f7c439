import { isUnavailable } from '../../api/client';
import { getTenantQuota, setTenantQuota, type QuotaView, type SetQuotaRequest } from '../../api/quota';
import { createTenant, listTenants, type Tenant } from '../../api/tenants';
import { errorBanner, field, loading, pageHeader, section, table, toast, unavailable } from '../../components/ui';
import { h, replace } from '../../lib/dom';
import { formatBytes, formatDateTime, formatGiB, formatMiB } from '../../util/format';
import { dnsLabelProblem } from '../../util/names';
import { normalizeQuota, QUOTA_LABELS } from '../../util/quota';
import type { Page } from '../page';

export const tenantsPage: Page = (root, { signal }) => {
  root.append(pageHeader('Tenants'));
  const body = h('div', null, loading('Loading tenants'));
  const quotaBody = h('div');
  root.append(section('Tenants', body), quotaBody);

  const FORMATS: Record<string, (value: number) => string> = { count: String, MiB: formatMiB, GiB: formatGiB, bytes: formatBytes };

  const quotaForm = (tenant: Tenant, answer: QuotaView): HTMLElement => {
    const inputs = new Map<string, HTMLInputElement>();
    const fields = Object.entries(answer.resources).map(([resource, line]) => {
      const input = h('input', { type: 'number', min: 0, step: 1, value: line.limit === null ? '' : String(line.limit), placeholder: 'plan default' });
      inputs.set(resource, input);
      const meta = QUOTA_LABELS[resource];
      return field(`${meta?.label ?? resource}${meta && meta.unit !== 'count' ? ` (${meta.unit})` : ''}`, input).element;
    });
    const plan = h('input', { type: 'text', value: answer.plan ?? '', maxlength: 63, autocomplete: 'off' });
    const runningOnly = h('input', { type: 'checkbox', id: `running-only-${tenant.id}`, checked: answer.runningOnly });
    const feedback = h('div', { 'aria-live': 'polite' });
    const form = h('form', { class: 'stacked-form' },
      h('div', { class: 'field-row' }, fields),
      h('div', { class: 'field-row' }, field('Plan', plan, 'The price plan, which also sets default limits').element),
      h('label', { class: 'checkbox', for: runningOnly.id }, runningOnly, ' Count vCPUs and memory of running instances only'),
      h('div', { class: 'wizard-actions' }, h('button', { type: 'submit', class: 'primary' }, `Save the quota of ${tenant.slug}`)), feedback);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body: Record<string, unknown> = { runningOnly: runningOnly.checked };
      for (const [resource, input] of inputs) if (input.value !== '') body[resource] = Number(input.value);
      if (plan.value) body.plan = plan.value;
      try {
        await setTenantQuota(tenant.id, body as SetQuotaRequest);
        toast(`Quota of ${tenant.slug} saved`, 'success');
        void showQuota(tenant);
      } catch (error) {
        replace(feedback, errorBanner(error, 'Save the quota'));
      }
    });
    return h('details', null, h('summary', null, 'Change limits and plan'), form);
  };

  const showQuota = async (tenant: Tenant) => {
    replace(quotaBody, section(`Quota and plan of ${tenant.slug}`, loading('Loading the quota')));
    try {
      const answer = await getTenantQuota(tenant.id);
      const quota = normalizeQuota(answer);
      replace(quotaBody, section(`Quota and plan of ${tenant.slug}`,
        h('p', null, `Plan: ${answer.plan ?? 'none'}${answer.runningOnly ? ' · vCPU and memory limits count running instances only' : ''}`),
        table(`Quota of ${tenant.slug}`, ['Resource', 'Limit', 'Allocated', 'Used'], quota.map((q) => {
          const meta = QUOTA_LABELS[q.resource] ?? { label: q.resource, unit: 'count' as const };
          const format = FORMATS[meta.unit];
          return [meta.label, q.limit === null ? 'no limit' : format(q.limit), format(q.allocated), q.used === null || q.used === undefined ? '—' : format(q.used)];
        }), (index) => ({ 'data-resource': quota[index].resource })),
        quotaForm(tenant, answer)));
      quotaBody.scrollIntoView({ block: 'start' });
    } catch (error) {
      replace(quotaBody, section(`Quota and plan of ${tenant.slug}`, isUnavailable(error) ? unavailable('Quotas and plans', 'GET /api/v1/admin/quotas/{tenant}') : errorBanner(error, 'Loading the quota')));
    }
  };

  const load = () => listTenants().then(({ items }) => {
    if (signal.aborted) return;
    replace(body, table('Tenants', ['Slug', 'Name', 'Instances', 'Users', 'Registered', ''], items.map((tenant) => [
      tenant.slug, tenant.displayName ?? '—', String(tenant.instances), String(tenant.users), formatDateTime(tenant.createdAt),
      h('button', { type: 'button', class: 'small', 'aria-label': `Quota and plan of ${tenant.slug}`, onclick: () => void showQuota(tenant) }, 'Quota and plan'),
    ]), (index) => ({ 'data-tenant': items[index].slug })));
  }).catch((error) => { if (!signal.aborted) replace(body, errorBanner(error, 'Loading tenants')); });
  void load();

  const slug = h('input', { type: 'text', required: true, maxlength: 63, autocomplete: 'off', spellcheck: 'false' });
  const displayName = h('input', { type: 'text', maxlength: 200, autocomplete: 'off' });
  const slugField = field('Slug', slug, 'The tenant claim of the identity provider: a DNS label.');
  const nameField = field('Display name', displayName);
  const feedback = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stacked-form' }, slugField.element, nameField.element, h('div', { class: 'wizard-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Register tenant')), feedback);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problem = dnsLabelProblem(slug.value);
    slugField.setError(problem);
    if (problem) { slug.focus(); return; }
    try {
      await createTenant({ slug: slug.value, displayName: displayName.value || undefined });
      toast(`Tenant ${slug.value} registered`, 'success');
      slug.value = '';
      displayName.value = '';
      replace(feedback);
      void load();
    } catch (error) {
      replace(feedback, errorBanner(error, 'Register tenant'));
    }
  });
  root.append(section('Register a tenant', h('p', { class: 'hint' }, 'Tenants also register themselves at their first sign-in.'), form));
};
