/**
 * failover-test --mode partition: cut the leader off from the other members
 * with NetworkPolicies, and heal it.
 *
 * NetworkPolicies only add allows, so the ensemble's own policy (members may
 * reach each other on 2888/3888) is narrowed to the members other than the
 * leader (spec.podSelector and the member rule's podSelector get
 * `statefulset.kubernetes.io/pod-name NotIn [leader]`), and a second policy,
 * NAME-partition, selects only the leader with no rule at all: no ingress and
 * no egress for it. Policy agents (kube-router among them) keep accepting
 * packets of connections that already exist, so the disruptor also stops the
 * leader's JVM until the followers give up on it (their connections close);
 * every connection it tries after that is dropped. Heal: the ensemble policy's
 * selector and rules are put back as they were and NAME-partition is deleted.
 */
import type {Kube, KubeObject, ObjectRef} from '../../kube/types.js';
import {OWNER_ANNOTATION} from '../../manifests/labels.js';
import {PORTS} from '../../manifests/names.js';

const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {key: string; operator: string; values?: string[]}[];
}
interface PolicyObject extends KubeObject {
  spec?: {podSelector?: LabelSelector; policyTypes?: string[]; ingress?: {from?: {podSelector?: LabelSelector; namespaceSelector?: unknown}[]; ports?: unknown[]}[]};
}

export const partitionPolicyName = (name: string) => `${name}-partition`;

/** The selector without the member `pod` (pure). */
export function excluding(sel: LabelSelector | undefined, pod: string): LabelSelector {
  const rest = (sel?.matchExpressions ?? []).filter((e) => !(e.key === POD_NAME_LABEL && e.operator === 'NotIn'));
  return {...(sel ?? {}), matchExpressions: [...rest, {key: POD_NAME_LABEL, operator: 'NotIn', values: [pod]}]};
}

/** The rule that admits members on the quorum and election ports (2888, 3888). */
function isMemberRule(rule: {ports?: unknown[]}): boolean {
  return (rule.ports ?? []).some((p) => [PORTS.quorum, PORTS.election].includes((p as {port?: unknown}).port as 2888 | 3888));
}

/** The ensemble policy's spec with the leader left out of whom it selects and of its member rule (pure). */
export function isolatedSpec(spec: NonNullable<PolicyObject['spec']>, leader: string): NonNullable<PolicyObject['spec']> {
  return {
    ...spec,
    podSelector: excluding(spec.podSelector, leader),
    ingress: (spec.ingress ?? []).map((rule) =>
      isMemberRule(rule) ? {...rule, from: rule.from?.map((peer) => (peer.podSelector && !peer.namespaceSelector ? {...peer, podSelector: excluding(peer.podSelector, leader)} : peer))} : rule,
    ),
  };
}

/** The policy that selects only the leader and allows it nothing (pure). */
export function partitionPolicy(ensemble: PolicyObject, leader: string): PolicyObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: partitionPolicyName(ensemble.metadata.name),
      namespace: ensemble.metadata.namespace,
      labels: ensemble.metadata.labels ?? {},
      annotations: {[OWNER_ANNOTATION]: ensemble.metadata.annotations?.[OWNER_ANNOTATION] ?? ensemble.metadata.name},
    },
    spec: {podSelector: {matchLabels: {[POD_NAME_LABEL]: leader}}, policyTypes: ['Ingress', 'Egress']},
  };
}

/**
 * Cuts `leader` off; resolves with the heal function (idempotent). On a
 * failure half-way it heals before it throws.
 */
export async function isolate(kube: Kube, namespace: string, name: string, leader: string): Promise<() => Promise<void>> {
  const ref: ObjectRef = {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name};
  const policy = await kube.get<PolicyObject>(ref);
  if (!policy?.spec) throw new Error(`the ensemble has no NetworkPolicy ${name} to narrow (kubectl zk secure ${name} makes it)`);
  const original = policy.spec;
  const cut = partitionPolicy(policy, leader);
  const heal = async () => {
    await kube.mergePatch(ref, {spec: {podSelector: {...original.podSelector, matchExpressions: original.podSelector?.matchExpressions ?? null}, ingress: original.ingress ?? null}});
    await kube.delete({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name: cut.metadata.name});
  };
  try {
    await kube.apply(cut, {force: true});
    const spec = isolatedSpec(original, leader);
    await kube.mergePatch(ref, {spec: {podSelector: spec.podSelector, ingress: spec.ingress}});
  } catch (e) {
    await heal().catch(() => undefined);
    throw e;
  }
  return heal;
}
