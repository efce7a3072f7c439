import { API_BASE, type Schema } from './client';

/** One event of the tenant's stream. */
export type PanelEvent = Schema<'EventMessage'>;

/** The event types the portal listens to; the stream names each event by its type. */
export const EVENT_TYPES = [
  'instance.created',
  'instance.state',
  'instance.deleted',
  'operation.pending',
  'operation.running',
  'operation.progress',
  'operation.succeeded',
  'operation.failed',
  'operation.cancelled',
] as const;

/**
 * Follows GET /events. The browser reconnects by itself with Last-Event-ID after a dropped
 * connection; after an error answer it gives up (`closed` is then true) and the caller decides.
 * Returns a function that closes the stream.
 */
export function followEvents(handlers: {
  onEvent: (event: PanelEvent) => void;
  onOpen?: () => void;
  onTrouble?: (closed: boolean) => void;
}): () => void {
  const source = new EventSource(`${API_BASE}/events`, { withCredentials: true });
  const listener = (message: MessageEvent<string>) => {
    try {
      handlers.onEvent(JSON.parse(message.data) as PanelEvent);
    } catch {
      // an event the portal cannot read is skipped
    }
  };
  for (const type of EVENT_TYPES) source.addEventListener(type, listener as EventListener);
  source.onmessage = listener;
  source.onopen = () => handlers.onOpen?.();
  source.onerror = () => handlers.onTrouble?.(source.readyState === EventSource.CLOSED);
  return () => source.close();
}
