import type {PodObject} from '../kube/types.js';

/** The parts of a Pod that kubectl-zk reads (client-node's V1Pod types). */
export type PodLike = PodObject;

/** Container waiting reasons that retrying will not fix. */
export const FATAL_WAITING = new Set(['InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError']);

/**
 * CreateContainerConfigError is fatal when the pod names a Secret, ConfigMap or key that is not
 * there; this message is the kubelet's own cache not synced yet, which passes by itself.
 */
const KUBELET_CACHE_NOT_SYNCED = /failed to sync (secret|configmap) cache/i;

export function podCondition(pod: PodLike, type: string): boolean {
  return pod.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

export function isScheduled(pod: PodLike): boolean {
  return podCondition(pod, 'PodScheduled');
}

export function isReady(pod: PodLike): boolean {
  return podCondition(pod, 'Ready');
}

export function isRunning(pod: PodLike): boolean {
  const cs = pod.status?.containerStatuses ?? [];
  return pod.status?.phase === 'Running' && cs.length > 0 && cs.every((c) => c.state?.running);
}

export function restarts(pod: PodLike): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

export function ordinalOf(pod: PodLike): number {
  const m = /-(\d+)$/.exec(pod.metadata.name);
  return m ? Number(m[1]) : -1;
}

export function byOrdinal<T extends PodLike>(pods: T[]): T[] {
  return [...pods].sort((a, b) => ordinalOf(a) - ordinalOf(b));
}

export interface PodProblem {
  pod: string;
  reason: string;
  message: string;
  /** retrying will not help */
  fatal: boolean;
  /** worth reading the container's previous logs */
  crashed: boolean;
}

/**
 * Why a pod is not (yet) serving, in the pod's own words: the scheduler's
 * message while Pending, the container's waiting reason (ImagePullBackOff,
 * CrashLoopBackOff, …), or a failed readiness. null when it looks fine.
 */
export function podProblem(pod: PodLike): PodProblem | null {
  const name = pod.metadata.name;
  if (pod.metadata.deletionTimestamp) return {pod: name, reason: 'Terminating', message: 'the pod is being deleted', fatal: false, crashed: false};
  const sched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (sched && sched.status !== 'True') {
    return {pod: name, reason: sched.reason ?? 'Unschedulable', message: sched.message ?? 'not scheduled yet', fatal: false, crashed: false};
  }
  for (const c of pod.status?.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w?.reason === 'CreateContainerConfigError' && KUBELET_CACHE_NOT_SYNCED.test(w.message ?? '')) {
      // the kubelet has not yet seen the Secret/ConfigMap the pod mounts (a loaded API server): it retries by itself
      return {pod: name, reason: 'Pending', message: `the kubelet is still reading the pod's Secrets and ConfigMaps (${w.message})`, fatal: false, crashed: false};
    }
    if (w?.reason && w.reason !== 'ContainerCreating' && w.reason !== 'PodInitializing') {
      const last = c.lastState?.terminated;
      const detail = w.message ?? (last ? `last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '');
      return {pod: name, reason: w.reason, message: detail, fatal: FATAL_WAITING.has(w.reason), crashed: w.reason === 'CrashLoopBackOff' || Boolean(last)};
    }
    const t = c.state?.terminated;
    if (t) return {pod: name, reason: t.reason ?? 'Terminated', message: `exit code ${t.exitCode}${t.message ? `: ${t.message}` : ''}`, fatal: false, crashed: true};
  }
  if (pod.status?.phase === 'Pending') return {pod: name, reason: 'Pending', message: 'containers are being created', fatal: false, crashed: false};
  if (!isReady(pod)) {
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    return {pod: name, reason: 'NotReady', message: ready?.message ?? 'not serving yet (no quorum, or still starting)', fatal: false, crashed: false};
  }
  return null;
}

export function toDate(ts: string | Date | undefined): Date | undefined {
  if (!ts) return undefined;
  return ts instanceof Date ? ts : new Date(ts);
}
