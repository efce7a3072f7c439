// A first look at a pasted SSH public key, before the panel checks it for real: what people most
// often paste by mistake is the private key, or a whole authorized_keys file.

const TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'];

/** What is wrong with a pasted public key, or null when it looks like one. */
export function publicKeyProblem(text: string): string | null {
  const key = text.trim();
  if (!key) return 'paste a public key';
  if (key.includes('PRIVATE KEY')) return 'this is a private key: paste the .pub file instead, and keep this one to yourself';
  if (key.split('\n').filter((line) => line.trim()).length > 1) return 'one key at a time';
  const [type, data] = key.split(/\s+/, 2);
  if (!TYPES.includes(type)) return `starts with the key's type (${TYPES.slice(0, 3).join(', ')}, …)`;
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return "the key's base64 part is missing or damaged";
  return null;
}

/** A name for a key from its comment ("alice@laptop" → "alice-laptop"), or a default. */
export function suggestKeyName(text: string): string {
  const comment = text.trim().split(/\s+/).slice(2).join(' ');
  const name = comment.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return name || 'my-key';
}
