/**
 * A read-only session for whole-tree walks (export, checksums) over the
 * project's own wire client (wire.ts) instead of node-zookeeper-client: the
 * walk keeps hundreds of znodes in flight on one connection, and this client
 * sends a tick's requests in one write and decodes the answers without
 * per-request callbacks through a library's queue. One connection, no
 * reconnects: a dropped connection fails the walk with ConnectionLoss (a walk
 * is re-run, not resumed).
 *
 * The getData and getChildren calls of a tick go out as one multiRead request
 * (up to BATCH_OPS reads, about BATCH_BYTES of answer by the callers' size
 * hints): the server's cost is per request, not per read (each request is a
 * selector round trip between its threads, a pass through its request
 * pipeline and a dozen metric updates), and with one getData and one getACL
 * per znode that cost, not the network, set the pace of an export
 * (docs/benchmarks.md). getACL has no multi form: one request per znode,
 * spread over a few sessions on the same member, because a member reads a
 * connection's requests one at a time (one request per selector round).
 */
import {fromJuteStat, type Acl, type ZnodeStat} from './client.js';
import type {Endpoint} from './endpoint.js';
import {ZkError} from './errors.js';
import type {ReadOp, ReadResult} from './jute.js';
import {NativeSession, type AuthInfo} from './wire.js';

/** Reads in one multiRead, at most. */
export const BATCH_OPS = 128;
/** A batch is sent once its answers are expected to reach this many bytes (by the size hints). */
export const BATCH_BYTES = 512 * 1024;
/** What an answer costs besides the data (header, stat, the path's share): for the byte budget. */
const OP_OVERHEAD = 128;

/** What walkTree needs (the same shapes as ZkClient's get, getAcl, ls), plus close. */
export interface TreeReader {
  readonly sessionId: string | undefined;
  /**
   * True when get and ls calls made in the same tick are answered by one
   * request: the walk then reads a znode's ACL (and stat) first and passes
   * the sizes as hints, so that a batch's answer stays bounded.
   */
  readonly batched?: boolean;
  /** `sizeHint`: the data's expected length (the stat's dataLength) */
  get(path: string, sizeHint?: number): Promise<{data: Buffer; stat: ZnodeStat}>;
  getAcl(path: string): Promise<{acl: Acl[]; stat: ZnodeStat}>;
  /** sorted, as ZkClient.ls; `sizeHint`: the expected number of children */
  ls(path: string, sizeHint?: number): Promise<string[]>;
  close(): Promise<void>;
}

export interface TreeReaderOptions {
  endpoints: readonly Endpoint[];
  auth?: readonly AuthInfo[];
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Each request's limit. Default 30000 ms. */
  requestTimeoutMs?: number;
  /**
   * Sessions the reads are spread over, all on the member the first one
   * reached (default READER_SESSIONS). A member serves a connection's
   * requests one at a time, so one connection is held to its request rate.
   */
  sessions?: number;
}

/** See TreeReaderOptions.sessions (what 1 vs 4 gives: docs/benchmarks.md). */
export const READER_SESSIONS = 4;

