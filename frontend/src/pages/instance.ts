import { ApiError, isUnavailable } from '../api/client';
import { getInstance, rebuildInstance, resizeInstance, setRestartPolicy, type Instance, type RestartPolicy } from '../api/instances';
import { getInstanceMetrics, type MetricSample } from '../api/metrics';
import { timeChart, type TimeChartHandle } from '../components/timeChart';
import { columnsWithGaps, isRangeName, RANGES, rangeOf, windows, type RangeName } from '../util/timeSeries';
import { listOperations } from '../api/operations';
import { createSnapshot, deleteSnapshot, getSnapshotSchedule, listSnapshots, rollbackSnapshot, setSnapshotSchedule } from '../api/snapshots';
import { trackOperation } from '../components/operationTracker';
import { confirmDialog, copyable, empty, errorBanner, field, loading, operationRow, pageHeader, stateBadge, table, unavailable } from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { formatBytes, formatDateTime, formatDuration, formatGiB, formatMiB, formatPercent } from '../util/format';
import { applyStateEvent, availableActions, canDelete } from '../util/instanceState';
import { dnsLabelProblem } from '../util/names';
import { mergeOperationEvent } from '../util/operations';
import { canOperate, canReadAudit } from '../util/roles';
import { listConsoleSessions } from '../api/consoles';
import { explainCloseReason, formatAddress } from '../util/audit';
import { mountConsole } from './instanceConsole';
import { renderNetwork } from './instanceNetwork';
import { runInstanceAction } from './instances';
import type { Page, PageContext } from './page';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'network', label: 'Network' },
  { id: 'snapshots', label: 'Snapshots' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'serial', label: 'Serial console' },
  { id: 'vnc', label: 'Graphical console' },
  { id: 'activity', label: 'Activity' },
] as const;
type TabId = (typeof TABS)[number]['id'];

