// The image catalog's rules as the portal needs them: which references an instance may name,
// who manages an image, how a refused upload is explained, and the checks of the forms (the same
// patterns the API applies).

import type { Image } from '../api/images';
import { isPlatformAdmin, canOperate, type Session } from './roles';

/** Files up to this size get their SHA-256 computed in the browser before the upload. */
export const CLIENT_DIGEST_LIMIT = 256 * 1024 * 1024;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const CHANNEL = /^[a-z0-9][a-z0-9._-]{0,62}(\/[a-z0-9][a-z0-9._-]{0,62}){0,3}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;

export const LATEST = 'latest';

/** "3f2a9c…" with the first `length` hex digits; "—" when there is none. */
export function shortSha256(sha256: string | null | undefined, length = 12): string {
  if (!sha256) return '—';
  return sha256.length > length ? `${sha256.slice(0, length)}…` : sha256;
}

/** One thing an instance's image field may name, offered by the create wizard. */
export interface ImageReference {
  reference: string;
  image: Image;
  /** The channel it follows; absent for the plain name (latest). */
  channel?: string;
  /** The version it names today. */
  version?: string;
}

/** Whose an image is, for resolving a name: the tenant's own first, then shared ones, then the provider's. */
function precedence(image: Image, ownTenant: string | null | undefined): number {
  if (image.tenant && image.tenant === ownTenant) return 0;
  return image.tenant ? 2 : 1;
}

/**
 * The references a new instance of `kind` may use: for each image with a version, its name (which
 * follows latest) and name/channel for each other channel. A name two images share names the one
 * that shadows the other (the tenant's own, then the provider's, then one shared by another tenant), as the API
 * resolves it. Deprecated images come last: still usable, no longer recommended.
 */
export function imageReferences(images: Image[], kind: string, ownTenant?: string | null): ImageReference[] {
  const byName = new Map<string, Image>();
  for (const image of images) {
    if (image.kind !== kind || !image.latestVersion) continue;
    const current = byName.get(image.name);
    if (!current || precedence(image, ownTenant) < precedence(current, ownTenant)) byName.set(image.name, image);
  }
  const references: ImageReference[] = [];
  const ordered = [...byName.values()].sort((a, b) =>
    Number(a.deprecated) - Number(b.deprecated) || a.name.localeCompare(b.name));
  for (const image of ordered) {
    references.push({ reference: image.name, image, version: image.channels?.[LATEST] ?? image.latestVersion });
    for (const channel of Object.keys(image.channels ?? {}).sort()) {
      if (channel === LATEST) continue;
      references.push({ reference: `${image.name}/${channel}`, image, channel, version: image.channels[channel] });
    }
  }
  return references;
}

/** Why `reference` is not an image reference (name, name/channel or name@version), or null. */
export function imageReferenceProblem(reference: string): string | null {
  if (!reference) return 'an image is required';
  const at = reference.indexOf('@');
  const slash = reference.indexOf('/');
  let name = reference;
  if (at >= 0) {
    name = reference.slice(0, at);
    if (!VERSION.test(reference.slice(at + 1))) return 'after "@" comes a version, e.g. debian@12.8';
  } else if (slash >= 0) {
    name = reference.slice(0, slash);
    if (!CHANNEL.test(reference.slice(slash + 1))) return 'after "/" comes a channel, e.g. debian/12/stable';
  }
  if (!NAME.test(name)) return 'an image name such as busybox, debian/12/stable or debian@12.8';
  return null;
}

/** Why `name` is not an image (or OS) name, or null. */
export function imageNameProblem(name: string): string | null {
  if (!name) return 'a name is required';
  if (name.length > 63) return 'at most 63 characters';
  if (/[A-Z]/.test(name)) return 'lower-case letters only';
  if (!NAME.test(name)) return 'lower-case letters, digits, ".", "_" or "-", starting with a letter or digit';
  return null;
}

/** Why `version` is not a version label, or null. */
export function versionLabelProblem(version: string): string | null {
  if (!version) return 'a version label is required, e.g. 1.0';
  if (!VERSION.test(version)) return 'letters, digits, ".", "_", "+", "~" or "-", at most 64, e.g. 1.36.1';
  return null;
}

/** Why `channel` is not a channel name, or null. */
export function channelProblem(channel: string): string | null {
  if (!channel) return 'a channel name is required';
  if (!CHANNEL.test(channel)) return `"${channel}" is not lower-case words separated by "/", e.g. 12/stable`;
  return null;
}

/** "stable, 12/stable" → the channels, or the first problem. */
export function parseChannels(text: string): { channels: string[]; problem: string | null } {
  const channels = [...new Set(text.split(/[,\s]+/).map((part) => part.trim()).filter(Boolean))];
  for (const channel of channels) {
    const problem = channelProblem(channel);
    if (problem) return { channels, problem };
  }
  return { channels, problem: null };
}

