import { cancelOperation, listOperations, type Operation } from '../api/operations';
import { listAudit, type AuditEntry } from '../api/audit';
import { copyButton, empty, errorBanner, loading, operationRow, pageHeader, section, table, tableSort, toast } from '../components/ui';
import { listInstances } from '../api/instances';
import { listImages } from '../api/images';
import { listTenants } from '../api/tenants';
import { describeAction, formatAddress } from '../util/audit';
import { h, replace } from '../lib/dom';
import { formatDateTime } from '../util/format';
import { isFinished, mergeOperationEvent } from '../util/operations';
import { canOperate, canReadAudit, isPlatformAdmin } from '../util/roles';
import { renderConsoleSessions } from './admin/consoleSessions';
import type { Page } from './page';

export const activityPage: Page = (root, { session, events, signal }) => {
  root.append(pageHeader('Activity'));
  const operationsBody = h('div', null, loading('Loading operations'));
  const stateFilter = h('select', { id: 'operation-state', 'aria-label': 'Show operations' },
    ['', 'pending', 'running', 'succeeded', 'failed', 'cancelled'].map((state) => h('option', { value: state }, state || 'all states')));
  root.append(section('Operations', h('div', { class: 'toolbar' }, h('label', { for: 'operation-state' }, 'Show '), stateFilter), operationsBody));

  let operations: Operation[] = [];
  let next: string | null | undefined = null;
  const render = () => {
    if (operations.length === 0) { replace(operationsBody, empty('No operations.')); return; }
    replace(operationsBody,
      h('div', { class: 'operations' }, operations.map((operation) => h('div', { class: 'operation-line' },
        operationRow(operation),
        h('span', { class: 'hint' }, `${formatDateTime(operation.createdAt)}${operation.requestedBy ? ` by ${operation.requestedBy}` : ''}`),
        operation.target ? h('a', { href: `#/instances/${encodeURIComponent(operation.target)}`, hidden: operation.targetType !== 'instance' }, 'instance') : null,
        canOperate(session) && !isFinished(operation) && !operation.cancelRequested
          ? h('button', {
            type: 'button', class: 'small', onclick: async () => {
              try { await cancelOperation(operation.id); toast('Cancellation requested'); } catch (error) { operationsBody.prepend(errorBanner(error, 'Cancel')); }
            },
          }, 'Cancel')
          : null))),
      next ? h('button', { type: 'button', onclick: () => void load(true) }, 'Show more') : null);
  };
  const load = async (more = false) => {
    try {
      const page = await listOperations({ state: stateFilter.value || undefined, limit: 50, cursor: more ? next ?? undefined : undefined });
      if (signal.aborted) return;
      const items = more ? [...operations, ...page.items] : page.items;
      if (JSON.stringify(items) === JSON.stringify(operations) && page.next === next && operationsBody.querySelector('.operations')) return;
      operations = items;
      next = page.next;
      render();
    } catch (error) {
      if (!signal.aborted) replace(operationsBody, errorBanner(error, 'Loading operations'));
    }
  };
  stateFilter.addEventListener('change', () => void load());
  void load();

  // Running operations' progress is not always an event: poll them while any runs.
  const poll = setInterval(() => {
    if (operations.some((operation) => !isFinished(operation)) || events.status !== 'live') void load();
  }, 2000);
  const unsubscribe = events.subscribe((event) => {
    const merged = mergeOperationEvent(operations, event);
    if (merged !== operations && !stateFilter.value) { operations = merged; render(); }
  });

  if (canReadAudit(session)) {
    const auditBody = h('div', null, loading('Loading the audit log'));
    // Filters: the action on the server (GET /audit?action=), who and the outcome in the page.
    const actionFilter = h('select', { id: 'audit-action', 'data-testid': 'audit-action' }, h('option', { value: '' }, 'all actions'));
    const outcomeFilter = h('select', { id: 'audit-outcome', 'data-testid': 'audit-outcome' },
      h('option', { value: '' }, 'all outcomes'), ['succeeded', 'accepted', 'failed', 'denied', 'refused', 'offered'].map((outcome) => h('option', { value: outcome }, outcome)));
    const actorFilter = h('input', { type: 'search', id: 'audit-actor', placeholder: 'user name', 'data-testid': 'audit-actor' });
    root.append(section('Audit log',
      h('div', { class: 'toolbar audit-filters' },
        h('label', { for: 'audit-action' }, 'Action '), actionFilter,
        h('label', { for: 'audit-outcome' }, 'Outcome '), outcomeFilter,
        h('label', { for: 'audit-actor' }, 'Who '), actorFilter),
      auditBody));
    let entries: AuditEntry[] = [];
    const auditSort = tableSort();
    let auditNext: string | null | undefined = null;
    const knownActions = new Set<string>();
    // Names for the ids the log holds, where the caller can see them.
    const names = new Map<string, string>();
    const learnNames = Promise.all([
      listInstances({ limit: 500 }).then((page) => page.items.forEach((item) => names.set(item.id, item.name))).catch(() => undefined),
      listImages({ limit: 500 }).then((page) => page.items.forEach((item) => names.set(item.id, item.name))).catch(() => undefined),
      isPlatformAdmin(session) ? listTenants().then((page) => page.items.forEach((item) => names.set(item.id, item.slug))).catch(() => undefined) : undefined,
    ]);
    const targetCell = (entry: AuditEntry): Node | string => {
      if (!entry.targetType) return '—';
      const noun = describeAction(entry.targetType);
      const name = entry.target ? names.get(entry.target) ?? (typeof entry.details?.name === 'string' ? entry.details.name : undefined) : undefined;
      const label = name ?? (entry.target ? `${entry.target.slice(0, 8)}…` : '');
      const link = entry.target && entry.targetType === 'instance' ? `#/instances/${encodeURIComponent(entry.target)}`
        : entry.target && entry.targetType === 'image' ? `#/images/${encodeURIComponent(entry.target)}` : null;
      return h('span', { title: entry.target ?? '' }, `${noun} `, link ? h('a', { href: link }, label) : h('strong', null, label),
        entry.target ? copyButton(entry.target, `the ${entry.targetType} id`) : null);
    };
    const renderAudit = () => {
      const actor = actorFilter.value.trim().toLowerCase();
      const shown = entries.filter((entry) => (!outcomeFilter.value || entry.outcome === outcomeFilter.value)
        && (!actor || (entry.actor ?? '').toLowerCase().includes(actor)));
      for (const entry of entries) {
        if (knownActions.has(entry.action)) continue;
        knownActions.add(entry.action);
        actionFilter.append(h('option', { value: entry.action }, describeAction(entry.action)));
      }
      replace(auditBody, shown.length === 0 ? empty(entries.length ? 'No entry matches the filters.' : 'No audit entries.') : h('div', null,
        table('Audit log', ['When', 'Who', 'What', 'Target', 'Outcome', 'From'], shown.map((entry) => [
          h('span', { 'data-sort': entry.at }, formatDateTime(entry.at)), entry.actor ?? '—',
          h('span', { title: entry.action }, describeAction(entry.action)),
          targetCell(entry),
          h('span', { class: `badge tone-${entry.outcome === 'succeeded' ? 'ok' : entry.outcome === 'failed' || entry.outcome === 'denied' || entry.outcome === 'refused' ? 'bad' : 'idle'}` }, entry.outcome),
          h('span', { title: entry.clientAddress ?? '' }, formatAddress(entry.clientAddress)),
        ]), (index) => ({ 'data-action': shown[index].action }), undefined, { sort: auditSort }),
        auditNext ? h('button', { type: 'button', onclick: () => void loadAudit(true) }, 'Show more') : null));
    };
    const loadAudit = async (more = false) => {
      try {
        const [page] = await Promise.all([
          listAudit({ action: actionFilter.value || undefined, limit: 100, cursor: more ? auditNext ?? undefined : undefined }),
          learnNames,
        ]);
        if (signal.aborted) return;
        entries = more ? [...entries, ...page.items] : page.items;
        auditNext = page.next;
        renderAudit();
      } catch (error) {
        if (!signal.aborted) replace(auditBody, errorBanner(error, 'Loading the audit log'));
      }
    };
    actionFilter.addEventListener('change', () => void loadAudit());
    outcomeFilter.addEventListener('change', renderAudit);
    actorFilter.addEventListener('input', renderAudit);
    void loadAudit();
    if (!isPlatformAdmin(session)) {
      const consoles = h('div');
      root.append(section('Console sessions', consoles));
      renderConsoleSessions(consoles, signal);
    }
  }
  return () => { clearInterval(poll); unsubscribe(); };
};
