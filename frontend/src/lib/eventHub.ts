import { followEvents, type PanelEvent } from '../api/events';

export type EventListener = (event: PanelEvent) => void;
export type StreamStatus = 'live' | 'reconnecting' | 'off';

/**
 * One event stream for the whole portal; pages subscribe while they are shown. The stream opens
 * with the first subscriber and closes with the last. When the browser gives up on it (the
 * server answered an error, for example an ended session), `onBroken` runs and the hub retries.
 */
export class EventHub {
  private listeners = new Set<EventListener>();
  private close: (() => void) | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private statusListeners = new Set<(status: StreamStatus) => void>();
  status: StreamStatus = 'off';

  constructor(
    private readonly onBroken: () => void,
    private readonly follow = followEvents,
  ) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    if (!this.close) this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.shut();
    };
  }

  onStatus(listener: (status: StreamStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: StreamStatus) {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private open() {
    this.setStatus('live');
    let troubles = 0;
    this.close = this.follow(
      (event) => {
        troubles = 0;
        this.setStatus('live');
        for (const listener of [...this.listeners]) listener(event);
      },
      () => {
        troubles++;
        this.setStatus('reconnecting');
        if (troubles === 1) this.onBroken();
        if (troubles >= 3 && !this.retry) {
          // The browser may have given up; start a fresh stream a little later.
          this.close?.();
          this.close = null;
          this.retry = setTimeout(() => {
            this.retry = null;
            if (this.listeners.size > 0) this.open();
          }, 5000);
        }
      },
    );
  }

  private shut() {
    this.close?.();
    this.close = null;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.setStatus('off');
  }
}
