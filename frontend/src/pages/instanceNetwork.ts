// The instance page's Network tab: its private address, its public address, its port forwards
// and the firewall that filters them.

import { isUnavailable } from '../api/client';
import type { Instance } from '../api/instances';
import {
  applyFirewall, assignAddress, createFirewall, createForward, deleteForward, listAddresses, listFirewalls, listForwards,
  releaseAddress, type Firewall, type Inside,
} from '../api/network';
import { trackOperation } from '../components/operationTracker';
import { confirmDialog, empty, errorBanner, field, loading, section, table, unavailable } from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { formatDateTime } from '../util/format';
import { formatRules, parseRules } from '../util/firewallRules';
import { dnsLabelProblem } from '../util/names';
import { canOperate } from '../util/roles';
import type { PageContext } from './page';

export function renderNetwork(target: HTMLElement, instance: Instance, context: PageContext, tray: HTMLElement): void {
  const operate = canOperate(context.session);
  const body = h('div', null, loading('Loading the network'));
  target.append(body);

  const track = async (what: string, call: () => Promise<import('../api/client').Operation>) => {
    try {
      tray.prepend(trackOperation(await call(), context.events, () => void load()).element);
    } catch (error) {
      tray.prepend(errorBanner(error, what));
    }
  };

  const load = async () => {
    try {
      const [addresses, forwards, firewalls] = await Promise.all([listAddresses(), listForwards(), listFirewalls()]);
      const address = addresses.items.find((item) => item.instance === instance.id);
      const mine = forwards.items.filter((item) => item.instance === instance.id);
      const applied = firewalls.items.find((item) => item.instances.includes(instance.id));
      replace(body,
        section('Addresses',
          h('dl', { class: 'details' },
            h('dt', null, 'Private'), h('dd', { 'data-testid': 'private-address' }, instance.address ?? '—'),
            h('dt', null, 'Public'), h('dd', { 'data-testid': 'public-address' }, address ? address.address : 'none'),
          ),
          operate ? (address
            ? h('button', {
              type: 'button', onclick: async () => {
                if (!(await confirmDialog(`Release ${address.address}?`, `${instance.name} stops answering on it at once.`, 'Release'))) return;
                await track('Release the address', () => releaseAddress(address.id));
              },
            }, 'Release public address')
            : h('button', { type: 'button', class: 'primary', onclick: () => track('Give a public address', () => assignAddress(instance.id)) },
              'Give it a public address')) : null,
          h('p', { class: 'hint' }, 'A public address is the instance\'s own: every port reaches it (filtered by its firewall), and its outgoing traffic leaves from it. Addresses and forwards count against the addresses quota and are billed per hour.'),
        ),
        forwardsSection(mine),
        firewallSection(firewalls.items, applied),
      );
    } catch (error) {
      replace(body, isUnavailable(error) ? unavailable('Networking', 'GET /api/v1/forwards') : errorBanner(error, 'Loading the network'));
    }
  };

  function forwardsSection(forwards: import('../api/network').PortForward[]): HTMLElement {
    const list = forwards.length === 0
      ? empty('No port forwards.')
      : table('Port forwards', ['Public', 'Protocol', 'To port', 'Since', ''], forwards.map((forward) => [
        `${forward.address}:${forward.port}`, forward.protocol.toUpperCase(), String(forward.targetPort), formatDateTime(forward.createdAt),
        operate ? h('button', {
          type: 'button', class: 'small', onclick: async () => {
            if (!(await confirmDialog(`Remove ${forward.address}:${forward.port}?`, 'The port stops reaching the instance at once.', 'Remove'))) return;
            await track('Remove the forward', () => deleteForward(forward.id));
          },
        }, 'Remove') : '',
      ]));
    if (!operate) return section('Port forwards', list);
    const port = h('input', { type: 'number', min: 1, max: 65535, required: true, inputmode: 'numeric' });
    const targetPort = h('input', { type: 'number', min: 1, max: 65535, required: true, inputmode: 'numeric' });
    const protocol = h('select', null, h('option', { value: 'tcp' }, 'TCP'), h('option', { value: 'udp' }, 'UDP'));
    const form = h('form', { class: 'inline-form', id: uid('forward') },
      field('Public port', port).element, field('Instance port', targetPort).element, field('Protocol', protocol).element,
      h('button', { type: 'submit', class: 'primary' }, 'Forward'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      await track('Forward a port', () => createForward({
        instance: instance.id, port: Number(port.value), targetPort: Number(targetPort.value),
        protocol: protocol.value as 'tcp' | 'udp',
      }));
    });
    return section('Port forwards', list, form);
  }

  function firewallSection(firewalls: Firewall[], applied: Firewall | undefined): HTMLElement {
    const current = applied
      ? h('div', null, h('p', { 'data-testid': 'firewall-scope' }, 'Firewall ', h('strong', null, applied.name),
        applied.inside === 'filtered'
          ? ': only what its rules allow comes in, from outside and from the tenant network alike.'
          : ': only what its rules allow comes in from outside; the tenant network reaches it freely.'),
        h('pre', { class: 'rules', 'data-testid': 'firewall-rules' }, formatRules(applied.rules) || '(no rules: nothing comes in)'))
      : h('p', null, 'No firewall: whatever is published for it (its public address, its forwards) is open.');
    if (!operate) return section('Firewall', current);
    const choice = h('select', null, h('option', { value: '' }, 'none (open)'),
      ...firewalls.map((firewall) => h('option', { value: firewall.id, selected: firewall.id === applied?.id }, firewall.name)));
    const apply = h('form', { class: 'inline-form', id: uid('apply-firewall') }, field('Applied firewall', choice).element,
      h('button', { type: 'submit' }, 'Apply'));
    apply.addEventListener('submit', async (event) => {
      event.preventDefault();
      await track('Apply the firewall', () => applyFirewall(instance.id, choice.value || null));
    });

    const name = h('input', { type: 'text', maxlength: 63, required: true, autocomplete: 'off' });
    const rules = h('textarea', { rows: 4, spellcheck: false, placeholder: 'tcp 80 0.0.0.0/0\ntcp 22 198.51.100.0/24' });
    const nameField = field('New firewall', name);
    const rulesField = field('Rules, one per line', rules, 'tcp|udp PORT[-PORT] SOURCE, icmp SOURCE or any SOURCE; SOURCE is an address or a network (CIDR)');
    const inside = h('select', null,
      h('option', { value: 'open' }, 'open: the rules filter outside only'),
      h('option', { value: 'filtered' }, 'filtered: the rules apply to it too'));
    const insideField = field('From the tenant network', inside,
      'Filtered: new connections from the tenant\'s other instances pass only where a rule allows (replies always pass).');
    const create = h('form', { class: 'stack-form', id: uid('new-firewall') }, nameField.element, rulesField.element,
      insideField.element, h('button', { type: 'submit' }, 'Create firewall'));
    create.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problem = dnsLabelProblem(name.value);
      nameField.setError(problem);
      const parsed = parseRules(rules.value);
      rulesField.setError(parsed.problems.length ? parsed.problems.join('; ') : null);
      if (problem || parsed.problems.length) return;
      await track('Create the firewall', () => createFirewall(name.value, parsed.rules, inside.value as Inside));
    });
    return section('Firewall', current, apply, create);
  }

  void load();
}
