/**
 * Reading a ZooKeeper snapshot file (FileSnap, what the 3.9 AdminServer's
 * `snapshot` command streams) as it arrives: the header (magic "ZKSN",
 * version, dbid), the sessions, the ACL cache, then every znode (path,
 * data, ACL reference, persisted stat) up to the "/" end mark and the
 * Adler-32 seal. Only uncompressed snapshots (ZooKeeper's default) are read.
 * Memory: one znode at a time (and the ACL cache).
 */
import {ZkError} from './errors.js';
import type {Acl} from './client.js';

export const SNAP_MAGIC = 0x5a4b534e; // "ZKSN"

export interface SnapshotHeader {
  version: number;
  dbid: bigint;
  sessions: number;
}

export interface SnapshotNode {
  /** "/" for the root (stored as "") */
  path: string;
  /** a view into the bytes read (copy it to keep it past onNode without holding the chunk) */
  data: Buffer;
  acl: Acl[];
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
}

export interface SnapshotSummary extends SnapshotHeader {
  /** every znode in the file, ZooKeeper's own included */
  nodes: number;
  /** the highest mzxid/czxid/pzxid seen (a lower bound of the snapshot's zxid) */
  maxZxid: bigint;
}

/** ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID */
const OPEN_UNSAFE = -1n;
const MAX_FIELD = 64 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * One znode record at the start of `b` (path, data, ACL reference, persisted
 * stat), or the "/" end mark (node undefined); undefined when `b` does not
 * hold all of it yet. `at`: its offset in the stream, for errors.
 */
function nodeAt(b: Buffer, at: number): {size: number; ref: bigint; node?: Omit<SnapshotNode, 'acl'>} | undefined {
  if (b.length < 4) return undefined;
  const pathLen = b.readInt32BE(0);
  if (pathLen < -1 || pathLen > MAX_FIELD) throw new ZkError('ProtocolError', `not a ZooKeeper snapshot: a path of ${pathLen} bytes at offset ${at}`);
  let o = 4 + Math.max(0, pathLen);
  if (b.length < o + 4) return b.length >= o && pathLen === 1 && b[4] === 0x2f ? {size: o, ref: 0n} : undefined;
  const raw = pathLen <= 0 ? '' : b.toString('utf8', 4, o);
  if (raw === '/') return {size: o, ref: 0n};
  const dataLen = b.readInt32BE(o);
  if (dataLen < -1 || dataLen > MAX_FIELD) throw new ZkError('ProtocolError', `not a ZooKeeper snapshot: znode data of ${dataLen} bytes at offset ${at + o}`);
  o += 4;
  const dataEnd = o + Math.max(0, dataLen);
  // ACL reference, czxid, mzxid, ctime, mtime (longs), version, cversion, aversion (ints), ephemeralOwner, pzxid (longs)
  const end = dataEnd + 8 * 5 + 4 * 3 + 8 * 2;
  if (b.length < end) return undefined;
  // a view into the stream's chunk, not a copy (chunks are never written to after they arrive)
  const data = dataLen <= 0 ? EMPTY : b.subarray(o, dataEnd);
  o = dataEnd;
  const long = () => {
    const v = b.readBigInt64BE(o);
    o += 8;
    return v;
  };
  const int = () => {
    const v = b.readInt32BE(o);
    o += 4;
    return v;
  };
  const ref = long();
  const czxid = long();
  const mzxid = long();
  const ctime = long();
  const mtime = long();
  const version = int();
  const cversion = int();
  const aversion = int();
  const ephemeralOwner = long();
  const pzxid = long();
  return {size: end, ref, node: {path: raw === '' ? '/' : raw, data, czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, pzxid}};
}

/** The first bytes are a ZooKeeper snapshot's (also used to refuse a wrong file before anything else). */
export function hasSnapshotMagic(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === SNAP_MAGIC;
}

const truncated = (received: number) => new ZkError('ProtocolError', `the snapshot ends early (after ${received} bytes): truncated`);
const notSnapshot = (why: string) => new ZkError('ProtocolError', `not a ZooKeeper snapshot: ${why}`);

