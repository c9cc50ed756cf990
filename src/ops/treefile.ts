/**
 * The logical export format (`kubectl zk export` / `import`) and the tree
 * checksum that export, backup and restore share. Pure: no I/O.
 *
 * A file is JSON lines: one header, one line per znode (a parent before its
 * children), one trailer with the count and the checksum, so that a
 * truncated file is told from a complete one.
 *
 *   {"format":"kubectl-zk/tree","version":1,"root":"/app","time":"…",…}
 *   {"path":"/app","data":"<base64>","acl":[{"scheme":"world","id":"anyone","perms":"cdrwa"}],"stat":{…}}
 *   {"path":"/app/lock","data":"","acl":[…],"stat":{…},"kind":"ephemeral"}
 *   {"end":true,"znodes":2,"skipped":1,"checksum":"…"}
 *
 * The checksum covers path (relative to the root), data and ACL of every
 * persistent znode outside /zookeeper: ephemeral znodes belong to sessions and
 * do not come back on import or restore. It is a sum of per-znode SHA-256
 * digests modulo 2^256, so it does not depend on the order of the walk.
 */
import {hash} from 'node:crypto';
import {CliError} from '../errors.js';
import {permsToBits, type Acl} from '../zk/client.js';
import type {ZnodeKind} from '../zk/tree.js';
import {isValidPath} from '../zk/paths.js';

export const TREE_FORMAT = 'kubectl-zk/tree';
export const TREE_VERSION = 1;

export interface TreeHeader {
  format: typeof TREE_FORMAT;
  version: number;
  /** the exported subtree */
  root: string;
  ensemble?: string;
  namespace?: string;
  /** srvr's version line of the member read, when known */
  server?: string;
  /** read from a snapshot: its last_zxid (the snapshot is fuzzy: it holds every transaction up to this one, and maybe some after) */
  lastZxid?: string;
  /** ISO 8601 */
  time: string;
}

export interface AclJson {
  scheme: string;
  id: string;
  /** letters from cdrwa */
  perms: string;
}

/** The stat fields kept: when and in which transaction the znode was made and last changed. */
export interface RecordStat {
  cZxid: string;
  mZxid: string;
  ctime: string;
  mtime: string;
  dataVersion: number;
  aclVersion: number;
  /** "0x…", only for ephemeral znodes */
  ephemeralOwner?: string;
}

export interface TreeRecord {
  path: string;
  /** base64 */
  data: string;
  acl: AclJson[];
  stat: RecordStat;
  /** absent for persistent znodes; ephemeral ones are skipped on import; container and ttl ones are imported as persistent */
  kind?: Exclude<ZnodeKind, 'persistent'>;
}

export interface TreeTrailer {
  end: true;
  /** znode lines in the file */
  znodes: number;
  /** of them, ephemeral (not in the checksum, skipped on import) */
  skipped: number;
  checksum: string;
}

export type TreeLine = {type: 'header'; header: TreeHeader} | {type: 'record'; record: TreeRecord} | {type: 'trailer'; trailer: TreeTrailer};

// ---------------------------------------------------------------- ACLs

const LETTERS: [number, string][] = [
  [4, 'c'],
  [8, 'd'],
  [1, 'r'],
  [2, 'w'],
  [16, 'a'],
];

/** ZooKeeper permission bits → zkCli's letters, in zkCli's order (cdrwa). */
export function permLetters(bits: number): string {
  return LETTERS.filter(([b]) => (bits & b) !== 0)
    .map(([, l]) => l)
    .join('');
}

export function aclToJson(a: Acl): AclJson {
  return {scheme: a.scheme, id: a.id, perms: permLetters(permsToBits(a.perms))};
}

export function aclFromJson(a: AclJson): Acl {
  return {scheme: a.scheme, id: a.id, perms: permsToBits(a.perms)};
}

// ---------------------------------------------------------------- paths

/** `path` relative to `root`: the root itself is "/", "/app/x" under "/app" is "/x". */
export function relativePath(root: string, path: string): string {
  if (root === '/') return path;
  if (path === root) return '/';
  if (!path.startsWith(`${root}/`)) throw new CliError(`${path} is not under ${root}`);
  return path.slice(root.length);
}

/** A relative path (relativePath) placed under another root. */
export function rebasePath(toRoot: string, rel: string): string {
  if (rel === '/') return toRoot;
  return toRoot === '/' ? rel : `${toRoot}${rel}`;
}

