import { followEvents, type PanelEvent } from '../api/events';

export type EventListener = (event: PanelEvent) => void;
export type StreamStatus = 'live' | 'connecting' | 'reconnecting' | 'off';

/** Delay before opening the stream again after the server refused it: 5 s doubling up to a minute. */
export const reopenDelay = (failures: number) => Math.min(60_000, 5000 * 2 ** Math.max(0, failures - 1));

/**
 * One event stream for the whole portal; pages subscribe while they are shown. The stream opens
 * with the first subscriber and closes with the last. When it breaks, `onBroken` runs (it checks
 * whether the session ended), the hub opens it again later, and pages that need fresh data poll
 * meanwhile (`whileNotLive`).
 */
export class EventHub {
  private listeners = new Set<EventListener>();
  private close: (() => void) | null = null;
  private reopen: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private statusListeners = new Set<(status: StreamStatus) => void>();
  status: StreamStatus = 'off';

  constructor(
    private readonly onBroken: () => void,
    private readonly follow = followEvents,
  ) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    if (!this.close && !this.reopen) this.open();
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

  /** Runs `poll` every `ms` while the stream is not live; answers a function that stops it. */
  whileNotLive(poll: () => void, ms = 3000): () => void {
    const timer = setInterval(() => {
      if (this.status !== 'live') poll();
    }, ms);
    return () => clearInterval(timer);
  }

  private setStatus(status: StreamStatus) {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private open() {
    this.setStatus(this.failures > 0 ? 'reconnecting' : 'connecting');
    this.close = this.follow({
      onEvent: (event) => {
        for (const listener of [...this.listeners]) listener(event);
      },
      onOpen: () => {
        this.failures = 0;
        this.setStatus('live');
      },
      onTrouble: (closed) => {
        this.setStatus('reconnecting');
        if (!closed) return; // the browser tries again by itself
        this.failures++;
        if (this.failures === 1) this.onBroken();
        this.close?.();
        this.close = null;
        this.reopen = setTimeout(() => {
          this.reopen = null;
          if (this.listeners.size > 0) this.open();
        }, reopenDelay(this.failures));
      },
    });
  }

  private shut() {
    this.close?.();
    this.close = null;
    if (this.reopen) clearTimeout(this.reopen);
    this.reopen = null;
    this.setStatus('off');
  }
}
