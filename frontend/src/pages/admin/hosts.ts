import { addPoolAddresses, cordonHost, drainHost, listHosts, listPoolAddresses, removePoolAddress, uncordonHost, updateHost, type Capacity, type Host, type UpdateHostRequest } from '../../api/hosts';
import { getHostHistory } from '../../api/capacity';
import { capacityHistory, type CapacityHistoryHandle } from '../../components/capacityHistory';
import { stackedBar } from '../../components/chart';
import { listInstances } from '../../api/instances';
import { confirmDialog, copyable, empty, errorBanner, field, loading, pageHeader, section, table, toast } from '../../components/ui';
import { h, replace } from '../../lib/dom';
import { capacityFigures, totalCapacity } from '../../util/capacity';
import { formatAgo, formatDateTime, formatGiB, formatMiB, formatPercent, trimNumber } from '../../util/format';
import type { Page } from '../page';

const RESOURCES: { key: 'vcpus' | 'memoryMiB' | 'storageGiB'; label: string; format: (n: number) => string }[] = [
  { key: 'vcpus', label: 'vCPUs', format: (n) => trimNumber(n) },
  { key: 'memoryMiB', label: 'Memory', format: formatMiB },
  { key: 'storageGiB', label: 'Storage', format: formatGiB },
];

function capacityTable(caption: string, capacities: Record<string, Capacity>, showRatio: boolean): HTMLElement {
  const headers = ['Resource', 'Physical', 'Reserved', ...(showRatio ? ['Ratio'] : []), 'Allocatable', 'Allocated', 'Used', 'Overcommit', 'Full'];
  return table(caption, headers, RESOURCES.map(({ key, label, format }) => {
    const figures = capacityFigures(capacities[key]);
    return [label, format(figures.physical), format(capacities[key].reserved), ...(showRatio ? [`${trimNumber(figures.ratio, 2)}×`] : []),
      format(figures.allocatable), format(figures.allocated), figures.used === null ? 'not reported' : format(figures.used),
      `${trimNumber(figures.effectiveOvercommit, 2)}×`, formatPercent(figures.allocatedFraction)];
  }));
}

function capacityCharts(capacities: Record<string, Capacity>): HTMLElement {
  return h('div', { class: 'charts bars' }, RESOURCES.map(({ key, label, format }) => {
    const figures = capacityFigures(capacities[key]);
    const max = Math.max(figures.allocatable, figures.physical, figures.allocated, 1);
    return h('div', null,
      stackedBar(`${label}: ${format(figures.allocated)} allocated of ${format(figures.allocatable)} allocatable (${format(figures.physical)} physical)`,
        [{ key: 'allocated', label: 'allocated', value: figures.allocated }, { key: 'free', label: 'free', value: figures.free }], max,
        { label: 'physical', value: figures.physical }),
      figures.used !== null ? stackedBar(`${label} used: ${format(figures.used)}`, [{ key: 'used', label: 'used', value: figures.used }], max) : null);
  }), h('p', { class: 'legend' }, h('span', { class: 'key allocated' }), 'allocated ', h('span', { class: 'key free' }), 'free to allocate ', h('span', { class: 'key physical' }), 'physical'));
}

function editForm(host: Host, onSaved: () => void): HTMLElement {
  const number = (value: number, step: string, min: string) => h('input', { type: 'number', value: String(value), step, min });
  const state = h('select', null, ['ready', 'draining', 'offline'].map((s) => h('option', { value: s, selected: host.state === s }, s)));
  const cpuRatio = number(Number(host.vcpus.ratio), '0.1', '0.1');
  const memoryRatio = number(Number(host.memoryMiB.ratio), '0.1', '0.1');
  const diskRatio = number(Number(host.storageGiB.ratio), '0.1', '0.1');
  const reservedCpus = number(host.vcpus.reserved, '1', '0');
  const reservedMemory = number(host.memoryMiB.reserved, '1', '0');
  const reservedStorage = number(host.storageGiB.reserved, '1', '0');
  const feedback = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stacked-form host-form' },
    h('div', { class: 'field-row' },
      field('State', state).element, field('CPU ratio', cpuRatio).element, field('Memory ratio', memoryRatio).element, field('Disk ratio', diskRatio).element),
    h('div', { class: 'field-row' },
      field('Reserved vCPUs', reservedCpus).element, field('Reserved memory (MiB)', reservedMemory).element, field('Reserved storage (GiB)', reservedStorage).element),
    h('div', { class: 'wizard-actions' }, h('button', { type: 'submit', class: 'primary' }, `Save ${host.name}`)), feedback);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body: UpdateHostRequest = {
      state: state.value as UpdateHostRequest['state'],
      cpuRatio: Number(cpuRatio.value), memoryRatio: Number(memoryRatio.value), diskRatio: Number(diskRatio.value),
      reservedCpus: Number(reservedCpus.value), reservedMemoryMiB: Number(reservedMemory.value), reservedStorageGiB: Number(reservedStorage.value),
    };
    if (body.state !== host.state) {
      // Draining or taking a host offline changes where instances go: name the host and what runs there.
      const running = await listInstances({ limit: 500 }).then((page) => page.items
        .filter((instance) => instance.state !== 'deleted' && (instance.host === host.name || instance.host === host.id))
        .map((instance) => instance.name)).catch(() => null);
      const consequence: Record<string, string> = {
        ready: 'It takes new instances again.',
        draining: 'It takes no new instances; the ones it holds keep running.',
        offline: 'It takes no new instances and is treated as unreachable.',
      };
      const holds = running === null ? '' : running.length === 0 ? ' It holds no instance.'
        : ` It holds ${running.length} instance${running.length === 1 ? '' : 's'}: ${running.slice(0, 10).join(', ')}${running.length > 10 ? ', …' : ''}.`;
      const confirmed = await confirmDialog(`Set ${host.name} to ${body.state}?`,
        `${host.name} goes from ${host.state} to ${body.state}. ${consequence[body.state ?? ''] ?? ''}${holds}`, `Set ${host.name} ${body.state}`, body.state !== 'ready');
      if (!confirmed) return;
    }
    try {
      await updateHost(host.id, body);
      toast(`${host.name} updated`, 'success');
      onSaved();
    } catch (error) {
      replace(feedback, errorBanner(error, `Update ${host.name}`));
    }
  });
  return h('details', { class: 'host-edit' }, h('summary', null, 'Change state, overcommit ratios and reserve'), form);
}

