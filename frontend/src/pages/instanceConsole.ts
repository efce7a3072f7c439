// The console tab of the instance page: it owns the console connection and closes it when the
// tab or the page goes away. Serial goes through ConsoleConnection into the terminal component;
// VNC through noVNC, with the same states and a fresh ticket per (re)connect. When the instance's
// console ends (the instance stopped or crashed) the tab waits for the instance to run again and
// connects by itself.

import { ApiError, isUnavailable } from '../api/client';
import { openConsole, type ConsoleTicket, type ConsoleType } from '../api/consoles';
import { getInstance, type Instance } from '../api/instances';
import { errorBanner, unavailable } from '../components/ui';
import type { TerminalHandle } from '../components/terminal';
import type { VncHandle, VncKey, VncScaling } from '../components/vncView';
import { h, replace } from '../lib/dom';
import {
  backoffDelay, CONSOLE_ENDED, ConsoleConnection, nextState, websocketUrl, type ConsoleEvent, type ConsoleState, type SocketLike,
} from '../lib/consoleConnection';
import { presenceOf } from '../util/consolePresence';
import { parseFontSize, stepFontSize } from '../util/terminalFont';

const STATE_TEXT: Record<ConsoleState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost; reconnecting…',
  closed: 'Closed',
};

const FONT_SIZE_KEY = 'multiplicity.console.fontSize';
const VNC_SCALING_KEY = 'multiplicity.vnc.scaling';
/** How often a tab whose console ended asks whether the instance runs again. */
const WAIT_FOR_RUNNING_MS = 2000;

/** Asks for a ticket; a server without the console gateway gives an 'unavailable' error. */
async function requestTicket(instance: Instance, type: ConsoleType): Promise<ConsoleTicket & { socketUrl: string }> {
  const ticket = await openConsole(instance.id, type);
  return { ...ticket, socketUrl: websocketUrl(ticket.url, window.location) };
}

/** A button that puts `target` into full screen and back; its label follows. */
function fullscreenButton(target: HTMLElement): { button: HTMLButtonElement; dispose: () => void } {
  const button = h('button', { type: 'button', class: 'small', 'data-testid': 'console-fullscreen' }, 'Full screen');
  const label = () => { button.textContent = document.fullscreenElement === target ? 'Exit full screen' : 'Full screen'; };
  button.onclick = () => {
    if (document.fullscreenElement === target) void document.exitFullscreen();
    else void target.requestFullscreen().catch(() => undefined);
  };
  document.addEventListener('fullscreenchange', label);
  return { button, dispose: () => document.removeEventListener('fullscreenchange', label) };
}

