// The console connection: an explicit state machine over a WebSocket to the console gateway.
//
//   idle ──connect──▶ connecting ──opened──▶ connected ──lost──▶ reconnecting ──retry──▶ connecting
//                          │                     │                     │
//                          └────lost─────────────┴──close──▶ closed ◀──┴──gave up
//
// Every (re)connect asks for a new ticket: tickets are single-use and short-lived. While connected
// a keep-alive sends {"type":"ping"} so proxies do not drop an idle console; a connection that
// answers nothing (no pong, no byte) for the keep-alive's timeout after a ping is taken as lost and
// reconnected, so a half-open socket (a gateway that vanished without a close frame) never shows as
// connected. Sockets and timers are injected, so the machine is tested without a network or a browser.

export type ConsoleState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type ConsoleEvent =
  | { type: 'connect' }
  | { type: 'opened' }
  | { type: 'lost'; retry: boolean }
  | { type: 'retry' }
  | { type: 'gaveUp' }
  | { type: 'close' };

/** The next state; events that make no sense in a state leave it unchanged. */
export function nextState(state: ConsoleState, event: ConsoleEvent): ConsoleState {
  switch (event.type) {
    case 'connect':
      return state === 'idle' || state === 'closed' ? 'connecting' : state;
    case 'opened':
      return state === 'connecting' ? 'connected' : state;
    case 'lost':
      if (state !== 'connecting' && state !== 'connected') return state;
      return event.retry ? 'reconnecting' : 'closed';
    case 'retry':
      return state === 'reconnecting' ? 'connecting' : state;
    case 'gaveUp':
    case 'close':
      return 'closed';
  }
}

/** Close codes after which trying again may help (going away, abnormal, server restart, overload). */
export function shouldReconnect(code: number): boolean {
  return code === KEEP_ALIVE_TIMEOUT || code === 1001 || code === 1006 || code === 1011 || code === 1012 || code === 1013 || code === 1014;
}

/** Delay before reconnect attempt `attempt` (1-based): 0.5 s doubling, at most 10 s. */
export const backoffDelay = (attempt: number) => Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));

/** The gateway's close code for "the instance's console ended" (the instance stopped or crashed). */
export const CONSOLE_ENDED = 4503;

/** A close code no socket sends: the keep-alive got no answer in time. */
export const KEEP_ALIVE_TIMEOUT = 4900;

