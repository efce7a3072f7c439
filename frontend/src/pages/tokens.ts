// API tokens for scripts: a tenant admin's for the tenant, a platform admin's for the platform.
// A new token's secret is shown once; afterwards only its beginning is.

import { isUnavailable } from '../api/client';
import { createToken, listTokens, revokeToken, type TokenRole } from '../api/tokens';
import { confirmDialog, empty, errorBanner, field, loading, notice, pageHeader, section, stateBadge, table, unavailable } from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { formatDateTime } from '../util/format';
import { dnsLabelProblem } from '../util/names';
import { isPlatformAdmin } from '../util/roles';
import type { Page } from './page';

const TENANT_ROLES: { role: TokenRole; label: string }[] = [
  { role: 'tenant-viewer', label: 'Viewer: reads only' },
  { role: 'tenant-member', label: 'Member: creates and runs instances' },
  { role: 'tenant-admin', label: 'Admin: everything a tenant admin does, but tokens' },
];

const DAY_MS = 24 * 60 * 60 * 1000;

export const tokensPage: Page = async (root, context) => {
  const platform = isPlatformAdmin(context.session);
  const created = h('div', { 'aria-live': 'polite' });
  const list = h('div', null, loading('Loading the tokens'));
  root.append(pageHeader('API tokens'), h('p', { class: 'hint' },
    platform
      ? 'Tokens for the platform\'s scripts, with the platform-admin role. Every tenant\'s tokens are listed too, and can be revoked here.'
      : 'Tokens for your tenant\'s scripts: send one as "Authorization: Bearer mpt_…". Each has a role no higher than yours and an expiry; every use is in the audit log under its name.'),
  created, list);

  const load = async () => {
    try {
      const tokens = (await listTokens(context.signal)).items;
      replace(list, tokens.length === 0
        ? empty('There are no API tokens yet.')
        : table('API tokens', ['Name', 'Role', 'State', 'Token', 'Expires', 'Last used', 'Created by', ''], tokens.map((token) => [
          platform && token.tenant ? `${token.name} (${token.tenant})` : token.name,
          token.role,
          stateBadge(token.state),
          h('code', null, token.display),
          formatDateTime(token.expiresAt),
          token.lastUsedAt ? `${formatDateTime(token.lastUsedAt)}${token.lastUsedFrom ? ` from ${token.lastUsedFrom}` : ''}` : 'never',
          token.createdBy ?? '—',
          token.state === 'revoked' ? '' : h('button', {
            type: 'button', class: 'small', 'aria-label': `Revoke ${token.name}`, onclick: async () => {
              if (!(await confirmDialog(`Revoke ${token.name}?`, 'Scripts that use it get 401 from their next call.', 'Revoke'))) return;
              try {
                await revokeToken(token.id);
                void load();
              } catch (error) {
                created.prepend(errorBanner(error, 'Revoke the token'));
              }
            },
          }, 'Revoke'),
        ]), (index) => ({ 'data-token': tokens[index].name })));
    } catch (error) {
      replace(list, isUnavailable(error) ? unavailable('API tokens', 'GET /api/v1/tokens') : errorBanner(error, 'Loading the tokens'));
    }
  };

  const name = h('input', { type: 'text', maxlength: 63, autocomplete: 'off', placeholder: 'ci-deploy' });
  const role = h('select', null, ...(platform
    ? [h('option', { value: 'platform-admin' }, 'Platform admin')]
    : TENANT_ROLES.map((option) => h('option', { value: option.role }, option.label))));
  const days = h('input', { type: 'number', min: 1, max: 365, value: 30 });
  const nameField = field('Name', name);
  const daysField = field('Expires in (days)', days, 'At most 365');
  const form = h('form', { class: 'stack-form', id: uid('create-token') }, nameField.element,
    field('Role', role).element, daysField.element, h('button', { type: 'submit', class: 'primary' }, 'Create token'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const nameProblem = dnsLabelProblem(name.value);
    const lifetime = Number(days.value);
    const daysProblem = Number.isInteger(lifetime) && lifetime >= 1 && lifetime <= 365 ? null : 'Between 1 and 365 days';
    nameField.setError(nameProblem);
    daysField.setError(daysProblem);
    if (nameProblem || daysProblem) return;
    try {
      const answer = await createToken(name.value, role.value as TokenRole, new Date(Date.now() + lifetime * DAY_MS).toISOString());
      const secret = h('input', { type: 'text', readonly: true, value: answer.secret ?? '', 'data-testid': 'token-secret', size: 80 });
      replace(created, h('div', { class: 'banner success' },
        notice(`Token ${answer.token.name} created. Copy it now: it is shown this once.`, 'success'),
        secret,
        h('button', { type: 'button', class: 'small', onclick: () => void navigator.clipboard?.writeText(secret.value) }, 'Copy')));
      secret.select();
      name.value = '';
      void load();
    } catch (error) {
      created.prepend(errorBanner(error, 'Create the token'));
    }
  });
  root.append(section('Create a token', form));
  void load();
};