export function mountConsole(container: HTMLElement, instance: Instance, type: ConsoleType): () => void {
  const status = h('span', { class: 'console-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'console-status' }, STATE_TEXT.idle);
  const problem = h('div', { class: 'console-problem' });
  const screen = h('div', { class: `console-screen ${type}`, 'data-testid': `console-${type}` });
  const reconnect = h('button', { type: 'button', class: 'small', hidden: true }, 'Connect again');
  const extra = h('span', { class: 'console-extra' });
  const role = h('span', { class: 'console-role', 'data-testid': 'console-role' });
  const tools = h('span', { class: 'console-tools' });
  const frame = h('div', { class: 'console-frame' }, h('div', { class: 'console-bar' }, status, role, extra, reconnect, tools), problem, screen);
  container.append(frame);
  const fullscreen = fullscreenButton(frame);

  let disposed = false;
  let waiting: ReturnType<typeof setInterval> | null = null;
  const stopWaiting = () => { if (waiting) clearInterval(waiting); waiting = null; };
  /** After the console ended with the instance: polls until it runs again, then calls `connect`. */
  const waitForRunning = (connect: () => void) => {
    stopWaiting();
    waiting = setInterval(() => {
      getInstance(instance.id).then((fresh) => {
        if (disposed || !waiting) return;
        if (fresh.state === 'running') {
          stopWaiting();
          connect();
        }
      }).catch(() => undefined);
    }, WAIT_FOR_RUNNING_MS);
  };
  const setState = (state: ConsoleState, detail: string) => {
    status.textContent = state === 'closed' && detail && detail !== 'closed' ? `Closed: ${detail}` : STATE_TEXT[state];
    status.dataset.state = state;
    reconnect.hidden = state !== 'closed';
    // Who types is known only while connected; a closed console has no presence to show.
    if (state !== 'connected') role.textContent = '';
  };
  const showProblem = (error: unknown) => {
    if (isUnavailable(error)) replace(problem, unavailable(type === 'serial' ? 'The serial console' : 'The graphical console', `POST /api/v1/instances/{id}/console {"type":"${type}"}`));
    else replace(problem, errorBanner(error, 'Console'));
  };
  const endedWithInstance = (connect: () => void) => {
    status.textContent = 'Closed: the instance stopped; reconnecting when it runs again…';
    waitForRunning(connect);
  };

  if (type === 'serial') {
    const takeOver = h('button', { type: 'button', class: 'small', hidden: true, 'data-testid': 'take-over' }, 'Take over');
    extra.append(takeOver);
    let fontSize = parseFontSize(localStorage.getItem(FONT_SIZE_KEY));
    const fontLabel = h('span', { class: 'font-size', 'aria-live': 'polite', 'data-testid': 'console-font-size' }, `${fontSize} px`);
    const changeFont = (direction: 1 | -1) => {
      fontSize = stepFontSize(fontSize, direction);
      localStorage.setItem(FONT_SIZE_KEY, String(fontSize));
      fontLabel.textContent = `${fontSize} px`;
      terminal?.setFontSize(fontSize);
    };
    const copyButton = h('button', { type: 'button', class: 'small', title: 'Copy the selected text' }, 'Copy');
    const pasteButton = h('button', { type: 'button', class: 'small', title: 'Type the clipboard into the console' }, 'Paste');
    tools.append(
      h('button', { type: 'button', class: 'small', 'aria-label': 'Smaller text', onclick: () => changeFont(-1) }, 'A−'),
      fontLabel,
      h('button', { type: 'button', class: 'small', 'aria-label': 'Larger text', onclick: () => changeFont(1) }, 'A+'),
      copyButton, pasteButton, fullscreen.button);
    let readOnly = false;
    let connection: ConsoleConnection | null = null;
    let terminal: TerminalHandle | null = null;
    copyButton.onclick = async () => {
      const text = terminal?.selection() ?? '';
      if (!text) { replace(problem, h('div', { class: 'banner info', role: 'status' }, 'Select text in the console first, then Copy.')); return; }
      try {
        await navigator.clipboard.writeText(text);
        replace(problem, h('div', { class: 'banner info', role: 'status' }, `Copied ${text.length} characters.`));
      } catch (error) {
        replace(problem, errorBanner(error, 'The browser refused the clipboard'));
      }
      terminal?.focus();
    };
    pasteButton.onclick = async () => {
      try {
        const text = await navigator.clipboard.readText();
        if (text) terminal?.paste(text);
      } catch (error) {
        replace(problem, errorBanner(error, 'The browser refused the clipboard'));
      }
      terminal?.focus();
    };
    void import('../components/terminal').then(({ createTerminal }) => {
      if (disposed) return;
      terminal = createTerminal(screen, {
        onInput: (data) => connection?.send(data),
        onResize: (cols, rows) => connection?.resize(cols, rows),
      }, fontSize);
      const connect = () => connection?.connect();
      connection = new ConsoleConnection({
        ticket: async () => {
          try {
            const ticket = await requestTicket(instance, 'serial');
            readOnly = Boolean(ticket.readOnly);
            pasteButton.hidden = readOnly;
            return ticket.socketUrl;
          } catch (error) {
            showProblem(error);
            throw error;
          }
        },
        createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
        onState: (state, detail) => {
          setState(state, detail);
          if (state !== 'connected') takeOver.hidden = true;
          if (state === 'connected') {
            stopWaiting();
            replace(problem);
            const size = terminal?.fit();
            if (size) connection?.resize(size.cols, size.rows);
            terminal?.focus();
          }
        },
        onClosed: (code) => { if (code === CONSOLE_ENDED && !disposed) endedWithInstance(connect); },
        onData: (data) => terminal?.write(data),
        onControl: (message) => {
          if (message.type === 'writer') {
            const presence = presenceOf(message, readOnly);
            role.textContent = presence.text;
            takeOver.hidden = !presence.offerTakeOver;
          } else if (message.type === 'error' && typeof message.message === 'string') {
            replace(problem, h('div', { class: 'banner info', role: 'status' }, message.message));
          }
        },
      });
      takeOver.onclick = () => connection?.takeOver();
      reconnect.onclick = () => { stopWaiting(); connect(); };
      connect();
    });
    return () => {
      disposed = true;
      stopWaiting();
      fullscreen.dispose();
      connection?.close();
      terminal?.dispose();
    };
  }

  // VNC: noVNC owns the socket; this loop owns the tickets, the states and the retries. Who types
  // comes on a second socket of the same ticket (noVNC's carries RFB bytes only): the presence
  // line, "Take over", and the notice when someone else took over.
  let state: ConsoleState = 'idle';
  let attempts = 0;
  let view: VncHandle | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let control: WebSocket | null = null;
  let vncReadOnly = false;
  const vncTakeOver = h('button', { type: 'button', class: 'small', hidden: true, 'data-testid': 'take-over' }, 'Take over');
  extra.append(vncTakeOver);
  const closeControl = () => {
    if (control) {
      control.onclose = null;
      control.close();
    }
    control = null;
    vncTakeOver.hidden = true;
  };
  const openControl = (socketUrl: string) => {
    closeControl();
    const socket = new WebSocket(`${socketUrl}/control`);
    control = socket;
    socket.onmessage = (event) => {
      let message: { [key: string]: unknown };
      try {
        message = JSON.parse(String(event.data)) as { [key: string]: unknown };
      } catch {
        return;
      }
      if (message.type === 'writer') {
        const presence = presenceOf(message, vncReadOnly);
        role.textContent = presence.text;
        vncTakeOver.hidden = !presence.offerTakeOver;
        view?.setViewOnly(message.you !== 'writer');
        keyMenu.hidden = message.you !== 'writer';
      } else if (message.type === 'taken-over' && typeof message.by === 'string') {
        replace(problem, h('div', { class: 'banner info', role: 'status', 'data-testid': 'taken-over' },
          `${message.by} took over the console; you are watching. Take over to type again.`));
      } else if (message.type === 'error' && typeof message.message === 'string') {
        replace(problem, h('div', { class: 'banner info', role: 'status' }, message.message));
      }
    };
    socket.onclose = () => { if (control === socket) { control = null; vncTakeOver.hidden = true; } };
  };
  vncTakeOver.onclick = () => {
    control?.send(JSON.stringify({ type: 'takeover' }));
    replace(problem);
    view?.focus();
  };
  let scaling: VncScaling = localStorage.getItem(VNC_SCALING_KEY) === 'actual' ? 'actual' : 'fit';
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
      const ticket = await requestTicket(instance, 'vnc');
      url = ticket.socketUrl;
      vncReadOnly = Boolean(ticket.readOnly);
      keyMenu.hidden = vncReadOnly;
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
        stopWaiting();
        replace(problem);
        dispatch({ type: 'opened' }, 'connected');
        openControl(url);
        view?.focus();
      },
      onDisconnect: (clean) => {
        closeControl();
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
        } else if (clean && !disposed) {
          // noVNC does not give the close code; a clean end is the instance's console ending.
          endedWithInstance(connect);
        }
      },
      onProblem: (message) => replace(problem, errorBanner(new Error(message), 'Console')),
    }, scaling);
  };
  const connect = () => {
    dispatch({ type: 'connect' }, 'connecting');
    attempts = 0;
    void open();
  };
  const scalingSelect = h('select', { 'aria-label': 'Scaling', 'data-testid': 'vnc-scaling' },
    h('option', { value: 'fit', selected: scaling === 'fit' }, 'Fit to window'),
    h('option', { value: 'actual', selected: scaling === 'actual' }, 'Actual size (scroll)'));
  scalingSelect.addEventListener('change', () => {
    scaling = scalingSelect.value === 'actual' ? 'actual' : 'fit';
    localStorage.setItem(VNC_SCALING_KEY, scaling);
    view?.setScaling(scaling);
    screen.classList.toggle('actual-size', scaling === 'actual');
  });
  screen.classList.toggle('actual-size', scaling === 'actual');
  const KEYS: { key: VncKey; label: string }[] = [
    { key: 'ctrl-alt-del', label: 'Ctrl+Alt+Del' },
    { key: 'ctrl-alt-f1', label: 'Ctrl+Alt+F1' },
    { key: 'ctrl-alt-f2', label: 'Ctrl+Alt+F2' },
    { key: 'ctrl-alt-f7', label: 'Ctrl+Alt+F7' },
    { key: 'ctrl-alt-backspace', label: 'Ctrl+Alt+Backspace' },
    { key: 'escape', label: 'Esc' },
    { key: 'tab', label: 'Tab' },
    { key: 'print', label: 'Print Screen' },
  ];
  const keyMenu = h('details', { class: 'key-menu', 'data-testid': 'vnc-keys' },
    h('summary', null, 'Send key'),
    h('ul', { role: 'menu' }, KEYS.map(({ key, label }) => h('li', { role: 'none' }, h('button', {
      type: 'button', role: 'menuitem', class: 'small',
      onclick: (event: Event) => {
        view?.sendKey(key);
        (event.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
        view?.focus();
      },
    }, label)))));
  tools.append(keyMenu, scalingSelect, fullscreen.button);
  reconnect.onclick = () => { stopWaiting(); connect(); };
  connect();
  return () => {
    disposed = true;
    stopWaiting();
    fullscreen.dispose();
    if (retry) clearTimeout(retry);
    closeControl();
    view?.dispose();
    dispatch({ type: 'close' }, 'closed');
  };
}
