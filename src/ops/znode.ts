/**
 * `kubectl zk znode …`: zkCli-style reads and writes over a native ZooKeeper
 * client. Every op takes its collaborators (how to connect, stdin, confirm)
 * as parameters, validates paths and flags before connecting, and returns a
 * JSON-safe result (zxids as hex strings, data as utf8 or base64).
 */
import {AbortedError, CliError, UsageError, errorMessage} from '../errors.js';
import type {Kube, KubeObject, StatefulSetObject} from '../kube/types.js';
import {LABEL, MANAGER, managedSelector} from '../manifests/labels.js';
import {validateName} from '../manifests/options.js';
import {objectNames} from '../manifests/names.js';
import type {Acl, ZkClient, ZkClientOptions, ZnodeStat} from '../zk/client.js';
import {createRequestBytes, DEFAULT_JUTE_MAXBUFFER, juteMaxBufferFromFlags, setDataRequestBytes} from '../zk/jute.js';
import type {Endpoint} from '../zk/endpoint.js';
import {onceGet, onceLs, onceStat, type once, type OnceRequest} from '../zk/once.js';
import {isZkError} from '../zk/errors.js';
import {validatePath} from '../zk/paths.js';
import type {AuthInfo} from '../zk/wire.js';
import type {openTreeReader, TreeReader} from '../zk/reader.js';
import type {MemberForwarders} from './members.js';
import type {PodLike} from './pods.js';
import {listMemberPods, membersOf, podSelector} from './wait.js';

// ---------------------------------------------------------------- results

