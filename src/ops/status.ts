import {clientAccess, type ClientAccess} from './ensemble/access.js';
import {CliError, errorMessage} from '../errors.js';
import type {Kube, KubeObject, PodDisruptionBudgetObject, StatefulSetObject} from '../kube/types.js';
import {LABEL, TLS_ENABLE_ANNOTATION} from '../manifests/labels.js';
import {objectNames} from '../manifests/names.js';
import type {Clock} from '../util/time.js';
import type {Endpoint} from '../zk/endpoint.js';
import {FourLetterGate, fourLetterWord} from '../zk/fourletter.js';
import {parseConf, parseMntr, parseSrvr, srvrComplete, type DynamicConfig, type MntrStats, type SrvrStats} from '../zk/parse.js';
import {isServing, isServingVoter, type Role} from './ensemble/member.js';
import {hasQuorum, quorumSize, tolerance} from './ensemble/quorum.js';
import {placementAdvice, placementProblems, pinnedNode, type MemberPlacementProblem, type NodeLike, type VolumeLike} from './ensemble/placement.js';
import {spreadNode, spreadWarnings, type SpreadNode} from './ensemble/spread.js';
import {ensembleSyncGap} from './ensemble/sync.js';
import {isReady, ordinalOf, restarts, toDate, type PodLike} from './pods.js';
import {securityPosture, type SecurityPosture} from './posture.js';
import {listMemberPods} from './wait.js';

/** Exit codes of `status`, documented in the README so scripts can gate on them. */
export const STATUS_EXIT = {healthy: 0, degraded: 3, noQuorum: 4} as const;

export type {Role};
export type Health = 'healthy' | 'degraded' | 'no-quorum';

export interface MemberReport {
  pod: string;
  serverId: number;
  role: Role;
  /** role in the committed dynamic config, if listed */
  configRole?: 'participant' | 'observer';
  ready: boolean;
  phase?: string;
  /** its node's topology.kubernetes.io/zone label, when the nodes could be read */
  zone?: string;
  zxid?: string;
  epoch?: number;
  counter?: number;
  connections?: number;
  outstanding?: number;
  latencyAvg?: number;
  latencyMax?: number;
  version?: string;
  node?: string;
  ip?: string;
  restarts: number;
  ageMs?: number;
  image?: string;
  /** the StatefulSet revision the pod was made from (its controller-revision-hash label) */
  revision?: string;
  packetsReceived?: number;
  packetsSent?: number;
  znodeCount?: number;
  /** mntr zk_watch_count: watches this member holds for its clients */
  watchCount?: number;
  dataSize?: number;
  fsyncWarnings?: number;
  /** what it accepts from clients (its conf): plain, tls, both (tls enable half-way), none; absent when it did not answer conf */
  clients?: ClientAccess;
  error?: string;
}

export interface StatusReport {
  name: string;
  namespace: string;
  /** when the report was gathered (ISO 8601) */
  time: string;
  image?: string;
  zookeeperVersion?: string;
  replicas: {desired: number; ready: number};
  quorum: {
    has: boolean;
    /** voting members in the committed config (or desired replicas when it is unknown) */
    voters: number;
    /** members needed for a quorum */
    needed: number;
    servingVoters: number;
    /** how many more voters may fail before the quorum is lost */
    tolerates: number;
    leader?: string;
  };
  sync?: {followers: number; observers?: number; pendingSyncs?: number};
  config?: {version?: string; members: {id: number; host: string; role: string}[]};
  pdb?: {disruptionsAllowed: number};
  /** the closed-by-default settings as the live objects have them */
  security?: SecurityPosture;
  /** the StatefulSet's template revision (status.updateRevision) and how many member pods run it */
  rollout?: {updateRevision?: string; updated: number; pods: number};
  members: MemberReport[];
  /** members held down by their node (gone, NotReady) or by a volume pinned to such a node; asked only when a pod is not Ready */
  placement?: MemberPlacementProblem[];
  health: Health;
  warnings: string[];
  /** partial failures while gathering: listed, never dropped */
  errors: string[];
}

/** The label the StatefulSet controller puts on each pod: the revision of the template it was made from. */
export const REVISION_LABEL = 'controller-revision-hash';

