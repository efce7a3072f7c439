import type { EventHub } from '../lib/eventHub';
import type { Session } from '../util/roles';

/** What a page gets when it is shown. */
export interface PageContext {
  session: Session;
  events: EventHub;
  params: Record<string, string>;
  query: URLSearchParams;
  navigate: (hash: string) => void;
  /** Aborted when the page goes away: pass it to fetches and check it after awaits. */
  signal: AbortSignal;
}

/**
 * A page renders into `root` and may answer a clean-up function, run when the user leaves it:
 * pages own their sockets, streams and timers and close them there.
 */
export type Page = (root: HTMLElement, context: PageContext) => void | (() => void) | Promise<void | (() => void)>;
