// Instance and tenant names are DNS labels, as the API requires.

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why `name` is not a valid DNS label, or null when it is. */
export function dnsLabelProblem(name: string): string | null {
  if (name.length === 0) return 'a name is required';
  if (name.length > 63) return `at most 63 characters; this one has ${name.length}`;
  if (/[A-Z]/.test(name)) return 'lower-case letters only';
  if (name.startsWith('-') || name.endsWith('-')) return 'must not start or end with "-"';
  if (!DNS_LABEL.test(name)) return 'only lower-case letters, digits and "-"';
  return null;
}

/** A fresh name from an image, e.g. "busybox-4821"; `random` in [0, 1). */
export function suggestName(image: string, random: number = Math.random()): string {
  const base = image.toLowerCase().split(':')[0];
  const cleaned = base.replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'instance';
  const suffix = String(Math.floor(random * 10000)).padStart(4, '0');
  return `${cleaned}-${suffix}`;
}

/** Why `name` cannot be used for a new instance: not a DNS label, or taken by one of `taken`. */
export function newInstanceNameProblem(name: string, taken: ReadonlySet<string>): string | null {
  return dnsLabelProblem(name) ?? (taken.has(name) ? `an instance named ${name} exists already; choose another name` : null);
}
