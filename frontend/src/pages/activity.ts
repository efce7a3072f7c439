import { cancelOperation, listOperations, type Operation } from '../api/operations';
import { listAudit, type AuditEntry } from '../api/audit';
import { empty, errorBanner, loading, operationRow, pageHeader, section, table, toast } from '../components/ui';
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
    root.append(section('Audit log', auditBody));
    let entries: AuditEntry[] = [];
    let auditNext: string | null | undefined = null;
    const renderAudit = () => replace(auditBody, entries.length === 0 ? empty('No audit entries.') : h('div', null,
      table('Audit log', ['When', 'Who', 'Action', 'Target', 'Outcome', 'From'], entries.map((entry) => [
        formatDateTime(entry.at), entry.actor ?? '—', entry.action,
        entry.targetType ? `${entry.targetType} ${entry.target ?? ''}`.trim() : '—',
        h('span', { class: `badge tone-${entry.outcome === 'succeeded' ? 'ok' : entry.outcome === 'failed' || entry.outcome === 'denied' ? 'bad' : 'idle'}` }, entry.outcome),
        entry.clientAddress ?? '—',
      ])),
      auditNext ? h('button', { type: 'button', onclick: () => void loadAudit(true) }, 'Show more') : null));
    const loadAudit = async (more = false) => {
      try {
        const page = await listAudit({ limit: 50, cursor: more ? auditNext ?? undefined : undefined });
        if (signal.aborted) return;
        entries = more ? [...entries, ...page.items] : page.items;
        auditNext = page.next;
        renderAudit();
      } catch (error) {
        if (!signal.aborted) replace(auditBody, errorBanner(error, 'Loading the audit log'));
      }
    };
    void loadAudit();
    if (!isPlatformAdmin(session)) {
      const consoles = h('div');
      root.append(section('Console sessions', consoles));
      renderConsoleSessions(consoles, signal);
    }
  }
  return () => { clearInterval(poll); unsubscribe(); };
};