/** A znode's Stat as zkCli names its fields; zxids and the owner session as "0x…" (JSON has no 64-bit integers). */
export interface StatJson {
  cZxid: string;
  /** ISO 8601 */
  ctime: string;
  mZxid: string;
  mtime: string;
  pZxid: string;
  cversion: number;
  dataVersion: number;
  aclVersion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export type DataEncoding = 'utf8' | 'base64';

export interface ZnodeGetResult {
  path: string;
  /** the bytes as text when they are valid UTF-8, else base64 */
  data: string;
  encoding: DataEncoding;
  stat: StatJson;
}

export interface ZnodeCreateResult {
  /** the created path (with the sequence suffix for --sequential) */
  path: string;
  ephemeral: boolean;
  sequential: boolean;
}

export interface ZnodeSetResult {
  path: string;
  stat: StatJson;
}

export interface ZnodeStatResult {
  path: string;
  stat: StatJson;
}

export interface ZnodeDeleteResult {
  path: string;
  /** every node removed, children before parents */
  deleted: string[];
}

/** `ls`: child names, or with -R the path and all descendants as full paths (zkCli ls -R order). */
export type ZnodeLsResult = string[];

// ---------------------------------------------------------------- conversions

/** Java's Long.toHexString: unsigned, lower case, no padding. */
export function hex64(n: bigint): string {
  return `0x${BigInt.asUintN(64, n).toString(16)}`;
}

export function toStatJson(s: ZnodeStat): StatJson {
  return {
    cZxid: hex64(s.czxid),
    ctime: new Date(s.ctime).toISOString(),
    mZxid: hex64(s.mzxid),
    mtime: new Date(s.mtime).toISOString(),
    pZxid: hex64(s.pzxid),
    cversion: s.cversion,
    dataVersion: s.version,
    aclVersion: s.aversion,
    ephemeralOwner: hex64(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

/** utf8 when the bytes decode as UTF-8 exactly (a BOM is kept), base64 otherwise: decoding gives back the same bytes. */
export function encodeData(data: Buffer): {data: string; encoding: DataEncoding} {
  try {
    const text = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(data);
    return {data: text, encoding: 'utf8'};
  } catch {
    return {data: data.toString('base64'), encoding: 'base64'};
  }
}

// ---------------------------------------------------------------- argument checks (before any connection)

/** A znode path as ZooKeeper checks it; a bad one is a usage error (exit 2), found before connecting. */
export function checkPath(path: string, opts: {sequential?: boolean} = {}): void {
  try {
    validatePath(path, opts);
  } catch (err) {
    if (isZkError(err, 'InvalidPath')) throw new UsageError(err.message, 'znode paths are absolute, e.g. /app/config');
    throw err;
  }
}

/** `--version N`: -1 (any) or a dataVersion. */
export function checkVersion(version: number | undefined): number {
  if (version === undefined) return -1;
  if (!Number.isInteger(version) || version < -1 || version > 0x7fffffff) {
    throw new UsageError(`--version must be -1 (any) or a dataVersion between 0 and ${0x7fffffff}, got ${version}`);
  }
  return version;
}

/** `--auth user:password` → `addauth digest user:password` (the password may contain ":"). The value is never echoed: it may be a password. */
export function parseAuth(value: string, where = '--auth'): AuthInfo {
  const i = value.indexOf(':');
  if (i <= 0 || i === value.length - 1) throw new UsageError(`${where} must be user:password${i > 0 ? ` (user "${value.slice(0, i)}" has an empty password)` : ' (no ":" found)'}`);
  return {scheme: 'digest', auth: value};
}

/** Credentials from a file or the environment: one user:password per line; blank lines and # comments skipped. */
export function parseAuthLines(text: string, where: string): AuthInfo[] {
  return text
    .split(/\r?\n/)
    .map((line, n) => [line.trim(), n + 1] as const)
    .filter(([line]) => line !== '' && !line.startsWith('#'))
    .map(([line, n]) => parseAuth(line, `${where}, line ${n},`));
}

const PERM_LETTERS = /^[cdrwa]+$/;

/**
 * `--acl scheme:id:perms` as zkCli writes ACLs: world:anyone:r,
 * digest:user:BASE64SHA1:cdrwa, auth::cdrwa (whoever authenticated with
 * --auth), ip:10.0.0.0/8:r. The id may itself contain ":".
 */
export function parseAcl(value: string): Acl {
  const first = value.indexOf(':');
  const last = value.lastIndexOf(':');
  const bad = () => new UsageError(`--acl must be scheme:id:perms (perms from cdrwa), got "${value}"`, 'e.g. world:anyone:r, digest:user:BASE64SHA1:cdrwa, auth::cdrwa');
  if (first <= 0 || last === first) throw bad();
  const scheme = value.slice(0, first);
  const id = value.slice(first + 1, last);
  const perms = value.slice(last + 1);
  if (!PERM_LETTERS.test(perms)) throw bad();
  if (scheme !== 'auth' && id === '') throw bad();
  return {scheme, id, perms};
}

/**
 * A create/set request must fit in one packet under the server's
 * jute.maxbuffer (default 0xfffff bytes for the whole request: header, path,
 * data, ACLs), or the server drops the connection and the client sees only
 * ConnectionLoss. Checked before anything is sent, with the exact request size.
 */
/** What create sends without --acl (the client's OPEN_ACL_UNSAFE). */
const DEFAULT_ACL = [{scheme: 'world', id: 'anyone'}];

export function checkRequestSize(req: {op: 'create' | 'set'; path: string; data?: Buffer; acl?: readonly Acl[]}, maxBuffer: number): void {
  const n = req.data?.length ?? 0;
  const size = req.op === 'create' ? createRequestBytes(req.path, n, req.acl && req.acl.length > 0 ? req.acl : DEFAULT_ACL) : setDataRequestBytes(req.path, n);
  if (size <= maxBuffer) return;
  const most = Math.max(0, n - (size - maxBuffer));
  throw new UsageError(
    `the data is ${n} bytes: the ${req.op} request for ${req.path} would be ${size} bytes, above the server's jute.maxbuffer of ${maxBuffer}; at most ${most} bytes of data fit with this path${req.op === 'create' ? ' and ACL' : ''}`,
    'ZooKeeper is for small coordination data; split it or store a reference',
  );
}

/** The jute.maxbuffer an ensemble's servers run with: -Djute.maxbuffer in the zookeeper container's JVM flags, else ZooKeeper's default. */
export function juteMaxBufferOf(sts: StatefulSetObject | null | undefined): number {
  const container = sts?.spec?.template?.spec?.containers?.find((c) => c.name === 'zookeeper');
  for (const e of container?.env ?? []) {
    if ((e.name === 'SERVER_JVMFLAGS' || e.name === 'JVMFLAGS') && e.value) {
      const v = juteMaxBufferFromFlags(e.value);
      if (v !== undefined) return v;
    }
  }
  return DEFAULT_JUTE_MAXBUFFER;
}

export async function ensembleJuteMaxBuffer(kube: Kube, namespace: string, ensemble: string): Promise<number> {
  return juteMaxBufferOf(await kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: ensemble}));
}

// ---------------------------------------------------------------- data sources

export type DataSource = {kind: 'arg'; value: string} | {kind: 'file'; path: string} | {kind: 'stdin'} | {kind: 'none'};

/**
 * Where `create`/`set` take the data from: the DATA argument, `--file F`,
 * stdin when DATA is "-" (or `--file -`), or stdin when neither is given and
 * stdin is not a terminal. Nothing otherwise.
 */
export function selectDataSource(o: {arg?: string; file?: string; stdinIsTTY: boolean}): DataSource {
  if (o.arg !== undefined && o.file !== undefined) throw new UsageError('give the data either as the DATA argument or with --file, not both');
  if (o.arg === '-' || o.file === '-') return {kind: 'stdin'};
  if (o.arg !== undefined) return {kind: 'arg', value: o.arg};
  if (o.file !== undefined) return {kind: 'file', path: o.file};
  return o.stdinIsTTY ? {kind: 'none'} : {kind: 'stdin'};
}

export interface DataIO {
  stdin: NodeJS.ReadableStream;
  readFile: (path: string) => Promise<Buffer>;
  /** Ctrl-C while reading stdin */
  signal?: AbortSignal;
}

/** The bytes of a data source, unchanged (binary-safe); undefined for `none`. */
export async function readData(src: DataSource, io: DataIO): Promise<Buffer | undefined> {
  switch (src.kind) {
    case 'none':
      return undefined;
    case 'arg':
      return Buffer.from(src.value, 'utf8');
    case 'file':
      try {
        return await io.readFile(src.path);
      } catch (err) {
        throw new CliError(`cannot read --file ${src.path}: ${errorMessage(err)}`);
      }
    case 'stdin': {
      const chunks: Buffer[] = [];
      const read = (async () => {
        for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
        return Buffer.concat(chunks);
      })();
      return abortable(read, io.signal, () => (io.stdin as {destroy?: () => void}).destroy?.());
    }
  }
}

// ---------------------------------------------------------------- the ensemble (Kubernetes side)

function isManaged(o: KubeObject): boolean {
  return o.metadata.labels?.[LABEL.managedBy] === MANAGER;
}

/** `--ensemble NAME`, else the only ensemble kubectl-zk manages in the namespace. */
export async function resolveEnsemble(kube: Kube, namespace: string, requested?: string): Promise<string> {
  if (requested !== undefined) {
    validateName(requested);
    const sts = await kube.get({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: requested});
    if (!sts || !isManaged(sts)) {
      throw new CliError(`ensemble "${requested}" not found in namespace "${namespace}"`, {hint: `list the ensembles with: kubectl zk list -n ${namespace}`});
    }
    return requested;
  }
  const sets = await kube.list('apps/v1', 'StatefulSet', {namespace, labelSelector: managedSelector()});
  const names = sets.map((s) => s.metadata.labels?.[LABEL.instance] ?? s.metadata.name).sort();
  if (names.length === 0) {
    throw new CliError(`no ensemble managed by kubectl-zk in namespace "${namespace}"`, {hint: 'create one with: kubectl zk create NAME, or choose the namespace with -n'});
  }
  if (names.length > 1) {
    throw new UsageError(`${names.length} ensembles in namespace "${namespace}" (${names.join(', ')})`, 'choose one with --ensemble NAME');
  }
  return names[0]!;
}

/**
 * The ensemble (resolveEnsemble) and, listed at the same time, the namespace's
 * kubectl-zk pods for forwardedConnector, which keeps that ensemble's members:
 * one API round trip before the port-forward instead of two.
 */
export async function resolveTarget(kube: Kube, namespace: string, requested?: string): Promise<{namespace: string; ensemble: string; pods: Promise<PodLike[]>}> {
  const pods = kube.list<PodLike>('v1', 'Pod', {namespace, labelSelector: managedSelector()});
  pods.catch(() => undefined); // a failure surfaces where the pods are used, not as an unhandled rejection
  return {namespace, ensemble: await resolveEnsemble(kube, namespace, requested), pods};
}

/** The super user's credentials from the ensemble's Secret (`NAME-auth`; the API returns `.data` base64). */
export function decodeSuperSecret(secret: KubeObject): {username: string; password: string} {
  const data = (secret.data ?? {}) as Record<string, unknown>;
  const field = (k: string): string | undefined => (typeof data[k] === 'string' ? Buffer.from(data[k], 'base64').toString('utf8') : undefined);
  const password = field('password');
  if (!password) throw new CliError(`secret "${secret.metadata.name}" has no password`, {hint: 'it is made by kubectl zk create; recreate the ensemble or pass --auth'});
  return {username: field('username') || 'super', password};
}

export async function superAuth(kube: Kube, namespace: string, ensemble: string): Promise<AuthInfo> {
  const name = objectNames(ensemble).secret;
  const secret = await kube.get({apiVersion: 'v1', kind: 'Secret', namespace, name});
  if (!secret) throw new CliError(`secret "${name}" not found in namespace "${namespace}"`, {hint: '--as-super reads the super password from it; pass --auth user:password instead'});
  const {username, password} = decodeSuperSecret(secret);
  return {scheme: 'digest', auth: `${username}:${password}`};
}

export interface ConnectOptions {
  auth: readonly AuthInfo[];
  connectTimeoutMs?: number;
  sessionTimeoutMs?: number;
  /** Ctrl-C stops connecting at once */
  signal?: AbortSignal;
}

type ForwardDeps = {kube: Kube; forwarders: MemberForwarders; debug?: (line: string) => void};
type ForwardTarget = {namespace: string; ensemble: string; /** pods listed ahead (any ensemble's), to save a round trip */ pods?: Promise<PodLike[]>};

/** One port-forward per running member pod (a dead member fails only its own connection attempts). */
async function forwardedEndpoints(deps: ForwardDeps, target: ForwardTarget): Promise<{endpoints: Endpoint[]; members: string}> {
  const {namespace, ensemble} = target;
  const listed = target.pods ? membersOf(await target.pods, ensemble) : await listMemberPods(deps.kube, namespace, ensemble);
  const pods = listed.filter((p) => !p.metadata.deletionTimestamp);
  const running = pods.filter((p) => p.status?.phase === 'Running');
  if (running.length === 0) {
    throw new CliError(
      `ensemble "${ensemble}" has no running member pods in namespace "${namespace}"${pods.length > 0 ? ` (${pods.map((p) => `${p.metadata.name}: ${p.status?.phase ?? 'unknown'}`).join(', ')})` : ''}`,
      {
        hint: `inspect with: kubectl get pods -n ${namespace} -l ${podSelector(ensemble)}`,
      },
    );
  }
  deps.forwarders.learn(namespace, running);
  const opened = await Promise.allSettled(running.map((p) => deps.forwarders.endpoint(namespace, p.metadata.name)));
  const endpoints: Endpoint[] = [];
  opened.forEach((r, i) => {
    if (r.status === 'fulfilled') endpoints.push({host: r.value.host, port: r.value.port});
    else deps.debug?.(`port-forward to ${running[i]!.metadata.name}: ${errorMessage(r.reason)}`);
  });
  if (endpoints.length === 0) {
    const first = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw new CliError(`cannot port-forward to any member of ensemble "${ensemble}": ${errorMessage(first?.reason)}`);
  }
  const members = running.map((p) => p.metadata.name).join(', ');
  deps.debug?.(`connecting to ${ensemble} through ${endpoints.length} port-forward(s) (${members})`);
  return {endpoints, members};
}

/** No session in time, or refused credentials: what the user can do about it. */
function sessionError(err: unknown, target: ForwardTarget, members: string, opts: ConnectOptions, tlsError?: Error): unknown {
  const {namespace, ensemble} = target;
  if (isZkError(err, 'Timeout') && tlsError) {
    return new CliError(`no ZooKeeper session from ensemble "${ensemble}" (members ${members}): TLS: ${tlsError.message}`, {
      hint: `the members' certificates must be signed by the CA in Secret ${objectNames(ensemble).tlsClientSecret} and name the member`,
      cause: err,
    });
  }
  if (isZkError(err, 'Timeout')) {
    return new CliError(`no ZooKeeper session from ensemble "${ensemble}" (members ${members}) within ${Math.round((opts.connectTimeoutMs ?? 15_000) / 1000)}s`, {
      hint: `is a quorum serving? check: kubectl get pods -n ${namespace} -l ${podSelector(ensemble)}`,
      cause: err,
    });
  }
  if (isZkError(err, 'AuthFailed')) return new CliError('Authentication failed', {hint: 'the ensemble refused the --auth/--as-super credentials', cause: err});
  return err;
}

/**
 * `connect` for the ops, over Kubernetes: one port-forward per member pod,
 * then one ZooKeeper session over all of them. `dial` is connectZk
 * (injected: tests and lazy loading).
 */
export function forwardedConnector(deps: ForwardDeps & {dial: (o: ZkClientOptions) => Promise<ZkClient>}, target: ForwardTarget, opts: ConnectOptions): () => Promise<ZkClient> {
  return async () => {
    const {endpoints, members} = await forwardedEndpoints(deps, target);
    try {
      const client = await deps.dial({endpoints, auth: opts.auth, connectTimeoutMs: opts.connectTimeoutMs, sessionTimeoutMs: opts.sessionTimeoutMs, signal: opts.signal, log: deps.debug});
      deps.debug?.(`ZooKeeper session ${client.sessionId ?? '?'}`);
      return client;
    } catch (err) {
      throw sessionError(err, target, members, opts, deps.forwarders.tlsError());
    }
  };
}

/** A read-only walking session (zk/reader.ts) over the same port-forwards: export's reads. */
export function forwardedReader(deps: ForwardDeps & {open: typeof openTreeReader}, target: ForwardTarget, opts: ConnectOptions): () => Promise<TreeReader> {
  return async () => {
    const {endpoints, members} = await forwardedEndpoints(deps, target);
    try {
      const reader = await deps.open({endpoints, auth: opts.auth, connectTimeoutMs: opts.connectTimeoutMs, sessionTimeoutMs: opts.sessionTimeoutMs});
      deps.debug?.(`ZooKeeper session ${reader.sessionId ?? '?'} (tree reader)`);
      return reader;
    } catch (err) {
      throw sessionError(err, target, members, opts, deps.forwarders.tlsError());
    }
  };
}

/** `once` for the ops, over the same port-forwards: one read, handshake and request in one round trip. */
export function forwardedOnce(deps: ForwardDeps & {once: typeof once}, target: ForwardTarget, opts: ConnectOptions): ZnodeDeps['once'] {
  return async (req) => {
    const {endpoints, members} = await forwardedEndpoints(deps, target);
    try {
      return await deps.once(endpoints, req, {auth: opts.auth, connectTimeoutMs: opts.connectTimeoutMs, sessionTimeoutMs: opts.sessionTimeoutMs, signal: opts.signal, log: deps.debug});
    } catch (err) {
      throw sessionError(err, target, members, opts, deps.forwarders.tlsError());
    }
  };
}

// ---------------------------------------------------------------- the ops

export interface ZnodeDeps {
  /** A connected client; the op closes it. */
  connect: () => Promise<ZkClient>;
  /**
   * A one-request read (get, stat, plain ls) in a session of its own, handshake and request in
   * one round trip (zk/once.ts). Without it those reads go through `connect`.
   */
  once?: <T>(req: OnceRequest<T>) => Promise<T>;
  /** A read-only session for whole-tree walks (export); without it they go through `connect`. */
  reader?: () => Promise<TreeReader>;
  /** Ctrl-C: the op stops waiting and closes the client. */
  signal?: AbortSignal;
  /** The servers' jute.maxbuffer (default: ZooKeeper's 0xfffff); create/set check their request against it before sending. */
  juteMaxBuffer?: () => Promise<number>;
}

/** `work`, or AbortedError as soon as the signal fires (then `onAbort` releases what `work` holds). */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      work.catch(() => undefined);
      onAbort?.();
      reject(new AbortedError('interrupted'));
    };
    if (signal.aborted) {
      listener();
      return;
    }
    signal.addEventListener('abort', listener, {once: true});
    work.then(
      (v) => {
        signal.removeEventListener('abort', listener);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(e);
      },
    );
  });
}