interface Queued {
  op: ReadOp;
  resolve: (r: ReadResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects reads and sends them as multiRead requests: when BATCH_OPS or
 * BATCH_BYTES is reached, else at the end of the tick. A batch of one is a
 * plain request. A server that refuses multiRead as a whole (older than 3.6)
 * gets single requests from then on.
 */
export class ReadBatcher {
  private queue: Queued[] = [];
  private bytes = 0;
  private scheduled = false;
  private multi = true;

  private next = 0;

  /** `sessions`: batches take turns among them */
  constructor(private readonly sessions: readonly Pick<NativeSession, 'getData' | 'getChildren' | 'multiRead'>[]) {}

  private get s(): Pick<NativeSession, 'getData' | 'getChildren' | 'multiRead'> {
    return this.sessions[this.next++ % this.sessions.length]!;
  }

  read(op: ReadOp, expectBytes: number): Promise<ReadResult> {
    return new Promise<ReadResult>((resolve, reject) => {
      this.queue.push({op, resolve, reject});
      this.bytes += expectBytes + OP_OVERHEAD;
      if (this.queue.length >= BATCH_OPS || this.bytes >= BATCH_BYTES) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.bytes = 0;
    if (batch.length === 1 || !this.multi) {
      for (const q of batch) this.single(q);
      return;
    }
    this.s.multiRead(batch.map((q) => q.op)).then(
      (results) => {
        if (results.length !== batch.length) {
          const e = new ZkError('ProtocolError', `multiRead: ${results.length} answers to ${batch.length} reads`);
          for (const q of batch) q.reject(e);
          return;
        }
        batch.forEach((q, i) => q.resolve(results[i]!));
      },
      (e: unknown) => {
        // a server without multiRead refuses the request as a whole (an error for each read is an answer)
        if (e instanceof ZkError && (e.code === 'Unimplemented' || e.code === 'MarshallingError')) {
          this.multi = false;
          for (const q of batch) this.single(q);
          return;
        }
        for (const q of batch) q.reject(e);
      },
    );
  }

  private single(q: Queued): void {
    const s = this.s;
    const p: Promise<ReadResult> =
      q.op.type === 'getData' ? s.getData(q.op.path).then((r) => ({type: 'getData', ...r})) : s.getChildren(q.op.path).then((children) => ({type: 'getChildren', children}));
    p.then(q.resolve, q.reject);
  }
}

class NativeTreeReader implements TreeReader {
  readonly batched = true;
  private readonly batcher: ReadBatcher;
  private next = 0;
  private rotating = false;

  /** `s`: sessions on one member, the first one's id is the reader's */
  constructor(private readonly s: readonly NativeSession[]) {
    this.batcher = new ReadBatcher(s);
  }

  get sessionId(): string {
    return this.s.map((x) => x.sessionIdHex).join(',');
  }

  async get(path: string, sizeHint = 1024): Promise<{data: Buffer; stat: ZnodeStat}> {
    const r = answer(await this.batcher.read({type: 'getData', path}, sizeHint), 'getData', path);
    return {data: r.data, stat: fromJuteStat(r.stat)};
  }

  async getAcl(path: string): Promise<{acl: Acl[]; stat: ZnodeStat}> {
    const {acl, stat} = await this.session().getAcl(path);
    return {acl, stat: fromJuteStat(stat)};
  }

  /**
   * The session this tick's requests go on; the next tick takes the next one. A tick's requests
   * leave in one write (wire.ts), and each write through a port-forward is a WebSocket message and
   * a TLS record: spread one by one over the sessions they cost four times as many.
   */
  private session(): NativeSession {
    if (!this.rotating) {
      this.rotating = true;
      process.nextTick(() => {
        this.rotating = false;
        this.next++;
      });
    }
    return this.s[this.next % this.s.length]!;
  }

  async ls(path: string, sizeHint = 16): Promise<string[]> {
    // a child's name: ~20 bytes on the wire; the budget counts it at 32
    return answer(await this.batcher.read({type: 'getChildren', path}, sizeHint * 32), 'getChildren', path).children.sort();
  }

  async close(): Promise<void> {
    await Promise.all(this.s.map((x) => x.close()));
  }
}

/** One read's answer from a batch, or its error as the single request would have thrown it. */
function answer<T extends ReadOp['type']>(r: ReadResult, type: T, path: string): Extract<ReadResult, {type: T}> {
  if (r.type === 'error') throw ZkError.fromServerCode(r.err, path);
  if (r.type !== type) throw new ZkError('ProtocolError', `multiRead: a ${r.type} answer to ${type} ${path}`);
  return r as Extract<ReadResult, {type: T}>;
}

/**
 * Opens a session on the first endpoint that answers (in the given order),
 * then the other sessions on that same endpoint (one member: every session
 * reads the same tree). An extra session that fails is done without.
 */
export async function openTreeReader(o: TreeReaderOptions): Promise<TreeReader> {
  const opts = {auth: o.auth, sessionTimeoutMs: o.sessionTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs ?? 30_000};
  const first = await NativeSession.connect(o.endpoints, opts);
  const extra = await Promise.all(Array.from({length: Math.max(1, o.sessions ?? READER_SESSIONS) - 1}, () => NativeSession.connect([first.endpoint], opts).catch(() => undefined)));
  return new NativeTreeReader([first, ...extra.filter((s): s is NativeSession => s !== undefined)]);
}
