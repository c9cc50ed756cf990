/**
 * `kubectl zk restart` and `kubectl zk upgrade`: replace an ensemble's member
 * pods one at a time, in an order kubectl-zk chooses (the StatefulSet's
 * updateStrategy is OnDelete, so the controller never replaces a pod by
 * itself; it only recreates a deleted pod from the current template).
 *
 * - upgrade patches the pod template (only the fields it changes: the
 *   zookeeper container's image, pull policy, resources and ZK_HEAP_MB, and the
 *   version label); restart bumps the template annotation
 *   kubectl-zk/restartedAt. Either way the template gets a new revision
 *   (status.updateRevision), and a member is "done" when its pod carries that
 *   revision (label controller-revision-hash). That is what makes a second run
 *   resume: it rolls only the members not on the target revision.
 * - Order: members that do not serve first, then observers, then followers
 *   (highest ordinal first), the leader last: one leader election per roll.
 * - Before each member: every other member serves and every remaining voter
 *   is in sync with the leader. After it: the new pod is on the target
 *   revision and image, serves and is in sync. The first member that does not
 *   come back stops the roll; the rest are left untouched.
 *
 * The ZooKeeper side comes in as `status` (gatherStatus); time, sleep,
 * progress, confirmation and Ctrl-C are parameters too. The result is data;
 * src/render/roll.ts prints it.
 */
import {AbortedError, CliError, errorMessage} from '../errors.js';
import type {Kube, KubeObject, ObjectRef} from '../kube/types.js';
import {LABEL, MANAGER, versionFromImage} from '../manifests/labels.js';
import {validateEnsembleOptions} from '../manifests/options.js';
import {objectNames} from '../manifests/names.js';
import {formatDuration} from '../util/duration.js';
import type {Progress, ProgressStep} from '../util/progress.js';
import {parseQuantity} from '../util/quantity.js';
import type {Clock, Sleep} from '../util/time.js';
import type {Endpoint} from '../zk/endpoint.js';
import {fourLetterWord} from '../zk/fourletter.js';
import {parseSrvr, srvrComplete} from '../zk/parse.js';
import {isServing, isServingVoter, leads} from './ensemble/member.js';
import {hasQuorum} from './ensemble/quorum.js';
import {ensembleSyncGap} from './ensemble/sync.js';
import {FATAL_WAITING, isReady, ordinalOf, podProblem, type PodLike, type PodProblem} from './pods.js';
import {REVISION_LABEL, type Health, type MemberReport, type Role, type StatusReport} from './status.js';
import {listMemberPods} from './wait.js';

// ---------------------------------------------------------------- constants

/** Exit codes of `restart` and `upgrade` (README, --help). Ctrl-C exits 130. */
export const ROLL_EXIT = {done: 0, failed: 1, usage: 2, refused: 3, stopped: 4} as const;

/** The pod-template annotation `restart` sets: a new template revision without any other change. */
export const RESTARTED_AT = 'kubectl-zk/restartedAt';
export const ZK_CONTAINER = 'zookeeper';
export const HEAP_ENV = 'ZK_HEAP_MB';

/** Container states that stop a roll at once: waiting longer will not make the new pod start. */
export const ROLL_STOPPERS: ReadonlySet<string> = new Set([...FATAL_WAITING, 'ImagePullBackOff', 'CrashLoopBackOff']);

export type RollAction = 'restart' | 'upgrade';

// ---------------------------------------------------------------- the template (pure)

/** What an upgrade can change, and what a restart bumps. */
export interface TemplateSpec {
  image?: string;
  imagePullPolicy?: string;
  cpu?: string;
  memory?: string;
  heapMb?: number;
  restartedAt?: string;
}

/** The raw flags of `upgrade` (validated with create's rules against the current values). */
export interface TemplateChange {
  image?: string;
  imagePullPolicy?: string;
  cpu?: string;
  memory?: string;
  heap?: string;
}

interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  resources?: {requests?: Record<string, string>; limits?: Record<string, string>};
  env?: {name: string; value?: string; valueFrom?: unknown}[];
  [key: string]: unknown;
}

export interface RollStatefulSet extends KubeObject {
  spec?: {
    replicas?: number;
    template?: {metadata?: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec?: {containers?: Container[]}};
  };
  status?: {observedGeneration?: number; updateRevision?: string; currentRevision?: string};
}

function zkContainer(sts: RollStatefulSet): Container | undefined {
  return sts.spec?.template?.spec?.containers?.find((c) => c.name === ZK_CONTAINER);
}

export function templateOf(sts: RollStatefulSet): TemplateSpec {
  const c = zkContainer(sts);
  const heap = c?.env?.find((e) => e.name === HEAP_ENV)?.value;
  return {
    image: c?.image,
    imagePullPolicy: c?.imagePullPolicy,
    cpu: c?.resources?.requests?.cpu,
    memory: c?.resources?.limits?.memory ?? c?.resources?.requests?.memory,
    heapMb: heap !== undefined && /^\d+$/.test(heap) ? Number(heap) : undefined,
    restartedAt: sts.spec?.template?.metadata?.annotations?.[RESTARTED_AT],
  };
}

function sameQuantity(a: string | undefined, b: string | undefined, flag: string): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  try {
    return parseQuantity(a, flag) === parseQuantity(b, flag);
  } catch {
    return false;
  }
}

/**
 * The template an upgrade asks for: the current values with the flags given
 * laid over them, validated with create's rules (image reference, pull
 * policy, cpu, memory >= 128Mi, heap <= 85% of memory). --memory without
 * --heap sets the heap to create's default, half the memory.
 */
