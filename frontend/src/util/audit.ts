// The audit log in words: actions, targets by name, outcomes, client addresses and the console
// gateway's close codes as a person reads them.

const NOUNS: Record<string, string> = {
  instance: 'instance', image: 'image', tenant: 'tenant', host: 'host', quota: 'quota', address: 'public address',
  firewall: 'firewall rule', forward: 'port forward', 'ssh-key': 'SSH key', console: 'console', operation: 'operation',
  snapshot: 'snapshot', version: 'version', channel: 'channel', offer: 'share offer', addresses: 'addresses', ticket: 'ticket',
};

const VERBS: Record<string, string> = {
  create: 'created', created: 'created', delete: 'deleted', deleted: 'deleted', update: 'changed', updated: 'changed',
  start: 'started', stop: 'stopped', restart: 'restarted', resize: 'resized', rollback: 'rolled back', snapshot: 'snapshot taken',
  add: 'added', added: 'added', remove: 'removed', assign: 'assigned', release: 'released', share: 'shared', unshare: 'unshared',
  offered: 'offered', accept: 'accepted', decline: 'declined', cancel: 'cancelled', set: 'set', import: 'imported',
  state: 'state changed', ticket: 'opened', firewall: 'firewall changed', channel: 'channel moved',
};

/** "instance.start" → "Instance started", "image.version.delete" → "Image version deleted". */
export function describeAction(action: string): string {
  const parts = action.split('.').filter(Boolean);
  if (parts.length === 0) return action;
  const last = parts[parts.length - 1];
  const verb = parts.length > 1 ? VERBS[last] : undefined;
  const nouns = (verb ? parts.slice(0, -1) : parts).map((part) => NOUNS[part] ?? part.replace(/[-_]/g, ' '));
  const text = verb ? `${nouns.join(' ')} ${verb}` : nouns.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A client address as people write it: IPv4-mapped IPv6 as the IPv4 address, IPv6 compressed
 * (RFC 5952), loopback named. "0:0:0:0:0:0:0:1" → "::1 (this machine)", "::ffff:10.0.0.5" → "10.0.0.5".
 */
export function formatAddress(address: string | null | undefined): string {
  if (!address) return '—';
  let text = address.trim();
  // A port after the address ("10.0.0.5:42058", "[::1]:42058", "0:0:0:0:0:0:0:1:42058") says nothing to a reader.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.replace(/:\d+$/, '');
  else if (text.split(':').length === 9 && !text.includes('::')) text = text.replace(/:\d+$/, '');
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(':')) return text === '127.0.0.1' ? '127.0.0.1 (this machine)' : text;
  const groups = expandIpv6(text);
  if (!groups) return address;
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d: the IPv4 address the client used.
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || (groups[5] === 0 && groups[6] !== 0))) {
    const ipv4 = `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
    return ipv4.startsWith('127.') ? `${ipv4} (this machine)` : ipv4;
  }
  const compressed = compressIpv6(groups);
  return compressed === '::1' ? '::1 (this machine)' : compressed;
}

function expandIpv6(text: string): number[] | null {
  let tail: number[] = [];
  let body = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = dotted[1].split('.').map(Number);
    if (octets.some((o) => o > 255)) return null;
    tail = [(octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]];
    body = text.slice(0, -dotted[1].length).replace(/:$/, '') || ':';
    if (body === ':') body = '::';
    else if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part ? part.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)) : []);
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - tail.length - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest, ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : null;
}

function compressIpv6(groups: number[]): string {
  // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) { start++; continue; }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) { bestStart = start; bestLength = end - start; }
    start = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const CLOSE_CODES: Record<number, string> = {
  1000: 'closed normally',
  1001: 'the browser left the page',
  1002: 'the other side broke the protocol',
  1003: 'a message of a kind the other side does not take',
  // A close frame without a code: what Chromium sends when its page or window is closed.
  1005: 'the browser closed it without a reason (a closed tab or window)',
  1007: 'a message was not valid text',
  1006: 'the connection dropped',
  1008: 'refused input from a read-only viewer',
  1009: 'a message was too big',
  1011: 'the gateway failed',
  1012: 'the gateway restarted',
  1013: 'too many sessions; try again later',
  4000: 'idle too long',
  4008: 'the viewer read too slowly',
  4401: 'unknown ticket',
  4403: 'the ticket is for another console',
  4409: 'the ticket was used before',
  4410: 'the ticket expired',
  4503: "the instance's console ended (stopped or crashed)",
};

/** "4503 the instance's console ended" → "the instance's console ended (stopped or crashed) (4503)". */
export function explainCloseReason(reason: string | null | undefined): string {
  if (!reason) return '—';
  const match = /^(\d{4})\b\s*(.*)$/.exec(reason.trim());
  if (!match) return reason;
  const code = Number(match[1]);
  const meaning = CLOSE_CODES[code];
  const said = match[2];
  if (!meaning) return said ? `closed: ${said} (code ${code})` : `closed (code ${code})`;
  return said && !meaning.startsWith(said) ? `${meaning}: ${said} (code ${code})` : `${meaning} (code ${code})`;
}
