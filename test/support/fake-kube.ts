import {fromStatus, toKubeError, type KubeError} from '../../src/kube/errors.js';
import {Readable} from 'node:stream';
import type {DeleteOptions, ExecResult, Forwarder, Kube, KubeObject, ListOptions, LogStreamOptions, ObjectRef} from '../../src/kube/types.js';

/**
 * An in-memory stand-in for src/kube's interface, for the error paths of ops
 * (Forbidden, Conflict, NotFound, unreachable) and their ordering. Features are
 * proven against the real cluster (test/e2e), not here.
 */
export class FakeKube implements Kube {
  readonly server = 'https://fake.invalid:6443';
  readonly context = 'fake';
  readonly calls: string[] = [];
  private readonly store = new Map<string, KubeObject>();
  private readonly failures: {match: (verb: string, kind: string, name?: string) => boolean; error: () => KubeError; times: number}[] = [];
  /** what deleting a StatefulSet does to its pods (the garbage collector) */
  gcPods = true;
  private version = 0;

  constructor(readonly namespace = 'default') {}

  private key(apiVersion: string, kind: string, ns: string | undefined, name: string): string {
    return `${kind}|${ns ?? ''}|${name}`;
  }

  /** Adds or replaces an object as if another client had made it. */
  seed(...objs: KubeObject[]): this {
    for (const o of objs) {
      const copy = structuredClone(o);
      copy.metadata.creationTimestamp ??= new Date(0).toISOString();
      this.store.set(this.key(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name), copy);
    }
    return this;
  }

  all(kind?: string): KubeObject[] {
    return [...this.store.values()].filter((o) => !kind || o.kind === kind);
  }

  /** The next `times` calls matching verb/kind(/name) fail with the given HTTP status. */
  fail(verb: string, kind: string, status: number, opts: {name?: string; times?: number; message?: string} = {}): this {
    this.failures.push({
      match: (v, k, n) => v === verb && k === kind && (opts.name === undefined || opts.name === n),
      error: () => fromStatus(status, '', opts.message ?? `fake ${status}`, {server: this.server, context: this.context}, {verb, resource: kind.toLowerCase() + 's', name: opts.name}),
      times: opts.times ?? Infinity,
    });
    return this;
  }

  /** Every call fails as if the API server were down. */
  unreachable(): this {
    this.failures.push({
      match: () => true,
      error: () => toKubeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {code: 'ECONNREFUSED'}), {server: this.server, context: this.context}),
      times: Infinity,
    });
    return this;
  }

  private readonly hangs: ((verb: string, kind: string) => boolean)[] = [];

  /** Calls matching verb/kind ('*': any) never answer: an API server that took the request and went silent (no signal reaches it, as none reaches an HTTP request in flight). */
  hang(verb = '*', kind = '*'): this {
    this.hangs.push((v, k) => (verb === '*' || v === verb) && (kind === '*' || k === kind));
    return this;
  }

  private async check(verb: string, kind: string, name?: string): Promise<void> {
    this.calls.push(`${verb} ${kind}${name ? `/${name}` : ''}`);
    if (this.hangs.some((h) => h(verb, kind))) await new Promise<never>(() => undefined);
    const f = this.failures.find((x) => x.times > 0 && x.match(verb, kind, name));
    if (f) {
      f.times--;
      throw f.error();
    }
  }

  async apply<T extends KubeObject>(obj: T): Promise<T> {
    await this.check('apply', obj.kind, obj.metadata.name);
    const copy = structuredClone(obj);
    copy.metadata.creationTimestamp ??= new Date(0).toISOString();
    this.store.set(this.key(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name), copy);
    return structuredClone(copy);
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | null> {
    await this.check('get', ref.kind, ref.name);
    const o = this.store.get(this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name));
    return o ? (structuredClone(o) as T) : null;
  }

  async list<T extends KubeObject>(_apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    await this.check('list', kind);
    return [...this.store.values()]
      .filter((o) => o.kind === kind && (opts.namespace === undefined || o.metadata.namespace === opts.namespace) && matches(o.metadata.labels ?? {}, opts.labelSelector))
      .map((o) => structuredClone(o) as T);
  }

  /** Kinds outside the built-in APIs that discovery reports ("apiVersion|kind"); built-in kinds are always served. */
  readonly servedKinds = new Set<string>();

  async servesKind(apiVersion: string, kind: string): Promise<boolean> {
    await this.check('discover', kind);
    return !apiVersion.includes('.') || apiVersion.includes('.k8s.io/') || this.servedKinds.has(`${apiVersion}|${kind}`);
  }

  async delete(ref: ObjectRef, _opts?: DeleteOptions): Promise<boolean> {
    await this.check('delete', ref.kind, ref.name);
    const k = this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    const had = this.store.delete(k);
    if (had && ref.kind === 'StatefulSet' && this.gcPods) {
      for (const [key, o] of this.store) {
        if (o.kind === 'Pod' && o.metadata.namespace === ref.namespace && new RegExp(`^${ref.name}-\\d+$`).test(o.metadata.name)) this.store.delete(key);
      }
    }
    return had;
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    await this.check('create', obj.kind, obj.metadata.name);
    const k = this.key(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (this.store.has(k))
      throw fromStatus(
        409,
        'AlreadyExists',
        `${obj.kind} ${obj.metadata.name} already exists`,
        {server: this.server, context: this.context},
        {verb: 'create', resource: obj.kind, name: obj.metadata.name},
      );
    const copy = structuredClone(obj);
    copy.metadata.creationTimestamp ??= new Date(0).toISOString();
    copy.metadata.resourceVersion = String(++this.version);
    this.store.set(k, copy);
    return structuredClone(copy);
  }

  async replace<T extends KubeObject>(obj: T): Promise<T> {
    await this.check('update', obj.kind, obj.metadata.name);
    const k = this.key(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const cur = this.store.get(k);
    if (!cur) throw fromStatus(404, 'NotFound', 'not found', {server: this.server, context: this.context}, {verb: 'update', resource: obj.kind, name: obj.metadata.name});
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw fromStatus(409, 'Conflict', 'the object has been modified', {server: this.server, context: this.context}, {verb: 'update', resource: obj.kind, name: obj.metadata.name});
    }
    const copy = structuredClone(obj);
    copy.metadata.resourceVersion = String(++this.version);
    this.store.set(k, copy);
    return structuredClone(copy);
  }

  /** Pods evicted (in order); `fail('evict', 'Pod', 429, …)` makes a budget refuse. */
  readonly evicted: string[] = [];

  async evict(namespace: string, pod: string): Promise<boolean> {
    await this.check('evict', 'Pod', pod);
    const had = this.store.delete(this.key('v1', 'Pod', namespace, pod));
    if (had) this.evicted.push(pod);
    return had;
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    await this.check('patch', ref.kind, ref.name);
    const k = this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    const o = this.store.get(k);
    if (!o) throw fromStatus(404, 'NotFound', 'not found', {server: this.server, context: this.context}, {verb: 'patch', resource: ref.kind, name: ref.name});
    const merged = mergeDeep(o, patch) as KubeObject;
    this.store.set(k, merged);
    return structuredClone(merged) as T;
  }

  logs = async (_ns: string, pod: string): Promise<string> => {
    await this.check('logs', 'Pod', pod);
    return `log line of ${pod}\n`;
  };

  /** What logStream answers; a test replaces it (a string, or a stream it controls). */
  logSource: (pod: string, opts: LogStreamOptions) => string | NodeJS.ReadableStream = (pod, opts) => `${opts.timestamps ? '1970-01-01T00:00:00Z ' : ''}log line of ${pod}\n`;

  async logStream(_ns: string, pod: string, opts: LogStreamOptions): Promise<NodeJS.ReadableStream> {
    await this.check('logs', 'Pod', pod);
    const src = this.logSource(pod, opts);
    return typeof src === 'string' ? Readable.from([Buffer.from(src)]) : src;
  }

  async exec(_ns: string, pod: string): Promise<ExecResult> {
    await this.check('exec', 'Pod', pod);
    return {stdout: '', stderr: '', exitCode: 0};
  }

  /** Where a port-forward to a pod's port leads (e.g. test/support/fake-members.ts); default: a closed port. */
  forwardTo: (pod: string, port: number) => {host: string; port: number} | undefined = () => undefined;

  async portForward(_ns: string, pod: string, port: number): Promise<Forwarder> {
    await this.check('portforward', 'Pod', pod);
    const to = this.forwardTo(pod, port) ?? {host: '127.0.0.1', port: 1};
    return {host: to.host, port: to.port, pod, targetPort: port, close: async () => undefined};
  }

  async close(): Promise<void> {}
}

