import type {V1PodDisruptionBudgetStatus, V1PodSpec, V1PodStatus, V1Secret, V1StatefulSetSpec, V1StatefulSetStatus} from '@kubernetes/client-node';
/**
 * The interface the rest of the plugin uses to talk to the API server.
 * src/kube/client.ts implements it over @kubernetes/client-node; tests use an
 * in-memory fake (test/support/fake-kube.ts) for the error paths.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  ownerReferences?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * A StatefulSet as kubectl-zk reads it: client-node's V1StatefulSetSpec and
 * V1StatefulSetStatus (type-only imports: nothing of client-node is loaded for
 * them), with every field optional since a read may carry any subset.
 */
export interface StatefulSetObject extends KubeObject {
  spec?: Partial<V1StatefulSetSpec>;
  status?: Partial<V1StatefulSetStatus>;
}

/**
 * A Pod as kubectl-zk reads it: client-node's V1PodSpec and V1PodStatus, every
 * field optional (a read may carry any subset; the API's timestamps arrive as
 * strings, so read them with toDate).
 */
export interface PodObject extends KubeObject {
  spec?: Partial<V1PodSpec>;
  status?: Partial<V1PodStatus>;
}

/** A Secret's payload fields (client-node's V1Secret). */
export interface SecretObject extends KubeObject {
  data?: V1Secret['data'];
  stringData?: V1Secret['stringData'];
  type?: string;
}

/** A PodDisruptionBudget as read (client-node's V1PodDisruptionBudgetStatus). */
export interface PodDisruptionBudgetObject extends KubeObject {
  status?: Partial<V1PodDisruptionBudgetStatus>;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ListOptions {
  /** undefined lists across all namespaces */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
}

export interface LogStreamOptions {
  container?: string;
  /** keep the stream open until the container ends */
  follow?: boolean;
  /** each line starts with the kubelet's RFC3339Nano time and a space */
  timestamps?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC3339 time; wins over sinceSeconds */
  sinceTime?: string;
  previous?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A local TCP listener on 127.0.0.1 whose every connection is tunnelled to a pod port. */
export interface Forwarder {
  readonly host: string;
  readonly port: number;
  readonly pod: string;
  readonly targetPort: number;
  close(): Promise<void>;
}

export interface Kube {
  readonly server: string;
  readonly context: string;
  /** The namespace from -n, else the context's, else "default". */
  readonly namespace: string;

  /** Server-side apply with field manager "kubectl-zk". */
  apply<T extends KubeObject>(obj: T, opts?: {force?: boolean}): Promise<T>;
  /** null when the object does not exist */
  get<T extends KubeObject>(ref: ObjectRef): Promise<T | null>;
  list<T extends KubeObject>(apiVersion: string, kind: string, opts?: ListOptions): Promise<T[]>;
  /** false when it was already gone */
  delete(ref: ObjectRef, opts?: DeleteOptions): Promise<boolean>;
  /** POST: a new object (409 AlreadyExists when it exists). */
  create<T extends KubeObject>(obj: T): Promise<T>;
  /** PUT: replaces the object; with metadata.resourceVersion set, a 409 Conflict when it changed since that read. */
  replace<T extends KubeObject>(obj: T): Promise<T>;
  /**
   * The Eviction API (policy/v1, pods/eviction): removes a pod only when its
   * PodDisruptionBudgets allow it. False when the pod was already gone; a
   * budget that forbids it now throws a KubeError with status 429 (its
   * apiMessage names the budget).
   */
  evict(namespace: string, pod: string): Promise<boolean>;
  /**
   * API discovery: whether the API server serves this kind at this
   * group/version (a CRD's kind only once the CRD is established). False when
   * the group/version is unknown (404).
   */
  servesKind(apiVersion: string, kind: string): Promise<boolean>;
  /** JSON merge patch, for small changes such as spec.replicas */
  mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T>;
  logs(namespace: string, pod: string, opts?: {container?: string; tailLines?: number; previous?: boolean}): Promise<string>;
  /** A container's log as a byte stream (GET pods/log); with follow it ends when the container does, or on abort. */
  logStream(namespace: string, pod: string, opts: LogStreamOptions, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  exec(namespace: string, pod: string, command: string[], opts?: {container?: string; stdin?: Buffer}): Promise<ExecResult>;
  /**
   * A local port forwarded to the pod's port. `bulk`: for a large transfer (a snapshot), run by
   * the user's `kubectl port-forward` when there is one (src/kube/kubectl-forward.ts: its framing
   * and TLS off the plugin's thread), else in-process like the others.
   */
  portForward(namespace: string, pod: string, port: number, opts?: {bulk?: boolean}): Promise<Forwarder>;
  /**
   * A hint: the command will open a stream (a port-forward's connection) soon. The client may
   * open its TLS connection now, while other requests are in flight; the next stream uses it.
   */
  connectAhead?(): void;
  /** Closes forwarders and sockets this client opened. */
  close(): Promise<void>;
}
