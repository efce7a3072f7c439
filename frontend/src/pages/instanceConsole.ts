// The console tab of the instance page: it owns the console connection and closes it when the
// tab or the page goes away. Serial goes through ConsoleConnection into the terminal component;
// VNC through noVNC, with the same states and a fresh ticket per (re)connect.

import { ApiError, isUnavailable } from '../api/client';
import { openConsole, type ConsoleType } from '../api/consoles';
import type { Instance } from '../api/instances';
import { errorBanner, unavailable } from '../components/ui';
import { h, replace } from '../lib/dom';
import {
  backoffDelay, ConsoleConnection, nextState, websocketUrl, type ConsoleEvent, type ConsoleState, type SocketLike,
} from '../lib/consoleConnection';

const STATE_TEXT: Record<ConsoleState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost; reconnecting…',
  closed: 'Closed',
};

/** Asks for a ticket; a server without the console gateway gives an 'unavailable' error. */
async function ticketUrl(instance: Instance, type: ConsoleType): Promise<string> {
  const ticket = await openConsole(instance.id, type);
  return websocketUrl(ticket.url, window.location);
}

export function mountConsole(container: HTMLElement, instance: Instance, type: ConsoleType): () => void {
  const status = h('span', { class: 'console-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'console-status' }, STATE_TEXT.idle);
  const problem = h('div', { class: 'console-problem' });
  const screen = h('div', { class: `console-screen ${type}`, 'data-testid': `console-${type}` });
  const reconnect = h('button', { type: 'button', class: 'small', hidden: true }, 'Connect again');
  const extra = h('span', { class: 'console-extra' });
  const role = h('span', { class: 'console-role', 'data-testid': 'console-role' });
  container.append(h('div', { class: 'console-bar' }, status, role, extra, reconnect), problem, screen);

  let disposed = false;
  const setState = (state: ConsoleState, detail: string) => {
    status.textContent = state === 'closed' && detail && detail !== 'closed' ? `Closed: ${detail}` : STATE_TEXT[state];
    status.dataset.state = state;
    reconnect.hidden = state !== 'closed';
  };
  const showProblem = (error: unknown) => {
    if (isUnavailable(error)) replace(problem, unavailable(type === 'serial' ? 'The serial console' : 'The graphical console', `POST /api/v1/instances/{id}/console {"type":"${type}"}`));
    else replace(problem, errorBanner(error, 'Console'));
  };

  if (type === 'serial') {
    const takeOver = h('button', { type: 'button', class: 'small', hidden: true }, 'Take over');
    extra.append(takeOver);
    let connection: ConsoleConnection | null = null;
    let terminal: { write(d: Uint8Array | string): void; fit(): { cols: number; rows: number }; focus(): void; dispose(): void } | null = null;
    void import('../components/terminal').then(({ createTerminal }) => {
      if (disposed) return;
      terminal = createTerminal(screen, {
        onInput: (data) => connection?.send(data),
        onResize: (cols, rows) => connection?.resize(cols, rows),
      });
      connection = new ConsoleConnection({
        ticket: async () => {
          try {
            return await ticketUrl(instance, 'serial');
          } catch (error) {
            showProblem(error);
            throw error;
          }
        },
        createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
        onState: (state, detail) => {
          setState(state, detail);
          if (state === 'connected') {
            replace(problem);
            const size = terminal?.fit();
            if (size) connection?.resize(size.cols, size.rows);
            terminal?.focus();
          }
        },
        onData: (data) => terminal?.write(data),
        onControl: (message) => {
          if (message.type === 'writer') {
            const you = message.you === 'writer';
            const viewers = typeof message.viewers === 'number' ? message.viewers : 1;
            const writer = typeof message.writer === 'string' ? message.writer : null;
            role.textContent = you
              ? `You type${viewers > 1 ? ` · ${viewers} viewers` : ''}`
              : `Watching${writer ? ` · ${writer} types` : ''}${viewers > 1 ? ` · ${viewers} viewers` : ''}`;
            takeOver.hidden = you;
          } else if (message.type === 'error' && typeof message.message === 'string') {
            replace(problem, h('div', { class: 'banner info', role: 'status' }, message.message));
          }
        },
      });
      takeOver.onclick = () => connection?.takeOver();
      reconnect.onclick = () => connection?.connect();
      connection.connect();
    });
    return () => {
      disposed = true;
      connection?.close();
      terminal?.dispose();
    };
  }

  // VNC: noVNC owns the socket; this loop owns the tickets, the states and the retries.
  let state: ConsoleState = 'idle';
  let attempts = 0;
  let view: { dispose(): void; focus(): void; sendCtrlAltDel(): void } | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const dispatch = (event: ConsoleEvent, detail: string) => {
    const after = nextState(state, event);
    if (after !== state) {
      state = after;
      setState(state, detail);
    }
  };
  const open = async () => {
    let url: string;
    try {
      url = await ticketUrl(instance, 'vnc');
    } catch (error) {
      if (disposed) return;
      showProblem(error);
      dispatch({ type: 'lost', retry: false }, error instanceof ApiError ? error.message : 'no ticket');
      return;
    }
    if (disposed) return;
    const { createVncView } = await import('../components/vncView');
    if (disposed) return;
    screen.replaceChildren();
    view = createVncView(screen, url, {
      onConnect: () => {
        attempts = 0;
        replace(problem);
        dispatch({ type: 'opened' }, 'connected');
        view?.focus();
      },
      onDisconnect: (clean) => {
        view?.dispose();
        view = null;
        const again = !clean && attempts < 5;
        dispatch({ type: 'lost', retry: again }, clean ? 'the console ended' : 'connection lost');
        if (again) {
          attempts++;
          retry = setTimeout(() => {
            dispatch({ type: 'retry' }, 'reconnecting');
            void open();
          }, backoffDelay(attempts));
        }
      },
      onProblem: (message) => replace(problem, errorBanner(new Error(message), 'Console')),
    });
  };
  const connect = () => {
    dispatch({ type: 'connect' }, 'connecting');
    attempts = 0;
    void open();
  };
  extra.append(h('button', { type: 'button', class: 'small', onclick: () => view?.sendCtrlAltDel() }, 'Send Ctrl+Alt+Del'));
  reconnect.onclick = connect;
  connect();
  return () => {
    disposed = true;
    if (retry) clearTimeout(retry);
    view?.dispose();
    dispatch({ type: 'close' }, 'closed');
  };
}
