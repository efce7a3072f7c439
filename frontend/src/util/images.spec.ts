import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Image } from '../api/images';
import {
  canManageImage, channelList, channelProblem, CLIENT_DIGEST_LIMIT, digestInBrowser, guessVmFormat, imageNameProblem,
  importProgressText,
  imageReferenceProblem, imageReferences, ownerLabel, parseChannels, refusalReason, sha256Hex, shortSha256,
  uploadFormats, urlImportFormats, guessJailFormat, versionLabelProblem,
} from './images';
import type { Session } from './roles';

const image = (fields: Partial<Image>): Image => ({
  id: fields.name ?? 'id', name: 'x', kind: 'jail', os: 'linux', architecture: 'x86_64', visibility: 'public',
  graphics: false, builtIn: false, deprecated: false, reference: fields.name ?? 'x', channels: {},
  createdAt: '2026-11-21T10:00:00Z', latestVersion: '1', ...fields,
});

const session = (roles: Session['roles'], tenant: string | null = 'acme'): Session => ({ username: 'u', tenant, roles, inferred: false });

describe('image references', () => {
  it('offers each image by name and by its channels other than latest', () => {
    const images = [
      image({ name: 'debian', channels: { latest: '12.8', '12/stable': '12.7', testing: '13.0' }, latestVersion: '12.8' }),
      image({ name: 'busybox', channels: { latest: '1.36' }, latestVersion: '1.36' }),
      image({ name: 'freebsd', kind: 'vm', channels: { latest: '14' }, latestVersion: '14' }),
    ];
    expect(imageReferences(images, 'jail').map((choice) => [choice.reference, choice.version])).toEqual([
      ['busybox', '1.36'], ['debian', '12.8'], ['debian/12/stable', '12.7'], ['debian/testing', '13.0'],
    ]);
    expect(imageReferences(images, 'vm').map((choice) => choice.reference)).toEqual(['freebsd']);
    expect(imageReferences(images, 'jail')[2].channel).toBe('12/stable');
  });

  it('offers the image of the chosen kind when a jail image and a VM image share a name', () => {
    const images = [
      image({ id: 'debian-jail', name: 'debian', kind: 'jail', channels: { latest: '12-20261207', '12': '12-20261207' }, latestVersion: '12-20261207' }),
      image({ id: 'debian-vm', name: 'debian', kind: 'vm', builtIn: true, channels: { latest: '1' }, latestVersion: '1' }),
    ];
    expect(imageReferences(images, 'jail').map((choice) => [choice.reference, choice.image.id])).toEqual([
      ['debian', 'debian-jail'], ['debian/12', 'debian-jail'],
    ]);
    expect(imageReferences(images, 'vm').map((choice) => [choice.reference, choice.image.id, choice.version])).toEqual([
      ['debian', 'debian-vm', '1'],
    ]);
  });

  it('offers deprecated images after the others', () => {
    const images = [
      image({ name: 'alpine', deprecated: true, channels: { latest: '3.18' }, latestVersion: '3.18' }),
      image({ name: 'busybox', channels: { latest: '1.36' }, latestVersion: '1.36' }),
    ];
    expect(imageReferences(images, 'jail').map((choice) => choice.reference)).toEqual(['busybox', 'alpine']);
  });

  it('leaves out images without a version', () => {
    expect(imageReferences([image({ name: 'empty', latestVersion: undefined })], 'jail')).toEqual([]);
  });

  it('names the image that shadows the others: own, then the provider\'s, then a shared one', () => {
    const provider = image({ id: 'p', name: 'base', description: 'provider' });
    const shared = image({ id: 's', name: 'base', tenant: 'globex', visibility: 'shared', description: 'shared' });
    const own = image({ id: 'o', name: 'base', tenant: 'acme', visibility: 'private', description: 'own' });
    expect(imageReferences([provider, shared, own], 'jail', 'acme').map((choice) => choice.image.description)).toEqual(['own']);
    expect(imageReferences([provider, shared], 'jail', 'acme').map((choice) => choice.image.description)).toEqual(['provider']);
    expect(imageReferences([shared], 'jail', 'acme').map((choice) => choice.image.description)).toEqual(['shared']);
    expect(imageReferences([own, provider], 'jail', 'initech').map((choice) => choice.image.description)).toEqual(['provider']);
  });

  it('checks what is typed as the API does', () => {
    expect(imageReferenceProblem('busybox')).toBeNull();
    expect(imageReferenceProblem('debian/12/stable')).toBeNull();
    expect(imageReferenceProblem('debian@12-20261121')).toBeNull();
    expect(imageReferenceProblem('debian@1.2+b~3')).toBeNull();
    expect(imageReferenceProblem('')).toBe('an image is required');
    expect(imageReferenceProblem('Debian')).toMatch(/image name/);
    expect(imageReferenceProblem('debian/')).toMatch(/channel/);
    expect(imageReferenceProblem('debian/a/b/c/d/e')).toMatch(/channel/);
    expect(imageReferenceProblem('debian@')).toMatch(/version/);
    expect(imageReferenceProblem('../etc')).not.toBeNull();
  });
});

