/**
 * The pod template of a roll (pure): what an upgrade changes (only the
 * zookeeper container's image, pull policy, resources and ZK_HEAP_MB, and the
 * version label), what a restart bumps (the annotation kubectl-zk/restartedAt),
 * the patches that do it, and how a pod's revision and image are read.
 */
import type {V1Container} from '@kubernetes/client-node';
import type {StatefulSetObject} from '../../kube/types.js';
import {LABEL, versionFromImage} from '../../manifests/labels.js';
import {validateEnsembleOptions} from '../../manifests/options.js';
import {parseQuantity} from '../../util/quantity.js';
import type {PodLike} from '../pods.js';
import {REVISION_LABEL} from '../status.js';

/** The pod-template annotation `restart` sets: a new template revision without any other change. */
export const RESTARTED_AT = 'kubectl-zk/restartedAt';
export const ZK_CONTAINER = 'zookeeper';
export const HEAP_ENV = 'ZK_HEAP_MB';

/** What an upgrade can change, and what a restart bumps. */
export interface TemplateSpec {
  image?: string;
  imagePullPolicy?: string;
  cpu?: string;
  memory?: string;
  heapMb?: number;
  restartedAt?: string;
}

/** The raw flags of `upgrade` (validated with create's rules against the current values). */
export interface TemplateChange {
  image?: string;
  imagePullPolicy?: string;
  cpu?: string;
  memory?: string;
  heap?: string;
}

type Container = V1Container;

/** The StatefulSet as the roll reads and patches it (client-node's V1 types: src/kube/types.ts). */
export type RollStatefulSet = StatefulSetObject;

function zkContainer(sts: RollStatefulSet): Container | undefined {
  return sts.spec?.template?.spec?.containers?.find((c) => c.name === ZK_CONTAINER);
}

/** An ensemble made with --tls: its members have a secure client port. */
export function hasTlsTemplate(sts: RollStatefulSet): boolean {
  return (zkContainer(sts)?.ports ?? []).some((p) => p.name === 'secure-client');
}

export function templateOf(sts: RollStatefulSet): TemplateSpec {
  const c = zkContainer(sts);
  const heap = c?.env?.find((e) => e.name === HEAP_ENV)?.value;
  return {
    image: c?.image,
    imagePullPolicy: c?.imagePullPolicy,
    cpu: c?.resources?.requests?.cpu,
    memory: c?.resources?.limits?.memory ?? c?.resources?.requests?.memory,
    heapMb: heap !== undefined && /^\d+$/.test(heap) ? Number(heap) : undefined,
    restartedAt: sts.spec?.template?.metadata?.annotations?.[RESTARTED_AT],
  };
}

export function sameQuantity(a: string | undefined, b: string | undefined, flag: string): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  try {
    return parseQuantity(a, flag) === parseQuantity(b, flag);
  } catch {
    return false;
  }
}

/**
 * The template an upgrade asks for: the current values with the flags given
 * laid over them, validated with create's rules (image reference, pull
 * policy, cpu, memory >= 128Mi, heap <= 75% of memory). --memory without
 * --heap sets the heap to create's default, half the memory.
 */
export function desiredTemplate(o: {name: string; namespace: string; tls?: boolean}, from: TemplateSpec, change: TemplateChange): {to: TemplateSpec; changes: string[]} {
  const heap = change.heap ?? (change.memory !== undefined || from.heapMb === undefined ? undefined : `${from.heapMb}m`);
  const {options} = validateEnsembleOptions({
    name: o.name,
    namespace: o.namespace,
    replicas: 3, // not changed by an upgrade; 3 keeps the size warnings out
    image: change.image ?? from.image,
    imagePullPolicy: change.imagePullPolicy ?? from.imagePullPolicy,
    cpu: change.cpu ?? from.cpu,
    memory: change.memory ?? from.memory,
    heap,
    tls: o.tls, // an ensemble made with --tls stays on an image that can run it
  });
  const to: TemplateSpec = {
    image: options.image,
    imagePullPolicy: options.imagePullPolicy ?? from.imagePullPolicy,
    cpu: change.cpu !== undefined ? options.cpu : (from.cpu ?? options.cpu),
    memory: change.memory !== undefined ? options.memory : (from.memory ?? options.memory),
    heapMb: options.heapMb,
    restartedAt: from.restartedAt,
  };
  const changes: string[] = [];
  if (to.image !== from.image) changes.push(`image ${from.image ?? '-'} → ${to.image}`);
  if (to.imagePullPolicy !== from.imagePullPolicy) changes.push(`imagePullPolicy ${from.imagePullPolicy ?? '-'} → ${to.imagePullPolicy}`);
  if (!sameQuantity(from.cpu, to.cpu, 'cpu')) changes.push(`cpu ${from.cpu ?? '-'} → ${to.cpu}`);
  if (!sameQuantity(from.memory, to.memory, 'memory')) changes.push(`memory ${from.memory ?? '-'} → ${to.memory}`);
  if (to.heapMb !== from.heapMb)
    changes.push(`heap ${from.heapMb === undefined ? '-' : `${from.heapMb}m`} → ${to.heapMb}m${change.heap === undefined ? ' (half of --memory, as create does; --heap chooses)' : ''}`);
  return {to, changes};
}

