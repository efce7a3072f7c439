import type { Operation } from '../api/client';

export const isFinished = (operation: Pick<Operation, 'state'>) =>
  operation.state === 'succeeded' || operation.state === 'failed' || operation.state === 'cancelled';

/** "instance.create" → "Create instance". */
export function describeKind(kind: string): string {
  const [target, action] = kind.split('.', 2);
  if (!action) return kind;
  const verb = action.replace(/[-_]/g, ' ');
  return `${verb.charAt(0).toUpperCase()}${verb.slice(1)} ${target}`;
}

/**
 * Merges an operation.* event into a newest-first list: updates the operation it names, or adds
 * it in front when it is new. The event payload carries id, kind, state, progress and error.
 */
export function mergeOperationEvent(
  list: Operation[],
  event: { type: string; target?: string; targetType?: string; at: string; payload?: Record<string, unknown> | null },
): Operation[] {
  const payload = event.payload ?? {};
  const id = typeof payload.id === 'string' ? payload.id : null;
  if (!id || !event.type.startsWith('operation.')) return list;
  const state = (typeof payload.state === 'string' ? payload.state : event.type.slice('operation.'.length)) as Operation['state'];
  const progress = typeof payload.progress === 'number' ? payload.progress : undefined;
  const error = typeof payload.error === 'string' ? payload.error : undefined;
  const index = list.findIndex((operation) => operation.id === id);
  if (index >= 0) {
    const updated: Operation = {
      ...list[index],
      state,
      progress: progress ?? list[index].progress,
      error: error ?? list[index].error,
      updatedAt: event.at,
    };
    return [...list.slice(0, index), updated, ...list.slice(index + 1)];
  }
  const added: Operation = {
    id,
    kind: typeof payload.kind === 'string' ? payload.kind : 'operation',
    targetType: event.targetType,
    target: event.target,
    state,
    progress: progress ?? 0,
    error,
    cancelRequested: false,
    attempts: 0,
    createdAt: event.at,
    updatedAt: event.at,
  };
  return [added, ...list];
}