// ---------------------------------------------------------------- checksum

const MOD = 1n << 256n;

/** One znode's digest: SHA-256 over its relative path, data and ACL (sorted, perms as bits). */
export function znodeDigest(rel: string, data: Buffer, acl: readonly Acl[]): bigint {
  return znodeDigestBase64(rel, data.toString('base64'), acl);
}

/** znodeDigest with the data already in base64 (export has it for the line). */
export function znodeDigestBase64(rel: string, base64: string, acl: readonly Acl[]): bigint {
  const acls = acl.length === 1 ? [aclKey(acl[0]!)] : acl.map(aclKey).sort();
  // the bytes of JSON.stringify([rel, base64, acls]): base64 needs no escaping, so it is not
  // scanned for escapes; one-shot hash() costs less per znode than a Hash object
  return BigInt(`0x${hash('sha256', `[${JSON.stringify(rel)},"${base64}",${JSON.stringify(acls)}]`, 'hex')}`);
}

const aclKey = (a: Acl) => `${a.scheme}:${a.id}:${permsToBits(a.perms)}`;

/** The order-independent tree checksum: count and sum of znodeDigest modulo 2^256. */
export class TreeChecksum {
  private sum = 0n;
  count = 0;

  add(rel: string, data: Buffer, acl: readonly Acl[]): void {
    this.sum += znodeDigest(rel, data, acl); // reduced modulo 2^256 when read
    this.count++;
  }

  addBase64(rel: string, base64: string, acl: readonly Acl[]): void {
    this.sum += znodeDigestBase64(rel, base64, acl);
    this.count++;
  }

  get hex(): string {
    return (this.sum % MOD).toString(16).padStart(64, '0');
  }
}

// ---------------------------------------------------------------- lines

export function headerLine(h: Omit<TreeHeader, 'format' | 'version'>): string {
  const header: TreeHeader = {format: TREE_FORMAT, version: TREE_VERSION, ...h};
  return `${JSON.stringify(header)}\n`;
}

export function recordLine(r: TreeRecord): string {
  return `${JSON.stringify(r)}\n`;
}

export function trailerLine(t: Omit<TreeTrailer, 'end'>): string {
  return `${JSON.stringify({end: true, ...t})}\n`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One line of an export file, checked; a bad line is an error naming the line. */
export function parseTreeLine(line: string, lineNo: number): TreeLine {
  const bad = (why: string) => new CliError(`line ${lineNo}: ${why}`, {hint: 'the input is not a kubectl zk export file (or it was changed)'});
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw bad('not JSON');
  }
  if (!isObj(v)) throw bad('not a JSON object');
  if ('format' in v) {
    if (v.format !== TREE_FORMAT) throw bad(`format ${JSON.stringify(v.format)}, expected ${JSON.stringify(TREE_FORMAT)}`);
    if (v.version !== TREE_VERSION) throw bad(`format version ${JSON.stringify(v.version)}; this kubectl-zk reads version ${TREE_VERSION}`);
    if (typeof v.root !== 'string' || !isValidPath(v.root)) throw bad('header without a valid root path');
    return {type: 'header', header: v as unknown as TreeHeader};
  }
  if (v.end === true) {
    if (typeof v.znodes !== 'number' || typeof v.checksum !== 'string' || typeof v.skipped !== 'number') throw bad('trailer without znodes, skipped and checksum');
    return {type: 'trailer', trailer: v as unknown as TreeTrailer};
  }
  if (typeof v.path !== 'string' || !isValidPath(v.path)) throw bad('no valid "path"');
  if (typeof v.data !== 'string' || !BASE64.test(v.data)) throw bad(`${v.path}: "data" is not base64`);
  if (!Array.isArray(v.acl) || v.acl.length === 0) throw bad(`${v.path}: "acl" must be a non-empty list`);
  for (const a of v.acl) {
    if (!isObj(a) || typeof a.scheme !== 'string' || typeof a.id !== 'string' || typeof a.perms !== 'string' || !/^[cdrwa]*$/.test(a.perms)) {
      throw bad(`${v.path}: an ACL entry is not {scheme, id, perms}`);
    }
  }
  if (v.kind !== undefined && v.kind !== 'ephemeral' && v.kind !== 'container' && v.kind !== 'ttl') throw bad(`${v.path}: unknown kind ${JSON.stringify(v.kind)}`);
  return {type: 'record', record: v as unknown as TreeRecord};
}
