/**
 * A gzip-compressed POSIX ustar archive of in-memory files (pure): what
 * `kubectl zk report` writes. Regular files only, mode 0644, one mtime.
 */
import {gzipSync} from 'node:zlib';

export interface TarEntry {
  /** path inside the archive, '/'-separated, no leading '/' */
  name: string;
  data: Buffer | string;
}

const BLOCK = 512;

/** Splits a path into ustar's prefix (≤155) and name (≤100) fields, at a '/'. */
export function splitName(path: string): {prefix: string; name: string} {
  if (Buffer.byteLength(path) <= 100) return {prefix: '', name: path};
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return {prefix, name};
  }
  throw new Error(`path too long for a tar archive: ${path}`);
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(path: string, size: number, mtimeSec: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const {prefix, name} = splitName(path);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtimeSec, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum placeholder: spaces
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** The archive's bytes: each entry's header and data padded to 512, two zero blocks, gzipped. */
export function tarGz(entries: readonly TarEntry[], mtime: Date): Buffer {
  const parts: Buffer[] = [];
  const seconds = Math.floor(mtime.getTime() / 1000);
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.name || e.name.startsWith('/') || e.name.split('/').includes('..')) throw new Error(`bad archive path: ${e.name}`);
    if (seen.has(e.name)) throw new Error(`duplicate archive path: ${e.name}`);
    seen.add(e.name);
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
    parts.push(header(e.name, data.length, seconds), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return gzipSync(Buffer.concat(parts));
}