/** Cordon or uncordon: a button that asks first, naming the host and what follows. */
function cordonButton(host: Host, onDone: () => void): HTMLElement {
  const cordoned = host.cordoned === true;
  const label = cordoned ? `Uncordon ${host.name}` : `Cordon ${host.name}`;
  return h('button', {
    type: 'button', class: cordoned ? '' : 'danger', 'data-testid': 'host-cordon', onclick: async () => {
      const confirmed = await confirmDialog(cordoned ? `Uncordon ${host.name}?` : `Cordon ${host.name}?`,
        cordoned ? `${host.name} takes new instances again.`
          : `${host.name} takes no new instances; the ones it holds stay and keep running.`, label, !cordoned);
      if (!confirmed) return;
      try {
        await (cordoned ? uncordonHost(host.id) : cordonHost(host.id));
        toast(cordoned ? `${host.name} uncordoned` : `${host.name} cordoned`, 'success');
        onDone();
      } catch (error) {
        toast(error instanceof Error ? error.message : String(error), 'error');
      }
    },
  }, label);
}

/** Drain: cordon the host and move its jails away; asks first, naming the host and what moves. */
function drainButton(host: Host, moveRunning: boolean, onDone: () => void): HTMLElement {
  const label = moveRunning ? `Drain ${host.name}, moving running jails too` : `Drain ${host.name}`;
  return h('button', {
    type: 'button', class: 'danger', 'data-testid': moveRunning ? 'host-drain-all' : 'host-drain', onclick: async () => {
      const confirmed = await confirmDialog(`Drain ${host.name}?`,
        `${host.name} is cordoned and its stopped jails move to other hosts with their snapshots.`
        + (moveRunning ? ' Running jails are stopped, moved and started again on their new host.' : ' Running ones stay.'), label);
      if (!confirmed) return;
      try {
        const operation = await drainHost(host.id, moveRunning);
        const input = (operation.input ?? {}) as { moves?: unknown[]; left?: unknown[] };
        toast(`${host.name}: ${input.moves?.length ?? 0} moving, ${input.left?.length ?? 0} staying`, 'success');
        onDone();
      } catch (error) {
        toast(error instanceof Error ? error.message : String(error), 'error');
      }
    },
  }, label);
}

