import type {Kube} from '../kube/types.js';
import type {NodeLike} from './ensemble/placement.js';
import {decideSpread, spreadNode, spreadRoom, spreadWarnings, type SpreadChoice, type SpreadDecision, type SpreadNode} from './ensemble/spread.js';
import {errorMessage} from '../errors.js';
import {podName} from '../manifests/names.js';
import {spreadOfTemplate, type Spread, type SpreadLevel} from '../manifests/spread.js';
import type {StatefulSetObject} from '../kube/types.js';
import {listMemberPods} from './wait.js';

/**
 * `create`'s spread warnings (the rule: ensemble/spread.ts): after placement,
 * members that share a node or a zone; before it (no --wait), too few
 * schedulable nodes or zones for the voters. The node list is cluster-scoped:
 * without it only the pods' own nodes are judged.
 */
export async function spreadCheck(kube: Kube, o: {namespace: string; name: string; replicas: number}, placed: boolean): Promise<string[]> {
  const [nodes, pods] = await Promise.all([spreadNodes(kube).then((n) => (n instanceof Error ? undefined : n)), placed ? listMemberPods(kube, o.namespace, o.name) : []]);
  const nodeOf = new Map(pods.map((p) => [p.metadata.name, p.spec?.nodeName]));
  const members = Array.from({length: o.replicas}, (_, i) => ({pod: `${o.name}-${i}`, node: nodeOf.get(`${o.name}-${i}`) ?? undefined, voter: true}));
  return spreadWarnings(members, nodes, {fewZones: true});
}

/** The nodes as the spread rules see them; the error when they may not be listed (cluster-scoped). */
export function spreadNodes(kube: Kube): Promise<SpreadNode[] | Error> {
  return kube.list<NodeLike>('v1', 'Node').then(
    (n) => n.map(spreadNode),
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
}

/** create --spread: decided against the cluster's nodes (a list that fails leaves auto preferred, with a note). */
export async function chooseSpread(kube: Kube, choice: SpreadChoice, members: number): Promise<SpreadDecision> {
  const nodes = await spreadNodes(kube);
  return decideSpread(choice, members, nodes instanceof Error ? undefined : nodes, nodes instanceof Error ? `the nodes could not be listed (${errorMessage(nodes)})` : undefined);
}

/**
 * Why the ensemble's members could not all be placed with `members` slots, or
 * with member `replacing` rebuilt, under the spreading required by its
 * StatefulSet's template (or `spread`, a template about to be written: scale
 * --spread) and by the running member pods: a pod's required anti-affinity
 * binds every pod it selects, and pods keep the template they were made with
 * until they restart. Undefined when they can, or when nothing is required.
 */
export async function spreadRoomFor(kube: Kube, sts: StatefulSetObject, o: {name: string; namespace: string; members: number; replacing?: number; spread?: Spread}): Promise<string | undefined> {
  const template = o.spread ?? spreadOfTemplate(sts.metadata?.annotations, sts.spec?.template?.spec as never);
  const rebuilt = o.replacing === undefined ? undefined : podName(o.name, o.replacing);
  const pods = (await listMemberPods(kube, o.namespace, o.name)).filter((p) => p.metadata.name !== rebuilt);
  const strictPods = pods.filter((p) => spreadOfTemplate(undefined, p.spec as never).node === 'required').map((p) => p.metadata.name);
  const node: SpreadLevel = template.node === 'required' || strictPods.length > 0 ? 'required' : template.node;
  if (node !== 'required' && template.zone !== 'required') return undefined;
  const nodes = await spreadNodes(kube);
  if (nodes instanceof Error) return undefined; // the scheduler still enforces it; the wait reports a pod that cannot be placed
  const stale = template.node !== 'required' && strictPods.length > 0;
  const restart = stale
    ? ` (the template no longer requires it, but the running members ${strictPods.join(', ')} were made when it did and keep it until they restart: roll them onto the template with kubectl zk restart ${o.name} -n ${o.namespace} first)`
    : '';
  if (rebuilt === undefined) {
    const why = spreadRoom({node, zone: template.zone}, o.members, nodes);
    return why && `${why}${restart}`;
  }
  if (node !== 'required') return undefined;
  const taken = new Map(pods.filter((p) => p.spec?.nodeName).map((p) => [p.spec!.nodeName!, p.metadata.name]));
  const free = nodes.filter((n) => n.schedulable && !taken.has(n.name));
  if (free.length > 0) return undefined;
  const held = [...taken.entries()].map(([n, p]) => `${n} holds ${p}`).join(', ');
  const down = nodes.filter((n) => !n.schedulable).map((n) => n.name);
  return `one member per node is required (spread node=required) and no schedulable node is free for ${rebuilt}: ${held || 'no member placed'}${down.length > 0 ? `; not schedulable: ${down.join(', ')}` : ''}${restart}`;
}