describe('image form checks', () => {
  it('checks names, versions and channels', () => {
    expect(imageNameProblem('my-image.2')).toBeNull();
    expect(imageNameProblem('')).toBe('a name is required');
    expect(imageNameProblem('Mine')).toBe('lower-case letters only');
    expect(imageNameProblem('-x')).not.toBeNull();
    expect(imageNameProblem('a'.repeat(64))).toBe('at most 63 characters');
    expect(versionLabelProblem('12.8-20261121')).toBeNull();
    expect(versionLabelProblem('')).toMatch(/required/);
    expect(versionLabelProblem('1 0')).not.toBeNull();
    expect(channelProblem('12/stable')).toBeNull();
    expect(channelProblem('Stable')).not.toBeNull();
  });

  it('reads a list of channels', () => {
    expect(parseChannels('')).toEqual({ channels: [], problem: null });
    expect(parseChannels(' stable, 12/stable  stable')).toEqual({ channels: ['stable', '12/stable'], problem: null });
    expect(parseChannels('stable, Bad').problem).toMatch(/"Bad"/);
  });

  it('lists channels with latest first', () => {
    expect(channelList({ stable: '1', latest: '2', beta: '3' })).toEqual(['latest → 2', 'beta → 3', 'stable → 1']);
    expect(channelList(undefined)).toEqual([]);
  });

  it('offers the formats of each kind', () => {
    expect(uploadFormats('jail').map((choice) => choice.value)).toEqual(['']);
    expect(uploadFormats('vm').map((choice) => choice.value)).toEqual(['raw', 'qcow2', 'kernel']);
    expect(guessVmFormat('disk.QCOW2')).toBe('qcow2');
    expect(guessVmFormat('vmlinuz.tar.gz')).toBe('kernel');
    expect(guessVmFormat('disk.img')).toBe('raw');
    // A URL import names the format, a jail's too (the API does not take it blank).
    expect(urlImportFormats('jail').map((choice) => choice.value)).toEqual(['tar.gz', 'tar.xz', 'tar.zst', 'tar']);
    expect(urlImportFormats('vm').map((choice) => choice.value)).toEqual(['raw', 'qcow2', 'kernel']);
    expect(guessJailFormat('https://example.org/alpine/rootfs.TAR.XZ?sig=1')).toBe('tar.xz');
    expect(guessJailFormat('hello.tgz')).toBe('tar.gz');
    expect(guessJailFormat('rootfs.tar.zst')).toBe('tar.zst');
    expect(guessJailFormat('rootfs.tar')).toBe('tar');
    expect(guessJailFormat('https://example.org/latest')).toBeNull();
  });
});

describe('image display', () => {
  it('shortens a SHA-256', () => {
    const hash = 'a'.repeat(64);
    expect(shortSha256(hash)).toBe(`${'a'.repeat(12)}…`);
    expect(shortSha256('abc')).toBe('abc');
    expect(shortSha256(undefined)).toBe('—');
  });

  it('names the owner', () => {
    expect(ownerLabel({ tenant: 'acme' })).toBe('acme');
    expect(ownerLabel({})).toBe('provider');
  });

  it('explains refusals', () => {
    expect(refusalReason({ reason: 'path_traversal' })).toBe('path_traversal: an entry climbs out of the root with ".."');
    expect(refusalReason({ reason: 'something_new' })).toBe('something_new');
    expect(refusalReason({ field: 'name' })).toBeNull();
    expect(refusalReason(undefined)).toBeNull();
  });
});

describe('who manages an image', () => {
  it('lets its own tenant\'s admins and members and platform admins change it', () => {
    const own = { tenant: 'acme' };
    expect(canManageImage(session(['tenant-admin']), own)).toBe(true);
    expect(canManageImage(session(['tenant-member']), own)).toBe(true);
    expect(canManageImage(session(['tenant-viewer']), own)).toBe(false);
    expect(canManageImage(session(['tenant-admin'], 'globex'), own)).toBe(false);
    expect(canManageImage(session(['tenant-admin']), {})).toBe(false);
    expect(canManageImage(session(['platform-admin'], null), {})).toBe(true);
    expect(canManageImage(session(['platform-admin'], null), own)).toBe(true);
  });
});

describe('SHA-256 in the browser', () => {
  it('matches node\'s', async () => {
    const bytes = new TextEncoder().encode('hello\n');
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update('hello\n').digest('hex'));
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is computed up to 256 MiB only', () => {
    expect(digestInBrowser(CLIENT_DIGEST_LIMIT)).toBe(true);
    expect(digestInBrowser(CLIENT_DIGEST_LIMIT + 1)).toBe(false);
  });
});

describe('importProgressText', () => {
  const bytes = (n: number) => `${n} B`;
  it('says bytes fetched of the total', () => {
    expect(importProgressText(512, 2048, bytes)).toBe('512 B of 2048 B fetched (25 %)');
  });
  it('says only what was fetched when the total is unknown', () => {
    expect(importProgressText(512, null, bytes)).toBe('512 B fetched');
    expect(importProgressText(0, 0, bytes)).toBe('0 B fetched');
  });
});