/** Connects, runs `fn`, and closes the client whatever happens (also on Ctrl-C). */
export async function withClient<T, C extends {close(): Promise<void>} = ZkClient>(
  deps: {connect: () => Promise<C>; signal?: AbortSignal},
  fn: (c: C) => Promise<T>,
  opts: {oneRequest?: boolean} = {},
): Promise<T> {
  if (deps.signal?.aborted) throw new AbortedError('interrupted');
  const connecting = deps.connect();
  // a session that arrives after Ctrl-C is closed at once
  const client = await abortable(
    connecting,
    deps.signal,
    () =>
      void connecting
        .then(
          (c) => c.close(),
          () => undefined,
        )
        .catch(() => undefined),
  );
  let result: Promise<T>;
  try {
    result = fn(client);
  } catch (err) {
    result = Promise.reject(err);
  }
  // oneRequest: fn sends exactly one request, at once; closeSession follows it on the same
  // connection without waiting for its answer (the server answers a session's requests in
  // order), which saves a round trip through the port-forward
  const closing = opts.oneRequest ? client.close() : undefined;
  try {
    return await abortable(result, deps.signal);
  } catch (err) {
    throw withHint(err);
  } finally {
    await (closing ?? client.close()).catch(() => undefined);
  }
}

/** A read of one request: through `once` when the deps have it, else a session of `connect`'s. */
async function oneRead<T>(deps: ZnodeDeps, req: OnceRequest<T>, viaClient: (c: ZkClient) => Promise<T>): Promise<T> {
  if (!deps.once) return withClient(deps, viaClient, {oneRequest: true});
  if (deps.signal?.aborted) throw new AbortedError('interrupted');
  try {
    return await abortable(deps.once(req), deps.signal);
  } catch (err) {
    throw withHint(err);
  }
}

