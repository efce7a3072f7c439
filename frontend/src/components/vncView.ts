// The generic graphical console: noVNC's RFB in a container, scaled to fit. It connects to one
// URL; the page decides when to connect again (with a fresh ticket) through the state machine.

import RFB from '@novnc/novnc';

export interface VncHandle {
  focus(): void;
  sendCtrlAltDel(): void;
  dispose(): void;
}

export function createVncView(
  container: HTMLElement,
  url: string,
  handlers: { onConnect: () => void; onDisconnect: (clean: boolean) => void; onProblem: (message: string) => void },
): VncHandle {
  const rfb = new RFB(container, url, { shared: true });
  rfb.scaleViewport = true;
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
    sendCtrlAltDel: () => rfb.sendCtrlAltDel(),
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