export const instancePage: Page = async (root, context) => {
  const { params, query, events, session, signal } = context;
  const id = params.id;
  root.append(loading('Loading the instance'));
  let instance: Instance;
  try {
    instance = await getInstance(id);
  } catch (error) {
    if (signal.aborted) return;
    const back = h('p', null, h('a', { href: '#/instances' }, 'Back to the instances'));
    // Another tenant's instance answers 404 exactly like an id that does not exist.
    if (error instanceof ApiError && error.status === 404) {
      replace(root, pageHeader('Instance not found'), h('p', { 'data-testid': 'not-found' }, 'There is no instance with this id in your tenant.'), back);
    } else {
      replace(root, pageHeader('Instance'), errorBanner(error, 'Loading the instance'), back);
    }
    return;
  }
  if (signal.aborted) return;

  const tray = h('div', { class: 'tray', 'aria-live': 'polite' });
  const headerActions = h('div', { class: 'row-actions' });
  const badgeSlot = h('span', { 'data-testid': 'instance-state' });
  const detailSlot = h('span', { class: 'state-detail' });
  const tabList = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Instance' });
  const panel = h('div', { role: 'tabpanel', class: 'tab-panel', tabindex: '0' });
  replace(root,
    pageHeader(instance.name, headerActions),
    h('p', { class: 'subtitle' }, badgeSlot, detailSlot, ` ${instance.kind} · ${instance.image}`),
    tray, tabList, panel);

  const renderHeader = () => {
    replace(badgeSlot, stateBadge(instance.state));
    detailSlot.textContent = instance.stateDetail ? ` ${instance.stateDetail}` : '';
    if (!canOperate(session)) return;
    replace(headerActions,
      availableActions(instance).map((action) => h('button', { type: 'button', onclick: () => void runInstanceAction(instance, action, events, tray) }, action.charAt(0).toUpperCase() + action.slice(1))),
      canDelete(instance) ? h('button', {
        type: 'button', class: 'danger',
        onclick: async () => { if (await runInstanceAction(instance, 'delete', events, tray)) context.navigate('#/instances'); },
      }, 'Delete') : null);
  };

  // Jails have a serial console only; VMs also a framebuffer.
  const tabs = TABS.filter((tab) => tab.id !== 'vnc' || instance.kind === 'vm');
  let current: TabId = (tabs.find((tab) => tab.id === query.get('tab'))?.id ?? 'overview');
  let tabCleanup: (() => void) | null = null;
  const tabButtons = tabs.map((tab) => {
    const button = h('button', {
      type: 'button', role: 'tab', id: `tab-${tab.id}`, 'aria-controls': 'instance-tab-panel',
      onclick: () => select(tab.id),
      onkeydown: (event: KeyboardEvent) => {
        const index = tabs.findIndex((t) => t.id === tab.id);
        const delta = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
        if (delta) {
          const next = tabs[(index + delta + tabs.length) % tabs.length].id;
          select(next);
          tabList.querySelector<HTMLElement>(`#tab-${next}`)?.focus();
        }
      },
    }, tab.label);
    return button;
  });
  panel.id = 'instance-tab-panel';
  tabList.append(...tabButtons);

  const renderers: Record<TabId, (target: HTMLElement) => (() => void) | void> = {
    overview: (target) => {
      renderOverview(target, instance);
      if (canOperate(session)) {
        target.append(resizeForm(() => instance, context, tray), restartPolicyForm(instance, context, tray),
          rebuildForm(instance, context, tray));
      }
    },
    network: (target) => renderNetwork(target, instance, context, tray),
    snapshots: (target) => renderSnapshots(target, instance, context, tray),
    metrics: (target) => renderMetrics(target, instance),
    serial: (target) => mountConsole(target, instance, 'serial'),
    vnc: (target) => mountConsole(target, instance, 'vnc'),
    activity: (target) => renderActivity(target, instance, context),
  };

  /** Redraws the details, leaving the resize form (and what the user typed) alone. */
  function refreshOverview() {
    const details = panel.querySelector('dl.details');
    if (!details) return;
    const fresh = h('div');
    renderOverview(fresh, instance);
    details.replaceWith(fresh.firstElementChild!);
  }

  function select(tab: TabId) {
    tabCleanup?.();
    tabCleanup = null;
    current = tab;
    for (const [index, button] of tabButtons.entries()) {
      const selected = tabs[index].id === tab;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${tab}`);
    panel.replaceChildren();
    tabCleanup = renderers[tab](panel) ?? null;
    const hash = `#/instances/${encodeURIComponent(id)}${tab === 'overview' ? '' : `?tab=${tab}`}`;
    if (window.location.hash !== hash) history.replaceState(null, '', hash);
  }

  const unsubscribe = events.subscribe((event) => {
    if (event.target !== instance.id) return;
    if (event.type === 'instance.state') {
      instance = applyStateEvent(instance, event.payload ?? undefined);
      renderHeader();
    }
    getInstance(instance.id).then((fresh) => {
      if (signal.aborted) return;
      instance = fresh;
      renderHeader();
      if (current === 'overview') refreshOverview();
    }).catch(() => undefined);
  });

  const stopPolling = events.whileNotLive(() => {
    getInstance(instance.id).then((fresh) => {
      if (signal.aborted || (fresh.state === instance.state && fresh.updatedAt === instance.updatedAt)) return;
      instance = fresh;
      renderHeader();
      if (current === 'overview') refreshOverview();
    }).catch(() => undefined);
  }, 3000);
  renderHeader();
  select(current);
  return () => {
    stopPolling();
    unsubscribe();
    tabCleanup?.();
  };
};

function renderOverview(target: HTMLElement, instance: Instance) {
  const rows: [string, string | Node][] = [
    ['State', `${instance.state} (asked: ${instance.desiredState})`],
    ['Kind', instance.kind],
    ['Image', instance.image + (instance.imageVersion ? ` (version ${instance.imageVersion})` : '')],
    ['Type', instance.type ?? 'custom'],
    ['vCPUs', String(instance.vcpus)],
    ['Memory', formatMiB(instance.memoryMiB)],
    ['Disk', formatGiB(instance.diskGiB)],
    ['Address', instance.address ? copyable(instance.address, 'the address') : '—'],
    ['Restart policy', `${RESTART_POLICIES[instance.restartPolicy ?? 'on-failure']}${instance.restarts ? ` (restarted ${instance.restarts}× lately)` : ''}`],
    ['Host', instance.host ?? '—'],
    ['Tenant', instance.tenant ?? '—'],
    ['Created', formatDateTime(instance.createdAt)],
    ['Updated', formatDateTime(instance.updatedAt)],
    ['Id', copyable(instance.id, 'the id', h('code', null, instance.id))],
  ];
  target.append(h('dl', { class: 'details' }, rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)])));
}

