// Small building blocks shared by the pages.

import { ApiError } from '../api/client';
import type { Operation } from '../api/client';
import { h, uid } from '../lib/dom';
import { formatPercent } from '../util/format';
import { gaugeLevel } from '../util/quota';
import { isTransitional, stateTone } from '../util/instanceState';
import { describeKind } from '../util/operations';
import { refusalReason } from '../util/images';
import { sortRows, type SortDirection } from '../util/sort';

export function pageHeader(title: string, ...actions: (Node | null | false)[]): HTMLElement {
  return h('header', { class: 'page-header' }, h('h1', null, title), h('div', { class: 'page-actions' }, ...actions));
}

export function section(title: string, ...children: (Node | string | null | false)[]): HTMLElement {
  const id = uid('section');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** The API's message (or any error's) in an alert the screen reader announces. */
export function errorBanner(error: unknown, context?: string): HTMLElement {
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : null;
  return h(
    'div',
    { class: 'banner error', role: 'alert', dataset: code ? { code } : {} },
    context ? h('strong', null, `${context}: `) : null,
    message,
    error instanceof ApiError ? reasonLine(error.details) : null,
    error instanceof ApiError ? detailList(error.details) : null,
  );
}

/** Why the API refused something, when it names a reason (an image upload's `details.reason`). */
function reasonLine(details: unknown): HTMLElement | null {
  const reason = refusalReason(details);
  return reason ? h('p', { class: 'error-reason' }, 'Reason: ', h('code', null, reason)) : null;
}

