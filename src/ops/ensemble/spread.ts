/**
 * How the members are spread over nodes and zones (pure): the warnings
 * `status` and `create` print. Spreading is preferred, not required
 * (docs/operations.md), so a placement that could be better is said, never
 * refused. The rule, worded once here:
 *
 * - **Nodes.** Members that share a node are always named: one node failure
 *   takes several. When fewer schedulable nodes (Ready, not cordoned) exist
 *   than members, that is said with it; before any member is placed, that alone
 *   is the warning.
 * - **Zones** (the `topology.kubernetes.io/zone` node label), judged only when
 *   every node involved carries the label and the schedulable nodes span at
 *   least two zones (else zones are unknown, or the cluster is zonal: nothing
 *   to do about them), and only for 3 or more voters (1 or 2 voters lose the
 *   quorum with any member: warned elsewhere):
 *   - a zone holding more voters than the ensemble tolerates losing
 *     (voters − quorum) takes the quorum with it. Warned when the schedulable
 *     zones could hold the voters so that no single zone's loss takes the
 *     quorum (⌈voters / zones⌉ ≤ tolerated); when they cannot, only `create`
 *     says so (`fewZones`), once: `status` does not repeat what nobody can fix;
 *   - otherwise members that share a zone are named only when there are at
 *     least as many schedulable zones as members (the sharing was avoidable);
 *   - before any member is placed (`create --no-wait`): too few zones for any
 *     placement to survive one zone's loss.
 */
import {quorumSize} from './quorum.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface SpreadMember {
  pod: string;
  /** the node it runs on; undefined while unscheduled */
  node?: string;
  voter: boolean;
}

export interface SpreadNode {
  name: string;
  zone?: string;
  /** Ready and not cordoned: a member could be placed there */
  schedulable: boolean;
}

const groups = (pairs: [string, string][]): [string, string[]][] => {
  const m = new Map<string, string[]>();
  for (const [k, pod] of pairs) m.set(k, [...(m.get(k) ?? []), pod]);
  return [...m.entries()];
};
const list = (g: [string, string[]][]) => g.map(([k, pods]) => `${k}: ${pods.join(', ')}`).join('; ');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `nodes` undefined: the node list could not be read (only what the pods say is judged). `fewZones`: also say when the zones are too few for any placement to survive one zone (create). */
export function spreadWarnings(members: readonly SpreadMember[], nodes: readonly SpreadNode[] | undefined, o: {fewZones?: boolean} = {}): string[] {
  const w: string[] = [];
  const placed = members.filter((m): m is SpreadMember & {node: string} => m.node !== undefined);
  const schedulable = nodes?.filter((n) => n.schedulable) ?? [];
  const fewNodes = nodes !== undefined && schedulable.length < members.length;
  const sharedNodes = groups(placed.map((m) => [m.node, m.pod])).filter(([, pods]) => pods.length > 1);
  if (sharedNodes.length > 0) {
    w.push(`members share a node: ${list(sharedNodes)} (one node failure takes several${fewNodes ? `; only ${plural(schedulable.length, 'schedulable node')} for ${members.length} members` : ''})`);
  } else if (placed.length === 0 && fewNodes) {
    w.push(`only ${plural(schedulable.length, 'schedulable node')} for ${members.length} members: some will share a node (one node failure takes several)`);
  }
  if (nodes) w.push(...zoneWarnings(members, placed, nodes, schedulable, Boolean(o.fewZones)));
  return w;
}

function zoneWarnings(
  members: readonly SpreadMember[],
  placed: readonly (SpreadMember & {node: string})[],
  nodes: readonly SpreadNode[],
  schedulable: readonly SpreadNode[],
  fewZones: boolean,
): string[] {
  const voters = members.filter((m) => m.voter).length;
  if (voters < 3) return [];
  const zoneOf = new Map(nodes.map((n) => [n.name, n.zone]));
  const zones = new Set(schedulable.map((n) => n.zone));
  // zones are known only when every node involved carries the label; one zone is a zonal cluster
  if (zones.size < 2 || zones.has(undefined) || placed.some((m) => zoneOf.get(m.node) === undefined)) return [];
  const tolerated = voters - quorumSize(voters);
  const couldSurvive = Math.ceil(voters / zones.size) <= tolerated;
  const spreadable = `${plural(zones.size, 'schedulable zone')} ${couldSurvive ? 'could hold them so that no single zone takes the quorum' : `cannot hold ${voters} voters so that no single zone takes the quorum`}`;
  if (placed.length === 0) return fewZones && !couldSurvive ? [`only ${plural(zones.size, 'schedulable zone')} for ${voters} voters: one zone's loss can take the quorum`] : [];
  const byZone = groups(placed.map((m) => [zoneOf.get(m.node)!, m.pod]));
  const isVoter = new Set(members.filter((m) => m.voter).map((m) => m.pod));
  const risky = byZone.map(([z, pods]) => [z, pods.filter((p) => isVoter.has(p))] as [string, string[]]).filter(([, v]) => v.length > tolerated);
  if (risky.length > 0 && (couldSurvive || fewZones))
    return [`a zone holds more voters than the ensemble can lose: ${list(risky)} (of ${voters} voters; losing that zone loses the quorum; ${spreadable})`];
  if (risky.length > 0) return [];
  const shared = byZone.filter(([, pods]) => pods.length > 1);
  if (shared.length > 0 && zones.size >= members.length)
    return [`members share a zone: ${list(shared)} (${plural(zones.size, 'schedulable zone')} for ${members.length} members: one zone failure takes several)`];
  return [];
}

/** A node as the spread rule sees it, from the API's Node. */
export function spreadNode(n: {metadata: {name: string; labels?: Record<string, string>}; spec?: {unschedulable?: boolean}; status?: {conditions?: {type: string; status: string}[]}}): SpreadNode {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return {name: n.metadata.name, zone: n.metadata.labels?.[ZONE_LABEL], schedulable: ready && !n.spec?.unschedulable};
}
