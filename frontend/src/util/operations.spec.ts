import { describe, expect, it } from 'vitest';
import type { Operation } from '../api/client';
import { describeKind, isFinished, mergeOperationEvent } from './operations';

const operation: Operation = {
  id: 'op1', kind: 'instance.create', state: 'pending', progress: 0, cancelRequested: false, attempts: 0,
  createdAt: 't0', updatedAt: 't0',
};

describe('operations', () => {
  it('knows when an operation ended', () => {
    expect(isFinished({ state: 'running' })).toBe(false);
    expect(isFinished({ state: 'failed' })).toBe(true);
  });

  it('describes kinds', () => {
    expect(describeKind('instance.create')).toBe('Create instance');
    expect(describeKind('host.update')).toBe('Update host');
    expect(describeKind('weird')).toBe('weird');
  });

  it('updates a known operation from an event', () => {
    const [updated] = mergeOperationEvent([operation], {
      type: 'operation.running', at: 't1', payload: { id: 'op1', kind: 'instance.create', state: 'running', progress: 40 },
    });
    expect(updated).toMatchObject({ id: 'op1', state: 'running', progress: 40, updatedAt: 't1' });
  });

  it('adds a new operation in front and ignores other events', () => {
    const list = mergeOperationEvent([operation], {
      type: 'operation.failed', target: 'i1', targetType: 'instance', at: 't2',
      payload: { id: 'op2', kind: 'instance.start', state: 'failed', progress: 10, error: 'no runtime' },
    });
    expect(list.map((o) => o.id)).toEqual(['op2', 'op1']);
    expect(list[0]).toMatchObject({ state: 'failed', error: 'no runtime', target: 'i1' });
    expect(mergeOperationEvent(list, { type: 'instance.state', at: 't3', payload: { id: 'x' } })).toBe(list);
  });
});