/** zkCli's message, plus how to get in when ACLs refuse. */
function withHint(err: unknown): unknown {
  if (isZkError(err, 'NoAuth')) return new CliError(err.message, {hint: "the node's ACL refuses this session: pass --auth user:password or --as-super", cause: err});
  return err;
}

export async function getZnode(req: {path: string}, deps: ZnodeDeps): Promise<ZnodeGetResult> {
  checkPath(req.path);
  const {data, stat} = await oneRead(deps, onceGet(req.path), (c) => c.get(req.path));
  return {path: req.path, ...encodeData(data), stat: toStatJson(stat)};
}

export interface ZnodeCreateRequest {
  path: string;
  data?: Buffer;
  ephemeral?: boolean;
  sequential?: boolean;
  parents?: boolean;
  acl?: readonly Acl[];
}

/** Everything about a create that can be refused without the ensemble. */
export function checkCreate(req: Pick<ZnodeCreateRequest, 'path' | 'sequential'>): void {
  checkPath(req.path, {sequential: req.sequential ?? false});
  if (req.path === '/') throw new UsageError('the root node / always exists');
}

export async function createZnode(req: ZnodeCreateRequest, deps: ZnodeDeps): Promise<ZnodeCreateResult> {
  checkCreate(req);
  checkRequestSize({op: 'create', path: req.path, data: req.data, acl: req.acl}, (await deps.juteMaxBuffer?.()) ?? DEFAULT_JUTE_MAXBUFFER);
  const created = await withClient(deps, (c) =>
    c.create(req.path, req.data ?? Buffer.alloc(0), {ephemeral: req.ephemeral, sequential: req.sequential, parents: req.parents, acl: req.acl && req.acl.length > 0 ? req.acl : undefined}),
  );
  return {path: created, ephemeral: Boolean(req.ephemeral), sequential: Boolean(req.sequential)};
}