export function desiredTemplate(o: {name: string; namespace: string}, from: TemplateSpec, change: TemplateChange): {to: TemplateSpec; changes: string[]} {
  const heap = change.heap ?? (change.memory !== undefined || from.heapMb === undefined ? undefined : `${from.heapMb}m`);
  const {options} = validateEnsembleOptions({
    name: o.name,
    namespace: o.namespace,
    replicas: 3, // not changed by an upgrade; 3 keeps the size warnings out
    image: change.image ?? from.image,
    imagePullPolicy: change.imagePullPolicy ?? from.imagePullPolicy,
    cpu: change.cpu ?? from.cpu,
    memory: change.memory ?? from.memory,
    heap,
  });
  const to: TemplateSpec = {
    image: options.image,
    imagePullPolicy: options.imagePullPolicy ?? from.imagePullPolicy,
    cpu: change.cpu !== undefined ? options.cpu : (from.cpu ?? options.cpu),
    memory: change.memory !== undefined ? options.memory : (from.memory ?? options.memory),
    heapMb: options.heapMb,
    restartedAt: from.restartedAt,
  };
  const changes: string[] = [];
  if (to.image !== from.image) changes.push(`image ${from.image ?? '-'} → ${to.image}`);
  if (to.imagePullPolicy !== from.imagePullPolicy) changes.push(`imagePullPolicy ${from.imagePullPolicy ?? '-'} → ${to.imagePullPolicy}`);
  if (!sameQuantity(from.cpu, to.cpu, 'cpu')) changes.push(`cpu ${from.cpu ?? '-'} → ${to.cpu}`);
  if (!sameQuantity(from.memory, to.memory, 'memory')) changes.push(`memory ${from.memory ?? '-'} → ${to.memory}`);
  if (to.heapMb !== from.heapMb) changes.push(`heap ${from.heapMb === undefined ? '-' : `${from.heapMb}m`} → ${to.heapMb}m${change.heap === undefined ? ' (half of --memory, as create does; --heap chooses)' : ''}`);
  return {to, changes};
}

/**
 * A JSON merge patch of just the changed fields. The containers list is
 * replaced as a whole by merge patch, so it is the live list with only the
 * zookeeper container's image/pull policy/resources/heap changed; the
 * resourceVersion makes a concurrent change a 409 (retried) instead of lost.
 * Never the replicas, never the ConfigMap: scale owns those.
 */
export function upgradePatch(sts: RollStatefulSet, to: TemplateSpec): Record<string, unknown> {
  const containers = (sts.spec?.template?.spec?.containers ?? []).map((c) => {
    if (c.name !== ZK_CONTAINER) return c;
    const env = [...(c.env ?? [])];
    const i = env.findIndex((e) => e.name === HEAP_ENV);
    if (to.heapMb !== undefined) {
      if (i >= 0) env[i] = {name: HEAP_ENV, value: String(to.heapMb)};
      else env.push({name: HEAP_ENV, value: String(to.heapMb)});
    }
    return {
      ...c,
      ...(to.image ? {image: to.image} : {}),
      ...(to.imagePullPolicy ? {imagePullPolicy: to.imagePullPolicy} : {}),
      resources: {
        ...c.resources,
        requests: {...c.resources?.requests, ...(to.cpu ? {cpu: to.cpu} : {}), ...(to.memory ? {memory: to.memory} : {})},
        limits: {...c.resources?.limits, ...(to.memory ? {memory: to.memory} : {})},
      },
      env,
    };
  });
  const version = to.image ? (versionFromImage(to.image) ?? null) : undefined;
  const labels = version === undefined ? {} : {labels: {[LABEL.version]: version}};
  return {
    metadata: {name: sts.metadata.name, namespace: sts.metadata.namespace, resourceVersion: sts.metadata.resourceVersion, ...labels},
    spec: {template: {metadata: {...labels}, spec: {containers}}},
  };
}

/** restart: a new template revision that differs only in an annotation (as `kubectl rollout restart` does). */
export function restartPatch(sts: RollStatefulSet, at: string): Record<string, unknown> {
  return {
    metadata: {name: sts.metadata.name, namespace: sts.metadata.namespace},
    spec: {template: {metadata: {annotations: {[RESTARTED_AT]: at}}}},
  };
}

/** The template's revision once the controller has seen the latest spec; undefined while it has not. */
export function settledRevision(sts: RollStatefulSet): string | undefined {
  const generation = Number(sts.metadata.generation ?? 0);
  if ((sts.status?.observedGeneration ?? 0) < generation) return undefined;
  return sts.status?.updateRevision;
}

export function revisionOf(pod: PodLike): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

export function imageOf(pod: PodLike): string | undefined {
  return pod.spec?.containers?.find((c) => c.name === ZK_CONTAINER)?.image;
}

// ---------------------------------------------------------------- who leads, fast

