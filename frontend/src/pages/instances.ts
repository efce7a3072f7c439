import { actOnInstance, deleteInstance, getInstance, listInstances, type Instance, type InstanceAction } from '../api/instances';
import { trackOperation } from '../components/operationTracker';
import { confirmDialog, copyable, empty, errorBanner, loading, pageHeader, stateBadge, table, tableSort, toast } from '../components/ui';
import { h, replace } from '../lib/dom';
import { formatAgo, formatDateTime, formatGiB, formatMiB, NBSP } from '../util/format';
import { applyStateEvent, availableActions, canDelete } from '../util/instanceState';
import { canOperate, isPlatformAdmin } from '../util/roles';
import type { EventHub } from '../lib/eventHub';
import type { Page } from './page';

const ACTION_LABELS: Record<InstanceAction, string> = { start: 'Start', stop: 'Stop', restart: 'Restart' };

/** Runs a lifecycle action or a delete (after confirmation) and tracks its operation in `tray`. */
export async function runInstanceAction(
  instance: Instance,
  action: InstanceAction | 'delete',
  events: EventHub,
  tray: HTMLElement,
): Promise<boolean> {
  if (action === 'delete') {
    const confirmed = await confirmDialog(
      `Delete ${instance.name}?`,
      `This stops ${instance.name} and removes its disk and snapshots${instance.address ? `, and releases its address ${instance.address}` : ''}. It cannot be undone.`,
      'Delete',
      true,
      instance.name,
    );
    if (!confirmed) return false;
  }
  if (action === 'stop' || action === 'restart') {
    const confirmed = await confirmDialog(
      `${ACTION_LABELS[action]} ${instance.name}?`,
      `${action === 'stop' ? 'Stopping' : 'Restarting'} ${instance.name} (${instance.kind}, ${instance.image}${instance.address ? `, ${instance.address}` : ''}) ends every program running in it${action === 'stop' ? ' until it is started again' : ''}; open consoles close.`,
      ACTION_LABELS[action],
    );
    if (!confirmed) return false;
  }
  try {
    const operation = action === 'delete' ? await deleteInstance(instance.id) : await actOnInstance(instance.id, action);
    const tracker = trackOperation(operation, events, (finished) => {
      if (finished.state === 'failed') toast(`${instance.name}: ${finished.error ?? 'the operation failed'}`, 'error');
      setTimeout(() => tracker.element.remove(), finished.state === 'succeeded' ? 3000 : 15000);
    });
    tray.prepend(tracker.element);
    return true;
  } catch (error) {
    tray.prepend(errorBanner(error, `${action === 'delete' ? 'Delete' : ACTION_LABELS[action]} ${instance.name}`));
    return false;
  }
}