export interface StatusDeps {
  kube: Kube;
  clock: Clock;
  /** where to reach a member's client port: a port-forward in production, loopback in tests */
  endpoint(namespace: string, pod: string): Promise<Endpoint>;
  timeoutMs?: number;
  /**
   * Shared by every refresh of a polling loop: at most one mntr and one conf in
   * flight per member (see FourLetterGate). Without it each call goes straight out.
   */
  fourLetter?: FourLetterGate;
}

interface Probe {
  srvr?: SrvrStats;
  mntr?: MntrStats;
  /** the member's view of the committed membership (conf), asked at the same time */
  membership?: DynamicConfig;
  clients?: ClientAccess;
  notServing?: boolean;
  error?: string;
}

/** mntr and conf have no end marker: a reply is whole once nothing more came for this long. */
export const QUIET_MS = 100;

/** srvr, mntr and conf to one member, at once: through a port-forward each reply's close comes late, so they are not asked one after another. */
async function probeMember(deps: StatusDeps, namespace: string, pod: string): Promise<Probe> {
  const timeoutMs = deps.timeoutMs ?? 5000;
  try {
    const ep = await deps.endpoint(namespace, pod);
    const ask = deps.fourLetter ? deps.fourLetter.ask.bind(deps.fourLetter) : fourLetterWord;
    const [s, m, c] = await Promise.allSettled([
      ask(ep, 'srvr', {timeoutMs, complete: srvrComplete}),
      ask(ep, 'mntr', {timeoutMs, quietMs: QUIET_MS}),
      ask(ep, 'conf', {timeoutMs, quietMs: QUIET_MS}),
    ]);
    if (s.status === 'rejected') return {error: errorMessage(s.reason)};
    const srvr = parseSrvr(s.value);
    const mntr = m.status === 'fulfilled' ? parseMntr(m.value) : undefined;
    const conf = c.status === 'fulfilled' ? parseConf(c.value) : undefined;
    const probe: Probe = {};
    if (srvr.status === 'ok') probe.srvr = srvr;
    else if (srvr.status === 'notServing') probe.notServing = true;
    else probe.error = 'srvr is not in the 4lw whitelist';
    if (mntr?.status === 'ok') probe.mntr = mntr;
    if (conf?.status === 'ok') {
      probe.membership = conf.membership;
      probe.clients = clientAccess(conf);
    }
    return probe;
  } catch (err) {
    return {error: errorMessage(err)};
  }
}

