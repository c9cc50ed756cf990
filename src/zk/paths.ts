import {ZkError} from './errors.js';

/**
 * Check a znode path the way ZooKeeper's PathUtils does, before any network
 * round trip. Throws ZkError('InvalidPath') with the reason.
 */
export function validatePath(path: string, opts: {sequential?: boolean} = {}): void {
  const fail = (why: string): never => {
    throw new ZkError('InvalidPath', `Invalid path string "${path}" caused by ${why}`, {path});
  };
  if (typeof path !== 'string' || path.length === 0) fail('path length must be > 0');
  if (!path.startsWith('/')) fail('path must start with / character');
  if (path.length === 1) return;
  // A sequential create may end with '/' (ZooKeeper appends the counter).
  if (path.endsWith('/') && !opts.sequential) fail('path must not end with / character');
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  segments.forEach((seg, i) => {
    if (seg === '' && !(opts.sequential && i === last)) fail(`empty node name specified @${indexOfSegment(path, i)}`);
    if (seg === '.' || seg === '..') fail(`relative paths not allowed @${indexOfSegment(path, i)}`);
  });
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) fail(`null character not allowed @${i}`);
    if ((c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) {
      fail(`invalid character @${i}`);
    }
  }
}

function indexOfSegment(path: string, segIndex: number): number {
  let pos = 0;
  for (let i = 0; i <= segIndex; i++) pos = path.indexOf('/', pos) + 1;
  return pos;
}

/** True when validatePath accepts the path. */
export function isValidPath(path: string): boolean {
  try {
    validatePath(path);
    return true;
  } catch {
    return false;
  }
}

/** "/a/b" → "/a"; "/a" → "/"; "/" → "/". */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** "/a" + "b" → "/a/b"; "/" + "b" → "/b". */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** Ancestors from the top, excluding "/" and the path itself: "/a/b/c" → ["/a", "/a/b"]. */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  const segs = path.split('/').filter((s) => s !== '');
  for (let i = 1; i < segs.length; i++) out.push('/' + segs.slice(0, i).join('/'));
  return out;
}