const RESTART_POLICIES: Record<RestartPolicy, string> = {
  'on-failure': 'restart after a crash (not after a power-off from inside)',
  always: 'always restart',
  never: 'never restart',
};

function restartPolicyForm(instance: Instance, context: PageContext, tray: HTMLElement): HTMLElement {
  const choice = h('select', null, (Object.keys(RESTART_POLICIES) as RestartPolicy[]).map((policy) =>
    h('option', { value: policy, selected: policy === (instance.restartPolicy ?? 'on-failure') }, RESTART_POLICIES[policy])));
  const form = h('form', { class: 'inline-form' }, field('Restart policy', choice).element,
    h('button', { type: 'submit' }, 'Set'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      tray.prepend(trackOperation(await setRestartPolicy(instance.id, choice.value as RestartPolicy), context.events).element);
    } catch (error) {
      tray.prepend(errorBanner(error, `Restart policy of ${instance.name}`));
    }
  });
  return form;
}

/** Rebuild: a fresh disk from an image, same id, name and address; the old disk and its snapshots are destroyed. */
function rebuildForm(instance: Instance, context: PageContext, tray: HTMLElement): HTMLElement {
  const image = h('input', { type: 'text', maxlength: 200, value: instance.image ?? '', autocomplete: 'off' }) as HTMLInputElement;
  const form = h('form', { class: 'stacked-form' },
    field('Image', image, 'name, name/channel or name@version').element,
    h('p', { class: 'hint' }, 'Keeps the id, name, address, sizes and SSH keys. Everything on the disk and every snapshot is destroyed.'),
    h('div', { class: 'wizard-actions' }, h('button', { type: 'submit', class: 'danger' }, 'Rebuild')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!(await confirmDialog(`Rebuild ${instance.name}?`,
      `Its disk and all of its snapshots are destroyed and replaced by a fresh disk from ${image.value || 'its image'}.`,
      'Rebuild', true, instance.name))) return;
    try {
      tray.prepend(trackOperation(await rebuildInstance(instance.id, image.value || undefined), context.events).element);
    } catch (error) {
      tray.prepend(errorBanner(error, `Rebuild ${instance.name}`));
    }
  });
  return h('details', { class: 'rebuild', 'data-testid': 'rebuild' }, h('summary', null, 'Rebuild'), form);
}

