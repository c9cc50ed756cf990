/**
 * How the members are spread over nodes and zones (pure): the warnings
 * `status` and `create` print (where create requires spreading, decideSpread
 * below, the scheduler enforces it; these warnings say what a preferred
 * spread could not avoid). The rule, worded once here:
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
import {CliError} from '../../errors.js';
import type {Spread, SpreadLevel} from '../../manifests/spread.js';
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

/**
 * create --spread: `auto` (the default) requires one member per node when the
 * schedulable nodes are at least the members, and an even spread over zones
 * (maxSkew 1) when every schedulable node carries a zone label, there are at
 * least two zones, and the members fit that way; each is preferred otherwise
 * (said in a note). `required` is the same but refuses what cannot be met;
 * `preferred` and `none` are taken as they are. Without the node list
 * (`nodes` undefined: --dry-run, or nodes may not be listed) auto is
 * preferred and required is required per node only (zones unknown).
 */
export type SpreadChoice = 'auto' | SpreadLevel;
export const SPREAD_CHOICES: readonly SpreadChoice[] = ['auto', 'required', 'preferred', 'none'];

export interface SpreadDecision {
  spread: Spread;
  /** why a level is what it is, when auto could not require it */
  notes: string[];
}

/** The schedulable nodes per zone, when zones count: every schedulable node labelled, at least two zones. */
export function zonesOf(nodes: readonly SpreadNode[]): Map<string, string[]> | undefined {
  const schedulable = nodes.filter((n) => n.schedulable);
  if (schedulable.some((n) => n.zone === undefined)) return undefined;
  const byZone = new Map<string, string[]>();
  for (const n of schedulable) byZone.set(n.zone!, [...(byZone.get(n.zone!) ?? []), n.name]);
  return byZone.size >= 2 ? byZone : undefined;
}

/** Can `members` be spread over these zones with maxSkew 1, each zone holding at most `cap(zone)`? */
function zonesFit(byZone: Map<string, string[]>, members: number, oneMemberPerNode: boolean): boolean {
  const caps = [...byZone.values()].map((names) => (oneMemberPerNode ? names.length : Infinity)).sort((a, b) => b - a);
  const k = Math.floor(members / caps.length);
  const r = members % caps.length;
  return caps.every((cap, i) => cap >= (i < r ? k + 1 : k));
}

const nodeList = (nodes: readonly SpreadNode[]) => nodes.map((n) => n.name).join(', ') || 'none';

/** Why `members` members cannot all be placed under `spread` on these nodes; undefined when they can. */
export function spreadRoom(spread: Spread, members: number, nodes: readonly SpreadNode[]): string | undefined {
  const schedulable = nodes.filter((n) => n.schedulable);
  if (spread.node === 'required' && schedulable.length < members) {
    const down = nodes.filter((n) => !n.schedulable);
    return `one member per node is required (spread node=required) and ${members} members need ${members} schedulable nodes; there ${schedulable.length === 1 ? 'is' : 'are'} ${schedulable.length}: ${nodeList(schedulable)}${down.length > 0 ? ` (not schedulable: ${nodeList(down)})` : ''}`;
  }
  const byZone = zonesOf(nodes);
  if (spread.zone === 'required' && byZone && !zonesFit(byZone, members, spread.node === 'required')) {
    const zones = [...byZone.entries()].map(([z, names]) => `${z}: ${names.join(', ')}`).join('; ');
    return `members must spread evenly over zones (spread zone=required, maxSkew 1)${spread.node === 'required' ? ' with one per node' : ''} and ${members} members do not fit the schedulable nodes (${zones})`;
  }
  return undefined;
}

export function decideSpread(choice: SpreadChoice, members: number, nodes: readonly SpreadNode[] | undefined, why = 'the nodes could not be listed'): SpreadDecision {
  if (choice === 'preferred' || choice === 'none') return {spread: {node: choice, zone: choice}, notes: []};
  if (!nodes) {
    return choice === 'auto'
      ? {spread: {node: 'preferred', zone: 'preferred'}, notes: [`${why}: spreading is preferred (--spread auto requires it only where the nodes allow it)`]}
      : {spread: {node: 'required', zone: 'preferred'}, notes: [`${why}: zones unknown, spreading over zones is preferred`]};
  }
  const notes: string[] = [];
  const node: SpreadLevel = spreadRoom({node: 'required', zone: 'none'}, members, nodes) === undefined ? 'required' : 'preferred';
  if (node === 'preferred') {
    const why = spreadRoom({node: 'required', zone: 'none'}, members, nodes)!;
    if (choice === 'required') throw new CliError(`--spread required: ${why}`, {hint: 'add nodes, or pass --spread preferred (members may then share a node)', exitCode: 3});
    notes.push(`spreading per node is preferred, not required: ${why}`);
  }
  const byZone = zonesOf(nodes);
  let zone: SpreadLevel = 'preferred';
  if (byZone) {
    const why = spreadRoom({node, zone: 'required'}, members, nodes);
    if (why === undefined) zone = 'required';
    else if (choice === 'required') throw new CliError(`--spread required: ${why}`, {hint: 'add nodes in the smaller zones, or pass --spread preferred', exitCode: 3});
    else notes.push(`spreading over zones is preferred, not required: ${why}`);
  }
  return {spread: {node, zone}, notes};
}
