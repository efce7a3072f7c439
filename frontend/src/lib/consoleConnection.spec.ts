import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay, CONSOLE_ENDED, ConsoleConnection, MAX_INPUT_MESSAGE, nextState, parseControl, PING_FRAME, resizeFrame, shouldReconnect, TAKEOVER_FRAME,
  websocketUrl,
  type ConsoleState, type SocketLike,
} from './consoleConnection';

class FakeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 0;
  sent: Array<string | ArrayBufferLike | Uint8Array> = [];
  closedWith: number | null = null;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  constructor(readonly url: string) {}
  send(data: string | ArrayBufferLike | Uint8Array) { this.sent.push(data); }
  close(code?: number) { this.closedWith = code ?? 1005; this.readyState = 3; }
  open() { this.readyState = 1; this.onopen?.({}); }
  drop(code = 1006, reason = '') { this.readyState = 3; this.onclose?.({ code, reason }); }
}

describe('console state machine', () => {
  it('follows the documented transitions', () => {
    let state: ConsoleState = 'idle';
    state = nextState(state, { type: 'connect' });
    expect(state).toBe('connecting');
    state = nextState(state, { type: 'opened' });
    expect(state).toBe('connected');
    expect(nextState(state, { type: 'connect' })).toBe('connected');
    state = nextState(state, { type: 'lost', retry: true });
    expect(state).toBe('reconnecting');
    expect(nextState(state, { type: 'opened' })).toBe('reconnecting');
    state = nextState(state, { type: 'retry' });
    expect(state).toBe('connecting');
    expect(nextState(state, { type: 'lost', retry: false })).toBe('closed');
    expect(nextState('reconnecting', { type: 'gaveUp' })).toBe('closed');
    expect(nextState('closed', { type: 'lost', retry: true })).toBe('closed');
    expect(nextState('closed', { type: 'connect' })).toBe('connecting');
  });

  it('reconnects only after transient failures, with a bounded backoff', () => {
    expect(shouldReconnect(1006)).toBe(true);
    expect(shouldReconnect(1012)).toBe(true);
    expect(shouldReconnect(1000)).toBe(false);
    expect(shouldReconnect(4403)).toBe(false);
    expect([1, 2, 3, 10].map(backoffDelay)).toEqual([500, 1000, 2000, 10_000]);
  });

  it('builds socket URLs and frames', () => {
    expect(websocketUrl('/ws/console/t1', { protocol: 'https:', host: 'panel:8443' })).toBe('wss://panel:8443/ws/console/t1');
    expect(websocketUrl('ws/console/t1', { protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/ws/console/t1');
    expect(websocketUrl('wss://gw/ws/x', { protocol: 'http:', host: 'h' })).toBe('wss://gw/ws/x');
    expect(websocketUrl('https://gw/ws/x', { protocol: 'http:', host: 'h' })).toBe('wss://gw/ws/x');
    expect(JSON.parse(resizeFrame(80.7, 0))).toEqual({ type: 'resize', cols: 80, rows: 1 });
    expect(JSON.parse(PING_FRAME)).toEqual({ type: 'ping' });
    expect(JSON.parse(TAKEOVER_FRAME)).toEqual({ type: 'takeover' });
    expect(parseControl('{"type":"error","message":"read-only"}')).toEqual({ type: 'error', message: 'read-only' });
    expect(parseControl('[1]')).toBeNull();
    expect(parseControl('{"no":"type"}')).toBeNull();
    expect(parseControl('garbage')).toBeNull();
    expect(shouldReconnect(4503)).toBe(false);
  });
});

describe('ConsoleConnection', () => {
  let sockets: FakeSocket[];
  let states: string[];
  let received: string[];
  let controls: unknown[];
  let tickets: number;
  let connection: ConsoleConnection;

  const make = (ticket?: () => Promise<string>) => {
    connection = new ConsoleConnection({
      ticket: ticket ?? (async () => `ws://gw/ws/console/t${++tickets}`),
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      keepAliveMs: 1000,
      maxAttempts: 2,
      onState: (state) => states.push(state),
      onData: (data) => received.push(new TextDecoder().decode(data)),
      onControl: (message) => controls.push(message),
    });
    return connection;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    states = [];
    received = [];
    controls = [];
    tickets = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('connects with a ticket, passes bytes both ways, resizes and keeps alive', async () => {
    make().connect();
    await vi.runAllTicks();
    await Promise.resolve();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe('ws://gw/ws/console/t1');
    expect(sockets[0].binaryType).toBe('arraybuffer');
    expect(connection.send('x')).toBe(false);
    sockets[0].open();
    expect(connection.state).toBe('connected');
    expect(connection.send('ls\r')).toBe(true);
    expect(new TextDecoder().decode(sockets[0].sent[0] as Uint8Array)).toBe('ls\r');
    expect(connection.resize(100, 30)).toBe(true);
    expect(sockets[0].sent[1]).toBe(resizeFrame(100, 30));
    sockets[0].onmessage?.({ data: new TextEncoder().encode('hello').buffer });
    sockets[0].onmessage?.({ data: '{"type":"pong"}' });
    sockets[0].onmessage?.({ data: '{"type":"writer","writer":"bob","you":"writer","viewers":1}' });
    sockets[0].onmessage?.({ data: 'not json' });
    expect(received).toEqual(['hello']);
    expect(controls).toEqual([{ type: 'writer', writer: 'bob', you: 'writer', viewers: 1 }]);
    expect(connection.takeOver()).toBe(true);
    expect(sockets[0].sent.pop()).toBe(TAKEOVER_FRAME);
    vi.advanceTimersByTime(2500);
    expect(sockets[0].sent.filter((frame) => frame === PING_FRAME)).toHaveLength(2);
    connection.close();
    expect(sockets[0].closedWith).toBe(1000);
    expect(states).toEqual(['connecting', 'connected', 'closed']);
    vi.advanceTimersByTime(5000);
    expect(sockets[0].sent.filter((frame) => frame === PING_FRAME)).toHaveLength(2);
  });

  it('sends a long paste in messages the server takes', async () => {
    make().connect();
    await vi.runAllTicks();
    await Promise.resolve();
    sockets[0].open();
    const paste = 'é'.repeat(MAX_INPUT_MESSAGE);              // two bytes each: twice the limit
    expect(connection.send(paste)).toBe(true);
    const parts = sockets[0].sent as Uint8Array[];
    expect(parts.map((part) => part.length)).toEqual([MAX_INPUT_MESSAGE, MAX_INPUT_MESSAGE]);
    const joined = new Uint8Array(2 * MAX_INPUT_MESSAGE);
    joined.set(parts[0], 0);
    joined.set(parts[1], MAX_INPUT_MESSAGE);
    expect(new TextDecoder().decode(joined)).toBe(paste);
    connection.close();
  });

  it('reconnects with a fresh ticket after a lost connection, then gives up', async () => {
    make().connect();
    await Promise.resolve();
    await Promise.resolve();
    sockets[0].open();
    sockets[0].drop(1006);
    expect(connection.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(500);
    expect(sockets).toHaveLength(2);
    expect(sockets[1].url).toBe('ws://gw/ws/console/t2');
    sockets[1].open();
    expect(connection.state).toBe('connected');
    sockets[1].drop(1006);
    await vi.advanceTimersByTimeAsync(500);
    sockets[2].drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    sockets[3].drop(1006);
    expect(connection.state).toBe('closed');
    expect(states).toEqual([
      'connecting', 'connected', 'reconnecting', 'connecting', 'connected',
      'reconnecting', 'connecting', 'reconnecting', 'connecting', 'closed',
    ]);
  });

  it('does not reconnect after a normal close or a refused ticket', async () => {
    make().connect();
    await Promise.resolve();
    await Promise.resolve();
    sockets[0].open();
    sockets[0].drop(1000, 'instance stopped');
    expect(connection.state).toBe('closed');

    states = [];
    make(async () => { throw new Error('console not available'); }).connect();
    await Promise.resolve();
    await Promise.resolve();
    expect(states).toEqual(['connecting', 'closed']);
  });

  it('takes a socket that stops answering the keep-alive as lost and reconnects', async () => {
    make().connect();
    await Promise.resolve();
    await Promise.resolve();
    sockets[0].open();
    // A ping at 1 s; the gateway answers: still connected.
    await vi.advanceTimersByTimeAsync(1000);
    sockets[0].onmessage?.({ data: '{"type":"pong"}' });
    await vi.advanceTimersByTimeAsync(10_500);
    expect(connection.state).toBe('connected');
    expect(sockets).toHaveLength(1);
    // Then silence (a half-open socket): 10 s after the next ping the console reconnects.
    await vi.advanceTimersByTimeAsync(11_000);
    expect(sockets[0].closedWith).toBe(1000);
    expect(states).toContain('reconnecting');
    await vi.advanceTimersByTimeAsync(500);
    expect(sockets).toHaveLength(2);
    expect(sockets[1].url).toBe('ws://gw/ws/console/t2');
    sockets[1].open();
    expect(connection.state).toBe('connected');
    connection.close();
  });

  it('tells why it closed for good, with the gateway\'s code', async () => {
    const ended: [number, string][] = [];
    connection = new ConsoleConnection({
      ticket: async () => 'ws://gw/ws/console/t',
      createSocket: (url) => { const socket = new FakeSocket(url); sockets.push(socket); return socket; },
      onClosed: (code, reason) => ended.push([code, reason]),
    });
    connection.connect();
    await Promise.resolve();
    await Promise.resolve();
    sockets[0].open();
    sockets[0].drop(CONSOLE_ENDED, "the instance's console ended");
    expect(connection.state).toBe('closed');
    expect(ended).toEqual([[CONSOLE_ENDED, "the instance's console ended"]]);
    // connect() after a close starts afresh with a new socket.
    connection.connect();
    await Promise.resolve();
    await Promise.resolve();
    expect(sockets).toHaveLength(2);
    connection.close();
  });

  it('ignores a socket that opens after the page closed the console', async () => {
    make().connect();
    await Promise.resolve();
    await Promise.resolve();
    connection.close();
    sockets[0].open();
    expect(connection.state).toBe('closed');
  });
});