/**
 * A JSON merge patch of just the changed fields. The containers list is
 * replaced as a whole by merge patch, so it is the live list with only the
 * zookeeper container's image/pull policy/resources/heap changed; the
 * resourceVersion makes a concurrent change a 409 (retried) instead of lost.
 * Never the replicas, never the ConfigMap: scale owns those.
 */
export function upgradePatch(sts: RollStatefulSet, to: TemplateSpec): Record<string, unknown> {
  const containers = (sts.spec?.template?.spec?.containers ?? []).map((c) => {
    if (c.name !== ZK_CONTAINER) return c;
    const env = [...(c.env ?? [])];
    const i = env.findIndex((e) => e.name === HEAP_ENV);
    if (to.heapMb !== undefined) {
      if (i >= 0) env[i] = {name: HEAP_ENV, value: String(to.heapMb)};
      else env.push({name: HEAP_ENV, value: String(to.heapMb)});
    }
    return {
      ...c,
      ...(to.image ? {image: to.image} : {}),
      ...(to.imagePullPolicy ? {imagePullPolicy: to.imagePullPolicy} : {}),
      resources: {
        ...c.resources,
        requests: {...c.resources?.requests, ...(to.cpu ? {cpu: to.cpu} : {}), ...(to.memory ? {memory: to.memory} : {})},
        limits: {...c.resources?.limits, ...(to.memory ? {memory: to.memory} : {})},
      },
      env,
    };
  });
  const version = to.image ? (versionFromImage(to.image) ?? null) : undefined;
  const labels = version === undefined ? {} : {labels: {[LABEL.version]: version}};
  return {
    metadata: {name: sts.metadata.name, namespace: sts.metadata.namespace, resourceVersion: sts.metadata.resourceVersion, ...labels},
    spec: {template: {metadata: {...labels}, spec: {containers}}},
  };
}

/** restart: a new template revision that differs only in an annotation (as `kubectl rollout restart` does). */
export function restartPatch(sts: RollStatefulSet, at: string): Record<string, unknown> {
  return {
    metadata: {name: sts.metadata.name, namespace: sts.metadata.namespace},
    spec: {template: {metadata: {annotations: {[RESTARTED_AT]: at}}}},
  };
}

/** The template's revision once the controller has seen the latest spec; undefined while it has not. */
export function settledRevision(sts: RollStatefulSet): string | undefined {
  const generation = Number(sts.metadata.generation ?? 0);
  if ((sts.status?.observedGeneration ?? 0) < generation) return undefined;
  return sts.status?.updateRevision;
}

export function revisionOf(pod: PodLike): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

export function imageOf(pod: PodLike): string | undefined {
  return pod.spec?.containers?.find((c) => c.name === ZK_CONTAINER)?.image;
}

/** The upgrade that restores `from` (only the flags for what changed). */
export function goBackCommand(req: {name: string; namespace: string}, from: TemplateSpec, to: TemplateSpec): string {
  const flags: string[] = [];
  if (from.image && from.image !== to.image) flags.push(`--image ${from.image}`);
  if (from.imagePullPolicy && from.imagePullPolicy !== to.imagePullPolicy) flags.push(`--image-pull-policy ${from.imagePullPolicy}`);
  if (from.cpu && !sameQuantity(from.cpu, to.cpu, 'cpu')) flags.push(`--cpu ${from.cpu}`);
  if (from.memory && !sameQuantity(from.memory, to.memory, 'memory')) flags.push(`--memory ${from.memory}`);
  if (from.heapMb !== undefined && from.heapMb !== to.heapMb) flags.push(`--heap ${from.heapMb}m`);
  return `kubectl zk upgrade ${req.name} -n ${req.namespace} ${flags.join(' ')}`.trimEnd();
}