/** Equality-based label selectors: "a=b,c=d" (what kubectl-zk uses). */
export function matches(labels: Record<string, string>, selector?: string): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels[k!] === v;
  });
}

function mergeDeep(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = {...(target as Record<string, unknown>)};
  for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : mergeDeep(out[k], v);
  return out;
}

/** A pod as the kubelet would report it. */
export function fakePod(namespace: string, name: string, labels: Record<string, string>, state: 'ready' | 'running' | 'pending' | {waiting: string; message?: string} | 'unschedulable'): KubeObject {
  const conditions: {type: string; status: string; reason?: string; message?: string}[] = [];
  let containerStatuses: unknown[] = [];
  let phase = 'Pending';
  if (state === 'unschedulable') {
    conditions.push({type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.'});
  } else {
    conditions.push({type: 'PodScheduled', status: 'True'});
    if (state === 'ready' || state === 'running') {
      phase = 'Running';
      containerStatuses = [{name: 'zookeeper', ready: state === 'ready', restartCount: 0, state: {running: {startedAt: new Date(0).toISOString()}}}];
      conditions.push({type: 'Ready', status: state === 'ready' ? 'True' : 'False'});
    } else if (typeof state === 'object') {
      containerStatuses = [
        {
          name: 'zookeeper',
          ready: false,
          restartCount: 3,
          state: {waiting: {reason: state.waiting, message: state.message}},
          lastState: state.waiting === 'CrashLoopBackOff' ? {terminated: {exitCode: 1, reason: 'Error'}} : {},
        },
      ];
    }
  }
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace, labels}, spec: {nodeName: 'node-1'}, status: {phase, conditions, containerStatuses}};
}

/**
 * Seeds what `kubectl zk create` would have made (the rendered objects) plus
 * `replicas` Ready pods NAME-0…, so ops can run against a real loopback ensemble
 * with this in-memory API standing in for Kubernetes.
 */
export async function seedEnsemble(kube: FakeKube, name: string, namespace: string, replicas: number, spread?: import('../../src/manifests/spread.js').Spread): Promise<void> {
  const [{validateEnsembleOptions}, {renderEnsemble}, {loadAssets}, {ensembleLabels}] = await Promise.all([
    import('../../src/manifests/options.js'),
    import('../../src/manifests/render.js'),
    import('../../src/manifests/assets.js'),
    import('../../src/manifests/labels.js'),
  ]);
  const o = validateEnsembleOptions({name, namespace, replicas, spread}).options;
  kube.seed(...renderEnsemble(o, {superPassword: 'pw'}, loadAssets()));
  for (let i = 0; i < replicas; i++) kube.seed(fakePod(namespace, `${name}-${i}`, ensembleLabels(name, o.image), 'ready'));
}