/** Gathers one ensemble's report: Kubernetes objects and every member's own answers, in parallel. */
export async function gatherStatus(req: {name: string; namespace: string}, deps: StatusDeps): Promise<StatusReport> {
  const {kube, clock} = deps;
  const names = objectNames(req.name);
  const errors: string[] = [];
  const optional = <T>(what: string, p: Promise<T>): Promise<T | null> =>
    p.catch((e: unknown) => {
      errors.push(`${what}: ${errorMessage(e)}`);
      return null;
    });
  const [sts, pods, pdb, cm, policy] = await Promise.all([
    kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: names.statefulSet}),
    listMemberPods(kube, req.namespace, req.name),
    optional('PodDisruptionBudget', kube.get<PodDisruptionBudgetObject>({apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: req.namespace, name: names.pdb})),
    optional('ConfigMap', kube.get({apiVersion: 'v1', kind: 'ConfigMap', namespace: req.namespace, name: names.configMap})),
    optional('NetworkPolicy', kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: req.namespace, name: names.networkPolicy})),
  ]);
  if (!sts || sts.metadata.labels?.[LABEL.managedBy] !== 'kubectl-zk') {
    throw new CliError(`ensemble "${req.name}" not found in namespace "${req.namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace} (or -A)`});
  }
  const desired = sts.spec?.replicas ?? 0;
  const nodes = readNodes(kube);
  const [probes, placement, spreadNodes] = await Promise.all([
    Promise.all(pods.map((p) => probeMember(deps, req.namespace, p.metadata.name))),
    placementOf(kube, req.namespace, pods, errors, nodes),
    nodes.then((n) => (n instanceof Error ? undefined : n.map(spreadNode))),
  ]);
  const now = clock.now();

  const members: MemberReport[] = pods.map((pod, i) => memberRow(pod, probes[i]!, now));
  for (const m of members) if (m.node && spreadNodes) m.zone = spreadNodes.find((n) => n.name === m.node)?.zone;
  const leaderRow = members.find((m) => m.role === 'leader');
  const leaderProbe = leaderRow ? probes[members.indexOf(leaderRow)] : undefined;

  // The committed membership, as the leader (else any serving member) sees it.
  const asked = leaderRow ?? members.find((m) => m.role === 'follower' || m.role === 'observer');
  const membership = asked ? probes[members.indexOf(asked)]?.membership : undefined;
  if (asked && !membership) errors.push(`conf from ${asked.pod}: no membership in the reply`);
  if (membership) {
    for (const s of membership.servers) {
      const row = members.find((m) => m.serverId === s.id);
      if (row) row.configRole = s.role;
      else members.push({pod: `${req.name}-${s.id - 1}`, serverId: s.id, role: 'no pod', configRole: s.role, ready: false, restarts: 0});
    }
    members.sort((a, b) => a.serverId - b.serverId);
  }

  for (const [i, p] of probes.entries()) if (p.error) errors.push(`${members[i]?.pod ?? pods[i]!.metadata.name}: ${p.error}`);

  const voterIds = membership ? membership.servers.filter((s) => s.role === 'participant').map((s) => s.id) : Array.from({length: desired}, (_, i) => i + 1);
  const voters = voterIds.length;
  const needed = quorumSize(voters);
  const servingVoters = members.filter((m) => voterIds.includes(m.serverId) && isServingVoter(m)).length;
  const has = Boolean(leaderRow || members.some((m) => m.role === 'standalone')) && hasQuorum(servingVoters, voters);
  const mntr = leaderProbe?.mntr;

  const report: StatusReport = {
    name: req.name,
    namespace: req.namespace,
    time: new Date(now).toISOString(),
    image: sts.spec?.template?.spec?.containers?.find((c) => c.name === 'zookeeper')?.image,
    zookeeperVersion: members.find((m) => m.version)?.version,
    replicas: {desired, ready: pods.filter(isReady).length},
    // a "leader" without a serving majority is about to step down: it leads nothing
    quorum: {has, voters, needed, servingVoters, tolerates: tolerance(servingVoters, voters), leader: has ? leaderRow?.pod : undefined},
    sync: mntr ? {followers: mntr.syncedFollowers ?? 0, observers: mntr.syncedObservers, pendingSyncs: mntr.pendingSyncs} : undefined,
    config: membership ? {version: membership.version, members: membership.servers.map((s) => ({id: s.id, host: s.host, role: s.role}))} : undefined,
    pdb: pdb ? {disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0} : undefined,
    security: securityPosture({sts, zooCfg: (cm?.['data'] as Record<string, string> | undefined)?.['zoo.cfg'], policy}),
    rollout: rolloutOf(sts.status?.updateRevision, pods),
    members,
    ...(placement && placement.length > 0 ? {placement} : {}),
    health: 'healthy',
    warnings: [],
    errors,
  };
  report.warnings = warningsFor(report, spreadNodes);
  report.warnings.push(...tlsEnableWarnings(cm, req));
  report.health = healthOf(report);
  return report;
}

/** A tls enable that stopped part-way (the ConfigMap records the last phase reached). */
function tlsEnableWarnings(cm: KubeObject | null, req: {name: string; namespace: string}): string[] {
  const phase = cm?.metadata.annotations?.[TLS_ENABLE_ANNOTATION];
  return phase && phase !== 'done' ? [`tls enable is under way (last phase reached: ${phase}): kubectl zk tls enable ${req.name} -n ${req.namespace} goes on from there`] : [];
}