/** A jute buffer (int length, -1 for null, then the bytes) at `o` of `b`: its end, or undefined when `b` ends first. */
function bufferEnd(b: Buffer, o: number, what: string, at: number): number | undefined {
  if (b.length < o + 4) return undefined;
  const n = b.readInt32BE(o);
  if (n < -1 || n > MAX_FIELD) throw notSnapshot(`${what} of ${n} bytes at offset ${at + o}`);
  const end = o + 4 + Math.max(0, n);
  return b.length < end ? undefined : end;
}

/** One entry of the ACL cache at the start of `b` (id, then its list), or undefined when `b` does not hold all of it. */
function aclEntryAt(b: Buffer, at: number): {size: number; id: bigint; list: Acl[]} | undefined {
  if (b.length < 12) return undefined;
  const id = b.readBigInt64BE(0);
  const n = b.readInt32BE(8);
  if (n < -1 || n > MAX_FIELD) throw notSnapshot(`an ACL list of ${n} entries at offset ${at + 8}`);
  const list: Acl[] = [];
  let o = 12;
  for (let i = 0; i < n; i++) {
    if (b.length < o + 4) return undefined;
    const perms = b.readInt32BE(o);
    const schemeEnd = bufferEnd(b, o + 4, 'an ACL scheme', at);
    if (schemeEnd === undefined) return undefined;
    const idEnd = bufferEnd(b, schemeEnd, 'an ACL id', at);
    if (idEnd === undefined) return undefined;
    list.push({perms, scheme: b.toString('utf8', o + 8, schemeEnd), id: b.toString('utf8', schemeEnd + 4, idEnd)});
    o = idEnd;
  }
  return {size: o, id, list};
}

type Stage = 'magic' | 'header' | 'sessions' | 'acl-count' | 'acls' | 'nodes' | 'seal' | 'rest';

/**
 * A snapshot read synchronously as its bytes arrive: push() hands every whole
 * znode to `onNode` at once and throws (ZkError ProtocolError) as soon as the
 * bytes are not an uncompressed ZooKeeper snapshot; end() throws when the
 * stream stopped before the seal. Bytes after the seal (the digest and
 * last-processed-zxid sections of newer servers) are read and dropped.
 */
export class SnapshotScanner {
  private buf: Buffer = EMPTY;
  private off = 0;
  /** bytes of the stream before buf[off] */
  private at = 0;
  private received = 0;
  private stage: Stage = 'magic';
  /** sessions or ACL cache entries still to read */
  private left = 0;
  private version = 0;
  private dbid = 0n;
  private sessions = 0;
  private readonly acls = new Map<bigint, Acl[]>();
  private nodes = 0;
  private maxZxid = 0n;

  constructor(private readonly onNode: (n: SnapshotNode) => void) {}