/** The details the API gives with some errors: fields that failed, hosts and why they refused. */
function detailList(details: unknown): HTMLElement | null {
  if (!details || typeof details !== 'object') return null;
  const record = details as Record<string, unknown>;
  const entries = Object.entries((record.fields ?? record.hosts ?? {}) as Record<string, unknown>);
  if (entries.length === 0) return null;
  return h('ul', { class: 'error-details' }, entries.map(([key, value]) => h('li', null, `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)));
}

export function notice(text: string, tone: 'info' | 'success' = 'info'): HTMLElement {
  return h('div', { class: `banner ${tone}`, role: 'status' }, text);
}

/** What a page shows when the server does not offer a feature yet (its endpoint answers 404). */
export function unavailable(feature: string, endpoint: string): HTMLElement {
  return h(
    'div',
    { class: 'unavailable', role: 'status', 'data-testid': 'unavailable' },
    h('strong', null, `${feature} is not available on this server yet.`),
    h('p', null, 'The portal shows it as soon as the panel offers ', h('code', null, endpoint), '.'),
  );
}

export const loading = (what = 'Loading') =>
  h('div', { class: 'loading', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `${what}…`);

export const empty = (text: string, ...actions: Node[]) => h('div', { class: 'empty' }, h('p', null, text), ...actions);

export function stateBadge(state: string): HTMLElement {
  return h(
    'span',
    { class: `badge tone-${stateTone(state)}`, 'data-state': state },
    isTransitional(state) ? h('span', { class: 'spinner small', 'aria-hidden': 'true' }) : null,
    state,
  );
}

const OPERATION_TONES: Record<string, string> = {
  pending: 'busy', running: 'busy', succeeded: 'ok', failed: 'bad', cancelled: 'idle',
};

export function progressBar(progress: number, label: string): HTMLElement {
  const value = Math.max(0, Math.min(100, Math.round(progress)));
  return h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': value, 'aria-label': label },
    h('div', { class: 'progress-fill', style: `width: ${value}%` }),
  );
}

/** Moves a bar made by progressBar to `progress` percent. */
export function setProgress(bar: HTMLElement, progress: number): void {
  const value = Math.max(0, Math.min(100, Math.round(progress)));
  bar.setAttribute('aria-valuenow', String(value));
  (bar.firstElementChild as HTMLElement).style.width = `${value}%`;
}

/** One operation: what, its state, a progress bar while it runs, and its error when it failed. */
export function operationRow(operation: Operation): HTMLElement {
  const finished = operation.state === 'succeeded' || operation.state === 'failed' || operation.state === 'cancelled';
  return h(
    'div',
    { class: 'operation', 'data-operation': operation.id, 'data-state': operation.state },
    h('span', { class: 'operation-kind' }, describeKind(operation.kind)),
    h('span', { class: `badge tone-${OPERATION_TONES[operation.state] ?? 'idle'}` }, operation.state),
    finished ? null : progressBar(operation.progress, `${describeKind(operation.kind)} progress`),
    operation.error ? h('span', { class: 'operation-error' }, operation.error) : null,
  );
}

/** A quota gauge: allocated of limit as a bar, used as a marker line. */
export function gauge(label: string, allocated: number, limit: number | null, used: number | null, format: (n: number) => string, limitLabel = 'limit'): HTMLElement {
  const fraction = limit && limit > 0 ? allocated / limit : 0;
  const usedFraction = limit && limit > 0 && used !== null ? used / limit : null;
  const level = gaugeLevel(fraction);
  return h(
    'div',
    { class: `gauge level-${level}` },
    h('div', { class: 'gauge-label' }, h('span', null, label), h('span', null, limit === null ? 'no limit' : formatPercent(fraction))),
    h(
      'div',
      {
        class: 'gauge-track', role: 'meter', 'aria-label': label, 'aria-valuemin': 0,
        'aria-valuemax': limit ?? allocated, 'aria-valuenow': allocated,
      },
      h('div', { class: 'gauge-fill', style: `width: ${Math.min(100, fraction * 100)}%` }),
      usedFraction !== null ? h('div', { class: 'gauge-used', style: `left: ${Math.min(100, usedFraction * 100)}%`, title: 'used' }) : null,
    ),
    h(
      'div',
      { class: 'gauge-figures' },
      `${format(allocated)} allocated`,
      used !== null ? ` · ${format(used)} used` : '',
      limit !== null ? ` · ${limitLabel} ${format(limit)}` : '',
    ),
  );
}

/** Which column a table is sorted by, kept by a page across redraws of the table (see `table`). */
export interface TableSort {
  current: { header: string; direction: SortDirection } | null;
}

export const tableSort = (): TableSort => ({ current: null });

/**
 * A table with a caption (for screen readers), headers, rows and optional footer rows (totals);
 * wraps for small screens. Columns with a header sort on a click (again: the other way round), by
 * a cell's `data-sort` when it has one (sizes, times), else by its text, numbers in order; with
 * `sort`, a page that redraws the table (a list that refreshes) keeps the order the user chose;
 * with `filter`, a search field above it hides the rows that do not contain what is typed.
 */
export function table(caption: string, headers: string[], rows: (Node | string)[][], rowAttributes?: (index: number) => Record<string, unknown>, footer?: { cells: (Node | string)[]; attributes?: Record<string, unknown> }[], options: { filter?: boolean; sort?: TableSort } = {}): HTMLElement {
  const row = (cells: (Node | string)[], attributes: Record<string, unknown> | null) =>
    h('tr', attributes, cells.map((cell, column) => h('td', { 'data-label': headers[column], 'data-sort': cell instanceof HTMLElement ? cell.dataset.sort : undefined }, cell)));
  const body = h('tbody', null, rows.map((cells, index) => row(cells, rowAttributes?.(index) ?? null)));
  const sort = options.sort ?? tableSort();
  const sortBy = (column: number, direction: SortDirection) => {
    sort.current = { header: headers[column], direction };
    const keyOf = (line: Element) => {
      const td = line.children[column] as HTMLElement | undefined;
      return td?.dataset.sort ?? td?.textContent?.trim() ?? '';
    };
    body.append(...sortRows([...body.children], keyOf, direction));
    for (const [index, th] of headerCells.entries()) {
      th.setAttribute('aria-sort', index === column ? direction : 'none');
      const mark = th.querySelector('.sort-mark');
      if (mark) mark.textContent = index === column ? (direction === 'ascending' ? ' ▲' : ' ▼') : '';
    }
  };
  const headerCells: HTMLElement[] = headers.map((header, column) => {
    if (!header || rows.length < 2) return h('th', { scope: 'col' }, header);
    const cell = h('th', { scope: 'col', 'aria-sort': 'none' });
    const button = h('button', { type: 'button', class: 'sort', 'data-column': header }, header, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, ''));
    button.addEventListener('click', () => {
      const again = sort.current?.header === header && sort.current.direction === 'ascending';
      sortBy(column, again ? 'descending' : 'ascending');
    });
    cell.append(button);
    return cell;
  });
  const kept = sort.current ? headers.indexOf(sort.current.header) : -1;
  if (kept >= 0 && headerCells[kept].querySelector('button.sort')) sortBy(kept, sort.current!.direction);
  const tableElement = h(
    'table',
    null,
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', null, h('tr', null, headerCells)),
    body,
    footer?.length ? h('tfoot', null, footer.map((line) => row(line.cells, line.attributes ?? null))) : null,
  );
  if (!options.filter) return h('div', { class: 'table-wrap' }, tableElement);
  const search = h('input', { type: 'search', class: 'table-filter', placeholder: 'Filter', 'aria-label': `Filter ${caption.toLowerCase()}` });
  const none = h('p', { class: 'hint', hidden: true }, 'No row matches.');
  search.addEventListener('input', () => {
    const needle = search.value.trim().toLowerCase();
    let shown = 0;
    for (const line of body.children as HTMLCollectionOf<HTMLElement>) {
      const match = !needle || (line.textContent ?? '').toLowerCase().includes(needle);
      line.hidden = !match;
      if (match) shown++;
    }
    none.hidden = shown > 0;
  });
  return h('div', null, search, h('div', { class: 'table-wrap' }, tableElement), none);
}

/**
 * A modal confirmation; resolves true when confirmed. Escape and Cancel resolve false. With
 * `typeToConfirm`, the confirm button stays disabled until the user has typed that name.
 */
export function confirmDialog(title: string, message: string, confirmLabel: string, danger = true, typeToConfirm?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }) as HTMLDialogElement;
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const confirm = h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => finish(true) }, confirmLabel);
    const cancel = h('button', { type: 'button', onclick: () => finish(false) }, 'Cancel');
    let typed: HTMLInputElement | null = null;
    if (typeToConfirm !== undefined) {
      typed = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'confirm-name' });
      confirm.disabled = true;
      typed.addEventListener('input', () => { confirm.disabled = typed!.value !== typeToConfirm; });
      typed.addEventListener('keydown', (event) => { if (event.key === 'Enter' && !confirm.disabled) finish(true); });
    }
    dialog.append(
      h('h2', { id: titleId }, title),
      h('p', null, message),
      ...(typed ? [field(`Type ${typeToConfirm} to confirm`, typed).element] : []),
      h('div', { class: 'dialog-actions' }, cancel, confirm),
    );
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    // A destructive action must not be one Enter away.
    (typed ?? (danger ? cancel : confirm)).focus();
  });
}

/** A small button that copies `text` (an id, an address) to the clipboard and says so. */
export function copyButton(text: string, what: string): HTMLElement {
  const button = h('button', { type: 'button', class: 'copy', title: `Copy ${what}`, 'aria-label': `Copy ${what}` }, 'Copy');
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(text);
      toast(`Copied ${what}`, 'success');
    } catch {
      toast(`The browser did not let the portal copy ${what}`, 'error');
    }
  });
  return button;
}

/** A value with a copy button beside it. */
export const copyable = (text: string, what: string, display: Node | string = text): HTMLElement =>
  h('span', { class: 'copyable' }, h('span', { class: 'copyable-text' }, display), copyButton(text, what));

let toastRegion: HTMLElement | null = null;

/** A short message in the corner that goes away by itself. */
export function toast(text: string, tone: 'info' | 'success' | 'error' = 'info'): void {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const item = h('div', { class: `toast ${tone}`, role: tone === 'error' ? 'alert' : 'status' }, text);
  toastRegion.append(item);
  setTimeout(() => item.remove(), tone === 'error' ? 10_000 : 5_000);
}

/** A labelled form field: label, control, hint and an error slot wired with aria-describedby. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): { element: HTMLElement; setError: (message: string | null) => void } {
  const id = control.id || uid('field');
  control.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const error = h('div', { class: 'field-error', id: errorId, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', hint ? `${hintId} ${errorId}` : errorId);
  const element = h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('div', { class: 'hint', id: hintId }, hint) : null, error);
  return {
    element,
    setError: (message) => {
      error.textContent = message ?? '';
      control.setAttribute('aria-invalid', message ? 'true' : 'false');
    },
  };
}
