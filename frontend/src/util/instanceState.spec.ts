import { describe, expect, it } from 'vitest';
import type { Instance } from '../api/instances';
import { applyStateEvent, availableActions, canDelete, isTransitional, stateTone } from './instanceState';

const instance = (state: Instance['state']): Instance => ({
  id: '1', name: 'web', kind: 'jail', image: 'busybox', vcpus: 1, memoryMiB: 128, diskGiB: 1,
  desiredState: 'running', state, createdAt: '', updatedAt: '',
});

describe('instance states', () => {
  it('gives each state a tone', () => {
    expect(stateTone('running')).toBe('ok');
    expect(stateTone('starting')).toBe('busy');
    expect(stateTone('crashed')).toBe('bad');
    expect(stateTone('something-new')).toBe('idle');
    expect(isTransitional('provisioning')).toBe(true);
    expect(isTransitional('stopped')).toBe(false);
  });

  it('offers the actions that make sense', () => {
    expect(availableActions(instance('stopped'))).toEqual(['start']);
    expect(availableActions(instance('running'))).toEqual(['stop', 'restart']);
    expect(availableActions(instance('starting'))).toEqual([]);
    expect(canDelete(instance('running'))).toBe(true);
    expect(canDelete(instance('deleting'))).toBe(false);
  });

  it('applies state events', () => {
    const before = { ...instance('starting'), stateDetail: 'booting' };
    const after = applyStateEvent(before, { state: 'running', address: '10.0.0.2', bogus: 1 });
    expect(after.state).toBe('running');
    expect(after.address).toBe('10.0.0.2');
    expect(after.stateDetail).toBeUndefined();
    expect(before.state).toBe('starting');
    expect(applyStateEvent(before, undefined)).toBe(before);
    expect(applyStateEvent(before, { state: 'crashed', detail: 'exit 1' }).stateDetail).toBe('exit 1');
  });
});
