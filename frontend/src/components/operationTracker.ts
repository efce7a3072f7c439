import { getOperation, type Operation } from '../api/operations';
import { h } from '../lib/dom';
import type { EventHub } from '../lib/eventHub';
import { isFinished, mergeOperationEvent } from '../util/operations';
import { operationRow } from './ui';

/**
 * Shows an operation and keeps it current, from the event stream and by polling (progress changes
 * need not be events), until it ends. Answers the element and a stop function; `onEnd` hears the
 * final operation.
 */
export function trackOperation(
  initial: Operation,
  events: EventHub,
  onEnd?: (operation: Operation) => void,
): { element: HTMLElement; stop: () => void; done: Promise<Operation> } {
  const element = h('div', { class: 'tracked-operation', 'aria-live': 'polite' });
  let current = initial;
  let stopped = false;
  let resolveDone: (operation: Operation) => void = () => undefined;
  const done = new Promise<Operation>((resolve) => { resolveDone = resolve; });
  const render = () => element.replaceChildren(operationRow(current));
  const update = (operation: Operation) => {
    if (stopped) return;
    current = operation;
    render();
    if (isFinished(operation)) {
      stop();
      onEnd?.(operation);
      resolveDone(operation);
    }
  };
  const unsubscribe = events.subscribe((event) => {
    const [merged] = mergeOperationEvent([current], event);
    if (merged !== current && merged.id === current.id) update(merged);
  });
  let shown = false;
  const timer = setInterval(() => {
    // Once shown and then taken off the page (the user left), stop following.
    if (element.isConnected) shown = true;
    else if (shown) return stop();
    getOperation(current.id).then(update).catch(() => undefined);
  }, 1000);
  function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unsubscribe();
  }
  render();
  if (isFinished(initial)) update(initial);
  return { element, stop, done };
}
