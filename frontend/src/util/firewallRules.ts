// Firewall rules as people type them, one per line:
//   tcp 80 0.0.0.0/0            tcp port 80 from anywhere
//   tcp 8000-8080 192.0.2.0/24  a port range from one network
//   udp 53 10.0.0.7             one address (/32)
//   icmp 0.0.0.0/0              ping and other ICMP
//   any 198.51.100.0/24         everything from a network
// A "#" starts a comment.

import type { FirewallRule } from '../api/network';

export interface ParsedRules {
  rules: FirewallRule[];
  problems: string[];
}

const ADDRESS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;

function sourceProblem(source: string): string | null {
  const match = ADDRESS.exec(source);
  if (!match) return `"${source}" is not an IPv4 address or network`;
  if (match.slice(1, 5).some((octet) => Number(octet) > 255)) return `"${source}" is not an IPv4 address`;
  if (match[6] !== undefined && Number(match[6]) > 32) return `"${source}": a prefix is at most /32`;
  return null;
}

function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const value = Number(text);
  return value >= 1 && value <= 65535 ? value : null;
}

/** Parses rule lines; every line that does not parse is named with its number. */
export function parseRules(text: string): ParsedRules {
  const rules: FirewallRule[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const words = line.split(/\s+/);
    const where = `line ${index + 1}`;
    const protocol = words[0].toLowerCase();
    if (protocol === 'tcp' || protocol === 'udp') {
      if (words.length !== 3) {
        problems.push(`${where}: write "${protocol} PORT[-PORT] SOURCE"`);
        return;
      }
      const [from, to = from] = words[1].split('-', 2);
      const fromPort = port(from);
      const toPort = port(to);
      if (fromPort === null || toPort === null) {
        problems.push(`${where}: "${words[1]}" is not a port (1-65535) or range`);
        return;
      }
      if (toPort < fromPort) {
        problems.push(`${where}: the range ${words[1]} ends before it starts`);
        return;
      }
      const problem = sourceProblem(words[2]);
      if (problem) {
        problems.push(`${where}: ${problem}`);
        return;
      }
      rules.push({ protocol, fromPort, toPort, source: words[2] });
    } else if (protocol === 'icmp' || protocol === 'any') {
      if (words.length !== 2) {
        problems.push(`${where}: write "${protocol} SOURCE"`);
        return;
      }
      const problem = sourceProblem(words[1]);
      if (problem) {
        problems.push(`${where}: ${problem}`);
        return;
      }
      rules.push({ protocol, source: words[1] });
    } else {
      problems.push(`${where}: starts with tcp, udp, icmp or any`);
    }
  });
  return { rules, problems };
}

/** Rules as lines that parseRules reads back. */
export function formatRules(rules: FirewallRule[]): string {
  return rules
    .map((rule) => {
      if (rule.protocol === 'tcp' || rule.protocol === 'udp') {
        const ports = rule.toPort && rule.toPort !== rule.fromPort ? `${rule.fromPort}-${rule.toPort}` : `${rule.fromPort}`;
        return `${rule.protocol} ${ports} ${rule.source}`;
      }
      return `${rule.protocol} ${rule.source}`;
    })
    .join('\n');
}
