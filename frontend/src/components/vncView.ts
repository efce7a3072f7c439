// The generic graphical console: noVNC's RFB in a container, scaled to fit or at its actual size.
// It connects to one URL; the page decides when to connect again (with a fresh ticket) through the
// state machine.

import RFB from '@novnc/novnc';
import { KEY_COMBINATIONS, type VncKey } from '../util/vncKeys';

export type { VncKey } from '../util/vncKeys';

/** 'fit' scales the remote screen into the window; 'actual' shows it pixel for pixel, scrolling. */
export type VncScaling = 'fit' | 'actual';

export interface VncHandle {
  focus(): void;
  /** Sends a key or a combination the browser would keep for itself (Ctrl+Alt+Del, Ctrl+Alt+F1…). */
  sendKey(key: VncKey): void;
  setScaling(scaling: VncScaling): void;
  /** Watching only: the browser sends no keys or pointer (the gateway drops them anyway). */
  setViewOnly(viewOnly: boolean): void;
  dispose(): void;
}

export function createVncView(
  container: HTMLElement,
  url: string,
  handlers: { onConnect: () => void; onDisconnect: (clean: boolean) => void; onProblem: (message: string) => void },
  scaling: VncScaling = 'fit',
): VncHandle {
  const rfb = new RFB(container, url, { shared: true });
  const applyScaling = (chosen: VncScaling) => {
    rfb.scaleViewport = chosen === 'fit';
    rfb.clipViewport = false;
  };
  applyScaling(scaling);
  rfb.resizeSession = false;
  rfb.focusOnClick = true;
  rfb.background = '#10141c';
  let disposed = false;
  rfb.addEventListener('connect', () => handlers.onConnect());
  rfb.addEventListener('disconnect', (event) => {
    if (!disposed) handlers.onDisconnect(Boolean((event as CustomEvent<{ clean: boolean }>).detail?.clean));
  });
  rfb.addEventListener('securityfailure', (event) => {
    handlers.onProblem(`the VNC server refused the connection: ${(event as CustomEvent<{ reason?: string }>).detail?.reason ?? 'security failure'}`);
  });
  rfb.addEventListener('credentialsrequired', () => handlers.onProblem('the VNC server asks for credentials, which the gateway should have given'));
  return {
    focus: () => rfb.focus(),
    sendKey: (key) => {
      const keys = KEY_COMBINATIONS[key];
      // Press in order, release in reverse, as a person holding the modifiers would.
      for (const { keysym, code } of keys) rfb.sendKey(keysym, code, true);
      for (const { keysym, code } of [...keys].reverse()) rfb.sendKey(keysym, code, false);
    },
    setScaling: applyScaling,
    setViewOnly: (viewOnly) => { rfb.viewOnly = viewOnly; },
    dispose: () => {
      disposed = true;
      try {
        rfb.disconnect();
      } catch {
        // already disconnected
      }
    },
  };
}
