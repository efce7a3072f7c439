import type { Instance, InstanceAction, InstanceState } from '../api/instances';

export type Tone = 'ok' | 'busy' | 'idle' | 'bad' | 'gone';

const TONES: Record<InstanceState, Tone> = {
  running: 'ok',
  provisioning: 'busy',
  starting: 'busy',
  stopping: 'busy',
  deleting: 'busy',
  stopped: 'idle',
  crashed: 'bad',
  error: 'bad',
  // its host stopped reporting: what it is doing is not known until the host is back
  unknown: 'bad',
  deleted: 'gone',
};

/** The colour family of a state badge. */
export const stateTone = (state: string): Tone => TONES[state as InstanceState] ?? 'idle';

/** States the instance only passes through; the portal shows them with a spinner. */
export const isTransitional = (state: string) => stateTone(state) === 'busy';

/** Which lifecycle actions make sense now (the API has the final word). */
export function availableActions(instance: Pick<Instance, 'state'>): InstanceAction[] {
  switch (instance.state) {
    case 'stopped':
    case 'crashed':
    case 'error':
      return ['start'];
    case 'running':
      return ['stop', 'restart'];
    default:
      return [];
  }
}

/** Whether delete makes sense now. */
export const canDelete = (instance: Pick<Instance, 'state'>) =>
  instance.state !== 'deleting' && instance.state !== 'deleted';

/** Merges an instance.state event's payload into the instance (unknown fields are ignored). */
export function applyStateEvent<T extends Instance>(instance: T, payload: Record<string, unknown> | undefined): T {
  if (!payload) return instance;
  const next = { ...instance };
  if (typeof payload.state === 'string') next.state = payload.state as InstanceState;
  if (typeof payload.desiredState === 'string') next.desiredState = payload.desiredState as Instance['desiredState'];
  // The stream names the detail `detail`; the instance resource names it `stateDetail`.
  const detail = payload.detail ?? payload.stateDetail;
  if (typeof detail === 'string') next.stateDetail = detail;
  else if (typeof payload.state === 'string') next.stateDetail = undefined;
  if (typeof payload.host === 'string') next.host = payload.host;
  if (typeof payload.address === 'string') next.address = payload.address;
  return next;
}
