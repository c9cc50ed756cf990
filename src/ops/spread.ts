import type {Kube} from '../kube/types.js';
import type {NodeLike} from './ensemble/placement.js';
import {spreadNode, spreadWarnings} from './ensemble/spread.js';
import {listMemberPods} from './wait.js';

/**
 * `create`'s spread warnings (the rule: ensemble/spread.ts): after placement,
 * members that share a node or a zone; before it (no --wait), too few
 * schedulable nodes or zones for the voters. The node list is cluster-scoped:
 * without it only the pods' own nodes are judged.
 */
export async function spreadCheck(kube: Kube, o: {namespace: string; name: string; replicas: number}, placed: boolean): Promise<string[]> {
  const [nodes, pods] = await Promise.all([
    kube.list<NodeLike>('v1', 'Node').then(
      (n) => n.map(spreadNode),
      () => undefined,
    ),
    placed ? listMemberPods(kube, o.namespace, o.name) : [],
  ]);
  const nodeOf = new Map(pods.map((p) => [p.metadata.name, p.spec?.nodeName]));
  const members = Array.from({length: o.replicas}, (_, i) => ({pod: `${o.name}-${i}`, node: nodeOf.get(`${o.name}-${i}`) ?? undefined, voter: true}));
  return spreadWarnings(members, nodes, {fewZones: true});
}