export async function setZnode(req: {path: string; data: Buffer; version?: number}, deps: ZnodeDeps): Promise<ZnodeSetResult> {
  checkPath(req.path);
  const version = checkVersion(req.version);
  checkRequestSize({op: 'set', path: req.path, data: req.data}, (await deps.juteMaxBuffer?.()) ?? DEFAULT_JUTE_MAXBUFFER);
  const stat = await withClient(deps, (c) => c.set(req.path, req.data, version), {oneRequest: true});
  return {path: req.path, stat: toStatJson(stat)};
}

export async function lsZnode(req: {path: string; recursive?: boolean}, deps: ZnodeDeps): Promise<ZnodeLsResult> {
  checkPath(req.path);
  if (req.recursive) return withClient(deps, (c) => c.lsRecursive(req.path));
  return oneRead(deps, onceLs(req.path), (c) => c.ls(req.path));
}

export async function statZnode(req: {path: string}, deps: ZnodeDeps): Promise<ZnodeStatResult> {
  checkPath(req.path);
  const stat = await oneRead(deps, onceStat(req.path), (c) => c.stat(req.path));
  return {path: req.path, stat: toStatJson(stat)};
}

export interface ZnodeDeleteDeps extends ZnodeDeps {
  /** Asks before a recursive delete of a node with children (rt.confirm: TTY, --yes, or refuse). */
  confirm: (question: string) => Promise<boolean>;
}

