// The user's SSH public keys: what instances created with them let in as root.

import { isUnavailable } from '../api/client';
import { addSshKey, listSshKeys, removeSshKey } from '../api/sshKeys';
import { trackOperation } from '../components/operationTracker';
import { confirmDialog, empty, errorBanner, field, loading, pageHeader, section, table, unavailable } from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { formatDateTime } from '../util/format';
import { dnsLabelProblem } from '../util/names';
import { publicKeyProblem, suggestKeyName } from '../util/sshKeys';
import type { Page } from './page';

export const sshKeysPage: Page = async (root, context) => {
  const tray = h('div', { class: 'operation-tray' });
  const list = h('div', null, loading('Loading your keys'));
  root.append(pageHeader('SSH keys'), h('p', { class: 'hint' },
    'Your public keys, yours alone. Choose them when you create an instance: its root accepts them (through the instance\'s metadata service).'),
  tray, list);

  const load = async () => {
    try {
      const keys = (await listSshKeys(context.signal)).items;
      replace(list, keys.length === 0
        ? empty('You have no SSH keys yet.')
        : table('SSH keys', ['Name', 'Type', 'Fingerprint', 'Comment', 'Added', ''], keys.map((key) => [
          key.name,
          `${key.type} (${key.bits} bits)`,
          h('code', { 'data-testid': 'fingerprint' }, key.fingerprint),
          key.comment ?? '—',
          formatDateTime(key.createdAt),
          h('button', {
            type: 'button', class: 'small', 'aria-label': `Remove ${key.name}`, onclick: async () => {
              if (!(await confirmDialog(`Remove ${key.name}?`, 'Instances created with it keep it.', 'Remove'))) return;
              try {
                tray.prepend(trackOperation(await removeSshKey(key.id), context.events, () => void load()).element);
              } catch (error) {
                tray.prepend(errorBanner(error, 'Remove the key'));
              }
            },
          }, 'Remove'),
        ]), (index) => ({ 'data-key': keys[index].name })));
    } catch (error) {
      replace(list, isUnavailable(error) ? unavailable('SSH keys', 'GET /api/v1/ssh-keys') : errorBanner(error, 'Loading your keys'));
    }
  };

  const publicKey = h('textarea', { rows: 3, spellcheck: false, placeholder: 'ssh-ed25519 AAAA… you@laptop' });
  const name = h('input', { type: 'text', maxlength: 63, autocomplete: 'off' });
  const keyField = field('Public key', publicKey, 'The contents of your .pub file, e.g. ~/.ssh/id_ed25519.pub');
  const nameField = field('Name', name);
  publicKey.addEventListener('input', () => {
    if (!name.value || name.dataset.suggested === 'true') {
      name.value = suggestKeyName(publicKey.value);
      name.dataset.suggested = 'true';
    }
  });
  name.addEventListener('input', () => { name.dataset.suggested = 'false'; });
  const form = h('form', { class: 'stack-form', id: uid('add-key') }, keyField.element, nameField.element,
    h('button', { type: 'submit', class: 'primary' }, 'Add key'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const keyProblem = publicKeyProblem(publicKey.value);
    const nameProblem = dnsLabelProblem(name.value);
    keyField.setError(keyProblem);
    nameField.setError(nameProblem);
    if (keyProblem || nameProblem) return;
    try {
      tray.prepend(trackOperation(await addSshKey(name.value, publicKey.value.trim()), context.events, () => void load()).element);
      publicKey.value = '';
      name.value = '';
    } catch (error) {
      tray.prepend(errorBanner(error, 'Add the key'));
    }
  });
  root.append(section('Add a key', form));
  void load();
};