export const instancesPage: Page = async (root, { session, events, signal }) => {
  const operate = canOperate(session);
  root.append(
    pageHeader(
      'Instances',
      operate ? h('a', { class: 'button primary', href: '#/instances/new', 'data-testid': 'new-instance' }, 'New instance') : null,
    ),
  );
  const tray = h('div', { class: 'tray', 'aria-live': 'polite' });
  const body = h('div', null, loading('Loading instances'));
  const kindFilter = h('select', { id: 'instance-kind', 'aria-label': 'Kind' },
    h('option', { value: '' }, 'All kinds'), h('option', { value: 'jail' }, 'Jails'), h('option', { value: 'vm' }, 'Virtual machines'));
  const search = h('input', { type: 'search', id: 'instance-search', placeholder: 'Filter by name, image or address', 'aria-label': 'Filter instances' });
  root.append(h('div', { class: 'toolbar' }, kindFilter, search), tray, body);

  let instances: Instance[] = [];
  let next: string | null | undefined = null;
  // The order the user chose survives the redraws that follow the instances' changes.
  const sort = tableSort();

  const actionButtons = (instance: Instance) =>
    h(
      'div',
      { class: 'row-actions' },
      availableActions(instance).map((action) =>
        h('button', {
          type: 'button', class: 'small', 'aria-label': `${ACTION_LABELS[action]} ${instance.name}`,
          onclick: () => void runInstanceAction(instance, action, events, tray),
        }, ACTION_LABELS[action])),
      canDelete(instance)
        ? h('button', {
          type: 'button', class: 'small danger', 'aria-label': `Delete ${instance.name}`,
          onclick: () => void runInstanceAction(instance, 'delete', events, tray),
        }, 'Delete')
        : null,
    );

  const render = () => {
    const needle = search.value.trim().toLowerCase();
    const shown = needle
      ? instances.filter((instance) => [instance.name, instance.image, instance.address ?? '', instance.tenant ?? '']
        .some((text) => text.toLowerCase().includes(needle)))
      : instances;
    if (instances.length > 0 && shown.length === 0) {
      replace(body, empty(`No instance matches "${search.value}".`));
      return;
    }
    if (instances.length === 0) {
      replace(body, empty('No instances yet.', operate ? h('a', { class: 'button primary', href: '#/instances/new' }, 'Create your first instance') : h('span')));
      return;
    }
    const headers = ['Name', 'State', 'Kind', 'Image', 'Size', 'Address', 'Created'];
    if (isPlatformAdmin(session)) headers.splice(1, 0, 'Tenant');
    if (operate) headers.push('Actions');
    const rows = shown.map((instance) => {
      const cells: (Node | string)[] = [
        h('a', { href: `#/instances/${encodeURIComponent(instance.id)}`, class: 'instance-name' }, instance.name),
        h('span', null, stateBadge(instance.state), instance.stateDetail ? h('span', { class: 'state-detail' }, instance.stateDetail) : null),
        instance.kind,
        instance.image + (instance.imageVersion ? `:${instance.imageVersion}` : ''),
        h('span', { 'data-sort': String(instance.memoryMiB * 1000 + instance.vcpus) }, `${instance.type ? `${instance.type} · ` : ''}${instance.vcpus}${NBSP}vCPU · ${formatMiB(instance.memoryMiB)} · ${formatGiB(instance.diskGiB)}`),
        instance.address ? copyable(instance.address, `the address of ${instance.name}`) : '—',
        h('span', { 'data-sort': instance.createdAt, title: formatDateTime(instance.createdAt) }, formatAgo(instance.createdAt)),
      ];
      if (isPlatformAdmin(session)) cells.splice(1, 0, instance.tenant ?? '—');
      if (operate) cells.push(actionButtons(instance));
      return cells;
    });
    replace(
      body,
      table('Instances', headers, rows, (index) => ({ 'data-instance': shown[index].name, 'data-state': shown[index].state }), undefined, { sort }),
      next ? h('button', { type: 'button', onclick: () => void load(true) }, 'Show more') : null,
    );
  };

  const load = async (more = false) => {
    try {
      const page = await listInstances({ kind: (kindFilter.value || undefined) as Instance['kind'] | undefined, limit: 100, cursor: more ? next ?? undefined : undefined });
      if (signal.aborted) return;
      const items = more ? [...instances, ...page.items] : page.items;
      // Polling must not redraw (and take the keyboard focus away) when nothing changed.
      if (JSON.stringify(items) === JSON.stringify(instances) && page.next === next && body.querySelector('table')) return;
      instances = items;
      next = page.next;
      render();
    } catch (error) {
      if (!signal.aborted) replace(body, errorBanner(error, 'Loading instances'));
    }
  };

  let reload: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = events.subscribe((event) => {
    if (event.targetType !== 'instance' || !event.target) return;
    const index = instances.findIndex((instance) => instance.id === event.target);
    if (index < 0) {
      // A new instance (or one of another page): reload the list, at most twice a second.
      if (!reload) reload = setTimeout(() => { reload = null; void load(); }, 500);
      return;
    }
    if (event.type === 'instance.state') {
      instances[index] = applyStateEvent(instances[index], event.payload ?? undefined);
      render();
    }
    getInstance(event.target)
      .then((fresh) => {
        const position = instances.findIndex((instance) => instance.id === fresh.id);
        if (position >= 0 && !signal.aborted) {
          if (fresh.state === 'deleted') instances.splice(position, 1);
          else instances[position] = fresh;
          render();
        }
      })
      .catch(() => {
        const position = instances.findIndex((instance) => instance.id === event.target);
        if (position >= 0 && !signal.aborted) {
          instances.splice(position, 1);
          render();
        }
      });
  });

  kindFilter.addEventListener('change', () => { instances = []; void load(); });
  search.addEventListener('input', () => render());
  const stopPolling = events.whileNotLive(() => void load(), 3000);
  await load();
  return () => {
    stopPolling();
    unsubscribe();
    if (reload) clearTimeout(reload);
  };
};