/** The nodes, on every call: for the spread warnings (zones), and for the diagnosis of members not Ready; an Error when they cannot be read. */
function readNodes(kube: Kube): Promise<NodeLike[] | Error> {
  return kube.list<NodeLike>('v1', 'Node').catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

/** Only when a member pod is not Ready: the nodes' state, and for a Pending pod the node its volume is pinned to. */
async function placementOf(kube: Kube, namespace: string, pods: PodLike[], errors: string[], nodeList: Promise<NodeLike[] | Error>): Promise<MemberPlacementProblem[] | undefined> {
  const troubled = pods.filter((p) => !isReady(p));
  if (troubled.length === 0) return undefined;
  try {
    const [nodes, rows] = await Promise.all([
      nodeList.then((n) => {
        if (n instanceof Error) throw n;
        return n;
      }),
      Promise.all(
        troubled.map(async (p) => {
          const spec = p.spec;
          const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
          let volumeNode: string | undefined;
          if (!spec?.nodeName && p.status?.phase === 'Pending') {
            const claim = await kube.get<KubeObject & {spec?: {volumeName?: string}}>({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: `data-${p.metadata.name}`});
            const volume = claim?.spec?.volumeName ? await kube.get<VolumeLike>({apiVersion: 'v1', kind: 'PersistentVolume', name: claim.spec.volumeName}) : null;
            volumeNode = pinnedNode(volume);
          }
          return {pod: p.metadata.name, phase: p.status?.phase, node: spec?.nodeName, unschedulable: scheduled?.status === 'False' ? scheduled.message : undefined, volumeNode};
        }),
      ),
    ]);
    return placementProblems(rows, nodes);
  } catch (e) {
    errors.push(`nodes and volumes of members not ready: ${errorMessage(e)}`);
    return undefined;
  }
}

function rolloutOf(updateRevision: string | undefined, pods: PodLike[]): StatusReport['rollout'] {
  const revisions = pods.map((p) => p.metadata.labels?.[REVISION_LABEL]);
  if (!updateRevision && revisions.every((r) => r === undefined)) return undefined;
  return {updateRevision, updated: updateRevision ? revisions.filter((r) => r === updateRevision).length : 0, pods: pods.length};
}

function memberRow(pod: PodLike, probe: Probe, now: number): MemberReport {
  const created = toDate(pod.metadata.creationTimestamp);
  const s = probe.srvr;
  const m = probe.mntr;
  const role: Role = s ? s.mode : probe.notServing ? 'not serving' : 'unreachable';
  return {
    pod: pod.metadata.name,
    serverId: ordinalOf(pod) + 1,
    role,
    ready: isReady(pod),
    phase: pod.status?.phase,
    zxid: s?.zxid.hex,
    epoch: s?.zxid.epoch,
    counter: s?.zxid.counter,
    connections: s?.connections,
    outstanding: s?.outstanding ?? m?.outstandingRequests,
    latencyAvg: s?.latency.avg ?? m?.avgLatency,
    latencyMax: s?.latency.max ?? m?.maxLatency,
    version: s?.versionNumber ?? (m ? /^(\d+\.\d+\.\d+)/.exec(m.version)?.[1] : undefined),
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    restarts: restarts(pod),
    ageMs: created ? now - created.getTime() : undefined,
    image: pod.spec?.containers?.find((c) => c.name === 'zookeeper')?.image,
    revision: pod.metadata.labels?.[REVISION_LABEL],
    packetsReceived: m?.packetsReceived,
    packetsSent: m?.packetsSent,
    znodeCount: m?.znodeCount,
    watchCount: m?.watchCount,
    dataSize: m?.approximateDataSize,
    fsyncWarnings: m ? Number(m.raw['fsync_threshold_exceed_count'] ?? 0) : undefined,
    clients: probe.clients,
    error: probe.error,
  };
}

/** Lag beyond which a member counts as behind the leader (transactions). */
export const LAG_WARNING = 1000;

/** The members as the spread rule sees them: voters are the committed config's participants (every member but observers while it is unknown). */
export function spreadMembers(r: StatusReport): {pod: string; node?: string; voter: boolean}[] {
  return r.members.map((m) => ({pod: m.pod, node: m.node, voter: r.config ? m.configRole === 'participant' : m.role !== 'observer'}));
}

/** `nodes`: the cluster's nodes for the zone rule (ensemble/spread.ts); without them only shared nodes are judged. */
export function warningsFor(r: StatusReport, nodes?: readonly SpreadNode[]): string[] {
  const w: string[] = [];
  if (r.quorum.voters % 2 === 0 && r.quorum.voters > 0) w.push(`${r.quorum.voters} voters: an even count tolerates no more failures than ${r.quorum.voters - 1}`);
  if (r.config) {
    const listed = new Set(r.config.members.map((m) => m.id));
    const stray = r.members.filter((m) => m.role !== 'no pod' && !listed.has(m.serverId));
    if (stray.length > 0) w.push(`pod(s) not in the committed config: ${stray.map((m) => m.pod).join(', ')} (was the StatefulSet scaled by hand? use kubectl zk scale)`);
    const orphans = r.members.filter((m) => m.role === 'no pod');
    if (orphans.length > 0) w.push(`config member(s) without a pod: ${orphans.map((m) => `server.${m.serverId} (${m.pod})`).join(', ')} (use kubectl zk scale to change membership)`);
  }
  for (const p of r.placement ?? []) w.push(placementAdvice(p, r));
  w.push(...spreadWarnings(spreadMembers(r), nodes));
  const versions = new Set(r.members.map((m) => m.version).filter(Boolean));
  if (versions.size > 1) w.push(`mixed ZooKeeper versions: ${[...versions].join(', ')}`);
  const images = new Set(r.members.map((m) => m.image).filter(Boolean));
  if (images.size > 1) w.push(`mixed images: ${[...images].join(', ')}`);
  w.push(...revisionWarnings(r));
  if (r.security && r.security.open.length > 0) w.push(`not closed by default: ${r.security.open.join('; ')} (fix with: kubectl zk secure ${r.name} -n ${r.namespace})`);
  const leader = r.members.find((m) => m.role === 'leader');
  if (leader?.epoch !== undefined) {
    for (const m of r.members) {
      // a follower that has applied nothing since it synced reports Zxid 0x0: no basis for a lag warning
      if (m === leader || m.epoch === undefined || m.zxid === '0x0') continue;
      // right after an election the leader's zxid is <epoch>:0 and followers still show the last one of the old epoch
      if (m.epoch < leader.epoch && (leader.counter ?? 0) > 0) w.push(`${m.pod} is on an older epoch (${m.epoch}) than the leader (${leader.epoch})`);
      else if (m.epoch === leader.epoch && (leader.counter ?? 0) - (m.counter ?? 0) > LAG_WARNING) w.push(`${m.pod} lags the leader by ${(leader.counter ?? 0) - (m.counter ?? 0)} transactions`);
    }
  }
  return w;
}

/** Members on different StatefulSet revisions, or none on the template's: a restart/upgrade is incomplete or pending. */
export function revisionWarnings(r: StatusReport): string[] {
  const byRevision = new Map<string, string[]>();
  for (const m of r.members) if (m.revision) byRevision.set(m.revision, [...(byRevision.get(m.revision) ?? []), m.pod]);
  if (byRevision.size === 0) return [];
  const update = r.rollout?.updateRevision;
  const groups = [...byRevision.entries()].map(([rev, pods]) => `${pods.join(', ')} on ${rev}${rev === update ? " (the template's)" : ''}`).join('; ');
  if (byRevision.size > 1) return [`mixed revisions: ${groups}: a restart or upgrade is incomplete (kubectl zk restart ${r.name} -n ${r.namespace} resumes it)`];
  if (update && !byRevision.has(update))
    return [
      `no member runs the StatefulSet's template (revision ${update}; members on ${[...byRevision.keys()][0]}): kubectl zk restart ${r.name} -n ${r.namespace} rolls it out one member at a time`,
    ];
  return [];
}

export function healthOf(r: StatusReport): Health {
  if (!r.quorum.has) return 'no-quorum';
  const allServing = r.members.every(isServing);
  const synced = ensembleSyncGap(r) === undefined;
  const allReady = r.replicas.ready >= r.replicas.desired;
  return allServing && synced && allReady ? 'healthy' : 'degraded';
}

export function exitCodeOf(health: Health): number {
  return health === 'healthy' ? STATUS_EXIT.healthy : health === 'degraded' ? STATUS_EXIT.degraded : STATUS_EXIT.noQuorum;
}

// ---------------------------------------------------------------- summaries (NAME omitted)

export interface StatusSummaryLine {
  name: string;
  namespace: string;
  health: Health | 'unknown';
  ready: string;
  leader?: string;
  voters?: number;
  observers?: number;
  error?: string;
}

export interface StatusSummary {
  ensembles: StatusSummaryLine[];
}

export function summaryLine(r: StatusReport): StatusSummaryLine {
  return {
    name: r.name,
    namespace: r.namespace,
    health: r.health,
    ready: `${r.replicas.ready}/${r.replicas.desired}`,
    leader: r.quorum.leader,
    voters: r.quorum.voters,
    observers: r.config?.members.filter((m) => m.role === 'observer').length,
  };
}

// ---------------------------------------------------------------- watch: what changed between two reports

export interface Change {
  time: string;
  kind: 'leader' | 'unreachable' | 'back' | 'role' | 'epoch' | 'health' | 'member-added' | 'member-removed';
  text: string;
}

export function diffReports(prev: StatusReport | undefined, next: StatusReport): Change[] {
  if (!prev) return [];
  const time = next.time;
  const out: Change[] = [];
  if (prev.quorum.leader !== next.quorum.leader) {
    out.push({time, kind: 'leader', text: `leader ${prev.quorum.leader ?? 'none'} → ${next.quorum.leader ?? 'none'}`});
  }
  const before = new Map(prev.members.map((m) => [m.pod, m]));
  const after = new Map(next.members.map((m) => [m.pod, m]));
  for (const [pod, m] of after) {
    const old = before.get(pod);
    if (!old) {
      out.push({time, kind: 'member-added', text: `${pod} appeared (${m.role})`});
      continue;
    }
    const down = (r: Role) => r === 'unreachable' || r === 'no pod';
    if (!down(old.role) && down(m.role)) out.push({time, kind: 'unreachable', text: `${pod} went unreachable${m.error ? ` (${m.error})` : ''}`});
    else if (down(old.role) && !down(m.role)) out.push({time, kind: 'back', text: `${pod} came back as ${m.role}`});
    else if (old.role !== m.role && !(old.role === 'leader' || m.role === 'leader')) out.push({time, kind: 'role', text: `${pod} ${old.role} → ${m.role}`});
  }
  for (const pod of before.keys()) if (!after.has(pod)) out.push({time, kind: 'member-removed', text: `${pod} is gone`});
  const epoch = (r: StatusReport) => r.members.find((m) => m.role === 'leader')?.epoch;
  const e0 = epoch(prev);
  const e1 = epoch(next);
  if (e0 !== undefined && e1 !== undefined && e0 !== e1) out.push({time, kind: 'epoch', text: `epoch ${e0} → ${e1}`});
  if (prev.health !== next.health) out.push({time, kind: 'health', text: `health ${prev.health} → ${next.health}`});
  return out;
}

// ---------------------------------------------------------------- the membership watch loop

export interface WatchDeps extends StatusDeps {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

export interface WatchResult {
  watched: true;
  refreshes: number;
  changes: Change[];
}

/**
 * Refreshes every `intervalMs` until the signal aborts (Ctrl-C) or `maxRefreshes`;
 * hands each report and what changed since the last one to `onUpdate`. A failed
 * refresh (API server unreachable, ensemble gone) is reported, not fatal.
 */
export async function watchStatus(
  req: {name: string; namespace: string; intervalMs: number; maxRefreshes?: number},
  deps: WatchDeps,
  onUpdate: (u: {report?: StatusReport; changes: Change[]; error?: string}) => void,
): Promise<WatchResult> {
  let prev: StatusReport | undefined;
  let lastError: string | undefined;
  const all: Change[] = [];
  let refreshes = 0;
  deps = {...deps, fourLetter: deps.fourLetter ?? new FourLetterGate()};
  while (!deps.signal?.aborted && (req.maxRefreshes === undefined || refreshes < req.maxRefreshes)) {
    const started = deps.clock.now();
    try {
      const report = await gatherStatus(req, deps);
      const changes = diffReports(prev, report);
      if (lastError) changes.unshift({time: report.time, kind: 'back', text: `answering again after: ${lastError}`});
      all.push(...changes);
      prev = report;
      lastError = undefined;
      onUpdate({report, changes});
    } catch (err) {
      if (deps.signal?.aborted) break;
      const message = errorMessage(err);
      if (message !== lastError) onUpdate({changes: [], error: message});
      lastError = message;
    }
    refreshes++;
    if (req.maxRefreshes !== undefined && refreshes >= req.maxRefreshes) break;
    const wait = Math.max(0, req.intervalMs - (deps.clock.now() - started));
    try {
      await deps.sleep(wait, deps.signal);
    } catch {
      break; // Ctrl-C
    }
  }
  return {watched: true, refreshes, changes: all};
}
