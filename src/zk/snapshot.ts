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
      const raw = await r.string('a path');
      if (raw === '/') break;
      const data = await r.buffer('znode data');
      const ref = await r.long();
      const czxid = await r.long();
      const mzxid = await r.long();
      const ctime = await r.long();
      const mtime = await r.long();
      const version = await r.int();
      const cversion = await r.int();
      const aversion = await r.int();
      const ephemeralOwner = await r.long();
      const pzxid = await r.long();
      const acl = ref === OPEN_UNSAFE ? [{perms: 31, scheme: 'world', id: 'anyone'}] : acls.get(ref);
      const path = raw === '' ? '/' : raw;
      if (!acl) throw new ZkError('ProtocolError', `snapshot: ${path} names ACL ${ref}, which the ACL cache does not hold`);
      for (const z of [czxid, mzxid, pzxid]) if (z > maxZxid) maxZxid = z;
      nodes++;
      await onNode({path, data, acl, czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, pzxid});
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
