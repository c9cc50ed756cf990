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

/** Pulls exact byte counts out of a stream of chunks. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  consumed = 0;

  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  private async fill(n: number): Promise<void> {
    while (this.buf.length - this.off < n) {
      const next = await this.it.next();
      if (next.done) throw new ZkError('ProtocolError', `the snapshot ends early (after ${this.consumed + this.buf.length - this.off} bytes): truncated`);
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      this.buf = this.off === this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.off), chunk]);
      this.off = 0;
    }
  }

  async bytes(n: number): Promise<Buffer> {
    await this.fill(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    this.consumed += n;
    return b;
  }

  async int(): Promise<number> {
    return (await this.bytes(4)).readInt32BE(0);
  }

  async long(): Promise<bigint> {
    return (await this.bytes(8)).readBigInt64BE(0);
  }

  /** jute buffer/string: int length (-1: null) and the bytes */
  async buffer(what: string): Promise<Buffer> {
    const n = await this.int();
    if (n === -1) return Buffer.alloc(0);
    if (n < 0 || n > MAX_FIELD) throw new ZkError('ProtocolError', `not a ZooKeeper snapshot: ${what} of ${n} bytes at offset ${this.consumed - 4}`);
    return Buffer.from(await this.bytes(n));
  }

  async string(what: string): Promise<string> {
    return (await this.buffer(what)).toString('utf8');
  }

  /** The bytes buffered and not yet read (a view; read them synchronously, then advance). */
  peek(): Buffer {
    return this.buf.subarray(this.off);
  }

  advance(n: number): void {
    this.off += n;
    this.consumed += n;
  }

  /** Buffers at least one more byte than now (false: the stream ended). */
  async more(): Promise<boolean> {
    const have = this.buf.length - this.off;
    try {
      await this.fill(have + 1);
      return true;
    } catch {
      return false;
    }
  }

  /** Reads and drops the rest of the stream. */
  async skipRest(): Promise<void> {
    this.consumed += this.buf.length - this.off;
    this.buf = Buffer.alloc(0);
    this.off = 0;
    for (;;) {
      const next = await this.it.next();
      if (next.done) return;
      this.consumed += next.value.length;
    }
  }
}

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

/**
 * Reads a whole snapshot and hands each znode to `onNode`. Fails
 * (ZkError ProtocolError) on a file that is not an uncompressed ZooKeeper
 * snapshot or is cut short. Bytes after the seal (the digest and
 * last-processed-zxid sections of newer servers) are skipped.
 */
export async function readSnapshot(chunks: AsyncIterable<Buffer | string>, onNode: (n: SnapshotNode) => void | Promise<void>): Promise<SnapshotSummary> {
  const it = chunks[Symbol.asyncIterator]();
  const r = new ChunkReader(it);
  try {
    const head = await r.bytes(4).catch(() => Buffer.alloc(0));
    if (!hasSnapshotMagic(head)) {
      const gz = head[0] === 0x1f && head[1] === 0x8b;
      throw new ZkError(
        'ProtocolError',
        gz ? 'a gzip-compressed snapshot (zookeeper.snapshot.compression.method): only uncompressed snapshots are read' : 'not a ZooKeeper snapshot (no ZKSN magic at the start)',
      );
    }
    const version = await r.int();
    const dbid = await r.long();
    const sessions = await r.int();
    if (sessions < 0) throw new ZkError('ProtocolError', `not a ZooKeeper snapshot: ${sessions} sessions`);
    for (let i = 0; i < sessions; i++) await r.bytes(12); // id long, timeout int
    const aclEntries = await r.int();
    if (aclEntries < 0) throw new ZkError('ProtocolError', `not a ZooKeeper snapshot: ${aclEntries} ACL cache entries`);
    const acls = new Map<bigint, Acl[]>();
    for (let i = 0; i < aclEntries; i++) {
      const id = await r.long();
      const n = await r.int();
      const list: Acl[] = [];
      for (let j = 0; j < n; j++) {
        const perms = await r.int();
        const scheme = await r.string('an ACL scheme');
        const aid = await r.string('an ACL id');
        list.push({perms, scheme, id: aid});
      }
      acls.set(id, list);
    }
    let nodes = 0;
    let maxZxid = 0n;
    for (;;) {
      // whole records straight from the buffered bytes; a wait only when one spans the next chunk
      const rec = nodeAt(r.peek(), r.consumed);
      if (rec === undefined) {
        if (!(await r.more())) throw new ZkError('ProtocolError', `the snapshot ends early (after ${r.consumed + r.peek().length} bytes): truncated`);
        continue;
      }
      r.advance(rec.size);
      if (rec.node === undefined) break;
      const n = rec.node;
      const acl = rec.ref === OPEN_UNSAFE ? [{perms: 31, scheme: 'world', id: 'anyone'}] : acls.get(rec.ref);
      if (!acl) throw new ZkError('ProtocolError', `snapshot: ${n.path} names ACL ${rec.ref}, which the ACL cache does not hold`);
      for (const z of [n.czxid, n.mzxid, n.pzxid]) if (z > maxZxid) maxZxid = z;
      nodes++;
      const done = onNode({...n, acl});
      if (done) await done;
    }
    await r.long(); // Adler-32 of everything before
    if ((await r.string('the seal')) !== '/') throw new ZkError('ProtocolError', 'snapshot: no seal after the last znode');
    // drain what follows (digest, last processed zxid) so that a stream is read to its end
    await r.skipRest();
    return {version, dbid, sessions, nodes, maxZxid};
  } finally {
    await it.return?.();
  }
}
