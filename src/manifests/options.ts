import {UsageError} from '../errors.js';
import {parseClientSources, type ClientSource} from './network.js';
import {parseHeapMb, parseQuantity} from '../util/quantity.js';
import {versionFromImage} from './labels.js';
import type {Spread} from './spread.js';

/** The oldest ZooKeeper create --tls accepts (ssl.quorum.clientHostnameVerification came with 3.9.0). */
export const MIN_TLS_ZOOKEEPER = '3.9.0';

/**
 * The ZooKeeper version `create` runs without --image: the newest release of
 * the 3.9 line, the one the test images are built from. It must equal the
 * version pinned in scripts/zookeeper/3.9/pom.xml (a unit test compares them).
 */
export const DEFAULT_ZOOKEEPER_VERSION = '3.9.5';
/** The image `create` uses without --image (the official image; containerd reads it as docker.io/library/zookeeper). */
export const DEFAULT_IMAGE = `zookeeper:${DEFAULT_ZOOKEEPER_VERSION}`;
export const MAX_NAME_LENGTH = 52; // StatefulSet pods carry a controller-revision-hash label of NAME-<10 chars>, capped at 63
export const MAX_REPLICAS = 255; // ZooKeeper server ids 1..255 in this layout (myid = ordinal + 1)

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export type Storage = {ephemeral: true} | {ephemeral: false; size: string; storageClass?: string};

/** Everything the manifests need, validated. Produced by validateEnsembleOptions. */
export interface EnsembleOptions {
  name: string;
  namespace: string;
  replicas: number;
  image: string;
  imagePullPolicy?: PullPolicy;
  storage: Storage;
  cpu: string;
  memory: string;
  heapMb: number;
  clusterDomain: string;
  tickTime: number;
  initLimit: number;
  syncLimit: number;
  /** who may connect to the client port (the NetworkPolicy) */
  clientSources: ClientSource[];
  /** create --tls: clients and quorum in TLS, certificates from a CA of the ensemble's own */
  tls?: boolean;
  /** how members spread over nodes and zones (create --spread, decided against the nodes); absent: preferred */
  spread?: Spread;
}

/** The raw flag values of `create` (and later `upgrade`). */
export interface EnsembleFlags {
  name: string;
  namespace: string;
  replicas?: number;
  image?: string;
  imagePullPolicy?: string;
  storage?: string;
  storageClass?: string;
  ephemeral?: boolean;
  cpu?: string;
  memory?: string;
  heap?: string;
  clusterDomain?: string;
  tickTime?: number;
  initLimit?: number;
  syncLimit?: number;
  allowClientsFrom?: string[];
  tls?: boolean;
  /** already decided (create --spread; report reads it from the live StatefulSet) */
  spread?: Spread;
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** NAME becomes a StatefulSet, Services (DNS-1035: starts with a letter) and pod names NAME-<ordinal>. */
export function validateName(name: string): void {
  if (!name) throw new UsageError('an ensemble name is required', 'kubectl zk create NAME');
  if (!DNS1035.test(name)) {
    throw new UsageError(`invalid ensemble name "${name}"`, 'use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit');
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new UsageError(
      `ensemble name "${name}" is ${name.length} characters long`,
      `at most ${MAX_NAME_LENGTH}, so that pod names, the headless Service ${name}-hs and StatefulSet revision labels fit in 63`,
    );
  }
}

export function validateNamespace(ns: string): void {
  if (!DNS1123_LABEL.test(ns) || ns.length > 63) throw new UsageError(`invalid namespace "${ns}"`);
}

export function validateReplicas(n: number, flag = 'replicas'): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
    throw new UsageError(`--${flag} must be between 1 and ${MAX_REPLICAS}, got ${n}`, 'ZooKeeper server ids are 1-255');
  }
}