/** Who a member says it is, fast: srvr ends at its last line (srvrComplete), not at the port-forward's late close. */
export async function srvrMode(ep: Endpoint, timeoutMs = 2000): Promise<{mode?: string; epoch?: number}> {
  try {
    const r = parseSrvr(await fourLetterWord(ep, 'srvr', {timeoutMs, complete: srvrComplete}));
    return r.status === 'ok' ? {mode: r.mode, epoch: r.zxid.epoch} : {};
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------- order (pure)

export type OrderReason = 'not ready' | 'observer' | 'follower' | 'leader';

export interface MemberState {
  pod: string;
  ordinal: number;
  role: Role;
  ready: boolean;
  revision?: string;
  image?: string;
  problem?: PodProblem;
}

export interface PlannedMember {
  pod: string;
  serverId: number;
  role: Role;
  why: OrderReason;
  revision?: string;
  image?: string;
  /** the pod's own reason when it does not serve */
  problem?: string;
}

const RANK: Record<OrderReason, number> = {'not ready': 0, observer: 1, follower: 2, leader: 3};

export function memberStates(pods: PodLike[], report: StatusReport): MemberState[] {
  return pods.map((p) => {
    const row = report.members.find((m) => m.pod === p.metadata.name);
    return {
      pod: p.metadata.name,
      ordinal: ordinalOf(p),
      role: row?.role ?? 'unreachable',
      ready: isReady(p),
      revision: revisionOf(p),
      image: imageOf(p),
      problem: podProblem(p) ?? undefined,
    };
  });
}

export function orderReason(m: Pick<MemberState, 'role' | 'ready'>): OrderReason {
  if (!isServing(m) || !m.ready) return 'not ready';
  if (m.role === 'observer') return 'observer';
  if (m.role === 'leader' || m.role === 'standalone') return 'leader';
  return 'follower';
}

/**
 * Which members still need a new pod (not on `target`; all of them when the
 * target revision is not known yet because this run changes the template),
 * in roll order: not serving first, observers, followers, the leader last;
 * highest ordinal first within each group.
 */
export function rollOrder(members: readonly MemberState[], target: string | undefined): {pending: PlannedMember[]; done: string[]} {
  const pending = members
    .filter((m) => target === undefined || m.revision !== target)
    .map((m): PlannedMember & {ordinal: number} => ({
      pod: m.pod,
      serverId: m.ordinal + 1,
      ordinal: m.ordinal,
      role: m.role,
      why: orderReason(m),
      revision: m.revision,
      image: m.image,
      ...(m.problem && orderReason(m) === 'not ready' ? {problem: `${m.problem.reason}${m.problem.message ? `: ${m.problem.message}` : ''}`} : {}),
    }))
    .sort((a, b) => RANK[a.why] - RANK[b.why] || b.ordinal - a.ordinal)
    .map(({ordinal: _o, ...rest}) => rest);
  const done = members.filter((m) => target !== undefined && m.revision === target).map((m) => m.pod);
  return {pending, done};
}

// ---------------------------------------------------------------- checks (pure)

export type Check = {ok: true} | {ok: false; why: string};
const ok: Check = {ok: true};
const no = (why: string): Check => ({ok: false, why});

function memberText(m: MemberReport, problems: ReadonlyMap<string, PodProblem>): string {
  const p = problems.get(m.pod);
  return `${m.pod}: ${m.role}${p && p.reason !== 'NotReady' ? ` (${p.reason}${p.message ? `: ${p.message}` : ''})` : m.error ? ` (${m.error})` : ''}`;
}

/**
 * What stands between this ensemble and a safe roll: no quorum, a member
 * that does not serve or whose pod is not Ready, a missing pod, voters not in
 * sync. Members in `exempt` (pods stuck on a start problem that this roll
 * replaces first) do not count. Empty when the roll may start.
 */
export function rollPreconditions(r: StatusReport, pods: readonly PodLike[] | undefined, exempt: ReadonlySet<string> = new Set()): string[] {
  const p: string[] = [];
  const problems = new Map((pods ?? []).flatMap((x) => {
    const pr = podProblem(x);
    return pr ? [[x.metadata.name, pr] as const] : [];
  }));
  const q = r.quorum;
  if (!q.has) p.push(`no quorum: ${q.servingVoters}/${q.voters} voters serving, ${q.needed} needed`);
  for (const m of r.members) {
    if (exempt.has(m.pod)) continue;
    if (!isServing(m)) p.push(memberText(m, problems));
    else if (!m.ready) p.push(`${m.pod}: pod is not Ready`);
  }
  if (pods) {
    const existing = new Set(pods.map((x) => x.metadata.name));
    const missing = Array.from({length: r.replicas.desired}, (_, i) => `${r.name}-${i}`).filter((x) => !existing.has(x));
    if (missing.length > 0) p.push(`member pod${missing.length === 1 ? '' : 's'} missing: ${missing.join(', ')}`);
  }
  const sync = ensembleSyncGap(r, {except: exempt});
  if (q.has && sync) p.push(sync);
  return p;
}

/**
 * May `pod` be stopped now? Every other member serves and is Ready, and every
 * remaining voter is in sync with the leader (the member itself may be down:
 * it is about to be replaced). With --force only the quorum is protected:
 * a serving voter is never stopped when the other voters would not form a
 * quorum (ensembles of 1-2 voters lose it by design; that was confirmed).
 */
export function readyToStop(r: StatusReport, pod: string, force: boolean): Check {
  const row = r.members.find((m) => m.pod === pod);
  const q = r.quorum;
  if (force) {
    if (isServingVoter(row) && q.voters >= 3 && !hasQuorum(q.servingVoters - 1, q.voters)) {
      return no(`stopping ${pod} would leave ${q.servingVoters - 1} of ${q.voters} voters serving, ${q.needed} needed for a quorum`);
    }
    return ok;
  }
  const problems = rollPreconditions(r, undefined, new Set([pod]));
  return problems.length === 0 ? ok : no(problems.join('; '));
}

/** Is `pod` back: serving, Ready, and (when it is a voter) counted in sync by the leader, with every serving voter in sync? */
export function memberBack(r: StatusReport, pod: string): Check {
  const row = r.members.find((m) => m.pod === pod);
  if (!row || !isServing(row)) return no(`${pod} is ${row?.role ?? 'absent'}${row?.error ? ` (${row.error})` : ''}`);
  if (!row.ready) return no(`${pod} serves as ${row.role}; its pod is not Ready yet`);
  if (!r.quorum.has) return no(`no quorum (${r.quorum.servingVoters}/${r.quorum.voters} voters serving)`);
  if (r.quorum.voters <= 1) return ok;
  const gap = ensembleSyncGap(r, {servingOnly: true});
  return gap ? no(gap) : ok;
}

function leaderEpoch(r: StatusReport): number | undefined {
  return r.members.find(leads)?.epoch;
}

// ---------------------------------------------------------------- request, deps, result

export interface RollRequest {
  name: string;
  namespace: string;
  action: RollAction;
  /** upgrade: the flags given */
  change?: TemplateChange;
  force: boolean;
  dryRun: boolean;
  /** limit per member (its turn: waiting for the others, then its pod back and in sync) */
  timeoutMs: number;
}

export interface RollDeps {
  kube: Kube;
  /** The ensemble's report (gatherStatus): roles, sync, epochs. */
  status(): Promise<StatusReport>;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  /** rt.confirm: asks on a TTY, --yes answers, refuses without either */
  confirm(question: string): Promise<boolean>;
  /** Shows the plan before anything changes (the command prints it on stderr). */
  announce?(planned: RollResult): void;
  signal?: AbortSignal;
  /** polling interval (default 500 ms) */
  pollMs?: number;
  /**
   * Who leads among these members, asked of them directly (srvr): a light probe
   * for timing the election during the leader's turn. Without it, status() is polled.
   */
  whoLeads?(pods: string[]): Promise<{leader?: string; epoch?: number}>;
  /** polling interval while waiting for the new leader (default min(pollMs, 100 ms)) */
  electionPollMs?: number;
}

export interface PhaseTiming {
  phase: string;
  ms: number;
}

export interface MemberStep {
  pod: string;
  serverId: number;
  why: OrderReason;
  roleBefore: Role;
  roleAfter?: Role;
  revisionBefore?: string;
  revisionAfter?: string;
  imageBefore?: string;
  imageAfter?: string;
  /** ISO 8601 */
  startedAt: string;
  /** epoch ms (to correlate with client-side measurements) */
  startedAtMs: number;
  /** from the pod's deletion to back and in sync */
  durationMs: number;
  /** before the deletion: waiting until the others serve and are in sync */
  waitedMs: number;
  phases: PhaseTiming[];
  outcome: 'done' | 'failed' | 'interrupted';
  error?: string;
}

export interface Election {
  /** the member whose turn it was */
  during: string;
  from?: string;
  to: string;
  epochBefore?: number;
  epochAfter?: number;
  /** from the member's pod deletion to the new leader seen */
  ms: number;
  /** the leader's own turn (the one election a roll causes) */
  expected: boolean;
}

export interface RollStopped {
  /** the member that did not come back (absent when the ensemble was not ready for the next one) */
  pod?: string;
  reason: string;
  details: string[];
  /** members not on the target revision, untouched */
  remaining: string[];
  hint: string;
}

export type RollOutcome = 'done' | 'nothing-to-do' | 'planned' | 'stopped';

export interface RollResult {
  name: string;
  namespace: string;
  action: RollAction;
  dryRun: boolean;
  outcome: RollOutcome;
  exitCode: number;
  template: {from: TemplateSpec; to: TemplateSpec; changes: string[]; patched: boolean};
  revision: {from?: string; to?: string};
  /** an earlier run's roll was incomplete and this one continued it */
  resumed: boolean;
  leaderBefore?: string;
  epochBefore?: number;
  leaderAfter?: string;
  /** the order when the roll started (the order is recomputed before each member) */
  plan: PlannedMember[];
  /** members already on the target revision */
  alreadyDone: string[];
  members: MemberStep[];
  elections: Election[];
  stopped?: RollStopped;
  health?: Health;
  /** precondition problems --force overrode */
  forced: string[];
  warnings: string[];
  notes: string[];
  durationMs: number;
}

/** A member or the ensemble did not come back: the roll stops there. */
class RollStop extends Error {
  constructor(
    message: string,
    readonly pod?: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** The upgrade that restores `from` (only the flags for what changed). */
export function goBackCommand(req: {name: string; namespace: string}, from: TemplateSpec, to: TemplateSpec): string {
  const flags: string[] = [];
  if (from.image && from.image !== to.image) flags.push(`--image ${from.image}`);
  if (from.imagePullPolicy && from.imagePullPolicy !== to.imagePullPolicy) flags.push(`--image-pull-policy ${from.imagePullPolicy}`);
  if (from.cpu && !sameQuantity(from.cpu, to.cpu, 'cpu')) flags.push(`--cpu ${from.cpu}`);
  if (from.memory && !sameQuantity(from.memory, to.memory, 'memory')) flags.push(`--memory ${from.memory}`);
  if (from.heapMb !== undefined && from.heapMb !== to.heapMb) flags.push(`--heap ${from.heapMb}m`);
  return `kubectl zk upgrade ${req.name} -n ${req.namespace} ${flags.join(' ')}`.trimEnd();
}

function verb(action: RollAction): string {
  return action === 'restart' ? 'restart' : 'upgrade';
}

async function crashDetails(kube: Kube, namespace: string, problem: PodProblem): Promise<string[]> {
  if (!problem.crashed) return [];
  const logs = await kube.logs(namespace, problem.pod, {container: ZK_CONTAINER, tailLines: 10, previous: true}).catch(() => kube.logs(namespace, problem.pod, {container: ZK_CONTAINER, tailLines: 10}).catch(() => ''));
  return logs.trimEnd().split('\n').filter(Boolean).map((l) => `${problem.pod} | ${l}`);
}

function problemText(p: PodProblem): string {
  return `${p.reason}${p.message ? ` (${p.message})` : ''}`;
}

// ---------------------------------------------------------------- the op

/**
 * Restarts or upgrades an ensemble one member at a time (see the module
 * comment). Refuses an unhealthy ensemble unless `force` (exit 3); a member
 * that does not come back stops the roll (result.stopped, exit 4); Ctrl-C
 * throws with where it stopped. Running it again resumes.
 */
export async function rollEnsemble(req: RollRequest, deps: RollDeps): Promise<RollResult> {
  const {kube, clock, progress} = deps;
  const started = clock.now();
  const poll = deps.pollMs ?? 500;
  const names = objectNames(req.name);
  const stsRef: ObjectRef = {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: names.statefulSet};
  const podRef = (pod: string): ObjectRef => ({apiVersion: 'v1', kind: 'Pod', namespace: req.namespace, name: pod});
  const readSts = async (): Promise<RollStatefulSet> => {
    const sts = await kube.get<RollStatefulSet>(stsRef);
    if (!sts || sts.metadata.labels?.[LABEL.managedBy] !== MANAGER) {
      throw new CliError(`ensemble "${req.name}" not found in namespace "${req.namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace} (or -A)`});
    }
    return sts;
  };

  let sts = await readSts();
  const from = templateOf(sts);
  const {to, changes} = req.action === 'upgrade' ? desiredTemplate(req, from, req.change ?? {}) : {to: {...from}, changes: [] as string[]};
  let [report, pods] = await Promise.all([deps.status(), listMemberPods(kube, req.namespace, req.name)]);
  // A pod deleted by an interrupted run is recreated and serves within seconds: give such transient states
  // (missing, terminating, starting without a start problem) up to a minute before judging the ensemble.
  const transient = (ps: PodLike[]) => {
    const names = new Set(ps.map((p) => p.metadata.name));
    const want = sts.spec?.replicas ?? report.replicas.desired;
    const missing = Array.from({length: want}, (_, i) => `${req.name}-${i}`).filter((x) => !names.has(x));
    const starting = ps.filter((p) => {
      const pr = podProblem(p);
      return pr !== null && !ROLL_STOPPERS.has(pr.reason) && pr.reason !== 'ErrImagePull' && !pr.crashed;
    });
    return [...missing, ...starting.map((p) => p.metadata.name)];
  };
  if (!req.dryRun && transient(pods).length > 0) {
    const ui = progress.step(`waiting for ${transient(pods).join(', ')} to start (up to ${formatDuration(Math.min(req.timeoutMs, 60_000))})`);
    const until = clock.now() + Math.min(req.timeoutMs, 60_000);
    while (transient(pods).length > 0 && clock.now() < until) {
      await deps.sleep(poll, deps.signal);
      pods = await listMemberPods(kube, req.namespace, req.name);
    }
    report = await deps.status();
    if (transient(pods).length === 0) ui.succeed(`member pods running and Ready`);
    else ui.fail(`still missing, terminating or not Ready: ${transient(pods).join(', ')}`);
  }
  const settled = settledRevision(sts);
  const incomplete = settled !== undefined && pods.some((p) => revisionOf(p) !== settled);
  // upgrade: a new revision when the template changes; restart: a new one unless an earlier roll is incomplete (then it resumes)
  const patchNeeded = req.action === 'upgrade' ? changes.length > 0 : !incomplete;
  const members = memberStates(pods, report);
  const {pending, done} = rollOrder(members, patchNeeded ? undefined : settled);
  const leader = report.quorum.leader;
  const result: RollResult = {
    name: req.name,
    namespace: req.namespace,
    action: req.action,
    dryRun: req.dryRun,
    outcome: 'planned',
    exitCode: ROLL_EXIT.done,
    template: {from, to, changes, patched: false},
    revision: {from: settled, to: patchNeeded ? undefined : settled},
    resumed: !patchNeeded && pending.length > 0,
    leaderBefore: leader,
    epochBefore: leaderEpoch(report),
    plan: pending,
    alreadyDone: done,
    members: [],
    elections: [],
    health: report.health,
    forced: [],
    warnings: [],
    notes: [],
    durationMs: 0,
  };
  const finish = (): RollResult => {
    result.durationMs = clock.now() - started;
    return result;
  };

  if (pending.length === 0) {
    result.outcome = 'nothing-to-do';
    const why = req.action === 'upgrade' ? `every member already runs the requested template (image ${to.image ?? '?'}, revision ${settled ?? '?'})` : 'the ensemble has no member pods';
    result.notes.push(why);
    if (!req.dryRun) progress.info(`"${req.name}": ${why}: nothing to do`);
    return finish();
  }
  if (patchNeeded && req.action === 'restart') result.notes.push(`the pod template gets the annotation ${RESTARTED_AT}: a new revision, so a run after an interruption resumes with the members not on it`);
  if (!patchNeeded && pending.length > 0) {
    const what = req.action === 'upgrade' ? 'the requested template is already in place' : 'an earlier restart or upgrade is incomplete';
    result.notes.push(`${what}: continuing with the ${pending.length} member(s) not on revision ${settled}${done.length ? ` (${done.join(', ')} already ${done.length === 1 ? 'is' : 'are'})` : ''}`);
  }
  const leaderTurn = pending.find((p) => p.why === 'leader');
  result.notes.push(leaderTurn ? `the leader (${leaderTurn.pod}) goes last: one leader election` : 'the leader already runs the target revision: no election expected');
  if (report.quorum.voters < 3) {
    result.warnings.push(`${report.quorum.voters} voter${report.quorum.voters === 1 ? '' : 's'}: the ensemble has no quorum (serves no requests) while ${report.quorum.voters === 1 ? 'its only voter restarts' : 'a voter restarts'}`);
  }

  // Preconditions. Not counted: members stuck on a start problem that this roll replaces (they go first), and
  // members already on the target revision that are still starting (an interrupted run's; waited for before the next).
  const pendingSet = new Set(pending.map((p) => p.pod));
  const stuck = (m: MemberState) => m.problem !== undefined && (ROLL_STOPPERS.has(m.problem.reason) || m.problem.reason === 'ErrImagePull');
  const replacedFirst = members.filter((m) => pendingSet.has(m.pod) && (stuck(m) || m.problem?.reason === 'Terminating')).map((m) => m.pod);
  const starting = members.filter((m) => !pendingSet.has(m.pod) && m.problem && !stuck(m) && m.problem.reason !== 'Terminating').map((m) => m.pod);
  const exempt = new Set([...replacedFirst, ...starting]);
  const problems = rollPreconditions(report, pods, exempt);
  const stuckOnTarget = members.filter((m) => !pendingSet.has(m.pod) && stuck(m));
  const fixHint = stuckOnTarget.length > 0 ? `${stuckOnTarget.map((m) => m.pod).join(', ')} cannot start on the template's revision ${settled}: change the template with kubectl zk upgrade ${req.name} -n ${req.namespace} --image <image>` : '';
  if (replacedFirst.length > 0) result.notes.push(`${replacedFirst.join(', ')} ${replacedFirst.length === 1 ? 'is' : 'are'} down (cannot start, or terminating) and not on the target revision: replaced first`);
  if (starting.length > 0) result.notes.push(`${starting.join(', ')} ${starting.length === 1 ? 'is' : 'are'} on revision ${settled} and still starting: waited for before the next member`);
  if (problems.length > 0) {
    const risk = 'with --force a member is restarted while the ensemble already tolerates fewer failures, and a restarted member may have to catch up with the leader by a full snapshot; a serving voter is still never stopped while the other voters would not form a quorum';
    if (req.dryRun) result.warnings.push(`would be refused without --force: ${problems.join('; ')}`);
    else if (!req.force) {
      throw new CliError(`refusing to ${verb(req.action)} "${req.name}": ${problems.join('; ')}`, {
        hint: fixHint || `see kubectl zk status ${req.name} -n ${req.namespace}; bring the members back first, or pass --force (not-serving members go first; ${risk})`,
        exitCode: ROLL_EXIT.refused,
      });
    } else {
      result.forced = problems;
      result.warnings.push(`--force despite: ${problems.join('; ')}. Risk: ${risk}`);
    }
  }
  if (req.dryRun) return finish();

  if (deps.announce) deps.announce(result);
  else for (const w of result.warnings) progress.warn(w);
  const what = req.action === 'upgrade' ? `Upgrade ensemble "${req.name}" in namespace "${req.namespace}" (${changes.join(', ') || `continue to revision ${settled}`})` : `Restart ensemble "${req.name}" in namespace "${req.namespace}"`;
  const order = pending.map((p) => p.pod).join(', ');
  if (!(await deps.confirm(`${what}: ${pending.length} member pod(s) deleted one at a time (${order})${leaderTurn ? `, the leader last: one leader election` : ''}?`))) {
    throw new AbortedError(`${verb(req.action)} cancelled; nothing was changed`);
  }

  // The template: patch (retrying a conflict with a fresh read), then wait for the controller's new revision.
  let target = patchNeeded ? undefined : settled;
  if (patchNeeded) {
    const ui = progress.step(req.action === 'upgrade' ? `patching the pod template: ${changes.join(', ')}` : `patching the pod template: ${RESTARTED_AT}`);
    try {
      if (req.action === 'restart') to.restartedAt = new Date(clock.now()).toISOString();
      for (let attempt = 1; ; attempt++) {
        try {
          const patch = req.action === 'upgrade' ? upgradePatch(sts, to) : restartPatch(sts, to.restartedAt!);
          sts = await kube.mergePatch<RollStatefulSet>(stsRef, patch);
          break;
        } catch (e) {
          if ((e as {status?: number}).status !== 409 || attempt >= 3) throw e;
          sts = await readSts();
        }
      }
      result.template.patched = true;
      // the controller's revision for the patched generation (an upgrade back to an earlier template gets that template's old revision again)
      const limit = Math.max(60_000, req.timeoutMs);
      const deadline = clock.now() + limit;
      const generation = Number(sts.metadata.generation ?? 0);
      for (;;) {
        const s = await readSts();
        const rev = settledRevision(s);
        if (rev && (s.status?.observedGeneration ?? 0) >= generation) {
          target = rev;
          sts = s;
          break;
        }
        if (clock.now() >= deadline) throw new CliError(`the StatefulSet controller did not report a revision for the new template within ${formatDuration(limit)}`, {hint: `kubectl get statefulset ${names.statefulSet} -n ${req.namespace} -o yaml`});
        await deps.sleep(poll, deps.signal);
      }
      ui.succeed(`pod template patched: revision ${target}${settled && settled !== target ? ` (was ${settled})` : ''}`);
    } catch (e) {
      ui.fail();
      if (deps.signal?.aborted) throw new CliError(`stopped while patching the template${result.template.patched ? '' : ' (nothing was changed)'}`, {hint: `run the same command again`, cause: e});
      throw e;
    }
  }
  result.revision.to = target;
  if (patchNeeded) result.alreadyDone = rollOrder(memberStates(await listMemberPods(kube, req.namespace, req.name), report), target).done;
  const targetImage = (): string | undefined => templateOf(sts).image;

  // The roll.
  let lastLeader = leader;
  let lastEpoch = leaderEpoch(report);
  const observe = (r: StatusReport, during: string, since: number, expected: boolean) => observeLeader(r.quorum.leader, leaderEpoch(r), during, since, expected);
  const observeLeader = (now: string | undefined, epoch: number | undefined, during: string, since: number, expected: boolean) => {
    if (!now) return;
    const changed = (lastLeader !== undefined && now !== lastLeader) || (epoch !== undefined && lastEpoch !== undefined && epoch > lastEpoch);
    if (changed) {
      result.elections.push({during, from: lastLeader, to: now, epochBefore: lastEpoch, epochAfter: epoch, ms: clock.now() - since, expected});
      if (!expected) progress.warn(`leader changed during ${during}'s turn: ${lastLeader ?? 'none'} → ${now}${epoch !== undefined ? ` (epoch ${epoch})` : ''}`);
    }
    lastLeader = now;
    if (epoch !== undefined && (lastEpoch === undefined || epoch > lastEpoch)) lastEpoch = epoch;
  };
  const total = pending.length;
  let current: {pod: string; deleted: boolean} | undefined;
  let waitUi: ProgressStep | undefined;
  let waitDeadline: number | undefined;
  let waitStart = 0;
  let lastWhy = '';
  const remaining = async () => {
    const now = await listMemberPods(kube, req.namespace, req.name).catch(() => [] as PodLike[]);
    return rollOrder(memberStates(now, {...report, members: []}), target).pending.map((p) => p.pod);
  };

  try {
    for (let guard = 0; guard < total * 50 + 1000; guard++) {
      deps.signal?.throwIfAborted();
      const s = await readSts();
      if (settledRevision(s) && settledRevision(s) !== target) {
        throw new RollStop(`the StatefulSet's template changed during the roll (revision ${target} → ${settledRevision(s)}; by someone else?)`);
      }
      sts = s;
      const [r, podsNow] = await Promise.all([deps.status(), listMemberPods(kube, req.namespace, req.name)]);
      observe(r, current?.pod ?? 'the wait between members', waitStart || clock.now(), false);
      const states = memberStates(podsNow, r);
      const order = rollOrder(states, target).pending;
      // a member on the target revision that cannot start: the new template is broken; restarting others will not help
      const broken = states.find((m) => m.revision === target && m.problem && ROLL_STOPPERS.has(m.problem.reason));
      if (broken?.problem) throw new RollStop(`${broken.pod} cannot start on revision ${target}: ${problemText(broken.problem)}`, broken.pod, await crashDetails(kube, req.namespace, broken.problem));
      const next = order[0];
      if (!next) break;
      const check = readyToStop(r, next.pod, req.force);
      if (!check.ok) {
        if (waitDeadline === undefined) {
          waitStart = clock.now();
          waitDeadline = waitStart + req.timeoutMs;
          waitUi = progress.step(`waiting until the others serve and are in sync before ${next.pod}`);
          lastWhy = '';
        }
        if (check.why !== lastWhy) waitUi?.update(check.why);
        lastWhy = check.why;
        if (clock.now() >= waitDeadline) {
          waitUi?.fail();
          throw new RollStop(`the ensemble did not get ready for the next member (${next.pod}) within ${formatDuration(req.timeoutMs)}: ${check.why}`);
        }
        await deps.sleep(Math.min(poll, Math.max(0, waitDeadline - clock.now())), deps.signal);
        continue;
      }
      const waitedMs = waitDeadline === undefined ? 0 : clock.now() - waitStart;
      if (waitUi) waitUi.succeed(`ready for ${next.pod} after ${formatDuration(waitedMs)}`);
      waitUi = undefined;
      waitDeadline = undefined;
      waitStart = 0;
      await rollMember(next, r, podsNow, waitedMs, result.members.length + 1);
    }
  } catch (caught) {
    waitUi?.fail();
    // anything else that ends the roll early (the API server went away, the ensemble was removed) is a stop too: say where and how to resume
    const e = caught instanceof RollStop || deps.signal?.aborted ? caught : new RollStop(errorMessage(caught), current?.pod);
    if (e instanceof RollStop) {
      const left = await remaining();
      const q = await deps.status().catch(() => undefined);
      result.outcome = 'stopped';
      result.exitCode = ROLL_EXIT.stopped;
      const quorum = q ? (q.quorum.has ? `the others keep a quorum (${q.quorum.servingVoters}/${q.quorum.voters} voters serving, leader ${q.quorum.leader ?? '?'})` : `NO QUORUM (${q.quorum.servingVoters}/${q.quorum.voters} voters serving)`) : '';
      const rerun = req.action === 'upgrade' ? `kubectl zk upgrade ${req.name} -n ${req.namespace} …` : `kubectl zk restart ${req.name} -n ${req.namespace}`;
      const back = req.action === 'upgrade' && e.pod && changes.length > 0 ? `; to go back, ${goBackCommand(req, from, to)} replaces only the members on the new revision` : '';
      result.stopped = {
        ...(e.pod ? {pod: e.pod} : {}),
        reason: e.message,
        details: e.details,
        remaining: left,
        hint: `${left.length > 0 ? `${left.join(', ')} left untouched${quorum ? `; ${quorum}` : ''}. ` : quorum ? `${quorum}. ` : ''}Fix the cause and run ${rerun} again to resume (members on revision ${target ?? '?'} are skipped)${back}`,
      };
      if (q) {
        result.health = q.health;
        result.leaderAfter = q.quorum.leader;
      }
      return finish();
    }
    if (deps.signal?.aborted) {
      const replacing = current?.deleted ? current.pod : undefined;
      const left = (await remaining()).filter((p) => p !== replacing);
      const where = current ? (current.deleted ? `while ${current.pod} was being replaced (its pod was deleted; Kubernetes recreates it on revision ${target})` : `before ${current.pod} was touched`) : 'between members';
      const doneNow = result.members.filter((m) => m.outcome === 'done').map((m) => m.pod);
      // the message carries the way to resume: a Ctrl-C error is reported without its hint
      throw new CliError(
        `${verb(req.action)} stopped ${where}; done: ${doneNow.join(', ') || 'none'}; not started: ${left.join(', ') || 'none'}; run the same command again to resume (kubectl zk ${req.action} ${req.name} -n ${req.namespace}${req.action === 'upgrade' ? ' …' : ''}): members already on revision ${target} are skipped`,
        {cause: e},
      );
    }
    throw e;
  }

  const last = await deps.status();
  observe(last, 'the end', clock.now(), false);
  result.outcome = 'done';
  result.health = last.health;
  result.leaderAfter = last.quorum.leader;
  const unexpected = result.elections.filter((x) => !x.expected);
  if (unexpected.length > 0) result.warnings.push(`${unexpected.length} leader election${unexpected.length === 1 ? '' : 's'} the roll did not cause on purpose: ${unexpected.map((x) => `${x.from ?? 'none'} → ${x.to} during ${x.during}`).join('; ')}`);
  return finish();

  // ---- one member: delete its pod, wait until the new one is on the target revision, serving and in sync
  async function rollMember(next: PlannedMember, r: StatusReport, podsNow: PodLike[], waitedMs: number, n: number): Promise<void> {
    const pod = podsNow.find((p) => p.metadata.name === next.pod);
    const oldUid = pod?.metadata.uid;
    const wasLeader = r.quorum.leader === next.pod || next.why === 'leader';
    const label = `[${n}/${Math.max(total, n)}] ${next.pod} (${next.why}${next.problem ? `: ${next.problem}` : ''})`;
    const ui = progress.step(label);
    const stepStart = clock.now();
    const phases: PhaseTiming[] = [];
    let phase = '';
    let phaseStart = stepStart;
    const setPhase = (name: string) => {
      if (name === phase) return;
      const now = clock.now();
      if (phase) phases.push({phase, ms: now - phaseStart});
      phase = name;
      phaseStart = now;
      if (name) ui.update(name);
    };
    const step: MemberStep = {
      pod: next.pod,
      serverId: next.serverId,
      why: next.why,
      roleBefore: next.role,
      revisionBefore: next.revision,
      imageBefore: next.image,
      startedAt: new Date(stepStart).toISOString(),
      startedAtMs: stepStart,
      durationMs: 0,
      waitedMs,
      phases,
      outcome: 'done',
    };
    result.members.push(step);
    current = {pod: next.pod, deleted: false};
    const deadline = stepStart + req.timeoutMs;
    let newLeaderSeen = !wasLeader;
    let why = '';
    try {
      setPhase('delete the pod');
      await kube.delete(podRef(next.pod));
      current.deleted = true;
      const deletedAt = clock.now();
      setPhase('wait for the new pod');
      for (;;) {
        deps.signal?.throwIfAborted();
        const p = await kube.get<PodLike>(podRef(next.pod));
        if (!newLeaderSeen) {
          const before = result.elections.length;
          if (deps.whoLeads && r.quorum.voters > 1) {
            const others = podsNow.map((x) => x.metadata.name).filter((x) => x !== next.pod);
            const w = await deps.whoLeads(others);
            observeLeader(w.leader, w.epoch, next.pod, deletedAt, true);
          } else {
            const s = await deps.status();
            observe(s, next.pod, deletedAt, true);
            if (s.quorum.leader && s.quorum.leader !== next.pod) newLeaderSeen = true;
          }
          if (result.elections.length > before) {
            const el = result.elections.at(-1)!;
            ui.update(`new leader ${el.to}${el.epochAfter !== undefined ? ` (epoch ${el.epochAfter})` : ''} ${formatDuration(el.ms)} after the deletion`);
            newLeaderSeen = true;
          }
        }
        if (!p || (oldUid !== undefined && p.metadata.uid === oldUid) || p.metadata.deletionTimestamp) {
          why = p ? 'the old pod is terminating' : 'not recreated yet';
        } else {
          const rev = revisionOf(p);
          if (target && rev && rev !== target) throw new RollStop(`${next.pod} came back on revision ${rev}, not ${target} (the template changed meanwhile?)`, next.pod);
          const image = imageOf(p);
          const want = targetImage();
          if (want && image && image !== want) throw new RollStop(`${next.pod} came back with image ${image}, not ${want}`, next.pod);
          const problem = podProblem(p);
          if (problem && (problem.fatal || ROLL_STOPPERS.has(problem.reason))) {
            throw new RollStop(`${next.pod} cannot start on revision ${target}${want ? ` (image ${want})` : ''}: ${problemText(problem)}`, next.pod, await crashDetails(kube, req.namespace, problem));
          }
          step.revisionAfter = rev;
          step.imageAfter = image;
          if (!isReady(p)) {
            setPhase('wait until it serves');
            why = problem ? problemText(problem) : 'starting';
          } else {
            setPhase('wait until it is in sync');
            const s = await deps.status();
            observe(s, next.pod, deletedAt, wasLeader);
            // a new leader, or the same one re-elected (a new epoch: 2 voters, or it won again)
            if ((s.quorum.leader && s.quorum.leader !== next.pod) || result.elections.some((x) => x.during === next.pod)) newLeaderSeen = true;
            const back = memberBack(s, next.pod);
            const row = s.members.find((m) => m.pod === next.pod);
            if (back.ok && (!wasLeader || newLeaderSeen || s.quorum.voters <= 1)) {
              step.roleAfter = row?.role;
              break;
            }
            why = back.ok ? 'waiting for a new leader' : back.why;
          }
        }
        ui.update(`${phase}: ${why}`);
        if (clock.now() >= deadline) {
          const latest = await kube.get<PodLike>(podRef(next.pod)).catch(() => null);
          const problem = latest ? podProblem(latest) : null;
          throw new RollStop(
            `${next.pod} did not come back within ${formatDuration(req.timeoutMs)} (${phase}: ${why})${problem ? `; pod: ${problemText(problem)}` : ''}`,
            next.pod,
            problem ? await crashDetails(kube, req.namespace, problem) : [],
          );
        }
        const interval = newLeaderSeen ? poll : (deps.electionPollMs ?? Math.min(poll, 100));
        await deps.sleep(Math.min(interval, Math.max(0, deadline - clock.now())), deps.signal);
      }
      setPhase('');
      step.durationMs = clock.now() - stepStart;
      const election = result.elections.find((x) => x.during === next.pod && x.expected);
      const extra = [
        step.revisionBefore && step.revisionAfter && step.revisionBefore !== step.revisionAfter ? `revision ${step.revisionBefore} → ${step.revisionAfter}` : '',
        step.imageBefore && step.imageAfter && step.imageBefore !== step.imageAfter ? `image ${step.imageAfter}` : '',
        election ? `election ${election.from ?? 'none'} → ${election.to} in ${formatDuration(election.ms)}` : '',
      ].filter(Boolean);
      ui.succeed(`${label} back as ${step.roleAfter ?? '?'} and in sync in ${formatDuration(step.durationMs)}${extra.length ? ` (${extra.join(', ')})` : ''}`);
      current = undefined;
    } catch (e) {
      setPhase('');
      step.durationMs = clock.now() - stepStart;
      step.outcome = deps.signal?.aborted ? 'interrupted' : 'failed';
      step.error = errorMessage(e);
      ui.fail(`${label}: ${step.outcome} after ${formatDuration(step.durationMs)}`);
      if (!(e instanceof RollStop) && !deps.signal?.aborted) throw new RollStop(`${next.pod}: ${errorMessage(e)}`, next.pod);
      throw e;
    }
  }
}
