import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import {PassThrough, Writable} from 'node:stream';
import type {V1Status} from '@kubernetes/client-node';
// client-node's own modules, not its index: the index evaluates the whole generated API at start
// (./apis.ts loads it when needed); the bundle also defers what the kubeconfig module imports for
// proxies and fetch (scripts/build-bundle.ts, LAZY_IMPORTS; what it saves: docs/benchmarks.md).
import {PortForward} from '@kubernetes/client-node/dist/portforward.js';
import type {KubeConfig} from '@kubernetes/client-node/dist/config.js';
import type {Apis} from './apis.js';
import type {ResolvedKubeConfig} from './config.js';
import {errorMessage} from '../errors.js';
import {toKubeError, type KubeRequest, type KubeTarget} from './errors.js';
import type {DeleteOptions, ExecResult, Forwarder, Kube, KubeObject, ListOptions, LogStreamOptions, ObjectRef} from './types.js';

export const FIELD_MANAGER = 'kubectl-zk';

/** How long a stream waits for a connection opened ahead that is still in its handshake. */
const AHEAD_WAIT_MS = 3000;

/** kind → resource name, for messages and RBAC hints ("you need permission to list statefulsets"). */
/** The resource (URL path segment) of every kind kubectl-zk reads or writes; API discovery would cost a round trip per group. */
const RESOURCES: Readonly<Record<string, string>> = {
  ConfigMap: 'configmaps',
  ControllerRevision: 'controllerrevisions',
  CronJob: 'cronjobs',
  Endpoints: 'endpoints',
  Event: 'events',
  Job: 'jobs',
  Lease: 'leases',
  Namespace: 'namespaces',
  NetworkPolicy: 'networkpolicies',
  Node: 'nodes',
  PersistentVolume: 'persistentvolumes',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Pod: 'pods',
  PodDisruptionBudget: 'poddisruptionbudgets',
  PodMonitor: 'podmonitors',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  Secret: 'secrets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  StatefulSet: 'statefulsets',
  StorageClass: 'storageclasses',
};

/** The resource of a kind, from the table above; a kind missing there is a programming error, not a guess. */
export function resourceOf(kind: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`kubectl-zk does not know the resource of kind ${kind} (add it to RESOURCES in src/kube/client.ts)`);
  return r;
}

export interface KubeClientOptions {
  requestTimeoutMs?: number;
  /** request lines for --verbose */
  log?: (line: string) => void;
  /**
   * For bulk port-forwards run by kubectl: the --kubeconfig the user gave (kubectl reads
   * $KUBECONFIG itself otherwise), the environment, and the kubectl binary (default "kubectl";
   * null: never spawn kubectl, every forward in-process).
   */
  kubectl?: {kubeconfig?: string; env?: NodeJS.ProcessEnv; binary?: string | null};
}

/**
 * The only code in kubectl-zk that talks to the API server. Every call goes
 * through `call`, which times it, logs it with --verbose and maps errors once.
 */
export class KubeClient implements Kube {
  readonly server: string;
  readonly context: string;
  readonly namespace: string;
  private apis?: Promise<Apis>;
  private readonly target: KubeTarget;
  private readonly forwarders = new Set<Forwarder>();
  /** TLS connections opened ahead for the next streams (connectAhead): ready once secure, drop() in any state */
  private readonly ahead: {ready: Promise<tls.TLSSocket | undefined>; drop: () => void}[] = [];
  /** what port-forwards build their WebSockets from: the kubeconfig, plus a connection opened ahead when there is one */
  private readonly streamConfig: KubeConfig;