/** Image references: no whitespace, no uppercase repository, an optional tag/digest. */
export function validateImage(image: string): void {
  if (!/^[a-z0-9]+([._/:-][a-z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(image) || image.length > 512) {
    throw new UsageError(`invalid image reference "${image}"`, `for example ${DEFAULT_IMAGE} or registry.example.com/zookeeper@sha256:…`);
  }
}

/**
 * The heap rule: default half the memory limit, at most 75% of it (--heap).
 * The rest is for metaspace, thread stacks, direct buffers (NIO/Netty) and
 * the page cache the transaction log and snapshots go through.
 */
export const MAX_HEAP_FRACTION = 0.75;

/** Heap defaults to half the memory limit. */
export function defaultHeapMb(memoryBytes: number): number {
  return Math.max(32, Math.floor(memoryBytes / 2 ** 20 / 2));
}

export function validateEnsembleOptions(f: EnsembleFlags): {options: EnsembleOptions; warnings: string[]} {
  const warnings: string[] = [];
  validateName(f.name);
  validateNamespace(f.namespace);
  const replicas = f.replicas ?? 3;
  validateReplicas(replicas);
  if (replicas % 2 === 0) {
    warnings.push(`${replicas} voters tolerate no more failures than ${replicas - 1}; an odd size is usually better`);
  }
  if (replicas < 3) warnings.push(`${replicas} voter${replicas === 1 ? '' : 's'}: losing any member loses the quorum`);
  const image = f.image ?? DEFAULT_IMAGE;
  validateImage(image);
  let imagePullPolicy: PullPolicy | undefined;
  if (f.imagePullPolicy !== undefined) {
    if (!['Always', 'IfNotPresent', 'Never'].includes(f.imagePullPolicy)) {
      throw new UsageError(`invalid --image-pull-policy "${f.imagePullPolicy}"`, 'one of Always, IfNotPresent, Never');
    }
    imagePullPolicy = f.imagePullPolicy as PullPolicy;
  }

  const cpu = f.cpu ?? '250m';
  if (parseQuantity(cpu, 'cpu') <= 0) throw new UsageError('--cpu must be positive');
  const memory = f.memory ?? '1Gi';
  const memoryBytes = parseQuantity(memory, 'memory');
  if (memoryBytes < 128 * 2 ** 20) throw new UsageError(`--memory ${memory} is too small`, 'ZooKeeper needs at least 128Mi');
  const heapMb = f.heap !== undefined ? parseHeapMb(f.heap) : defaultHeapMb(memoryBytes);
  if (heapMb * 2 ** 20 > memoryBytes * MAX_HEAP_FRACTION) {
    const most = Math.floor((memoryBytes * MAX_HEAP_FRACTION) / 2 ** 20);
    throw new UsageError(
      `--heap ${f.heap ?? `${heapMb}m`} leaves too little of --memory ${memory} outside the heap`,
      `the heap may take at most 75% of the memory limit (${most}m here); the rest is for direct buffers, threads and metaspace`,
    );
  }

  const storage = validateStorage(f, warnings);

  const clusterDomain = f.clusterDomain ?? 'cluster.local';
  if (!DOMAIN.test(clusterDomain)) throw new UsageError(`invalid --cluster-domain "${clusterDomain}"`);

  const tickTime = f.tickTime ?? 2000;
  const initLimit = f.initLimit ?? 10;
  const syncLimit = f.syncLimit ?? 5;
  for (const [flag, v, min, max] of [
    ['tick-time', tickTime, 100, 60_000],
    ['init-limit', initLimit, 1, 1000],
    ['sync-limit', syncLimit, 1, 1000],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${v}`);
  }

  const clientSources = parseClientSources(f.allowClientsFrom);
  if (clientSources.some((s) => s.kind === 'all')) {
    warnings.push('--allow-clients-from all: every pod of the cluster may connect to the client port; the root ACL still keeps ADMIN (snapshot, restore, setAcl /) to the super user');
  }

  if (f.tls) checkTlsImage(image, warnings);
  return {
    options: {
      name: f.name,
      namespace: f.namespace,
      replicas,
      image,
      imagePullPolicy,
      storage,
      cpu,
      memory,
      heapMb,
      clusterDomain,
      tickTime,
      initLimit,
      syncLimit,
      clientSources,
      ...(f.tls ? {tls: true} : {}),
      ...(f.spread ? {spread: f.spread} : {}),
    },
    warnings,
  };
}

/**
 * --tls needs ZooKeeper 3.9 (MIN_TLS_ZOOKEEPER): a 3.8 member checks the name
 * of every quorum peer that connects to it, which for a pod is its IP address
 * (in no certificate made ahead) or the reverse DNS name of that address; 3.9
 * turns that check off (ssl.quorum.clientHostnameVerification) and keeps the
 * check of the peer it dials. An image whose tag says no version is taken at
 * its word, with a warning.
 */
export function checkTlsImage(image: string, warnings: string[]): void {
  const tag = versionFromImage(image);
  const version = tag && /^(\d+)\.(\d+)\.(\d+)/.exec(tag);
  if (!version) {
    warnings.push(`--tls: the image tag of ${image} names no ZooKeeper version; --tls needs ${MIN_TLS_ZOOKEEPER} or newer`);
    return;
  }
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new UsageError(
      `--tls needs ZooKeeper ${MIN_TLS_ZOOKEEPER} or newer; image ${image} is ${version[0]}`,
      `use --image ${DEFAULT_IMAGE}: a 3.8 member checks each quorum peer that connects to it by its pod IP or reverse DNS name, which no certificate made ahead can carry (3.9 has ssl.quorum.clientHostnameVerification)`,
    );
  }
}

function validateStorage(f: Pick<EnsembleFlags, 'ephemeral' | 'storage' | 'storageClass'>, warnings: string[]): Storage {
  if (f.ephemeral && (f.storage !== undefined || f.storageClass !== undefined)) {
    throw new UsageError('--ephemeral cannot be combined with --storage or --storage-class');
  }
  if (f.ephemeral) {
    warnings.push('--ephemeral: data lives in emptyDir volumes and is lost with the pods (development only)');
    return {ephemeral: true};
  }
  const size = f.storage ?? '1Gi';
  if (parseQuantity(size, 'storage') < 2 ** 20) throw new UsageError(`--storage ${size} is too small`);
  if (f.storageClass !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(f.storageClass)) {
    throw new UsageError(`invalid --storage-class "${f.storageClass}"`);
  }
  return {ephemeral: false, size, storageClass: f.storageClass};
}