/** A ws:// or wss:// URL for the gateway's `url`, which may be relative to the panel. */
export function websocketUrl(url: string, base: { protocol: string; host: string }): string {
  if (/^wss?:\/\//i.test(url)) return url;
  if (/^https?:\/\//i.test(url)) return url.replace(/^http/i, 'ws');
  const scheme = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${base.host}${url.startsWith('/') ? '' : '/'}${url}`;
}

/** The frame that tells the gateway the terminal's size. */
export const resizeFrame = (cols: number, rows: number) =>
  JSON.stringify({ type: 'resize', cols: Math.max(1, Math.floor(cols)), rows: Math.max(1, Math.floor(rows)) });

export const PING_FRAME = JSON.stringify({ type: 'ping' });

/** Asks the gateway to make this viewer the one who types (serial consoles shared by several). */
export const TAKEOVER_FRAME = JSON.stringify({ type: 'takeover' });

/** The most bytes one message may type into a console; the server closes with 1009 past it. */
export const MAX_INPUT_MESSAGE = 64 * 1024;

/** A control message of the gateway: {"type":"writer",…}, {"type":"error","message":…}, {"type":"pong"}. */
export type ControlMessage = { type: string; [key: string]: unknown };

/** Reads a text frame; null when it is not a JSON object with a type. */
export function parseControl(text: string): ControlMessage | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as ControlMessage).type === 'string') {
      return value as ControlMessage;
    }
  } catch {
    // not JSON
  }
  return null;
}

/** The part of a WebSocket the machine uses. */
export interface SocketLike {
  binaryType: string;
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | ArrayBufferLike | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ConsoleConnectionOptions {
  /** Asks for a ticket and answers the socket URL (absolute ws:// or wss://). */
  ticket: () => Promise<string>;
  createSocket: (url: string) => SocketLike;
  timers?: Timers;
  keepAliveMs?: number;
  /** How long after a ping the gateway may stay silent before the connection counts as lost. */
  keepAliveTimeoutMs?: number;
  maxAttempts?: number;
  onState?: (state: ConsoleState, detail: string) => void;
  /** Terminal bytes from the console. */
  onData?: (data: Uint8Array) => void;
  /** Control messages of the gateway (text frames), pongs excepted. */
  onControl?: (message: ControlMessage) => void;
  /** The connection closed for good (no retry follows), with the gateway's close code and reason. */
  onClosed?: (code: number, reason: string) => void;
}

const OPEN = 1;

const browserTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as number),
  setInterval: (callback, ms) => globalThis.setInterval(callback, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as number),
};

/** A console byte stream that reconnects by itself and keeps itself alive. */
export class ConsoleConnection {
  private current: ConsoleState = 'idle';
  private socket: SocketLike | null = null;
  private attempts = 0;
  private keepAlive: unknown = null;
  private retryTimer: unknown = null;
  private silenceTimer: unknown = null;
  private readonly timers: Timers;
  private readonly keepAliveMs: number;
  private readonly keepAliveTimeoutMs: number;
  private readonly maxAttempts: number;
  private generation = 0;

  constructor(private readonly options: ConsoleConnectionOptions) {
    this.timers = options.timers ?? browserTimers;
    this.keepAliveMs = options.keepAliveMs ?? 20_000;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  get state(): ConsoleState {
    return this.current;
  }

  connect(): void {
    if (!this.dispatch({ type: 'connect' }, 'connecting')) return;
    this.attempts = 0;
    void this.open();
  }

  /**
   * Sends keystrokes (text) or bytes, a long paste in messages of at most MAX_INPUT_MESSAGE bytes
   * (what the server takes in one); dropped unless connected.
   */
  send(data: string | Uint8Array): boolean {
    if (this.current !== 'connected' || !this.socket || this.socket.readyState !== OPEN) return false;
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (bytes.length <= MAX_INPUT_MESSAGE) {
      this.socket.send(bytes);
      return true;
    }
    for (let at = 0; at < bytes.length; at += MAX_INPUT_MESSAGE) {
      this.socket.send(bytes.subarray(at, Math.min(bytes.length, at + MAX_INPUT_MESSAGE)));
    }
    return true;
  }

  resize(cols: number, rows: number): boolean {
    if (this.current !== 'connected' || !this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(resizeFrame(cols, rows));
    return true;
  }

  /** Asks to become the viewer who types. */
  takeOver(): boolean {
    if (this.current !== 'connected' || !this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(TAKEOVER_FRAME);
    return true;
  }

  /** Ends the connection for good (the page unmounts, or the user closes the console). */
  close(reason = 'closed'): void {
    this.generation++;
    this.stopTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.onopen = null;
      try {
        socket.close(1000, reason);
      } catch {
        // already closed
      }
    }
    this.dispatch({ type: 'close' }, reason);
  }

  private dispatch(event: ConsoleEvent, detail: string): boolean {
    const before = this.current;
    const after = nextState(before, event);
    if (after === before) return false;
    this.current = after;
    this.options.onState?.(after, detail);
    return true;
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    let url: string;
    try {
      url = await this.options.ticket();
    } catch (error) {
      if (generation !== this.generation) return;
      // A refused ticket (no console, no permission, instance stopped) will not get better by retrying.
      this.dispatch({ type: 'lost', retry: false }, error instanceof Error ? error.message : String(error));
      return;
    }
    if (generation !== this.generation) return;
    const socket = this.options.createSocket(url);
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (generation !== this.generation) return;
      this.attempts = 0;
      this.dispatch({ type: 'opened' }, 'connected');
      this.keepAlive = this.timers.setInterval(() => {
        if (!this.socket || this.socket.readyState !== OPEN) return;
        this.socket.send(PING_FRAME);
        if (this.silenceTimer === null) {
          this.silenceTimer = this.timers.setTimeout(() => {
            this.silenceTimer = null;
            if (generation !== this.generation) return;
            // No pong and no byte: the socket is half-open. Drop it and reconnect.
            const dead = this.socket;
            if (dead) {
              dead.onclose = null;
              try {
                dead.close(1000, 'keep-alive timeout');
              } catch {
                // already closed
              }
            }
            handleClose({ code: KEEP_ALIVE_TIMEOUT, reason: 'the console stopped answering' });
          }, this.keepAliveTimeoutMs);
        }
      }, this.keepAliveMs);
    };
    const handleClose = (event: { code: number; reason: string }) => {
      if (generation !== this.generation) return;
      this.socket = null;
      this.stopTimers();
      const retry = shouldReconnect(event.code) && this.attempts < this.maxAttempts;
      const why = event.reason || `connection lost (code ${event.code})`;
      if (!this.dispatch({ type: 'lost', retry }, why)) return;
      if (!retry) {
        if (shouldReconnect(event.code)) this.dispatch({ type: 'gaveUp' }, `gave up after ${this.attempts} attempts: ${why}`);
        this.options.onClosed?.(event.code, why);
        return;
      }
      this.attempts++;
      this.retryTimer = this.timers.setTimeout(() => {
        if (generation !== this.generation) return;
        if (this.dispatch({ type: 'retry' }, `reconnecting (attempt ${this.attempts})`)) void this.open();
      }, backoffDelay(this.attempts));
    };
    socket.onmessage = (event) => {
      if (generation !== this.generation) return;
      // Anything from the gateway shows the connection is alive.
      if (this.silenceTimer !== null) {
        this.timers.clearTimeout(this.silenceTimer);
        this.silenceTimer = null;
      }
      const data = event.data;
      if (data instanceof ArrayBuffer) this.options.onData?.(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) this.options.onData?.(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else if (typeof data === 'string') {
        // Text frames are control messages; the terminal shows only bytes.
        const control = parseControl(data);
        if (control && control.type !== 'pong') this.options.onControl?.(control);
      }
    };
    socket.onerror = () => {
      // onclose follows with the code
    };
    socket.onclose = handleClose;
  }

  private stopTimers(): void {
    if (this.keepAlive !== null) this.timers.clearInterval(this.keepAlive);
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    if (this.silenceTimer !== null) this.timers.clearTimeout(this.silenceTimer);
    this.keepAlive = null;
    this.retryTimer = null;
    this.silenceTimer = null;
  }
}