  constructor(
    private readonly resolved: ResolvedKubeConfig,
    private readonly opts: KubeClientOptions = {},
  ) {
    this.server = resolved.server;
    this.context = resolved.context;
    this.namespace = resolved.namespace;
    this.target = {server: resolved.server, context: resolved.context};
    const kc = resolved.kc;
    // client-node's WebSocketHandler reads only these two from its KubeConfig
    this.streamConfig = {
      getCurrentCluster: () => kc.getCurrentCluster(),
      applyToHTTPSOptions: async (o: https.RequestOptions & {createConnection?: () => net.Socket}) => {
        await kc.applyToHTTPSOptions(o);
        const next = this.ahead.shift();
        if (!next) return;
        // still in its handshake: worth waiting for a while (it started before this stream was asked for)
        let timer: NodeJS.Timeout | undefined;
        const socket = await Promise.race([next.ready, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), AHEAD_WAIT_MS)))]);
        clearTimeout(timer);
        if (socket && !socket.destroyed && socket.writable) {
          delete o.agent; // with no agent, the upgrade request goes out on createConnection's socket
          o.createConnection = () => socket;
          this.opts.log?.('stream on a connection opened ahead');
        } else {
          next.drop();
        }
      },
    } as unknown as KubeConfig;
  }

  /**
   * Opens a TLS connection to the API server now, for the next stream: its handshake then
   * overlaps the reads before the stream (a znode command's ensemble lookup) instead of following
   * them. Not with a proxy (its agent makes the connections) or plain http. A connection that
   * fails is simply not used.
   */
  connectAhead(): void {
    const cluster = this.resolved.kc.getCurrentCluster();
    const url = new URL(this.server);
    if (url.protocol !== 'https:' || !cluster || cluster.proxyUrl) return;
    let s: tls.TLSSocket | undefined;
    const ready = (async () => {
      const o: https.RequestOptions = {};
      await this.resolved.kc.applyToHTTPSOptions(o);
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      s = tls.connect({
        host,
        port: Number(url.port || 443),
        ca: o.ca,
        cert: o.cert,
        key: o.key,
        pfx: o.pfx,
        passphrase: o.passphrase,
        ...(o.rejectUnauthorized === undefined ? {} : {rejectUnauthorized: o.rejectUnauthorized}),
        servername: o.servername || (net.isIP(host) ? undefined : host),
        ALPNProtocols: ['http/1.1'],
      });
      const socket = s;
      return new Promise<tls.TLSSocket | undefined>((resolve) => {
        socket.once('secureConnect', () => resolve(socket));
        socket.once('close', () => resolve(undefined));
        socket.on('error', (err) => {
          this.opts.log?.(`connection ahead to ${host}: ${err.message}`);
          socket.destroy();
        });
      });
    })().catch(() => undefined);
    this.ahead.push({ready, drop: () => s?.destroy()});
  }

  /** client-node's generated API clients, loaded by the first write, log or exec (reads and port-forwards do without). */
  private api(): Promise<Apis> {
    this.apis ??= import('./apis.js').then((m) => m.makeApis(this.resolved.kc));
    return this.apis;
  }

  private async call<T>(req: KubeRequest, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const timeout = this.opts.requestTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = fn();
      const result = timeout
        ? await Promise.race([
            work,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const e = new Error(`request timed out after ${timeout}ms`);
                e.name = 'TimeoutError';
                reject(e);
              }, timeout);
            }),
          ])
        : await work;
      this.opts.log?.(`${req.verb} ${describe(req)} ok ${Math.round(performance.now() - started)}ms`);
      return result;
    } catch (err) {
      const mapped = toKubeError(err, this.target, req);
      this.opts.log?.(`${req.verb} ${describe(req)} ${mapped.status || mapped.reason} ${Math.round(performance.now() - started)}ms`);
      throw mapped;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async apply<T extends KubeObject>(obj: T, opts: {force?: boolean} = {}): Promise<T> {
    const req = {verb: 'patch', resource: resourceOf(obj.kind), namespace: obj.metadata.namespace, name: obj.metadata.name};
    const path = `${resourcePath(obj.apiVersion, obj.kind, obj.metadata.namespace)}/${encodeURIComponent(obj.metadata.name)}`;
    const out = await this.call(req, () =>
      this.requestJson<T>('PATCH', path, {fieldManager: FIELD_MANAGER, force: opts.force ? 'true' : 'false'}, {contentType: 'application/apply-patch+yaml', value: obj}),
    );
    return {...out, apiVersion: obj.apiVersion, kind: obj.kind};
  }

  /**
   * GET of an API path, answered as parsed JSON. Reads go straight to the
   * resource's path: client-node's KubernetesObjectApi would first ask the API's
   * discovery (/api/v1, /apis/apps/v1, ...) which resource a kind is, one more
   * round trip per API group and process, before every first read. The kinds
   * kubectl-zk reads are all built in, so resourceOf() names them. Auth, TLS and
   * proxies are client-node's (applyToHTTPSOptions: the same agent its
   * WebSockets use).
   */
  private getJson<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    return this.requestJson<T>('GET', path, query);
  }

  /**
   * One request to an API path with an optional JSON body, answered as parsed
   * JSON (see getJson). Writes go this way too: client-node's
   * KubernetesObjectApi.patch re-serializes a body through its generated
   * models, which look fields up by their TypeScript names and silently drop
   * the ones that differ from the JSON name (a NetworkPolicy rule's `from` is
   * `_from` there). Our objects are plain JSON and are sent as they are.
   */
  private async requestJson<T>(method: 'GET' | 'PATCH' | 'POST' | 'PUT', path: string, query: Record<string, string | undefined> = {}, body?: {contentType: string; value: unknown}): Promise<T> {
    const headers: Record<string, string> = {Accept: 'application/json'};
    const payload = body ? Buffer.from(JSON.stringify(body.value), 'utf8') : undefined;
    if (body && payload) {
      headers['Content-Type'] = body.contentType;
      headers['Content-Length'] = String(payload.length);
    }
    const opts: https.RequestOptions = {method, headers};
    await this.resolved.kc.applyToHTTPSOptions(opts);
    const url = new URL(`${this.server.replace(/\/+$/, '')}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    return new Promise<T>((resolve, reject) => {
      const request = (url.protocol === 'http:' ? http : https).request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(Object.assign(new Error(`HTTP ${status}`), {code: status, body: text}));
          try {
            resolve(JSON.parse(text) as T);
          } catch (err) {
            reject(err);
          }
        });
      });
      request.on('error', reject);
      // call() reports --request-timeout; this drops the socket then, so that it does not hold the process open
      const timeout = this.opts.requestTimeoutMs;
      if (timeout) request.setTimeout(timeout, () => request.destroy(Object.assign(new Error(`request timed out after ${timeout}ms`), {name: 'TimeoutError'})));
      request.end(payload);
    });
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | null> {
    const req = {verb: 'get', resource: resourceOf(ref.kind), namespace: ref.namespace, name: ref.name};
    try {
      const out = await this.call(req, () => this.getJson<T>(`${resourcePath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`));
      return {...out, apiVersion: ref.apiVersion, kind: ref.kind};
    } catch (err) {
      if ((err as {status?: number}).status === 404) return null;
      throw err;
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    const req = {verb: 'list', resource: resourceOf(kind), namespace: opts.namespace};
    const out = await this.call(req, () => this.getJson<{items?: T[]}>(resourcePath(apiVersion, kind, opts.namespace), {labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector}));
    return (out.items ?? []).map((item) => ({...item, apiVersion, kind}));
  }

  async servesKind(apiVersion: string, kind: string): Promise<boolean> {
    const req = {verb: 'get', resource: `discovery ${apiVersion}`};
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const out = await this.call(req, () => this.getJson<{resources?: {kind?: string; name?: string}[]}>(path));
      return (out.resources ?? []).some((r) => r.kind === kind && !r.name?.includes('/'));
    } catch (err) {
      if ((err as {status?: number}).status === 404) return false;
      throw err;
    }
  }

  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    const req = {verb: 'delete', resource: resourceOf(ref.kind), namespace: ref.namespace, name: ref.name};
    const {objects} = await this.api();
    try {
      await this.call(req, () =>
        objects.delete(
          {apiVersion: ref.apiVersion, kind: ref.kind, metadata: {name: ref.name, namespace: ref.namespace}},
          undefined,
          undefined,
          opts.gracePeriodSeconds,
          undefined,
          opts.propagationPolicy ?? 'Background',
        ),
      );
      return true;
    } catch (err) {
      if ((err as {status?: number}).status === 404) return false;
      throw err;
    }
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    const req = {verb: 'create', resource: resourceOf(obj.kind), namespace: obj.metadata.namespace, name: obj.metadata.name};
    const out = await this.call(req, () =>
      this.requestJson<T>('POST', resourcePath(obj.apiVersion, obj.kind, obj.metadata.namespace), {fieldManager: FIELD_MANAGER}, {contentType: 'application/json', value: obj}),
    );
    return {...out, apiVersion: obj.apiVersion, kind: obj.kind};
  }

  async replace<T extends KubeObject>(obj: T): Promise<T> {
    const req = {verb: 'update', resource: resourceOf(obj.kind), namespace: obj.metadata.namespace, name: obj.metadata.name};
    const path = `${resourcePath(obj.apiVersion, obj.kind, obj.metadata.namespace)}/${encodeURIComponent(obj.metadata.name)}`;
    const out = await this.call(req, () => this.requestJson<T>('PUT', path, {fieldManager: FIELD_MANAGER}, {contentType: 'application/json', value: obj}));
    return {...out, apiVersion: obj.apiVersion, kind: obj.kind};
  }

  async evict(namespace: string, pod: string): Promise<boolean> {
    const req = {verb: 'create', resource: 'pods/eviction', namespace, name: pod};
    const path = `${resourcePath('v1', 'Pod', namespace)}/${encodeURIComponent(pod)}/eviction`;
    const body = {apiVersion: 'policy/v1', kind: 'Eviction', metadata: {name: pod, namespace}};
    try {
      await this.call(req, () => this.requestJson<unknown>('POST', path, {}, {contentType: 'application/json', value: body}));
      return true;
    } catch (err) {
      if ((err as {status?: number}).status === 404) return false;
      throw err;
    }
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    const req = {verb: 'patch', resource: resourceOf(ref.kind), namespace: ref.namespace, name: ref.name};
    const path = `${resourcePath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
    const out = await this.call(req, () => this.requestJson<T>('PATCH', path, {fieldManager: FIELD_MANAGER}, {contentType: 'application/merge-patch+json', value: patch}));
    return {...out, apiVersion: ref.apiVersion, kind: ref.kind};
  }

  async logs(namespace: string, pod: string, opts: {container?: string; tailLines?: number; previous?: boolean} = {}): Promise<string> {
    const req = {verb: 'get', resource: 'pods/log', namespace, name: pod};
    const {core} = await this.api();
    return this.call(req, () => core.readNamespacedPodLog({name: pod, namespace, container: opts.container, tailLines: opts.tailLines, previous: opts.previous}));
  }

  /**
   * GET pods/log as a stream over the same HTTP path as reads (client-node's
   * Log class needs a writable and gives no status until the end). A non-2xx
   * answer is read whole and mapped like any other error.
   */
  async logStream(namespace: string, pod: string, opts: LogStreamOptions, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    const req = {verb: 'get', resource: 'pods/log', namespace, name: pod};
    const path = `${resourcePath('v1', 'Pod', namespace)}/${encodeURIComponent(pod)}/log`;
    const query: Record<string, string | undefined> = {
      container: opts.container,
      follow: opts.follow ? 'true' : undefined,
      timestamps: opts.timestamps ? 'true' : undefined,
      tailLines: opts.tailLines !== undefined && opts.tailLines >= 0 ? String(opts.tailLines) : undefined,
      sinceSeconds: opts.sinceTime === undefined && opts.sinceSeconds !== undefined ? String(Math.max(1, Math.ceil(opts.sinceSeconds))) : undefined,
      sinceTime: opts.sinceTime,
      previous: opts.previous ? 'true' : undefined,
    };
    const httpOpts: https.RequestOptions = {method: 'GET', headers: {Accept: '*/*'}, signal};
    await this.resolved.kc.applyToHTTPSOptions(httpOpts);
    const url = new URL(`${this.server.replace(/\/+$/, '')}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return this.call(
      req,
      () =>
        new Promise<NodeJS.ReadableStream>((resolve, reject) => {
          const request = (url.protocol === 'http:' ? http : https).request(url, httpOpts, (res) => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(res);
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(Object.assign(new Error(`HTTP ${status}`), {code: status, body: Buffer.concat(chunks).toString('utf8')})));
            res.on('error', reject);
          });
          request.on('error', reject);
          request.end();
        }),
    );
  }

  async exec(namespace: string, pod: string, command: string[], opts: {container?: string; stdin?: Buffer} = {}): Promise<ExecResult> {
    const req = {verb: 'create', resource: 'pods/exec', namespace, name: pod};
    const {exec} = await this.api();
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write(chunk, _enc, cb) {
          append(chunk.toString());
          cb();
        },
      });
    return this.call(
      req,
      () =>
        new Promise<ExecResult>((resolve, reject) => {
          let stdin: PassThrough | null = null;
          if (opts.stdin) {
            stdin = new PassThrough();
            stdin.end(opts.stdin);
          }
          exec
            .exec(
              namespace,
              pod,
              opts.container ?? '',
              command,
              sink((s) => (stdout += s)),
              sink((s) => (stderr += s)),
              stdin,
              false,
              (status: V1Status) => {
                resolve({stdout, stderr, exitCode: exitCodeOf(status)});
              },
            )
            .then((ws) => {
              // a stream that dies after output arrived still reports that output
              ws.on('error', (err: unknown) => (stdout || stderr ? resolve({stdout, stderr, exitCode: -1}) : reject(err)));
              ws.on('close', () => resolve({stdout, stderr, exitCode: stderr ? 1 : 0}));
            }, reject);
        }),
    );
  }

  async portForward(namespace: string, pod: string, port: number, opts: {bulk?: boolean} = {}): Promise<Forwarder> {
    const kubectl = this.opts.kubectl;
    if (opts.bulk && kubectl && kubectl.binary !== null) {
      const {kubectlPortForward} = await import('./kubectl-forward.js');
      try {
        const fwd = await kubectlPortForward({
          namespace,
          pod,
          port,
          kubectl: kubectl.binary,
          kubeconfig: kubectl.kubeconfig,
          context: this.context || undefined,
          env: kubectl.env,
          log: this.opts.log,
        });
        const tracked: Forwarder = {
          ...fwd,
          close: async () => {
            this.forwarders.delete(tracked);
            await fwd.close();
          },
        };
        this.forwarders.add(tracked);
        return tracked;
      } catch (err) {
        // no kubectl (the plugin run on its own), or kubectl refused: the in-process forward says why, if it fails too
        this.opts.log?.(`${String(err)}; forwarding in-process instead`);
      }
    }
    return this.inProcessForward(namespace, pod, port);
  }

  private async inProcessForward(namespace: string, pod: string, port: number): Promise<Forwarder> {
    const pf = new PortForward(this.streamConfig, true);
    const sockets = new Set<net.Socket>();
    const log = this.opts.log;
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      // The pod side reports failures (connection refused in the pod, pod gone) on the error channel.
      const errors = new Writable({
        write(chunk: Buffer, _enc, cb) {
          // the channel's first frame carries only the port number (client-node strips it): not an error
          const text = chunk.toString().trim();
          if (text) {
            log?.(`portforward ${namespace}/${pod}:${port}: ${text}`);
            socket.destroy();
          }
          cb();
        },
      });
      const opening = performance.now();
      const flow = new FlowControl(socket);
      pf.portForward(namespace, pod, [port], flow.output, errors, socket).then(
        (ws) => {
          const w = typeof ws === 'function' ? ws() : ws;
          if (!w) {
            socket.destroy();
            return;
          }
          flow.attach(w);
          log?.(`portforward ${namespace}/${pod}:${port}: stream open in ${Math.round(performance.now() - opening)}ms`);
          w.on('close', () => socket.end());
          w.on('error', () => socket.destroy());
          socket.on('close', () => w.close());
        },
        (err: unknown) => {
          log?.(`portforward ${namespace}/${pod}:${port}: ${errorMessage(err)}`);
          socket.destroy();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    const forwarders = this.forwarders;
    const fwd: Forwarder = {
      host: '127.0.0.1',
      port: address.port,
      pod,
      targetPort: port,
      close: () =>
        new Promise<void>((resolve) => {
          forwarders.delete(fwd);
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    };
    forwarders.add(fwd);
    server.unref();
    return fwd;
  }

  async close(): Promise<void> {
    for (const a of this.ahead.splice(0)) a.drop();
    await Promise.all([...this.forwarders].map((f) => f.close()));
  }
}

/**
 * Backpressure from the local socket to the WebSocket: client-node writes
 * what the pod sends to the local socket and ignores write()'s answer, so a
 * reader slower than the network (a backup hashing and parsing the snapshot
 * it receives) had every byte it had not read yet buffered in memory, and
 * the garbage collector working through it. Here a local socket whose buffer
 * is full pauses the WebSocket (its TCP connection stops being read, so the
 * API server and the kubelet slow down the sender) until it drains.
 */
export class FlowControl {
  private ws: {pause(): void; resume(): void; isPaused?: boolean} | undefined;
  private paused = false;
  /** what client-node writes the pod's bytes to */
  readonly output: Writable;

  constructor(private readonly socket: Pick<net.Socket, 'write' | 'once' | 'destroyed'>) {
    this.output = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (!this.socket.write(chunk)) this.hold();
        cb();
      },
    });
  }

  /** the WebSocket, once open */
  attach(ws: {pause(): void; resume(): void}): void {
    this.ws = ws;
    if (this.paused) ws.pause();
  }

  private hold(): void {
    if (this.paused || this.socket.destroyed) return;
    this.paused = true;
    this.ws?.pause();
    this.socket.once('drain', () => {
      this.paused = false;
      this.ws?.resume();
    });
  }
}

/** /api/v1[/namespaces/NS]/pods, /apis/apps/v1[/namespaces/NS]/statefulsets, ... */
export function resourcePath(apiVersion: string, kind: string, namespace?: string): string {
  const group = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${group}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resourceOf(kind)}`;
}

function describe(req: KubeRequest): string {
  const ns = req.namespace ? `${req.namespace}/` : '';
  return `${req.resource} ${ns}${req.name ?? ''}`.trim();
}

function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const n = cause?.message ? Number(cause.message) : NaN;
  return Number.isFinite(n) ? n : 1;
}
