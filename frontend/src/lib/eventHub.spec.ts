import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PanelEvent } from '../api/events';
import { EventHub, reopenDelay } from './eventHub';

type Handlers = Parameters<typeof import('../api/events').followEvents>[0];

describe('EventHub', () => {
  let streams: { handlers: Handlers; closed: boolean }[];
  const follow = (handlers: Handlers) => {
    const stream = { handlers, closed: false };
    streams.push(stream);
    return () => { stream.closed = true; };
  };
  beforeEach(() => { vi.useFakeTimers(); streams = []; });
  afterEach(() => vi.useRealTimers());

  it('opens one stream for all subscribers and closes it with the last', () => {
    const hub = new EventHub(() => undefined, follow);
    const seen: number[] = [];
    const first = hub.subscribe((event) => seen.push(event.id));
    const second = hub.subscribe((event) => seen.push(event.id * 10));
    expect(streams).toHaveLength(1);
    expect(hub.status).toBe('connecting');
    streams[0].handlers.onOpen?.();
    expect(hub.status).toBe('live');
    streams[0].handlers.onEvent({ id: 1, type: 'instance.state', at: '' } as PanelEvent);
    expect(seen).toEqual([1, 10]);
    first();
    expect(streams[0].closed).toBe(false);
    second();
    expect(streams[0].closed).toBe(true);
    expect(hub.status).toBe('off');
  });

  it('checks the session once and reopens a refused stream later, polling meanwhile', () => {
    const broken = vi.fn();
    const poll = vi.fn();
    const hub = new EventHub(broken, follow);
    hub.subscribe(() => undefined);
    const stop = hub.whileNotLive(poll, 1000);
    streams[0].handlers.onTrouble?.(false);
    expect(broken).not.toHaveBeenCalled();
    streams[0].handlers.onTrouble?.(true);
    expect(broken).toHaveBeenCalledTimes(1);
    expect(streams[0].closed).toBe(true);
    vi.advanceTimersByTime(4000);
    expect(poll).toHaveBeenCalledTimes(4);
    expect(streams).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(streams).toHaveLength(2);
    streams[1].handlers.onTrouble?.(true);
    expect(broken).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(9999);
    expect(streams).toHaveLength(2);
    vi.advanceTimersByTime(1);
    streams[2].handlers.onOpen?.();
    expect(hub.status).toBe('live');
    poll.mockClear();
    vi.advanceTimersByTime(5000);
    expect(poll).not.toHaveBeenCalled();
    stop();
  });

  it('backs off up to a minute', () => {
    expect([1, 2, 3, 5, 9].map(reopenDelay)).toEqual([5000, 10_000, 20_000, 60_000, 60_000]);
  });
});
