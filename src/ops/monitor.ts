import {errorMessage} from '../errors.js';
import type {Kube, KubeObject} from '../kube/types.js';
import {ownedByStatefulSet, POD_MONITOR} from '../manifests/monitor.js';

const isMonitor = (o: KubeObject): boolean => o.apiVersion === POD_MONITOR.apiVersion && o.kind === POD_MONITOR.kind;

/**
 * `create --monitor`: the rendered objects, without the PodMonitor when the
 * API server does not serve that kind (the Prometheus Operator's CRD is not
 * installed) or discovery fails: a warning, not a failure — the members serve
 * their metrics either way.
 */
export async function droppingUnservedMonitor(kube: Kube, objects: KubeObject[], warn: (w: string) => void): Promise<KubeObject[]> {
  if (!objects.some(isMonitor)) return objects;
  let why: string | undefined;
  try {
    if (!(await kube.servesKind(POD_MONITOR.apiVersion, POD_MONITOR.kind)))
      why = `the API server does not serve ${POD_MONITOR.kind} (${POD_MONITOR.apiVersion}): is the Prometheus Operator installed?`;
  } catch (e) {
    why = `could not ask the API server whether it serves ${POD_MONITOR.kind} (${errorMessage(e)})`;
  }
  if (!why) return objects;
  warn(`--monitor: ${why}; no PodMonitor made (the members serve metrics on port 7000 all the same)`);
  return objects.filter((o) => !isMonitor(o));
}

/** The object to apply, given those applied before it: the PodMonitor is owned by the StatefulSet (gone with it). */
export function withOwner(obj: KubeObject, applied: readonly KubeObject[]): KubeObject {
  const sts = applied.find((a) => a.kind === 'StatefulSet');
  return isMonitor(obj) && sts ? ownedByStatefulSet(obj, sts) : obj;
}
