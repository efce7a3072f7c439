import { isUnavailable } from '../../api/client';
import { listConsoleSessions, recordingUrl, type ConsoleSession } from '../../api/consoles';
import { empty, errorBanner, loading, pageHeader, table, unavailable } from '../../components/ui';
import { h, replace } from '../../lib/dom';
import { formatBytes, formatDateTime, formatDuration } from '../../util/format';
import { explainCloseReason, formatAddress } from '../../util/audit';
import { listInstances } from '../../api/instances';
import type { Page } from '../page';

export const consoleSessionsPage: Page = (root, { signal }) => {
  root.append(pageHeader('Console sessions'));
  renderConsoleSessions(root, signal);
};

/** The audited console sessions the caller may see, newest first, with "Show more". */
export function renderConsoleSessions(root: HTMLElement, signal: AbortSignal): void {
  const body = h('div', null, loading('Loading console sessions'));
  root.append(body);
  let sessions: ConsoleSession[] = [];
  let next: string | null | undefined = null;
  // Instances by name where the caller can see them (deleted ones keep their short id).
  const names = listInstances({ limit: 500 }).then((page) => new Map(page.items.map((item) => [item.id, item.name]))).catch(() => new Map<string, string>());
  const load = async (more = false) => {
    try {
      const [page, instanceNames] = await Promise.all([listConsoleSessions({ limit: 100, cursor: more ? next ?? undefined : undefined }), names]);
      if (signal.aborted) return;
      sessions = more ? [...sessions, ...page.items] : page.items;
      next = page.next;
      replace(body, sessions.length === 0 ? empty('No console sessions yet.') : h('div', null,
        table('Console sessions', ['Started', 'Who', 'Instance', 'Console', 'From', 'Duration', 'In', 'Out', 'Ended', 'Recording'], sessions.map((s) => [
          formatDateTime(s.startedAt), `${s.user ?? '—'}${s.readOnly ? ' (watching)' : ''}`,
          s.instance ? h('a', { href: `#/instances/${encodeURIComponent(s.instance)}`, title: s.instance }, instanceNames.get(s.instance) ?? `${s.instance.slice(0, 8)}…`) : '—',
          s.type, h('span', { title: s.clientAddress ?? '' }, formatAddress(s.clientAddress)),
          s.endedAt ? formatDuration(s.startedAt, s.endedAt) : h('span', { class: 'badge tone-ok' }, 'open'), formatBytes(s.bytesIn), formatBytes(s.bytesOut),
          explainCloseReason(s.closeReason),
          s.recorded ? h('a', { href: recordingUrl(s.id), download: `console-${s.id}.cast` }, 'asciicast') : '—',
        ])),
        next ? h('button', { type: 'button', onclick: () => void load(true) }, 'Show more') : null));
    } catch (error) {
      if (!signal.aborted) replace(body, isUnavailable(error) ? unavailable('The console session audit', 'GET /api/v1/console-sessions') : errorBanner(error, 'Loading console sessions'));
    }
  };
  void load();
}