/**
 * `delete PATH`: one node (fails with "Node not empty" when it has children).
 * `--recursive`: the subtree, leaves first, after confirmation when there
 * are children. ZooKeeper's own nodes (/zookeeper/…) are never touched.
 */
export interface ZnodeDeleteRequest {
  path: string;
  version?: number;
  recursive?: boolean;
}

/** Everything about a delete that can be refused without the ensemble; returns the version to send. */
export function checkDelete(req: ZnodeDeleteRequest): number {
  checkPath(req.path);
  if (req.recursive && req.version !== undefined) throw new UsageError('--version applies to one node; it cannot be combined with --recursive');
  const version = checkVersion(req.version);
  if (req.recursive && (req.path === '/zookeeper' || req.path.startsWith('/zookeeper/'))) {
    throw new UsageError(`${req.path} belongs to ZooKeeper itself; --recursive never deletes there`);
  }
  if (!req.recursive && req.path === '/') throw new UsageError('the root node / cannot be deleted', 'to empty the tree: delete / --recursive');
  return version;
}

export async function deleteZnode(req: ZnodeDeleteRequest, deps: ZnodeDeleteDeps): Promise<ZnodeDeleteResult> {
  const version = checkDelete(req);
  return withClient(deps, async (c) => {
    if (!req.recursive) {
      await c.delete(req.path, version);
      return {path: req.path, deleted: [req.path]};
    }
    const all = (await c.lsRecursive(req.path)).filter((p) => p !== '/' && p !== '/zookeeper' && !p.startsWith('/zookeeper/'));
    const descendants = all.filter((p) => p !== req.path).length;
    if (descendants > 0) {
      const ok = await deps.confirm(`delete ${req.path} and its ${descendants} descendant${descendants === 1 ? '' : 's'}?`);
      if (!ok) throw new AbortedError(`not deleted: ${req.path}`);
    }
    const deleted: string[] = [];
    for (const p of all.reverse()) {
      try {
        await c.delete(p);
        deleted.push(p);
      } catch (err) {
        // deleted meanwhile; a child created meanwhile fails its parent with NotEmpty
        if (!isZkError(err, 'NoNode')) throw err;
      }
    }
    return {path: req.path, deleted};
  });
}
