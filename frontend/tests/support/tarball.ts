// A minimal tar writer (POSIX ustar) for the tests' root file systems, gzipped with node's zlib.
// It writes exactly the entry names it is given, "../evil" included, which is the point.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  /** A directory when absent. */
  content?: string;
}

const BLOCK = 512;

/** Writes `value` as a NUL-terminated octal number filling `width` bytes. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const directory = entry.content === undefined;
  const name = directory && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  block.write(name, 0, 100, 'utf8');
  octal(block, 100, 8, directory ? 0o755 : 0o644); // mode
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, size);
  octal(block, 136, 12, Math.floor(Date.UTC(2026, 10, 21) / 1000)); // mtime
  block.fill(' ', 148, 156); // the checksum counts itself as spaces
  block.write(directory ? '5' : '0', 156, 1, 'ascii'); // typeflag
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write('root', 265, 32, 'ascii'); // uname
  block.write('root', 297, 32, 'ascii'); // gname
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

/** A tar archive of the entries, in order. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.content ?? '', 'utf8');
    parts.push(header(entry, data.length));
    if (data.length > 0) {
      parts.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // the end of the archive
  return Buffer.concat(parts);
}

export const tarGz = (entries: TarEntry[]) => gzipSync(tar(entries));

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
