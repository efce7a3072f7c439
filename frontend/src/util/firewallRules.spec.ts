import { describe, expect, it } from 'vitest';
import { formatRules, parseRules } from './firewallRules';

describe('firewall rules', () => {
  it('reads ports, ranges, protocols without ports and comments', () => {
    const parsed = parseRules('tcp 80 0.0.0.0/0\n# the admins\ntcp 8000-8080 192.0.2.0/24\n\nudp 53 10.0.0.7  # one host\nicmp 0.0.0.0/0\nANY 198.51.100.0/24');
    expect(parsed.problems).toEqual([]);
    expect(parsed.rules).toEqual([
      { protocol: 'tcp', fromPort: 80, toPort: 80, source: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 8000, toPort: 8080, source: '192.0.2.0/24' },
      { protocol: 'udp', fromPort: 53, toPort: 53, source: '10.0.0.7' },
      { protocol: 'icmp', source: '0.0.0.0/0' },
      { protocol: 'any', source: '198.51.100.0/24' },
    ]);
  });

  it('names every line that does not parse', () => {
    expect(parseRules('tcp 0 0.0.0.0/0').problems).toEqual(['line 1: "0" is not a port (1-65535) or range']);
    expect(parseRules('tcp 90-80 0.0.0.0/0').problems).toEqual(['line 1: the range 90-80 ends before it starts']);
    expect(parseRules('\nudp 53').problems).toEqual(['line 2: write "udp PORT[-PORT] SOURCE"']);
    expect(parseRules('icmp 300.1.1.1').problems).toEqual(['line 1: "300.1.1.1" is not an IPv4 address']);
    expect(parseRules('tcp 22 10.0.0.0/33').problems).toEqual(['line 1: "10.0.0.0/33": a prefix is at most /32']);
    expect(parseRules('sctp 1 0.0.0.0/0').problems).toEqual(['line 1: starts with tcp, udp, icmp or any']);
    expect(parseRules('tcp 22 anywhere').problems).toEqual(['line 1: "anywhere" is not an IPv4 address or network']);
  });

  it('writes rules back as lines it reads', () => {
    const text = 'tcp 80 0.0.0.0/0\ntcp 8000-8080 192.0.2.0/24\nicmp 0.0.0.0/0';
    expect(formatRules(parseRules(text).rules)).toBe(text);
  });
});