function resizeForm(current: () => Instance, context: PageContext, tray: HTMLElement): HTMLElement {
  const instance = current();
  const vcpus = h('input', { type: 'number', min: 1, max: 64, step: 1, value: String(instance.vcpus) });
  const memory = h('input', { type: 'number', min: 16, max: 262144, step: 16, value: String(instance.memoryMiB) });
  const disk = h('input', { type: 'number', min: instance.diskGiB, max: 4096, step: 1, value: String(instance.diskGiB) });
  const fields = [field('vCPUs', vcpus), field('Memory (MiB)', memory), field('Disk (GiB)', disk, 'Disks only grow')];
  const form = h('form', { class: 'stacked-form' }, h('div', { class: 'field-row' }, fields.map((f) => f.element)),
    h('p', { class: 'hint' }, instance.kind === 'jail' ? 'A running jail gets the new sizes at once.' : 'A VM gets the new sizes at its next start.'),
    h('div', { class: 'wizard-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply the new sizes')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const limits: [HTMLInputElement, number, number][] = [[vcpus, 1, 64], [memory, 16, 262144], [disk, instance.diskGiB, 4096]];
    let ok = true;
    limits.forEach(([input, min, max], index) => {
      const value = Number(input.value);
      const bad = !Number.isInteger(value) || value < min || value > max;
      fields[index].setError(bad ? `a whole number from ${min} to ${max}` : null);
      if (bad) ok = false;
    });
    if (!ok) return;
    const now = current();
    const sizes: { vcpus?: number; memoryMiB?: number; diskGiB?: number } = {};
    if (Number(vcpus.value) !== now.vcpus) sizes.vcpus = Number(vcpus.value);
    if (Number(memory.value) !== now.memoryMiB) sizes.memoryMiB = Number(memory.value);
    if (Number(disk.value) !== now.diskGiB) sizes.diskGiB = Number(disk.value);
    if (Object.keys(sizes).length === 0) return;
    try {
      tray.prepend(trackOperation(await resizeInstance(instance.id, sizes), context.events).element);
    } catch (error) {
      tray.prepend(errorBanner(error, `Resize ${instance.name}`));
    }
  });
  return h('details', { class: 'resize' }, h('summary', null, 'Resize'), form);
}

function renderSnapshots(target: HTMLElement, instance: Instance, context: PageContext, tray: HTMLElement) {
  const list = h('div', null, loading('Loading snapshots'));
  target.append(list);
  const load = () => listSnapshots(instance.id).then((answer) => {
    if (answer.items.length === 0) replace(list, empty('No snapshots yet.'));
    else replace(list, table('Snapshots', ['Name', 'Taken', 'By', '', ''], answer.items.map((snapshot) => [
      snapshot.name, formatDateTime(snapshot.createdAt), snapshot.schedule ? `${snapshot.schedule} schedule` : 'a person',
      canOperate(context.session) ? h('button', {
        type: 'button', class: 'small', onclick: async () => {
          if (!(await confirmDialog(`Roll ${instance.name} back?`, `Everything written since ${snapshot.name} is lost.`, 'Roll back'))) return;
          try {
            tray.prepend(trackOperation(await rollbackSnapshot(instance.id, snapshot.name), context.events).element);
          } catch (error) {
            tray.prepend(errorBanner(error, 'Roll back'));
          }
        },
      }, 'Roll back') : '',
      canOperate(context.session) ? h('button', {
        type: 'button', class: 'small', 'aria-label': `Delete snapshot ${snapshot.name}`, onclick: async () => {
          if (!(await confirmDialog(`Delete snapshot ${snapshot.name}?`, 'Its data is gone for good; later snapshots stay.', 'Delete'))) return;
          try {
            tray.prepend(trackOperation(await deleteSnapshot(instance.id, snapshot.name), context.events, () => void load()).element);
          } catch (error) {
            tray.prepend(errorBanner(error, 'Delete the snapshot'));
          }
        },
      }, 'Delete') : '',
    ])));
    if (canOperate(context.session)) {
      const name = h('input', { type: 'text', required: true, maxlength: 63, autocomplete: 'off' });
      const nameField = field('Snapshot name', name);
      const form = h('form', { class: 'inline-form', id: uid('snapshot') }, nameField.element, h('button', { type: 'submit', class: 'primary' }, 'Take snapshot'));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const problem = dnsLabelProblem(name.value);
        nameField.setError(problem);
        if (problem) return;
        try {
          const tracker = trackOperation(await createSnapshot(instance.id, name.value), context.events, () => void load());
          tray.prepend(tracker.element);
          name.value = '';
        } catch (error) {
          tray.prepend(errorBanner(error, 'Take snapshot'));
        }
      });
      list.append(form);
    }
  }).catch((error) => {
    replace(list, isUnavailable(error) ? unavailable('Snapshots', 'GET /api/v1/instances/{id}/snapshots') : errorBanner(error, 'Loading snapshots'));
  });
  void load();
  target.append(renderSchedule(instance, context, tray));
}