  push(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.stage === 'rest') return;
    this.buf = this.off >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.off), chunk]);
    this.off = 0;
    while (this.step());
  }

  /** The summary of a whole snapshot; throws when it was not whole. */
  end(): SnapshotSummary {
    if (this.stage === 'magic') this.magic(true);
    if (this.stage !== 'rest') throw truncated(this.received);
    return {version: this.version, dbid: this.dbid, sessions: this.sessions, nodes: this.nodes, maxZxid: this.maxZxid};
  }

  private take(n: number): number | undefined {
    if (this.buf.length - this.off < n) return undefined;
    const o = this.off;
    this.off += n;
    this.at += n;
    return o;
  }

  private magic(ended: boolean): boolean {
    const b = this.buf.subarray(this.off);
    if (!ended && b.length < 4 && (b.length < 2 || b[0] !== 0x1f || b[1] !== 0x8b)) return false;
    if (!hasSnapshotMagic(b)) {
      const gz = b[0] === 0x1f && b[1] === 0x8b;
      throw new ZkError(
        'ProtocolError',
        gz ? 'a gzip-compressed snapshot (zookeeper.snapshot.compression.method): only uncompressed snapshots are read' : 'not a ZooKeeper snapshot (no ZKSN magic at the start)',
      );
    }
    this.take(4);
    this.stage = 'header';
    return true;
  }

  /** One step of the reading; false when it needs more bytes. */
  private step(): boolean {
    const b = this.buf;
    switch (this.stage) {
      case 'magic':
        return this.magic(false);
      case 'header': {
        const o = this.take(16);
        if (o === undefined) return false;
        this.version = b.readInt32BE(o);
        this.dbid = b.readBigInt64BE(o + 4);
        this.sessions = this.left = b.readInt32BE(o + 12);
        if (this.sessions < 0) throw notSnapshot(`${this.sessions} sessions`);
        this.stage = 'sessions';
        return true;
      }
      case 'sessions': {
        // id long, timeout int
        const n = Math.min(this.left, Math.floor((b.length - this.off) / 12));
        if (n === 0 && this.left > 0) return false;
        this.take(n * 12);
        this.left -= n;
        if (this.left === 0) this.stage = 'acl-count';
        return true;
      }
      case 'acl-count': {
        const o = this.take(4);
        if (o === undefined) return false;
        this.left = b.readInt32BE(o);
        if (this.left < 0) throw notSnapshot(`${this.left} ACL cache entries`);
        this.stage = this.left === 0 ? 'nodes' : 'acls';
        return true;
      }
      case 'acls': {
        const e = aclEntryAt(b.subarray(this.off), this.at);
        if (e === undefined) return false;
        this.take(e.size);
        this.acls.set(e.id, e.list);
        if (--this.left === 0) this.stage = 'nodes';
        return true;
      }
      case 'nodes':
        return this.nodesInBuffer();
      case 'seal': {
        // Adler-32 of everything before (long), then the string "/"
        const end = bufferEnd(b, this.off + 8, 'the seal', this.at - this.off);
        if (end === undefined) return false;
        if (b.toString('utf8', this.off + 12, end) !== '/') throw new ZkError('ProtocolError', 'snapshot: no seal after the last znode');
        this.take(end - this.off);
        this.stage = 'rest';
        this.buf = EMPTY;
        this.off = 0;
        return false;
      }
      case 'rest':
        return false;
    }
  }

  /** Every whole znode record buffered; true when the end mark was reached. */
  private nodesInBuffer(): boolean {
    for (;;) {
      const rec = nodeAt(this.buf.subarray(this.off), this.at);
      if (rec === undefined) return false;
      this.take(rec.size);
      if (rec.node === undefined) {
        this.stage = 'seal';
        return true;
      }
      const n = rec.node;
      const acl = rec.ref === OPEN_UNSAFE ? [{perms: 31, scheme: 'world', id: 'anyone'}] : this.acls.get(rec.ref);
      if (!acl) throw new ZkError('ProtocolError', `snapshot: ${n.path} names ACL ${rec.ref}, which the ACL cache does not hold`);
      if (n.czxid > this.maxZxid) this.maxZxid = n.czxid;
      if (n.mzxid > this.maxZxid) this.maxZxid = n.mzxid;
      if (n.pzxid > this.maxZxid) this.maxZxid = n.pzxid;
      this.nodes++;
      this.onNode({...n, acl});
    }
  }
}

/**
 * Reads a whole snapshot from a stream (SnapshotScanner) and hands each znode
 * to `onNode`, awaiting it when it returns a promise. Fails (ZkError
 * ProtocolError) on a file that is not an uncompressed ZooKeeper snapshot or
 * is cut short.
 */
export async function readSnapshot(chunks: AsyncIterable<Buffer | string>, onNode: (n: SnapshotNode) => void | Promise<void>): Promise<SnapshotSummary> {
  const it = chunks[Symbol.asyncIterator]();
  // the znodes of one chunk, handed out before the next chunk is read
  const whole: SnapshotNode[] = [];
  const scan = new SnapshotScanner((n) => void whole.push(n));
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) return scan.end();
      scan.push(typeof next.value === 'string' ? Buffer.from(next.value) : next.value);
      for (let i = 0; i < whole.length; i++) {
        const done = onNode(whole[i]!);
        if (done) await done;
      }
      whole.length = 0;
    }
  } finally {
    await it.return?.();
  }
}
