// The presence line above a shared serial console: who types, how many watch, and whether this
// viewer may take over. It comes from the gateway's {"type":"writer",…} frames and the ticket.

export interface Presence {
  /** What the line says: "You type · 2 viewers", "Watching · bob types". */
  text: string;
  /** Whether to offer "Take over": only to a viewer who may type and does not. */
  offerTakeOver: boolean;
}

/** The presence line for a writer frame; `readOnly` is the ticket's (viewers watch only). */
export function presenceOf(message: { [key: string]: unknown }, readOnly: boolean): Presence {
  const you = message.you === 'writer';
  const viewers = typeof message.viewers === 'number' && message.viewers > 0 ? message.viewers : 1;
  const writer = typeof message.writer === 'string' ? message.writer : null;
  const others = viewers > 1 ? ` · ${viewers} viewers` : '';
  if (you) return { text: `You type${others}`, offerTakeOver: false };
  const watching = readOnly ? 'Watching (your role cannot type)' : 'Watching';
  return { text: `${watching}${writer ? ` · ${writer} types` : ' · nobody types'}${others}`, offerTakeOver: !readOnly };
}