/** The snapshot schedule: how many hourly, daily and weekly snapshots to keep (UTC periods). */
function renderSchedule(instance: Instance, context: PageContext, tray: HTMLElement): HTMLElement {
  const section = h('details', { class: 'snapshot-schedule', 'data-testid': 'snapshot-schedule' }, h('summary', null, 'Schedule'));
  const inputs = {
    hourly: h('input', { type: 'number', min: 0, max: 168, step: 1, value: '0' }) as HTMLInputElement,
    daily: h('input', { type: 'number', min: 0, max: 90, step: 1, value: '0' }) as HTMLInputElement,
    weekly: h('input', { type: 'number', min: 0, max: 52, step: 1, value: '0' }) as HTMLInputElement,
  };
  const editable = canOperate(context.session);
  for (const input of Object.values(inputs)) input.disabled = !editable;
  const form = h('form', { class: 'inline-form' },
    field('Hourly snapshots kept', inputs.hourly).element,
    field('Daily snapshots kept', inputs.daily).element,
    field('Weekly snapshots kept', inputs.weekly).element,
    editable ? h('button', { type: 'submit', class: 'primary' }, 'Save schedule') : '');
  section.append(h('p', { class: 'hint' }, 'One snapshot per hour, day and week (UTC) where the count is above 0; the oldest the schedule took beyond it are deleted, never the ones people took. They count against the snapshots quota.'), form);
  getSnapshotSchedule(instance.id).then((schedule) => {
    inputs.hourly.value = String(schedule.hourly);
    inputs.daily.value = String(schedule.daily);
    inputs.weekly.value = String(schedule.weekly);
  }).catch((error) => section.append(errorBanner(error, 'Loading the schedule')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await setSnapshotSchedule(instance.id, {
        hourly: Number(inputs.hourly.value), daily: Number(inputs.daily.value), weekly: Number(inputs.weekly.value),
      });
      tray.prepend(h('div', { class: 'banner success', role: 'status' }, `Snapshot schedule of ${instance.name} saved.`));
    } catch (error) {
      tray.prepend(errorBanner(error, 'Save the schedule'));
    }
  });
  return section;
}

/** The metrics tab: measured use over a chosen range, one chart per figure, gaps where no sample was taken. */
function renderMetrics(target: HTMLElement, instance: Instance) {
  const stored = new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('range');
  let range: RangeName = isRangeName(stored) ? stored : 'hour';
  const holder = h('div', null, loading('Loading metrics'));
  const buttons = (Object.keys(RANGES) as RangeName[]).map((name) => h('button', {
    type: 'button', class: 'small', 'aria-pressed': String(name === range), 'data-range': name,
    onclick: () => { range = name; for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.range === name)); void load(); },
  }, RANGES[name].label));
  target.append(h('div', { class: 'toolbar range-picker', role: 'group', 'aria-label': 'Range' }, buttons), holder);
  let charts: TimeChartHandle[] = [];
  let timer: ReturnType<typeof setInterval> | null = null;
  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    const span = rangeOf(range, new Date());
    try {
      // The API answers at most 5000 samples a call: a day per call for the longer ranges.
      const parts = await Promise.all(windows(span.from, span.to, 86_400).map((part) => getInstanceMetrics(instance.id, part)));
      if (mine !== generation) return;
      const samples = parts.flatMap((part) => part.items);
      charts.forEach((chart) => chart.dispose());
      // Samples come once a minute; more than 2.5 minutes without one is a gap.
      const column = (value: (sample: MetricSample) => number | null | undefined) => columnsWithGaps(samples, (sample) => sample.at, [value], 150);
      const bounds = { min: span.min, max: span.max };
      charts = [
        timeChart({ title: 'CPU', columns: column((sample) => sample.cpuPercent), series: [{ label: 'CPU', color: '#0b63c5' }], format: (v) => formatPercent(v / 100), range: bounds, testId: 'chart-cpu' }),
        timeChart({ title: 'Memory', columns: column((sample) => sample.memoryMiB), series: [{ label: 'resident', color: '#0e7a3b' }], format: formatMiB, range: bounds, testId: 'chart-memory' }),
        timeChart({ title: 'Disk used', columns: column((sample) => sample.diskUsedGiB), series: [{ label: 'used', color: '#8a5a00' }], format: formatGiB, range: bounds, testId: 'chart-disk' }),
        timeChart({ title: 'Network received (total)', columns: column((sample) => sample.netRxBytes), series: [{ label: 'received', color: '#6b3fa0' }], format: formatBytes, range: bounds, testId: 'chart-net-in' }),
        timeChart({ title: 'Network sent (total)', columns: column((sample) => sample.netTxBytes), series: [{ label: 'sent', color: '#b3261e' }], format: formatBytes, range: bounds, testId: 'chart-net-out' }),
      ];
      replace(holder,
        samples.length === 0 ? empty(`No samples in the ${RANGES[range].label.toLowerCase()}; hosts report one a minute while the instance exists.`) : null,
        h('p', { class: 'hint', 'data-testid': 'metrics-count' }, `${samples.length} samples, ${formatDateTime(span.from)} to ${formatDateTime(span.to)}; gaps are minutes without a sample.`),
        h('div', { class: 'charts time-charts' }, charts.map((chart) => chart.element)));
    } catch (error) {
      if (mine !== generation) return;
      if (timer) clearInterval(timer);
      replace(holder, isUnavailable(error) ? unavailable('Metrics', 'GET /api/v1/instances/{id}/metrics') : errorBanner(error, 'Loading metrics'));
    }
  };
  void load();
  timer = setInterval(() => void load(), 60_000);
  return () => { generation++; if (timer) clearInterval(timer); charts.forEach((chart) => chart.dispose()); };
}

