import type {Kube, StatefulSetObject} from '../kube/types.js';
import {LABEL, managedSelector} from '../manifests/labels.js';
import type {Clock} from '../util/time.js';
import {toDate} from './pods.js';

export interface EnsembleSummary {
  name: string;
  namespace: string;
  replicas: number;
  ready: number;
  image: string;
  version?: string;
  created?: string;
  ageMs?: number;
}

export interface ListResult {
  allNamespaces: boolean;
  namespace?: string;
  ensembles: EnsembleSummary[];
}

export function summarize(sts: StatefulSetObject, now: number): EnsembleSummary {
  const created = toDate(sts.metadata.creationTimestamp);
  const container = sts.spec?.template?.spec?.containers?.find((c) => c.name === 'zookeeper') ?? sts.spec?.template?.spec?.containers?.[0];
  return {
    name: sts.metadata.labels?.[LABEL.instance] ?? sts.metadata.name,
    namespace: sts.metadata.namespace ?? '',
    replicas: sts.spec?.replicas ?? 0,
    ready: sts.status?.readyReplicas ?? 0,
    image: container?.image ?? '',
    version: sts.metadata.labels?.[LABEL.version],
    created: created?.toISOString(),
    ageMs: created ? now - created.getTime() : undefined,
  };
}

/** The ensembles kubectl-zk manages in a namespace, or in all of them. */
export async function listEnsembles(req: {namespace: string; allNamespaces: boolean}, deps: {kube: Kube; clock: Clock}): Promise<ListResult> {
  const sets = await deps.kube.list<StatefulSetObject>('apps/v1', 'StatefulSet', {
    namespace: req.allNamespaces ? undefined : req.namespace,
    labelSelector: managedSelector(),
  });
  const now = deps.clock.now();
  const ensembles = sets.map((s) => summarize(s, now)).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return {allNamespaces: req.allNamespaces, namespace: req.allNamespaces ? undefined : req.namespace, ensembles};
}