/** The channels as "latest → 1.2" lines, latest first, then by name. */
export function channelList(channels: Record<string, string> | null | undefined): string[] {
  return Object.entries(channels ?? {})
    .sort(([a], [b]) => (a === LATEST ? -1 : b === LATEST ? 1 : a.localeCompare(b)))
    .map(([channel, version]) => `${channel} → ${version}`);
}

/** Who owns an image, as shown next to its visibility. */
export const ownerLabel = (image: Pick<Image, 'tenant'>) => image.tenant ?? 'provider';

/** Whether the session may change an image: its own tenant's admins and members, and platform admins. */
export function canManageImage(session: Session, image: Pick<Image, 'tenant'>): boolean {
  if (isPlatformAdmin(session)) return true;
  return canOperate(session) && !!image.tenant && image.tenant === session.tenant;
}

/** The formats an upload of a `kind` image may declare; jails leave it to the server. */
export function uploadFormats(kind: string): { value: string; label: string }[] {
  if (kind === 'jail') return [{ value: '', label: 'detected from the file (tar, tar.gz, tar.xz, tar.zst)' }];
  return [
    { value: 'raw', label: 'raw disk' },
    { value: 'qcow2', label: 'qcow2 disk' },
    { value: 'kernel', label: 'kernel (a tarball of kernel and initrd)' },
  ];
}

/**
 * The formats a URL import may declare: the API wants one named even for a jail (it checks the
 * download against it), so jails choose among the archive formats too.
 */
export function urlImportFormats(kind: string): { value: string; label: string }[] {
  if (kind !== 'jail') return uploadFormats(kind);
  return [
    { value: 'tar.gz', label: 'tar.gz' },
    { value: 'tar.xz', label: 'tar.xz' },
    { value: 'tar.zst', label: 'tar.zst' },
    { value: 'tar', label: 'tar (not compressed)' },
  ];
}

/** A jail archive's likely format from the end of its name or URL ("rootfs.tgz" → tar.gz); null when it does not say. */
export function guessJailFormat(name: string): string | null {
  const lower = name.toLowerCase().replace(/[?#].*$/, '');
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  if (lower.endsWith('.tar.xz') || lower.endsWith('.txz')) return 'tar.xz';
  if (lower.endsWith('.tar.zst') || lower.endsWith('.tzst')) return 'tar.zst';
  if (lower.endsWith('.tar')) return 'tar';
  return null;
}

/** A VM disk's likely format from its file name; the user may change it. */
export function guessVmFormat(fileName: string): string {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.qcow2') || lower.endsWith('.qcow')) return 'qcow2';
  if (/\.tar(\.(gz|xz|zst))?$|\.tgz$/.test(lower)) return 'kernel';
  return 'raw';
}

const REFUSAL_REASONS: Record<string, string> = {
  path_traversal: 'an entry climbs out of the root with ".."',
  absolute_path: 'an entry has an absolute path',
  link_escape: 'a link leads out of the root, or an entry lies beneath a link',
  device_node: 'the archive holds device nodes',
  too_large: 'it unpacks to more than the panel allows',
  too_many_entries: 'it holds more entries than the panel allows',
  bad_owner: 'an entry is owned by an id outside 0..65535',
  truncated: 'the archive is cut short',
  not_an_archive: 'the file is not a tar archive',
  format_mismatch: 'the file is not in the format given',
  not_a_disk: 'the file is not a disk image of the format given',
  external_file: 'the disk names a backing or data file',
  missing_kernel: 'the archive holds no file named kernel',
  unexpected_entry: 'a kernel archive holds only kernel and initrd',
  empty_archive: 'the archive is empty',
};

/** "path_traversal: an entry climbs out of the root with .." for a refusal's details.reason. */
export function refusalReason(details: unknown): string | null {
  if (!details || typeof details !== 'object') return null;
  const reason = (details as Record<string, unknown>).reason;
  if (typeof reason !== 'string' || !reason) return null;
  const explanation = REFUSAL_REASONS[reason];
  return explanation ? `${reason}: ${explanation}` : reason;
}

/** The SHA-256 of some bytes as 64 hex digits (Web Crypto; only in secure contexts). */
export async function sha256Hex(data: BufferSource): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Whether the browser computes the SHA-256 of a file of `size` bytes before sending it. */
export const digestInBrowser = (size: number) =>
  size <= CLIENT_DIGEST_LIMIT && typeof globalThis.crypto?.subtle?.digest === 'function';

/** A URL import's progress line: bytes fetched of the total when the server sent its length. */
export function importProgressText(fetched: number, total: number | null | undefined,
  formatBytes: (bytes: number) => string): string {
  if (total == null || total <= 0) return `${formatBytes(fetched)} fetched`;
  const percent = Math.min(100, Math.floor((fetched / total) * 100));
  return `${formatBytes(fetched)} of ${formatBytes(total)} fetched (${percent} %)`;
}
