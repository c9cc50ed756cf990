/**
 * Where a member's trouble comes from when it is its node (pure): the pod's
 * node is gone or NotReady, or the pod is stuck Pending because its volume is
 * bound to a node that is gone, NotReady or cordoned. The local-path and
 * other node-local provisioners pin a PersistentVolume to one node, so such a
 * member cannot move: it comes back only with that node, or is rebuilt
 * elsewhere on an empty disk.
 */
import type {KubeObject} from '../../kube/types.js';

export interface NodeLike extends KubeObject {
  spec?: {unschedulable?: boolean; taints?: {key: string; effect: string}[]};
  status?: {conditions?: {type: string; status: string; reason?: string; lastTransitionTime?: string | Date}[]};
}

export interface VolumeLike extends KubeObject {
  spec?: {nodeAffinity?: {required?: {nodeSelectorTerms?: {matchExpressions?: {key: string; operator: string; values?: string[]}[]}[]}}};
}

export interface PodPlacement {
  pod: string;
  phase?: string;
  node?: string;
  /** PodScheduled=False's message, e.g. "volume node affinity conflict" */
  unschedulable?: string;
  /** the node the pod's data volume is pinned to, if any */
  volumeNode?: string;
}

export type NodeState = 'ready' | 'not-ready' | 'gone' | 'cordoned';

export interface MemberPlacementProblem {
  pod: string;
  node: string;
  state: Exclude<NodeState, 'ready'>;
  /** the pod runs (ran) there, or only its volume is pinned there */
  via: 'pod' | 'volume';
  text: string;
}

/** The hostname a node-local PV is pinned to (nodeAffinity required: kubernetes.io/hostname In [node]). */
export function pinnedNode(pv: VolumeLike | null | undefined): string | undefined {
  for (const term of pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const e of term.matchExpressions ?? []) if (e.key === 'kubernetes.io/hostname' && e.operator === 'In' && e.values?.length === 1) return e.values[0];
  }
  return undefined;
}

export function nodeState(nodes: readonly NodeLike[], name: string): {state: NodeState; reason?: string} {
  const n = nodes.find((x) => x.metadata.name === name);
  if (!n) return {state: 'gone'};
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return {state: 'not-ready', reason: ready ? `Ready=${ready.status}${ready.reason ? ` ${ready.reason}` : ''}` : 'no Ready condition'};
  if (n.spec?.unschedulable) return {state: 'cordoned'};
  return {state: 'ready'};
}

const WORDS: Record<Exclude<NodeState, 'ready'>, string> = {gone: 'is gone (no such node)', 'not-ready': 'is NotReady', cordoned: 'is cordoned'};

/** Members held down by their node; a cordoned node matters only to a pod that has to be scheduled. */
export function placementProblems(pods: readonly PodPlacement[], nodes: readonly NodeLike[]): MemberPlacementProblem[] {
  const out: MemberPlacementProblem[] = [];
  for (const p of pods) {
    if (p.node) {
      const s = nodeState(nodes, p.node);
      if (s.state === 'gone' || s.state === 'not-ready') {
        out.push({pod: p.pod, node: p.node, state: s.state, via: 'pod', text: `${p.pod}'s node ${p.node} ${WORDS[s.state]}${s.reason ? ` (${s.reason})` : ''}`});
      }
      continue;
    }
    if (p.phase === 'Pending' && p.volumeNode) {
      const s = nodeState(nodes, p.volumeNode);
      if (s.state === 'ready') continue;
      const why = p.unschedulable ? `: ${p.unschedulable}` : '';
      out.push({
        pod: p.pod,
        node: p.volumeNode,
        state: s.state,
        via: 'volume',
        text: `${p.pod} is stuck Pending: its volume is bound to node ${p.volumeNode}, which ${WORDS[s.state]}${s.reason ? ` (${s.reason})` : ''}${why}`,
      });
    }
  }
  return out;
}

/** What to do, appended to each problem's warning. */
export function placementAdvice(p: MemberPlacementProblem, o: {name: string; namespace: string}): string {
  const back = p.state === 'cordoned' ? `uncordon ${p.node} (kubectl uncordon ${p.node})` : `bring node ${p.node} back`;
  const ordinal = /-(\d+)$/.exec(p.pod)?.[1] ?? '?';
  return `${p.text}. The member's data lives on that node: ${back} and it rejoins with its data. If the node is lost for good, rebuild the member elsewhere on an empty disk while the quorum lives: kubectl zk member replace ${o.name} ${ordinal} -n ${o.namespace} (it removes server.${Number(ordinal) + 1} from the voting config, deletes PVC data-${p.pod} and pod ${p.pod}, and adds it back once it has synced; docs/operations.md#a-member-lost-with-its-node)`;
}