function renderActivity(target: HTMLElement, instance: Instance, context: PageContext) {
  const holder = h('div', null, loading('Loading activity'));
  target.append(h('h3', null, 'Operations'), holder);
  if (canReadAudit(context.session)) {
    const consoles = h('div', null, loading('Loading console sessions'));
    target.append(h('h3', null, 'Console sessions'), consoles);
    listConsoleSessions({ instance: instance.id, limit: 20 }).then((page) => {
      replace(consoles, page.items.length === 0 ? empty('Nobody has opened a console of this instance.') : table('Console sessions',
        ['Started', 'Who', 'Console', 'From', 'Duration', 'In', 'Out', 'Ended'], page.items.map((s) => [
          formatDateTime(s.startedAt), `${s.user ?? '—'}${s.readOnly ? ' (watching)' : ''}`, s.type, formatAddress(s.clientAddress),
          s.endedAt ? formatDuration(s.startedAt, s.endedAt) : 'open', formatBytes(s.bytesIn), formatBytes(s.bytesOut), explainCloseReason(s.closeReason),
        ])));
    }).catch((error) => replace(consoles, isUnavailable(error) ? unavailable('Console sessions', 'GET /api/v1/console-sessions') : errorBanner(error, 'Loading console sessions')));
  }
  let operations: Awaited<ReturnType<typeof listOperations>>['items'] = [];
  const render = () => replace(holder, operations.length
    ? h('div', { class: 'operations' }, operations.map((operation) => h('div', { class: 'operation-line' }, operationRow(operation), h('span', { class: 'hint' }, `${formatDateTime(operation.createdAt)}${operation.requestedBy ? ` by ${operation.requestedBy}` : ''}`))))
    : empty('Nothing has happened to this instance yet.'));
  const load = () => listOperations({ target: instance.id, limit: 50 }).then((page) => { operations = page.items; render(); })
    .catch((error) => replace(holder, errorBanner(error, 'Loading activity')));
  void load();
  const stopPolling = context.events.whileNotLive(() => void load(), 3000);
  const unsubscribe = context.events.subscribe((event) => {
    if (event.target !== instance.id) return;
    const merged = mergeOperationEvent(operations, event);
    if (merged !== operations) { operations = merged; render(); }
  });
  return () => { stopPolling(); unsubscribe(); };
}
