import { isUnavailable, get } from '../../api/client';
import { createTenant, listTenants, type Tenant } from '../../api/tenants';
import { errorBanner, field, loading, pageHeader, section, table, toast, unavailable } from '../../components/ui';
import { h, replace } from '../../lib/dom';
import { formatDateTime } from '../../util/format';
import { dnsLabelProblem } from '../../util/names';
import { normalizeQuota, QUOTA_LABELS } from '../../util/quota';
import type { Page } from '../page';

export const tenantsPage: Page = (root, { signal }) => {
  root.append(pageHeader('Tenants'));
  const body = h('div', null, loading('Loading tenants'));
  const quotaBody = h('div');
  root.append(section('Tenants', body), quotaBody);

  const showQuota = async (tenant: Tenant) => {
    replace(quotaBody, section(`Quota and plan of ${tenant.slug}`, loading('Loading the quota')));
    try {
      const quota = normalizeQuota(await get(`/admin/quotas/${encodeURIComponent(tenant.slug)}`));
      replace(quotaBody, section(`Quota and plan of ${tenant.slug}`, table(`Quota of ${tenant.slug}`, ['Resource', 'Limit', 'Allocated', 'Used'],
        quota.map((q) => [QUOTA_LABELS[q.resource]?.label ?? q.resource, q.limit === null ? 'no limit' : String(q.limit), String(q.allocated), q.used === null || q.used === undefined ? '—' : String(q.used)]))));
    } catch (error) {
      replace(quotaBody, section(`Quota and plan of ${tenant.slug}`, isUnavailable(error) ? unavailable('Quotas and plans', 'GET /api/v1/admin/quotas/{tenant}') : errorBanner(error, 'Loading the quota')));
    }
  };

  const load = () => listTenants().then(({ items }) => {
    if (signal.aborted) return;
    replace(body, table('Tenants', ['Slug', 'Name', 'Instances', 'Users', 'Registered', ''], items.map((tenant) => [
      tenant.slug, tenant.displayName ?? '—', String(tenant.instances), String(tenant.users), formatDateTime(tenant.createdAt),
      h('button', { type: 'button', class: 'small', onclick: () => void showQuota(tenant) }, 'Quota and plan'),
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
