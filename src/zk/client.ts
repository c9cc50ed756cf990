/**
 * The project's ZooKeeper client interface, and its implementation over
 * node-zookeeper-client (unmaintained; kept behind ZkClient so it can be
 * replaced). Every failure is a ZkError.
 */
import {EventEmitter} from 'node:events';
import {createRequire} from 'node:module';
import {ZkError, isZkError} from './errors.js';
import {connectString, type Endpoint} from './endpoint.js';
import {ancestors, joinPath, validatePath} from './paths.js';
import {parseDynamicConfig} from './parse.js';
import {CONFIG_NODE, type ConfigSnapshot} from './reconfig.js';
import type {Stat as JuteStat} from './jute.js';
import type {AuthInfo} from './wire.js';
import {cutSocket, type LibConnectionManager, onCloseSessionReply, watchReads} from './nzc-internals.js';

export type {LibConnectionManager};

// ---------------------------------------------------------------- public types

export interface ZnodeStat {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  /** ms since epoch */
  ctime: number;
  /** ms since epoch */
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** Session id of the owner for ephemeral nodes, 0n otherwise. */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

export interface Acl {
  /** Bit mask (READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16) or letters "cdrwa". */
  perms: number | string;
  scheme: string;
  id: string;
}

export const OPEN_ACL_UNSAFE: readonly Acl[] = Object.freeze([{perms: 31, scheme: 'world', id: 'anyone'}]);

export interface CreateOptions {
  ephemeral?: boolean;
  sequential?: boolean;
  /** Create missing ancestors (persistent, empty). */
  parents?: boolean;
  acl?: readonly Acl[];
}

export type ConnectionState = 'connecting' | 'connected' | 'connectedReadOnly' | 'disconnected' | 'expired' | 'authFailed' | 'closed';

export interface ZkClientOptions {
  endpoints: readonly Endpoint[];
  /** Requested session timeout. Default 10000 ms. */
  sessionTimeoutMs?: number;
  /** How long connect() waits for the first session. Default 15000 ms. */
  connectTimeoutMs?: number;
  /** Each operation's limit, including time queued while disconnected. Default 30000 ms. */
  operationTimeoutMs?: number;
  /** `addauth` credentials sent on connect (e.g. digest "super:secret"). */
  auth?: readonly AuthInfo[];
  /** Delay between full rounds of connection attempts. Default 1000 ms. */
  spinDelayMs?: number;
  /** Aborting (Ctrl-C) stops connecting at once: the client is closed and connectZk rejects. */
  signal?: AbortSignal;
  /** Debug lines (--verbose): a silent connection cut by the read timeout. */
  log?: (line: string) => void;
}

export interface ZkClient {
  /** "0x…" once connected; may change after an expiry. */
  readonly sessionId: string | undefined;
  readonly state: ConnectionState;
  /** Subscribe to connection state changes; returns the unsubscribe function. */
  onState(listener: (state: ConnectionState) => void): () => void;
  get(path: string): Promise<{data: Buffer; stat: ZnodeStat}>;
  /** Resolves with the created path (with the sequence suffix when sequential). */
  create(path: string, data?: Buffer | string, opts?: CreateOptions): Promise<string>;
  /** version -1 (default) means any. */
  set(path: string, data: Buffer | string, version?: number): Promise<ZnodeStat>;
  /** Child names, sorted. */
  ls(path: string): Promise<string[]>;
  /** The path and every descendant as full paths, parents before children (zkCli ls -R order). */
  lsRecursive(path: string): Promise<string[]>;
  stat(path: string): Promise<ZnodeStat>;
  exists(path: string): Promise<ZnodeStat | null>;
  delete(path: string, version?: number): Promise<void>;
  /** Delete the subtree, leaves first. */
  deleteRecursive(path: string): Promise<void>;
  /** The znode's ACL (perms as bits) and its stat (aversion: the ACL's version). */
  getAcl(path: string): Promise<{acl: Acl[]; stat: ZnodeStat}>;
  /** Replace the znode's ACL (needs ADMIN on it); version -1 (default) means any. */
  setAcl(path: string, acl: readonly Acl[], version?: number): Promise<ZnodeStat>;
  /** /zookeeper/config, parsed. */
  getConfig(): Promise<ConfigSnapshot>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- the library's shape (only what we use)
// Written here rather than taken from @types/node-zookeeper-client (1.1.0), which declares an
// ACL's bits as `perms` (the library sets `permission`) and refuses null data where the library
// takes it; test/unit/dependencies.test.ts checks both against the installed library.

type Cb<T> = (error: unknown, result?: T) => void;
interface LibStat {
  czxid: Buffer;
  mzxid: Buffer;
  ctime: Buffer;
  mtime: Buffer;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: Buffer;
  dataLength: number;
  numChildren: number;
  pzxid: Buffer;
}
interface LibState {
  name: string;
  code: number;
}
interface LibAcl {
  permission: number;
  id: {scheme: string; id: string};
}
interface LibClient {
  connect(): void;
  close(): void;
  getState(): LibState;
  getSessionId(): Buffer;
  addAuthInfo(scheme: string, auth: Buffer): void;
  on(ev: 'state', cb: (s: LibState) => void): void;
  create(path: string, data: Buffer | null, acls: unknown[], mode: number, cb: Cb<string>): void;
  remove(path: string, version: number, cb: Cb<void>): void;
  setData(path: string, data: Buffer | null, version: number, cb: Cb<LibStat>): void;
  getData(path: string, cb: (error: unknown, data?: Buffer | null, stat?: LibStat) => void): void;
  exists(path: string, cb: Cb<LibStat | null>): void;
  getChildren(path: string, cb: (error: unknown, children?: string[], stat?: LibStat) => void): void;
  getACL(path: string, cb: (error: unknown, acls?: LibAcl[], stat?: LibStat) => void): void;
  setACL(path: string, acls: unknown[], version: number, cb: Cb<LibStat>): void;
  connectionManager?: LibConnectionManager;
}

interface LibModule {
  createClient(connectionString: string, options: {sessionTimeout: number; spinDelay: number; retries: number}): LibClient;
  ACL: new (perms: number, id: unknown) => unknown;
  Id: new (scheme: string, id: string) => unknown;
  Exception: new (...args: unknown[]) => {code: number; path?: string};
  CreateMode: {PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number};
}

function loadLib(): LibModule {
  return createRequire(import.meta.url)('node-zookeeper-client') as LibModule;
}

// ---------------------------------------------------------------- conversions

function long(b: Buffer | undefined): bigint {
  return b && b.length === 8 ? b.readBigInt64BE(0) : 0n;
}

function fromLibStat(s: LibStat): ZnodeStat {
  return {
    czxid: long(s.czxid),
    mzxid: long(s.mzxid),
    pzxid: long(s.pzxid),
    ctime: Number(long(s.ctime)),
    mtime: Number(long(s.mtime)),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: long(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

/** Convert a wire-level Stat (wire.ts/jute.ts) to ZnodeStat. */
export function fromJuteStat(s: JuteStat): ZnodeStat {
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    pzxid: s.pzxid,
    ctime: Number(s.ctime),
    mtime: Number(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: s.ephemeralOwner,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

function toLibStat(s: ZnodeStat): JuteStat {
  return {...s, ctime: BigInt(s.ctime), mtime: BigInt(s.mtime)};
}

/** "cdrwa" letters or a number → ZooKeeper permission bits. */
export function permsToBits(p: number | string): number {
  if (typeof p === 'number') return p;
  const bits: Record<string, number> = {r: 1, w: 2, c: 4, d: 8, a: 16};
  let n = 0;
  for (const ch of p.toLowerCase()) {
    const b = bits[ch];
    if (b === undefined) throw new ZkError('BadArguments', `unknown permission letter ${JSON.stringify(ch)} in ${JSON.stringify(p)}`);
    n |= b;
  }
  return n;
}

function toBuffer(d: Buffer | string | undefined): Buffer | null {
  if (d === undefined) return null;
  return typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
}

/** Map anything the library throws or passes to a callback into a ZkError. */
export function wrapLibError(e: unknown, path?: string): ZkError {
  if (e instanceof ZkError) return e;
  const o = e as {code?: unknown; path?: unknown; message?: unknown; name?: unknown} | null;
  if (o && typeof o.code === 'number') {
    return ZkError.fromServerCode(o.code, path ?? (typeof o.path === 'string' ? o.path : undefined));
  }
  const msg = o && typeof o.message === 'string' ? o.message : String(e);
  if (o && o.name === 'AssertionError') return new ZkError('BadArguments', msg, {path, cause: e});
  return new ZkError('Unknown', msg, {path, cause: e});
}

function mapState(s: LibState): ConnectionState | undefined {
  switch (s.name) {
    case 'SYNC_CONNECTED':
      return 'connected';
    case 'CONNECTED_READ_ONLY':
      return 'connectedReadOnly';
    case 'DISCONNECTED':
      return 'disconnected';
    case 'EXPIRED':
      return 'expired';
    case 'AUTH_FAILED':
      return 'authFailed';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- implementation

class NzcClient implements ZkClient {
  private current: ConnectionState = 'connecting';
  private readonly events = new EventEmitter<{state: [ConnectionState]}>();

  private readonly stopWatch: () => void;

  constructor(
    private readonly lib: LibModule,
    private readonly c: LibClient,
    private readonly opTimeoutMs: number,
    log?: (line: string) => void,
  ) {
    this.stopWatch = c.connectionManager
      ? watchReads(c.connectionManager, {
          onCut: (silent, limit) =>
            log?.(`zookeeper: nothing received for ${Math.round(silent)} ms (read timeout ${Math.round(limit)} ms): dropping the connection, the session moves to another server`),
        })
      : () => undefined;
    c.on('state', (s) => {
      const mapped = mapState(s);
      if (mapped && this.current !== 'closed') this.setState(mapped);
      if (mapped === 'expired' || mapped === 'authFailed') this.stopWatch();
    });
  }

  private setState(s: ConnectionState): void {
    if (this.current === s) return;
    this.current = s;
    this.events.emit('state', s);
  }

  get state(): ConnectionState {
    return this.current;
  }

  get sessionId(): string | undefined {
    if (this.current === 'connecting') return undefined;
    const b = this.c.getSessionId();
    return b && b.length === 8 ? '0x' + b.readBigUInt64BE(0).toString(16) : undefined;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.events.on('state', listener);
    return () => this.events.off('state', listener);
  }

  /** Run one library call with our timeout and error mapping. */
  private call<T>(path: string | undefined, fn: (done: (err: unknown, v?: T) => void) => void): Promise<T> {
    if (this.current === 'closed') return Promise.reject(ZkError.of('Closed', path));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new ZkError('Timeout', `Timed out after ${this.opTimeoutMs} ms${path ? `: ${path}` : ''}`, {path}));
      }, this.opTimeoutMs);
      try {
        fn((err, v) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(wrapLibError(err, path));
          else resolve(v as T);
        });
      } catch (e) {
        settled = true;
        clearTimeout(timer);
        reject(wrapLibError(e, path));
      }
    });
  }

  async get(path: string): Promise<{data: Buffer; stat: ZnodeStat}> {
    validatePath(path);
    const [data, stat] = await this.call<[Buffer | null | undefined, LibStat]>(path, (done) => this.c.getData(path, (err, data, stat) => done(err, [data, stat as LibStat])));
    return {data: data ?? Buffer.alloc(0), stat: fromLibStat(stat)};
  }

  async create(path: string, data?: Buffer | string, opts: CreateOptions = {}): Promise<string> {
    validatePath(path, {sequential: opts.sequential ?? false});
    const acls = (opts.acl ?? OPEN_ACL_UNSAFE).map((a) => new this.lib.ACL(permsToBits(a.perms), new this.lib.Id(a.scheme, a.id)));
    if (acls.length === 0) throw new ZkError('InvalidACL', 'Invalid ACL: empty list', {path});
    if (opts.parents) {
      for (const p of ancestors(path)) {
        try {
          await this.call<string>(p, (done) => this.c.create(p, null, acls, this.lib.CreateMode.PERSISTENT, done));
        } catch (e) {
          if (!isZkError(e, 'NodeExists')) throw e;
        }
      }
    }
    const M = this.lib.CreateMode;
    const mode = opts.ephemeral ? (opts.sequential ? M.EPHEMERAL_SEQUENTIAL : M.EPHEMERAL) : opts.sequential ? M.PERSISTENT_SEQUENTIAL : M.PERSISTENT;
    return this.call<string>(path, (done) => this.c.create(path, toBuffer(data), acls, mode, done));
  }

  async set(path: string, data: Buffer | string, version = -1): Promise<ZnodeStat> {
    validatePath(path);
    const stat = await this.call<LibStat>(path, (done) => this.c.setData(path, toBuffer(data), version, done));
    return fromLibStat(stat);
  }

  async ls(path: string): Promise<string[]> {
    validatePath(path);
    const children = await this.call<string[]>(path, (done) => this.c.getChildren(path, (err, ch) => done(err, ch)));
    return [...children].sort();
  }

  async lsRecursive(path: string): Promise<string[]> {
    validatePath(path);
    const out: string[] = [];
    const queue = [path];
    while (queue.length > 0) {
      const p = queue.shift() as string;
      let children: string[];
      try {
        children = await this.ls(p);
      } catch (e) {
        if (isZkError(e, 'NoNode') && p !== path) continue; // deleted meanwhile
        throw e;
      }
      out.push(p);
      for (const ch of children) queue.push(joinPath(p, ch));
    }
    return out;
  }

  async stat(path: string): Promise<ZnodeStat> {
    const s = await this.exists(path);
    if (s === null) throw ZkError.of('NoNode', path);
    return s;
  }

  async exists(path: string): Promise<ZnodeStat | null> {
    validatePath(path);
    const s = await this.call<LibStat | null>(path, (done) => this.c.exists(path, done));
    return s ? fromLibStat(s) : null;
  }

  async delete(path: string, version = -1): Promise<void> {
    validatePath(path);
    if (path === '/') throw new ZkError('BadArguments', 'Cannot delete the root node: /', {path});
    await this.call<void>(path, (done) => this.c.remove(path, version, done));
  }

  async deleteRecursive(path: string): Promise<void> {
    const all = await this.lsRecursive(path);
    for (const p of all.reverse()) {
      if (p === '/' || p === '/zookeeper' || p.startsWith('/zookeeper/')) continue; // system nodes
      try {
        await this.delete(p);
      } catch (e) {
        if (!isZkError(e, 'NoNode')) throw e;
      }
    }
  }

  async getAcl(path: string): Promise<{acl: Acl[]; stat: ZnodeStat}> {
    validatePath(path);
    const [acls, stat] = await this.call<[LibAcl[] | undefined, LibStat]>(path, (done) => this.c.getACL(path, (err, acls, stat) => done(err, [acls, stat as LibStat])));
    return {acl: (acls ?? []).map((a) => ({perms: a.permission, scheme: a.id.scheme, id: a.id.id})), stat: fromLibStat(stat)};
  }

  async setAcl(path: string, acl: readonly Acl[], version = -1): Promise<ZnodeStat> {
    validatePath(path);
    if (acl.length === 0) throw new ZkError('InvalidACL', 'Invalid ACL: empty list', {path});
    const acls = acl.map((a) => new this.lib.ACL(permsToBits(a.perms), new this.lib.Id(a.scheme, a.id)));
    const stat = await this.call<LibStat>(path, (done) => this.c.setACL(path, acls, version, done));
    return fromLibStat(stat);
  }

  async getConfig(): Promise<ConfigSnapshot> {
    const {data, stat} = await this.get(CONFIG_NODE);
    const raw = data.toString('utf8');
    const config = parseDynamicConfig(raw);
    return {raw, config, version: config.version, stat: toLibStat(stat)};
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    const wasConnected = this.current === 'connected' || this.current === 'connectedReadOnly';
    this.setState('closed');
    this.stopWatch();
    await new Promise<void>((resolve) => {
      const cm = this.c.connectionManager;
      const cut = () => cutSocket(cm);
      // The library waits for the server to close the socket after closeSession. Through a
      // port-forward that close reaches us late (docs/benchmarks.md), so once the server has answered
      // closeSession (the session is gone on the server then) the socket is cut here. When
      // the answer does not come (server gone, never connected), the socket is cut anyway.
      const timer = setTimeout(
        () => {
          cut();
          resolve();
        },
        wasConnected ? 2000 : 0,
      );
      this.c.on('state', (s) => {
        if (s.name === 'DISCONNECTED') {
          clearTimeout(timer);
          resolve();
        }
      });
      if (cm && wasConnected) onCloseSessionReply(cm, cut);
      this.c.close();
    });
  }
}

/**
 * Connect to an ensemble (any of the endpoints) and wait for the session.
 * Fails with ZkError Timeout when no server accepts a session within
 * connectTimeoutMs, AuthFailed when a credential is refused.
 */
export async function connectZk(opts: ZkClientOptions): Promise<ZkClient> {
  if (opts.endpoints.length === 0) throw new ZkError('BadArguments', 'no endpoints to connect to');
  const lib = loadLib();
  const c = lib.createClient(connectString(opts.endpoints), {
    sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
    spinDelay: opts.spinDelayMs ?? 1000,
    retries: 0,
  });
  for (const a of opts.auth ?? []) c.addAuthInfo(a.scheme, typeof a.auth === 'string' ? Buffer.from(a.auth, 'utf8') : a.auth);
  const client = new NzcClient(lib, c, opts.operationTimeoutMs ?? 30_000, opts.log);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 15_000;
  opts.signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const settle = (err?: unknown) => {
      clearTimeout(timer);
      off();
      opts.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve();
        return;
      }
      void client.close();
      reject(err);
    };
    const onAbort = () => settle(opts.signal!.reason ?? new Error('interrupted'));
    const timer = setTimeout(() => settle(new ZkError('Timeout', `no ZooKeeper session within ${connectTimeoutMs} ms from ${connectString(opts.endpoints)}`)), connectTimeoutMs);
    const off = client.onState((s) => {
      if (s === 'connected' || s === 'connectedReadOnly') settle();
      else if (s === 'authFailed' || s === 'expired') settle(ZkError.of(s === 'authFailed' ? 'AuthFailed' : 'SessionExpired'));
    });
    opts.signal?.addEventListener('abort', onAbort, {once: true});
    c.connect();
  });
  return client;
}