/** The host's public addresses: who holds each, and a form to add more. */
function addressPool(host: Host): HTMLElement {
  const list = h('div', null, loading('Loading public addresses'));
  const load = () => listPoolAddresses(host.id).then(({ items }) => {
    replace(list, items.length === 0
      ? empty('No public addresses yet: tenants can neither give their instances one nor forward ports.')
      : table(`Public addresses of ${host.name}`, ['Address', 'Use', 'Held by', ''], items.map((entry) => [
        entry.address,
        entry.shared ? `shared: ${entry.forwards} forward${entry.forwards === 1 ? '' : 's'}` : 'whole, to one instance',
        entry.instance ? `instance ${entry.instance}` : entry.shared && entry.forwards > 0 ? 'several tenants' : 'free',
        entry.instance || entry.forwards > 0 ? '' : h('button', {
          type: 'button', class: 'small', 'aria-label': `Remove ${entry.address}`, onclick: async () => {
            if (!(await confirmDialog(`Remove ${entry.address}?`, `It leaves the pool of ${host.name}.`, 'Remove'))) return;
            try {
              await removePoolAddress(host.id, entry.address);
              toast(`${entry.address} removed`, 'success');
              void load();
            } catch (error) {
              list.prepend(errorBanner(error, `Remove ${entry.address}`));
            }
          },
        }, 'Remove'),
      ]), (index) => ({ 'data-address': items[index].address })));
  }).catch((error) => replace(list, errorBanner(error, 'Loading public addresses')));
  const addresses = h('input', { type: 'text', autocomplete: 'off', placeholder: '203.0.113.16/29, 203.0.113.40' });
  const shared = h('input', { type: 'checkbox' });
  const addressesField = field('Addresses to add', addresses, 'IPv4 addresses or networks (/24 to /32), routed to the host\'s uplink');
  const form = h('form', { class: 'inline-form' }, addressesField.element,
    h('label', { class: 'checkbox' }, shared, ' shared by port forwards'),
    h('button', { type: 'submit' }, 'Add'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const wanted = addresses.value.split(/[\s,]+/).filter(Boolean);
    addressesField.setError(wanted.length === 0 ? 'name at least one address' : null);
    if (wanted.length === 0) return;
    try {
      await addPoolAddresses(host.id, wanted, shared.checked);
      toast(`added to ${host.name}`, 'success');
      addresses.value = '';
      void load();
    } catch (error) {
      addressesField.setError(error instanceof Error ? error.message : String(error));
    }
  });
  void load();
  return h('details', { class: 'host-addresses' }, h('summary', null, 'Public addresses'), list, form);
}

/** A host's allocation and use over time, loaded when the admin opens it. */
function hostHistory(host: { id: string; name: string }, handles: CapacityHistoryHandle[]): HTMLElement {
  const details = h('details', { class: 'host-history' }, h('summary', null, 'Capacity over time'));
  details.addEventListener('toggle', () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = 'true';
    const history = capacityHistory({
      load: (range) => getHostHistory(host.id, range), ceilingLabel: 'allocatable',
      endpoint: 'GET /api/v1/admin/hosts/{id}/history', testId: `host-history-${host.name}`,
    });
    handles.push(history);
    details.append(history.element);
  });
  return details;
}

export const hostsPage: Page = (root, { signal }) => {
  root.append(pageHeader('Hosts'));
  const histories: CapacityHistoryHandle[] = [];
  const body = h('div', null, loading('Loading hosts'));
  root.append(body);
  const load = () => listHosts().then(({ items }) => {
    if (signal.aborted) return;
    const totals = {
      vcpus: totalCapacity(items.map((host) => host.vcpus)),
      memoryMiB: totalCapacity(items.map((host) => host.memoryMiB)),
      storageGiB: totalCapacity(items.map((host) => host.storageGiB)),
    };
    replace(body,
      section(`Platform: ${items.length} host${items.length === 1 ? '' : 's'}`, capacityTable('Platform capacity', totals, false), capacityCharts(totals)),
      items.map((host) => {
        const facts = (host.facts ?? {}) as { problems?: Record<string, string>; runtimes?: Record<string, string> };
        const reasons = facts.problems ?? null;
        const runtimes = Object.entries(facts.runtimes ?? {}).map(([name, version]) => `${name} ${version}`).join(', ');
        return h('section', { class: 'panel host', 'data-host': host.name },
          h('h2', null, host.name, ' ', h('span', { class: `badge tone-${host.state === 'ready' ? 'ok' : host.state === 'draining' ? 'busy' : 'bad'}` }, host.state),
            host.cordoned ? [' ', h('span', { class: 'badge tone-busy', 'data-testid': 'host-cordoned' }, 'cordoned')] : null),
          h('p', { class: 'hint' }, `${host.local ? 'in-process agent' : 'remote agent'} · runs ${host.kinds.length ? host.kinds.join(', ') : 'no kind yet'} · last seen `,
            h('span', { 'data-testid': 'host-last-seen', title: formatDateTime(host.lastSeen) }, formatAgo(host.lastSeen)), ' · ', copyable(host.id, `the id of ${host.name}`, h('code', null, host.id.slice(0, 8)))),
          runtimes ? h('p', { class: 'hint' }, `Runtimes: ${runtimes}`) : null,
          reasons && Object.keys(reasons).length ? h('ul', { class: 'hint', 'aria-label': 'Why kinds are missing' }, Object.entries(reasons).map(([kind, why]) => h('li', null, `no ${kind}: ${String(why)}`))) : null,
          capacityTable(`Capacity of ${host.name}`, host as unknown as Record<string, Capacity>, true),
          capacityCharts(host as unknown as Record<string, Capacity>),
          h('p', { class: 'actions' }, cordonButton(host, () => void load()), ' ', drainButton(host, false, () => void load()), ' ',
            drainButton(host, true, () => void load())),
          hostHistory(host, histories),
          editForm(host, () => void load()),
          addressPool(host));
      }));
  }).catch((error) => { if (!signal.aborted) replace(body, errorBanner(error, 'Loading hosts')); });
  void load();
  return () => histories.forEach((history) => history.dispose());
};
