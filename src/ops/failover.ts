/**
 * `kubectl zk failover-test`: disrupt the leader of a healthy ensemble while a
 * writer keeps writing, time the election and the recovery from the members'
 * own answers (gatherStatus at a fine interval), then prove from every member
 * individually that nothing the servers acknowledged was lost.
 *
 * Every collaborator comes in as a parameter: the API (kube), time (clock,
 * sleep), Ctrl-C (signal), progress, where a member's client port is
 * (endpoint), how to open a ZooKeeper session (connect), how to disrupt
 * (disruptor) and how to ask (confirm). The report is data; src/render/failover.ts
 * prints it.
 */
import {AbortedError, CliError, UsageError, errorMessage} from '../errors.js';
import type {Kube} from '../kube/types.js';
import {formatDuration} from '../util/duration.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';
import type {ZkClient} from '../zk/client.js';
import {formatEndpoint, type Endpoint} from '../zk/endpoint.js';
import {isZkError} from '../zk/errors.js';
import {isNewLeadership} from './ensemble/leader.js';
import {isServing} from './ensemble/member.js';
import {statusDeps} from './ensemble/probe.js';
import {ensembleSyncGap} from './ensemble/sync.js';
import {restarts, type PodLike} from './pods.js';
import {gatherStatus, healthOf, type Health, type MemberReport, type Role, type StatusReport} from './status.js';

// ---------------------------------------------------------------- exit codes, modes, request

/**
 * Exit codes of `failover-test`, documented in the command's description.
 * When several apply, the first in this order wins: data loss, no new leader,
 * not recovered, precondition, interrupted.
 */
export const FAILOVER_EXIT = {pass: 0, interrupted: 1, dataLoss: 10, noNewLeader: 11, notRecovered: 12, precondition: 13} as const;

export const FAILOVER_MODES = ['delete-pod', 'kill', 'all-pods'] as const;
export type FailoverMode = (typeof FAILOVER_MODES)[number];

export type Outcome = 'pass' | 'data-loss' | 'no-new-leader' | 'not-recovered' | 'precondition' | 'interrupted';

const OUTCOME_ORDER: Outcome[] = ['data-loss', 'no-new-leader', 'not-recovered', 'precondition', 'interrupted', 'pass'];

export function exitCodeOfOutcome(o: Outcome): number {
  switch (o) {
    case 'pass':
      return FAILOVER_EXIT.pass;
    case 'data-loss':
      return FAILOVER_EXIT.dataLoss;
    case 'no-new-leader':
      return FAILOVER_EXIT.noNewLeader;
    case 'not-recovered':
      return FAILOVER_EXIT.notRecovered;
    case 'precondition':
      return FAILOVER_EXIT.precondition;
    case 'interrupted':
      return FAILOVER_EXIT.interrupted;
  }
}

/** The worst of several outcomes (see FAILOVER_EXIT for the order). */
export function worstOutcome(outcomes: Outcome[]): Outcome {
  for (const o of OUTCOME_ORDER) if (outcomes.includes(o)) return o;
  return 'pass';
}

export interface FailoverRequest {
  name: string;
  namespace: string;
  mode: FailoverMode;
  rounds: number;
  /** between rounds */
  pauseMs: number;
  /** membership polling interval */
  pollMs: number;
  /** for the new leader and for full recovery, each counted from the disruption */
  timeoutMs: number;
  /** writes per second; 0 = no load */
  writeRate: number;
  force: boolean;
  keepData: boolean;
  /** znode under which the run's directory is made */
  basePath: string;
  runId: string;
}

export const DEFAULT_BASE_PATH = '/kubectl-zk/failover';

export interface ConnectOptions {
  connectTimeoutMs?: number;
  operationTimeoutMs?: number;
}

export interface DisruptTarget {
  namespace: string;
  name: string;
  mode: FailoverMode;
  leader: string;
  /** every member pod */
  pods: string[];
}

export interface DisruptionResult {
  /** the pods disrupted */
  pods: string[];
  /** what was done, e.g. "deleted pod zk-1" or "SIGKILL to pid 7 in zk-1" */
  detail: string;
}

/** Disrupts a member (or all); tests pass one that kills a local server process. */
export type Disruptor = (target: DisruptTarget) => Promise<DisruptionResult>;

export interface FailoverDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  /** aborted on Ctrl-C */
  signal?: AbortSignal;
  /** where to reach a member's client port: a port-forward in production, loopback in tests */
  endpoint(namespace: string, pod: string): Promise<Endpoint>;
  /** a ZooKeeper session through any of the endpoints */
  connect(endpoints: readonly Endpoint[], opts?: ConnectOptions): Promise<ZkClient>;
  disruptor: Disruptor;
  /** rt.confirm: asks on a TTY, --yes answers, refuses without either */
  confirm(question: string): Promise<boolean>;
  /** the load generator; tests wrap it */
  startWriter?: StartWriter;
  /** per-member 4lw timeout (default PROBE_TIMEOUT_MS, src/ops/ensemble/probe.ts) */
  probeTimeoutMs?: number;
  /** limit for reading back from each member (default min(timeout, 30 s)) */
  verifyTimeoutMs?: number;
}

// ---------------------------------------------------------------- preconditions (pure)

/** A quorum, and the leader has every other voter (and observer) in sync: the one sync rule (ensemble/sync.ts). */
export function followersSynced(r: StatusReport): boolean {
  return r.quorum.has && ensembleSyncGap(r) === undefined;
}

/** What stands between this ensemble and a meaningful failover test; empty when it may run. */
export function preconditionProblems(r: StatusReport): string[] {
  const p: string[] = [];
  const q = r.quorum;
  if (!q.has) p.push(`no quorum: ${q.servingVoters}/${q.voters} voters serving, ${q.needed} needed`);
  else if (!q.leader) p.push('no member reports itself leader');
  for (const m of r.members) {
    if (!isServing(m)) p.push(`${m.pod}: ${m.role}${m.error ? ` (${m.error})` : ''}`);
    else if (!m.ready) p.push(`${m.pod}: pod is not Ready`);
  }
  if (r.replicas.ready < r.replicas.desired) p.push(`${r.replicas.ready}/${r.replicas.desired} pods ready`);
  const gap = q.has ? ensembleSyncGap(r) : undefined;
  if (gap) p.push(gap);
  if (q.voters < 3) {
    p.push(`${q.voters} voter${q.voters === 1 ? '' : 's'}: losing the leader loses the quorum; a failover test needs at least 3`);
  }
  if (p.length === 0 && healthOf(r) !== 'healthy') p.push(`health is ${healthOf(r)}`);
  return p;
}

export function modeText(mode: FailoverMode, leader: string | undefined): string {
  const l = leader ?? 'the leader';
  switch (mode) {
    case 'delete-pod':
      return `delete the leader's pod (${l})`;
    case 'kill':
      return `kill the ZooKeeper process in the leader's pod (${l})`;
    case 'all-pods':
      return 'delete EVERY pod (the quorum is lost on purpose)';
  }
}

// ---------------------------------------------------------------- the writer (load generator)

export interface WriteRecord {
  seq: number;
  /** child name under the round's writes znode */
  name: string;
  startedAt: number;
  /** when the server acknowledged the create */
  ackedAt?: number;
  failedAt?: number;
  /** ZkError code or message */
  error?: string;
}

export interface WriterOptions {
  /** the znode whose children the writer creates */
  dir: string;
  ratePerSec: number;
  /** the session to write through (connected to all members) */
  client: ZkClient;
  /** a new session when the current one expired */
  reconnect(): Promise<ZkClient>;
  clock: Clock;
  sleep: Sleep;
  /** connection state changes, for the timeline */
  onEvent?(detail: string, at: number): void;
}

export interface Writer {
  /** the session currently used (it changes after an expiry) */
  client(): ZkClient;
  /** the log so far (live; do not modify) */
  records(): readonly WriteRecord[];
  /** Stops writing; waits up to graceMs for the write in flight. The log is frozen then. */
  stop(graceMs?: number): Promise<WriteRecord[]>;
}

export type StartWriter = (o: WriterOptions) => Writer;

export function writeName(seq: number): string {
  return `w-${String(seq).padStart(10, '0')}`;
}

const DEAD_SESSION = new Set(['expired', 'closed', 'authFailed']);

/**
 * One session, one write at a time, paced at ratePerSec (no bursts to catch
 * up): creates `<dir>/w-<seq>` and records when each was acknowledged or
 * failed. A write that failed is unavailability, never assumed lost or done.
 */
export const startWriter: StartWriter = (o) => {
  const records: WriteRecord[] = [];
  const stopper = new AbortController();
  let client = o.client;
  let stopped = false;
  const interval = 1000 / o.ratePerSec;
  const watch = (c: ZkClient) => c.onState((s) => o.onEvent?.(`writer session ${s}`, o.clock.now()));
  let unwatch = watch(client);
  const loop = (async () => {
    let next = o.clock.now();
    let seq = 0;
    while (!stopped) {
      const wait = next - o.clock.now();
      if (wait > 0) {
        try {
          await o.sleep(wait, stopper.signal);
        } catch {
          break;
        }
      }
      if (stopped) break;
      if (DEAD_SESSION.has(client.state)) {
        try {
          const fresh = await o.reconnect();
          unwatch();
          void client.close().catch(() => undefined);
          client = fresh;
          unwatch = watch(client);
          o.onEvent?.(`writer opened a new session ${client.sessionId ?? ''}`.trim(), o.clock.now());
        } catch {
          next = Math.max(next + interval, o.clock.now());
          continue;
        }
      }
      const rec: WriteRecord = {seq: ++seq, name: writeName(seq), startedAt: o.clock.now()};
      records.push(rec);
      try {
        await client.create(`${o.dir}/${rec.name}`, String(seq));
        rec.ackedAt = o.clock.now();
      } catch (e) {
        rec.failedAt = o.clock.now();
        rec.error = isZkError(e) ? e.code : errorMessage(e);
      }
      next = Math.max(next + interval, o.clock.now());
    }
  })();
  return {
    client: () => client,
    records: () => records,
    async stop(graceMs = 15_000) {
      stopped = true;
      stopper.abort(new Error('writer stopped'));
      const timer = new AbortController();
      await Promise.race([loop, o.sleep(graceMs, timer.signal).catch(() => undefined)]);
      timer.abort(new Error('done'));
      unwatch();
      const at = o.clock.now();
      // frozen: a write still in flight counts as failed (its answer never came in time)
      return records.map((r) => (r.ackedAt === undefined && r.failedAt === undefined ? {...r, failedAt: at, error: 'no answer before the writer stopped'} : {...r}));
    },
  };
};

// ---------------------------------------------------------------- figures and timeline (pure)

export type TimelineEvent =
  | 'writer-started'
  | 'leader-identified'
  | 'disruption-sent'
  | 'disruption-done'
  | 'member-down'
  | 'leader-lost'
  | 'new-leader'
  | 'first-write-failed'
  | 'first-ack-after-disruption'
  | 'member-back'
  | 'followers-synced'
  | 'recovered'
  | 'writer-stopped'
  | 'writer-session'
  | 'status-error';

export interface TimelineEntry {
  event: TimelineEvent;
  /** ISO 8601 */
  time: string;
  /** ms since the disruption was sent (negative before) */
  tMs: number;
  detail: string;
}

export interface Observed {
  event: TimelineEvent;
  at: number;
  detail: string;
}

export interface Gap {
  /** ms since the disruption */
  fromMs: number;
  toMs: number;
  ms: number;
  /** the gap is still open: no acknowledged write after it */
  open: boolean;
}

export interface RoundFigures {
  /** disruption → leader loss observed */
  leaderLossMs?: number;
  /** disruption → new leader observed (the election time as seen from outside) */
  electionMs?: number;
  /** disruption → first acknowledged write issued after it */
  firstAckMs?: number;
  /** longest gap between acknowledged writes */
  unavailabilityMs?: number;
  /** disruption → the disrupted member(s) serving again */
  memberBackMs?: number;
  /** disruption → every member serving and every follower synced with the leader */
  syncedMs?: number;
  /** disruption → healthy: every member serving, followers synced, pods ready */
  recoveryMs?: number;
  acked: number;
  failed: number;
  lost: number;
  /** failed writes that turned out to be committed (not acknowledged, present on every member) */
  committedUnacked: number;
}

export const FIGURE_KEYS = ['leaderLossMs', 'electionMs', 'firstAckMs', 'unavailabilityMs', 'memberBackMs', 'syncedMs', 'recoveryMs', 'acked', 'failed', 'lost', 'committedUnacked'] as const;
export type FigureKey = (typeof FIGURE_KEYS)[number];

/** Longest gap between consecutive acknowledged writes; a trailing stretch of failures counts up to the writer's stop. */
export function longestAckGap(writes: readonly WriteRecord[], disruptionAt: number, stoppedAt?: number): Gap | undefined {
  const acks = writes.filter((w) => w.ackedAt !== undefined).map((w) => w.ackedAt!).sort((a, b) => a - b);
  let best: Gap | undefined;
  const consider = (from: number, to: number, open: boolean) => {
    if (!best || to - from > best.ms) best = {fromMs: from - disruptionAt, toMs: to - disruptionAt, ms: to - from, open};
  };
  for (let i = 1; i < acks.length; i++) consider(acks[i - 1]!, acks[i]!, false);
  const lastAck = acks.at(-1);
  const failedAfter = writes.some((w) => w.ackedAt === undefined && w.startedAt >= (lastAck ?? -Infinity));
  if (stoppedAt !== undefined && failedAfter) consider(lastAck ?? writes[0]?.startedAt ?? stoppedAt, stoppedAt, true);
  return best;
}

export interface FigureInput {
  disruptionAt: number;
  observed: readonly Observed[];
  writes: readonly WriteRecord[];
  writerStoppedAt?: number;
  lost: number;
  committedUnacked: number;
}

function firstAt(observed: readonly Observed[], event: TimelineEvent): number | undefined {
  return observed.find((o) => o.event === event)?.at;
}

export function firstAckAfter(writes: readonly WriteRecord[], at: number): WriteRecord | undefined {
  return writes.filter((w) => w.ackedAt !== undefined && w.startedAt >= at).sort((a, b) => a.ackedAt! - b.ackedAt!)[0];
}

export function figuresOf(i: FigureInput): RoundFigures {
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - i.disruptionAt);
  const first = firstAckAfter(i.writes, i.disruptionAt);
  const gap = longestAckGap(i.writes, i.disruptionAt, i.writerStoppedAt);
  const f: RoundFigures = {
    acked: i.writes.filter((w) => w.ackedAt !== undefined).length,
    failed: i.writes.filter((w) => w.ackedAt === undefined).length,
    lost: i.lost,
    committedUnacked: i.committedUnacked,
  };
  const set = (k: Exclude<FigureKey, 'acked' | 'failed' | 'lost' | 'committedUnacked'>, v: number | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('leaderLossMs', rel(firstAt(i.observed, 'leader-lost')));
  set('electionMs', rel(firstAt(i.observed, 'new-leader')));
  set('firstAckMs', rel(first?.ackedAt));
  set('unavailabilityMs', gap?.ms);
  set('memberBackMs', rel(firstAt(i.observed, 'member-back')));
  set('syncedMs', rel(firstAt(i.observed, 'followers-synced')));
  set('recoveryMs', rel(firstAt(i.observed, 'recovered')));
  return f;
}

/** The observed events plus what the writer's log shows, in time order, relative to the disruption. */
export function buildTimeline(disruptionAt: number, observed: readonly Observed[], writes: readonly WriteRecord[]): TimelineEntry[] {
  const all: Observed[] = [...observed];
  const firstFail = writes.filter((w) => w.failedAt !== undefined && w.failedAt >= disruptionAt).sort((a, b) => a.failedAt! - b.failedAt!)[0];
  if (firstFail?.failedAt !== undefined) all.push({event: 'first-write-failed', at: firstFail.failedAt, detail: `${firstFail.name}: ${firstFail.error ?? 'failed'}`});
  const first = firstAckAfter(writes, disruptionAt);
  if (first?.ackedAt !== undefined) all.push({event: 'first-ack-after-disruption', at: first.ackedAt, detail: `${first.name} (issued ${formatDuration(first.startedAt - disruptionAt)} after the disruption)`});
  return all
    .map((o, idx) => ({o, idx}))
    .sort((a, b) => a.o.at - b.o.at || a.idx - b.idx)
    .map(({o}) => ({event: o.event, time: new Date(o.at).toISOString(), tMs: o.at - disruptionAt, detail: o.detail}));
}

export interface Stats {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function statsOf(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return {min: s[0]!, median, max: s.at(-1)!, n: s.length};
}

export function summarizeRounds(rounds: readonly Pick<FailoverRound, 'figures'>[]): Partial<Record<FigureKey, Stats>> {
  const out: Partial<Record<FigureKey, Stats>> = {};
  for (const k of FIGURE_KEYS) {
    const st = statsOf(rounds.map((r) => r.figures?.[k]).filter((v): v is number => typeof v === 'number'));
    if (st) out[k] = st;
  }
  return out;
}

// ---------------------------------------------------------------- the audit (pure part)

export interface MemberCheck {
  pod: string;
  endpoint?: string;
  /** a session to this member alone was opened */
  reachable: boolean;
  /** the member has applied the barrier written after the writer stopped */
  caughtUp: boolean;
  marker: 'ok' | 'wrong' | 'missing' | 'unread';
  markerValue?: string;
  /** children of the writes znode this member has */
  present?: number;
  /** acknowledged writes this member does not have */
  missing: string[];
  error?: string;
}

export interface AuditResult {
  /** every member was read (reachable, caught up, marker and writes read) */
  complete: boolean;
  barrier: boolean;
  members: MemberCheck[];
  /** acknowledged writes missing on at least one member: the data loss */
  lost: WriteRecord[];
  markerOk: boolean;
  /** failed writes present on every member read (committed but never acknowledged) */
  committedUnacked: string[];
  skipped?: string;
}

/** Compares what the writer was told with what each member holds. */
export function auditWrites(writes: readonly WriteRecord[], present: ReadonlyMap<string, ReadonlySet<string>>): {lost: WriteRecord[]; missingByPod: Map<string, string[]>; committedUnacked: string[]} {
  const acked = writes.filter((w) => w.ackedAt !== undefined);
  const missingByPod = new Map<string, string[]>();
  const lost = new Set<WriteRecord>();
  for (const [pod, names] of present) {
    const missing = acked.filter((w) => !names.has(w.name));
    for (const w of missing) lost.add(w);
    missingByPod.set(pod, missing.map((w) => w.name));
  }
  const sets = [...present.values()];
  const committedUnacked = sets.length === 0 ? [] : writes.filter((w) => w.ackedAt === undefined && sets.every((s) => s.has(w.name))).map((w) => w.name);
  return {lost: [...lost].sort((a, b) => a.seq - b.seq), missingByPod, committedUnacked};
}

// ---------------------------------------------------------------- report

export interface EnsembleState {
  time: string;
  health: Health;
  leader?: string;
  members: {pod: string; role: Role; epoch?: number}[];
}

export interface FailoverRound {
  round: number;
  path: string;
  outcome: Outcome;
  problems: string[];
  before?: {leader: string; epoch?: number; members: {pod: string; role: Role}[]};
  disruption?: DisruptionResult & {time: string};
  newLeader?: {pod: string; epoch?: number};
  timeline: TimelineEntry[];
  figures?: RoundFigures;
  unavailability?: Gap;
  writes: {ratePerSec: number; attempted: number; acked: number; failed: number; failures: WriteRecord[]; lost: WriteRecord[]};
  audit?: AuditResult;
  /** polls of the membership and the longest one (the timeline's resolution) */
  polling: {intervalMs: number; polls: number; longestMs: number};
  ensemble?: EnsembleState;
  cleanup: {removed: boolean; kept?: boolean; error?: string};
}

export interface FailoverReport {
  name: string;
  namespace: string;
  mode: FailoverMode;
  runId: string;
  path: string;
  startedAt: string;
  roundsRequested: number;
  rounds: FailoverRound[];
  /** min/median/max per figure over the rounds that got that far */
  summary: Partial<Record<FigureKey, Stats>>;
  outcome: Outcome;
  exitCode: number;
  forced: string[];
}

function ensembleState(r: StatusReport): EnsembleState {
  return {time: r.time, health: r.health, leader: r.quorum.leader, members: r.members.map((m) => ({pod: m.pod, role: m.role, epoch: m.epoch}))};
}

// ---------------------------------------------------------------- the op

const aborted = (deps: FailoverDeps) => deps.signal?.aborted === true;

async function withTimeout<T>(deps: FailoverDeps, ms: number, what: string, p: Promise<T>): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      p,
      deps.sleep(ms, timer.signal).then(
        () => Promise.reject(new Error(`${what}: no answer within ${formatDuration(ms)}`)),
        () => new Promise<T>(() => undefined),
      ),
    ]);
  } finally {
    timer.abort(new Error('done'));
  }
}

function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

/** Usage errors (exit 2) in the request, before anything is contacted. */
export function validateFailoverRequest(req: FailoverRequest): void {
  if (!Number.isInteger(req.rounds) || req.rounds < 1) throw new UsageError(`--rounds must be a positive integer, not ${req.rounds}`);
  if (!(req.pollMs > 0)) throw new UsageError('--poll must be more than 0');
  if (!(req.timeoutMs > 0)) throw new UsageError('--timeout must be more than 0');
  if (!(req.writeRate >= 0) || !Number.isFinite(req.writeRate)) throw new UsageError(`--write-rate must be 0 or more, not ${req.writeRate}`);
  if (req.mode === 'all-pods' && !req.force) throw new UsageError('--mode all-pods deletes every pod and loses the quorum on purpose', 'pass --force to do it');
  if (!req.basePath.startsWith('/') || req.basePath.endsWith('/') || req.basePath === '/zookeeper' || req.basePath.startsWith('/zookeeper/')) {
    throw new UsageError(`--path must be an absolute znode path outside /zookeeper, without a trailing slash: "${req.basePath}"`);
  }
}

/**
 * Runs the failover test: preconditions (throws CliError exit 13 unless
 * --force), confirmation, then `rounds` rounds with a pause between them.
 * Stops after the first round that does not pass. Never throws for what the
 * test finds: the report carries the outcome and exit code.
 */
export async function runFailoverTest(req: FailoverRequest, deps: FailoverDeps): Promise<FailoverReport> {
  validateFailoverRequest(req);
  // one gate for every poll of the run: the members are polled every 100 ms through an election
  const sdeps = statusDeps({kube: deps.kube, clock: deps.clock, endpoint: deps.endpoint, requestTimeoutMs: deps.probeTimeoutMs});
  const runPath = `${req.basePath}/${req.runId}`;

  const check = deps.progress.step(`checking ensemble ${req.name}`);
  let pre: StatusReport;
  try {
    pre = await gatherStatus(req, sdeps);
  } catch (e) {
    check.fail();
    throw e;
  }
  const problems = preconditionProblems(pre);
  if (problems.length > 0 && !req.force) {
    check.fail(`ensemble ${req.name} is not ready for a failover test`);
    throw new CliError(`ensemble "${req.name}" is not ready for a failover test: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
      exitCode: FAILOVER_EXIT.precondition,
      hint: 'fix it first (kubectl zk status shows the ensemble), or pass --force to run anyway',
      details: problems,
    });
  }
  check.succeed(`ensemble ${req.name}: ${pre.health}, leader ${pre.quorum.leader ?? 'none'}, ${pre.quorum.voters} voters`);
  for (const p of problems) deps.progress.warn(`--force: running although ${p}`);

  const question = `Failover test on ensemble ${req.namespace}/${req.name}: ${modeText(req.mode, pre.quorum.leader)}${req.rounds > 1 ? `, ${req.rounds} rounds` : ''}. Continue?`;
  if (!(await deps.confirm(question))) throw new AbortedError('failover test not confirmed');

  const report: FailoverReport = {
    name: req.name,
    namespace: req.namespace,
    mode: req.mode,
    runId: req.runId,
    path: runPath,
    startedAt: new Date(deps.clock.now()).toISOString(),
    roundsRequested: req.rounds,
    rounds: [],
    summary: {},
    outcome: 'pass',
    exitCode: 0,
    forced: req.force ? problems : [],
  };

  for (let n = 1; n <= req.rounds; n++) {
    if (n > 1) {
      deps.progress.info(`pausing ${formatDuration(req.pauseMs)} before round ${n}`);
      try {
        await deps.sleep(req.pauseMs, deps.signal);
      } catch {
        break; // Ctrl-C between rounds: nothing running, nothing to clean
      }
      const again = await gatherStatus(req, sdeps).catch((e: unknown) => e);
      const p = again instanceof Error ? [errorMessage(again)] : preconditionProblems(again as StatusReport);
      if (p.length > 0 && !req.force) {
        report.rounds.push({
          round: n,
          path: `${runPath}/round-${n}`,
          outcome: 'precondition',
          problems: p,
          timeline: [],
          writes: {ratePerSec: req.writeRate, attempted: 0, acked: 0, failed: 0, failures: [], lost: []},
          polling: {intervalMs: req.pollMs, polls: 0, longestMs: 0},
          ensemble: again instanceof Error ? undefined : ensembleState(again as StatusReport),
          cleanup: {removed: false},
        });
        break;
      }
    }
    const round = await runRound(n, req, deps, sdeps, runPath);
    report.rounds.push(round);
    if (round.outcome !== 'pass') break;
  }
  report.summary = summarizeRounds(report.rounds.filter((r) => r.figures));
  const outcomes = report.rounds.map((r) => r.outcome);
  if (aborted(deps)) outcomes.push('interrupted');
  report.outcome = worstOutcome(outcomes);
  report.exitCode = exitCodeOfOutcome(report.outcome);
  return report;
}

type StatusDepsLike = Parameters<typeof gatherStatus>[1];

async function runRound(n: number, req: FailoverRequest, deps: FailoverDeps, sdeps: StatusDepsLike, runPath: string): Promise<FailoverRound> {
  const {clock, progress} = deps;
  const path = `${runPath}/round-${n}`;
  const markerPath = `${path}/marker`;
  const writesDir = `${path}/writes`;
  const barrierPath = `${path}/barrier`;
  const markerValue = `kubectl-zk failover-test ${req.runId} round ${n}`;
  const round: FailoverRound = {
    round: n,
    path,
    outcome: 'pass',
    problems: [],
    timeline: [],
    writes: {ratePerSec: req.writeRate, attempted: 0, acked: 0, failed: 0, failures: [], lost: []},
    polling: {intervalMs: req.pollMs, polls: 0, longestMs: 0},
    cleanup: {removed: false},
  };
  const observed: Observed[] = [];
  const note = (event: TimelineEvent, detail: string, at = clock.now()) => observed.push({event, at, detail});
  const tag = req.rounds > 1 ? `round ${n}: ` : '';

  const start = await gatherStatus(req, sdeps);
  const pods = start.members.filter((m) => m.role !== 'no pod').map((m) => m.pod);
  const endpoints = new Map<string, Endpoint>();
  for (const pod of pods) endpoints.set(pod, await deps.endpoint(req.namespace, pod));
  const all = [...endpoints.values()];

  // 1. marker and writer
  let step = progress.step(`${tag}writing the marker ${markerPath}`);
  let main: ZkClient;
  try {
    main = await deps.connect(all);
  } catch (e) {
    step.fail();
    throw new CliError(`cannot open a ZooKeeper session to ensemble "${req.name}": ${errorMessage(e)}`);
  }
  let writer: Writer | undefined;
  let writes: WriteRecord[] = [];
  let created: string[] = [];
  let disruptionAt: number | undefined;
  let writerStoppedAt: number | undefined;
  let last: StatusReport | undefined;
  try {
    body: {
      for (const a of ancestorsOf(path)) if ((await main.exists(a)) === null) created.push(a);
      await main.create(markerPath, markerValue, {parents: true});
      if (req.writeRate > 0) await main.create(writesDir);
      step.succeed(`${tag}marker ${markerPath} written`);

      if (req.writeRate > 0) {
        writer = (deps.startWriter ?? startWriter)({
          dir: writesDir,
          ratePerSec: req.writeRate,
          client: main,
          reconnect: () => deps.connect(all),
          clock,
          sleep: deps.sleep,
          onEvent: (detail, at) => note('writer-session', detail, at),
        });
        note('writer-started', `${req.writeRate} writes/s under ${writesDir}`);
        // a baseline of acknowledged writes before the disruption
        await deps.sleep(Math.min(2000, Math.max(200, 5 * (1000 / req.writeRate))), deps.signal).catch(() => undefined);
      }

      // 2. who leads, right now
      if (aborted(deps)) throw new AbortedError();
      const now = await gatherStatus(req, sdeps);
      const leader = now.members.find((m) => m.role === 'leader');
      if (!leader) {
        round.outcome = 'precondition';
        round.problems.push('no member reports itself leader right before the disruption');
        last = now;
        break body;
      }
      round.before = {leader: leader.pod, epoch: leader.epoch, members: now.members.map((m) => ({pod: m.pod, role: m.role}))};
      note('leader-identified', `${leader.pod} leads (epoch ${leader.epoch ?? '?'}, zxid ${leader.zxid ?? '?'})`);

      // 3. disrupt
      step = progress.step(`${tag}${modeText(req.mode, leader.pod)}`);
      disruptionAt = clock.now();
      note('disruption-sent', modeText(req.mode, leader.pod), disruptionAt);
      const result = await deps.disruptor({namespace: req.namespace, name: req.name, mode: req.mode, leader: leader.pod, pods});
      round.disruption = {...result, time: new Date(disruptionAt).toISOString()};
      note('disruption-done', result.detail);
      step.succeed(`${tag}${result.detail}`);

      // 4. watch
      step = progress.step(`${tag}waiting for a new leader`);
      const targets = result.pods.length > 0 ? result.pods : [leader.pod];
      const w = await watchFailover({req, deps, sdeps, t0: disruptionAt, oldLeader: leader.pod, oldEpoch: leader.epoch, targets, note, step, observed});
      last = w.last;
      round.polling.polls = w.polls;
      round.polling.longestMs = w.longestMs;
      if (w.newLeader) round.newLeader = w.newLeader;
      if (w.outcome !== 'pass') {
        round.outcome = w.outcome;
        round.problems.push(w.why);
        step.fail(`${tag}${w.why}`);
      } else step.succeed(`${tag}recovered ${formatDuration(clock.now() - disruptionAt)} after the disruption; new leader ${w.newLeader?.pod} (epoch ${w.newLeader?.epoch ?? '?'})`);

      // 5. keep writing until a write issued after the disruption is acknowledged (or the timeout)
      if (writer && round.outcome === 'pass') {
        const until = disruptionAt + req.timeoutMs;
        while (!aborted(deps) && clock.now() < until && !firstAckAfter(writer.records(), disruptionAt)) {
          await deps.sleep(Math.min(50, req.pollMs), deps.signal).catch(() => undefined);
        }
      }
      if (writer) {
        writes = await writer.stop();
        writerStoppedAt = clock.now();
        note('writer-stopped', `${writes.length} writes issued`, writerStoppedAt);
      }

      // 6. audit
      if (round.outcome === 'interrupted' || aborted(deps)) {
        if (round.outcome === 'pass') round.outcome = 'interrupted';
      } else if (round.outcome === 'no-new-leader') {
        round.audit = {complete: false, barrier: false, members: [], lost: [], markerOk: false, committedUnacked: [], skipped: 'no leader: nothing can be read back consistently'};
      } else {
        step = progress.step(`${tag}reading the marker and every acknowledged write back from each member`);
        round.audit = await audit({deps, req, endpoints, client: writer?.client() ?? main, markerPath, markerValue, writesDir: req.writeRate > 0 ? writesDir : undefined, barrierPath, writes});
        const a = round.audit;
        if (a.lost.length > 0 || !a.markerOk) {
          round.outcome = 'data-loss';
          if (a.lost.length > 0) round.problems.push(`${a.lost.length} acknowledged write(s) missing: ${a.lost.slice(0, 10).map((w) => w.name).join(', ')}${a.lost.length > 10 ? ', …' : ''}`);
          for (const m of a.members) if (m.marker === 'wrong' || m.marker === 'missing') round.problems.push(`${m.pod}: marker ${m.marker}${m.markerValue !== undefined ? ` ("${m.markerValue}")` : ''}`);
          step.fail(`${tag}DATA LOSS: ${round.problems.join('; ')}`);
        } else if (!a.complete) {
          if (round.outcome === 'pass') round.outcome = 'not-recovered';
          for (const m of a.members) if (!m.reachable || !m.caughtUp || m.marker === 'unread') round.problems.push(`${m.pod}: could not be verified${m.error ? ` (${m.error})` : ''}`);
          step.fail(`${tag}verification incomplete`);
        } else {
          step.succeed(`${tag}every member has the marker and all ${writes.filter((x) => x.ackedAt !== undefined).length} acknowledged writes`);
        }
      }
    }
  } catch (e) {
    if (!(e instanceof AbortedError) && !aborted(deps)) throw e;
    if (round.outcome === 'pass') round.outcome = 'interrupted';
  } finally {
    if (writer && writerStoppedAt === undefined) {
      writes = await writer.stop(2000).catch(() => writes);
      writerStoppedAt = clock.now();
      note('writer-stopped', `${writes.length} writes issued`, writerStoppedAt);
    }
    if (aborted(deps) && round.outcome === 'pass') round.outcome = 'interrupted'; // never masks what was found
    // clean up what we made: the round's subtree, then parents we created if they are empty
    if (req.keepData) round.cleanup = {removed: false, kept: true};
    else {
      const c = writer?.client() ?? main!;
      try {
        await withTimeout(deps, 20_000, 'cleanup', (async () => {
          await c.deleteRecursive(path).catch((e: unknown) => {
            if (!isZkError(e, 'NoNode')) throw e;
          });
          created = created.filter((a) => a !== path && a.length < path.length).reverse();
          for (const a of created) {
            await c.delete(a).catch((e: unknown) => {
              if (!isZkError(e, 'NoNode') && !isZkError(e, 'NotEmpty')) throw e;
            });
          }
        })());
        round.cleanup = {removed: true};
      } catch (e) {
        round.cleanup = {removed: false, error: errorMessage(e)};
        progress.warn(`could not remove ${path}: ${errorMessage(e)} (remove it with: kubectl zk znode delete -r ${path})`);
      }
    }
    await Promise.all([writer?.client(), main!].filter((c, i, a): c is ZkClient => c !== undefined && a.indexOf(c) === i).map((c) => c.close().catch(() => undefined)));
    if (round.outcome === 'interrupted') {
      // the state we leave the ensemble in
      last = (await withTimeout(deps, 10_000, 'status', gatherStatus(req, sdeps)).catch(() => undefined)) ?? last;
    }
  }

  if (last) round.ensemble = ensembleState(last);
  if (disruptionAt !== undefined) {
    const lost = round.audit?.lost.length ?? 0;
    const committedUnacked = round.audit?.committedUnacked.length ?? 0;
    round.figures = figuresOf({disruptionAt, observed, writes, writerStoppedAt, lost, committedUnacked});
    round.unavailability = longestAckGap(writes, disruptionAt, writerStoppedAt);
    round.timeline = buildTimeline(disruptionAt, observed, writes);
  } else {
    const at = observed[0]?.at ?? clock.now();
    round.timeline = buildTimeline(at, observed, writes);
  }
  round.writes = {
    ratePerSec: req.writeRate,
    attempted: writes.length,
    acked: writes.filter((w) => w.ackedAt !== undefined).length,
    failed: writes.filter((w) => w.ackedAt === undefined).length,
    failures: writes.filter((w) => w.ackedAt === undefined),
    lost: round.audit?.lost ?? [],
  };
  return round;
}

interface WatchArgs {
  req: FailoverRequest;
  deps: FailoverDeps;
  sdeps: StatusDepsLike;
  t0: number;
  oldLeader: string;
  oldEpoch?: number;
  targets: string[];
  note: (event: TimelineEvent, detail: string, at?: number) => void;
  step: {update(t: string): void};
  observed: Observed[];
}

interface WatchOutcome {
  outcome: Outcome;
  why: string;
  newLeader?: {pod: string; epoch?: number};
  last?: StatusReport;
  polls: number;
  longestMs: number;
}

/**
 * Polls the members (gatherStatus) every pollMs and timestamps, in order:
 * leader loss, a new leader (another member, or the same with a newer
 * epoch), the disrupted member(s) serving again, and full health. Each
 * timestamp is the report's own (stamped once every member answered), so it
 * lags the change by at most one poll: the interval plus the poll's own
 * duration (`longestMs`), the resolution.
 */
async function watchFailover(a: WatchArgs): Promise<WatchOutcome> {
  const {req, deps, t0, oldLeader, oldEpoch, targets, note, step} = a;
  const {clock} = deps;
  let lostAt: number | undefined;
  let newLeader: {pod: string; epoch?: number} | undefined;
  let backAt: number | undefined;
  let syncedAt: number | undefined;
  const down = new Set<string>();
  let last: StatusReport | undefined;
  let lastError: string | undefined;
  let polls = 0;
  let longestMs = 0;
  for (;;) {
    if (aborted(deps)) return {outcome: 'interrupted', why: 'interrupted', newLeader, last, polls, longestMs};
    const started = clock.now();
    let r: StatusReport | undefined;
    try {
      r = await gatherStatus(req, a.sdeps);
      lastError = undefined;
    } catch (e) {
      const msg = errorMessage(e);
      if (msg !== lastError) note('status-error', msg);
      lastError = msg;
    }
    polls++;
    longestMs = Math.max(longestMs, clock.now() - started);
    // the members' answers are in when the report is stamped (before its conf read): the tighter time
    const stamped = r ? Date.parse(r.time) : NaN;
    const at = Number.isFinite(stamped) ? stamped : clock.now();
    if (r) {
      last = r;
      const leader = r.members.find((m) => m.role === 'leader');
      const isNew = (m: MemberReport) => isNewLeadership({pod: oldLeader, epoch: oldEpoch}, m);
      for (const pod of targets) {
        const m = r.members.find((x) => x.pod === pod);
        if (!down.has(pod) && !isServing(m)) {
          down.add(pod);
          note('member-down', `${pod} ${m?.role ?? 'gone'}${m?.error ? ` (${m.error})` : ''}`, at);
        }
      }
      if (lostAt === undefined && (!leader || isNew(leader))) {
        lostAt = at;
        note('leader-lost', leader ? `${oldLeader} no longer leads` : `no member leads (${oldLeader} ${r.members.find((m) => m.pod === oldLeader)?.role ?? 'gone'})`, at);
        step.update('leader lost');
      }
      if (lostAt !== undefined && !newLeader && leader && isNew(leader) && r.quorum.has) {
        newLeader = {pod: leader.pod, epoch: leader.epoch};
        note('new-leader', `${leader.pod} leads (epoch ${leader.epoch ?? '?'}${oldEpoch !== undefined ? `, was ${oldEpoch}` : ''})`, at);
        step.update(`new leader ${leader.pod}; waiting for ${targets.join(', ')} to serve again`);
      }
      if (lostAt !== undefined && backAt === undefined) {
        const back = targets.every((pod) => {
          const m = r.members.find((x) => x.pod === pod);
          return isServing(m) && (down.has(pod) || m!.role !== 'leader' || isNew(m!));
        });
        if (back) {
          backAt = at;
          note('member-back', targets.map((pod) => `${pod} ${r.members.find((x) => x.pod === pod)?.role}`).join(', '), at);
          step.update('waiting for every follower to sync');
        }
      }
      if (newLeader && backAt !== undefined && syncedAt === undefined && r.members.every(isServing) && followersSynced(r)) {
        syncedAt = at;
        note('followers-synced', `${r.sync?.followers ?? 0}/${Math.max(0, r.quorum.voters - 1)} followers synced with ${r.quorum.leader}`, at);
      }
      if (newLeader && backAt !== undefined && syncedAt !== undefined && r.health === 'healthy') {
        note('recovered', `healthy: ${r.members.map((m) => `${m.pod} ${m.role}`).join(', ')}`, at);
        return {outcome: 'pass', why: '', newLeader, last, polls, longestMs};
      }
    }
    const elapsed = clock.now() - t0;
    if (!newLeader && elapsed >= req.timeoutMs) {
      return {outcome: 'no-new-leader', why: `no new leader within ${formatDuration(req.timeoutMs)} of the disruption`, newLeader, last, polls, longestMs};
    }
    if (elapsed >= req.timeoutMs) {
      const why = backAt === undefined ? `${targets.join(', ')} not serving again` : `ensemble ${last?.health ?? 'unknown'}`;
      return {outcome: 'not-recovered', why: `not fully recovered within ${formatDuration(req.timeoutMs)} of the disruption (${why})`, newLeader, last, polls, longestMs};
    }
    try {
      await deps.sleep(Math.max(0, req.pollMs - (clock.now() - started)), deps.signal);
    } catch {
      return {outcome: 'interrupted', why: 'interrupted', newLeader, last, polls, longestMs};
    }
  }
}

interface AuditArgs {
  deps: FailoverDeps;
  req: FailoverRequest;
  endpoints: Map<string, Endpoint>;
  client: ZkClient;
  markerPath: string;
  markerValue: string;
  writesDir?: string;
  barrierPath: string;
  writes: WriteRecord[];
}

/**
 * A barrier write through the ensemble, then a session to each member alone:
 * once a member shows the barrier it has applied every transaction before it,
 * so the marker and every acknowledged write must be there. (ZkClient has no
 * `sync`; the barrier gives the same guarantee and is checkable.)
 */
async function audit(a: AuditArgs): Promise<AuditResult> {
  const {deps} = a;
  const verifyMs = deps.verifyTimeoutMs ?? Math.min(a.req.timeoutMs, 30_000);
  let barrier = false;
  const until = deps.clock.now() + verifyMs;
  while (!barrier && deps.clock.now() < until && !aborted(deps)) {
    try {
      await a.client.create(a.barrierPath, 'barrier');
      barrier = true;
    } catch (e) {
      if (isZkError(e, 'NodeExists')) barrier = true;
      else await deps.sleep(200, deps.signal).catch(() => undefined);
    }
  }
  const checks = await Promise.all([...a.endpoints].map(([pod, ep]) => verifyMember(a, pod, ep, barrier, until)));
  const present = new Map<string, Set<string>>();
  const byPod = new Map(checks.map((c) => [c.check.pod, c]));
  for (const c of checks) if (c.names) present.set(c.check.pod, c.names);
  const {lost, missingByPod, committedUnacked} = a.writesDir ? auditWrites(a.writes, present) : {lost: [], missingByPod: new Map<string, string[]>(), committedUnacked: []};
  for (const [pod, missing] of missingByPod) byPod.get(pod)!.check.missing = missing;
  const members = checks.map((c) => c.check);
  return {
    complete: barrier && members.every((m) => m.reachable && m.caughtUp && m.marker !== 'unread' && (a.writesDir === undefined || m.present !== undefined)),
    barrier,
    members,
    lost,
    markerOk: members.every((m) => m.marker === 'ok' || m.marker === 'unread'),
    committedUnacked,
  };
}

async function verifyMember(a: AuditArgs, pod: string, ep: Endpoint, barrier: boolean, until: number): Promise<{check: MemberCheck; names?: Set<string>}> {
  const {deps} = a;
  const check: MemberCheck = {pod, endpoint: formatEndpoint(ep), reachable: false, caughtUp: false, marker: 'unread', missing: []};
  let c: ZkClient | undefined;
  let lastError = '';
  try {
    while (!c && deps.clock.now() < until && !aborted(deps)) {
      try {
        c = await deps.connect([ep], {connectTimeoutMs: Math.max(1000, Math.min(10_000, until - deps.clock.now())), operationTimeoutMs: 10_000});
      } catch (e) {
        lastError = errorMessage(e);
        await deps.sleep(250, deps.signal).catch(() => undefined);
      }
    }
    if (!c) {
      check.error = lastError || 'no session';
      return {check};
    }
    check.reachable = true;
    while (barrier && !check.caughtUp && deps.clock.now() < until && !aborted(deps)) {
      try {
        if ((await c.exists(a.barrierPath)) !== null) check.caughtUp = true;
        else await deps.sleep(100, deps.signal).catch(() => undefined);
      } catch (e) {
        lastError = errorMessage(e);
        await deps.sleep(100, deps.signal).catch(() => undefined);
      }
    }
    if (barrier && !check.caughtUp) {
      check.error = `the barrier write never showed up here${lastError ? ` (${lastError})` : ''}`;
      return {check};
    }
    try {
      const {data} = await c.get(a.markerPath);
      check.markerValue = data.toString('utf8');
      check.marker = check.markerValue === a.markerValue ? 'ok' : 'wrong';
    } catch (e) {
      if (isZkError(e, 'NoNode')) check.marker = 'missing';
      else {
        check.error = `marker: ${errorMessage(e)}`;
        return {check};
      }
    }
    if (!a.writesDir) return {check};
    try {
      const names = new Set(await c.ls(a.writesDir));
      check.present = names.size;
      return {check, names};
    } catch (e) {
      if (isZkError(e, 'NoNode')) {
        check.present = 0;
        return {check, names: new Set()};
      }
      check.error = `writes: ${errorMessage(e)}`;
      return {check};
    }
  } finally {
    await c?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- the disruptors over the Kubernetes API

/**
 * Finds the ZooKeeper server's JVM in the container by reading /proc (bash
 * and /proc only: procps may be absent) and kills it. The container's PID 1
 * ignores SIGKILL sent from inside its own PID namespace (pid_namespaces(7));
 * kubectl-zk's start.sh execs zkServer.sh, which execs java, so the JVM IS
 * PID 1 and only a signal it handles works: SIGTERM (the JVM exits at once,
 * code 143). A JVM that is not PID 1 (e.g. shareProcessNamespace) gets SIGKILL.
 * It prints "target pid=<pid> signal=<SIG>" before the kill (the exec stream
 * dies with PID 1) and "exited" once the process is gone.
 * $1: what one of the JVM's arguments ends with (default QuorumPeerMain).
 */
export const KILL_SCRIPT = `set -u
match=\${1:-QuorumPeerMain}
target=
for d in /proc/[0-9]*; do
  pid=\${d#/proc/}
  [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
  args=()
  mapfile -d '' -t args < "$d/cmdline" 2>/dev/null || continue
  (( \${#args[@]} > 1 )) || continue
  [[ \${args[0]##*/} == java ]] || continue
  for a in "\${args[@]:1}"; do
    if [[ $a == *"$match" ]]; then target=$pid; break 2; fi
  done
done
if [[ -z $target ]]; then echo "no ZooKeeper server process (a java process with an argument ending in $match) in this container" >&2; exit 3; fi
sig=KILL
[[ $target == 1 ]] && sig=TERM
echo "target pid=$target signal=SIG$sig"
sleep 0.2 2>/dev/null || true
kill -s "$sig" "$target" || exit 4
for ((i = 0; i < 200; i++)); do
  state=
  if [[ -r /proc/$target/stat ]]; then read -r _ _ state _ < "/proc/$target/stat" 2>/dev/null || state=; fi
  if [[ -z $state || $state == Z ]]; then echo exited; exit 0; fi
  sleep 0.05 2>/dev/null || true
done
echo "pid $target still running 10s after SIG$sig" >&2
exit 5
`;

export function killCommand(match = 'QuorumPeerMain'): string[] {
  return ['bash', '-c', KILL_SCRIPT, 'kubectl-zk-kill', match];
}

/** "target pid=1 signal=SIGTERM" from the kill script's output. */
export function parseKillOutput(stdout: string): {pid: number; signal: string; exited: boolean} | undefined {
  const m = /^target pid=(\d+) signal=(SIG[A-Z]+)$/m.exec(stdout);
  if (!m) return undefined;
  return {pid: Number(m[1]), signal: m[2]!, exited: /^exited$/m.test(stdout)};
}

/** The zookeeper container has restarted (or is down) since `before` restarts were counted. */
function containerWentDown(pod: PodLike | null, before: number, container: string): boolean {
  if (!pod) return true;
  const cs = (pod.status as {containerStatuses?: {name: string; state?: {running?: unknown}}[]} | undefined)?.containerStatuses?.find((c) => c.name === container);
  return restarts(pod) > before || (cs !== undefined && !cs.state?.running);
}

/**
 * delete-pod, kill and all-pods over the Kubernetes API (pods/delete, pods/exec).
 * kill: the exec stream dies with the container's PID 1 and may take the
 * script's output with it; then the pod's container status decides (restart
 * count up, or not running, within `confirmMs`).
 */
export function kubeDisruptor(kube: Kube, opts: {container?: string; match?: string; sleep?: Sleep; confirmMs?: number} = {}): Disruptor {
  const container = opts.container ?? 'zookeeper';
  return async (t) => {
    const podRef = (name: string) => ({apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, name});
    switch (t.mode) {
      case 'delete-pod': {
        await kube.delete(podRef(t.leader));
        return {pods: [t.leader], detail: `deleted pod ${t.leader}`};
      }
      case 'all-pods': {
        await Promise.all(t.pods.map((p) => kube.delete(podRef(p))));
        return {pods: [...t.pods], detail: `deleted pods ${t.pods.join(', ')}`};
      }
      case 'kill': {
        const before = await kube.get<PodLike>(podRef(t.leader)).catch(() => null);
        const restartsBefore = before ? restarts(before) : undefined;
        let out = '';
        let err = '';
        let code = 0;
        let failure: unknown;
        try {
          const r = await kube.exec(t.namespace, t.leader, killCommand(opts.match), {container});
          out = r.stdout;
          err = r.stderr;
          code = r.exitCode;
        } catch (e) {
          failure = e; // the exec stream dies with the container's PID 1
        }
        const k = parseKillOutput(out);
        if (k) {
          const why = k.pid === 1 ? ' (PID 1 ignores SIGKILL from inside its PID namespace)' : '';
          return {pods: [t.leader], detail: `${k.signal} to pid ${k.pid} in ${t.leader}${why}`};
        }
        const reason = failure ? errorMessage(failure) : err.trim() || `exit code ${code}`;
        if (failure && restartsBefore !== undefined && opts.sleep) {
          const steps = Math.ceil((opts.confirmMs ?? 10_000) / 250);
          for (let i = 0; i < steps; i++) {
            const now = await kube.get<PodLike>(podRef(t.leader)).catch(() => undefined);
            if (now !== undefined && containerWentDown(now, restartsBefore, container)) {
              return {pods: [t.leader], detail: `killed the ZooKeeper server in ${t.leader} (the exec's output was lost: ${reason}; the container restarted)`};
            }
            await opts.sleep(250);
          }
        }
        throw new CliError(`could not kill the ZooKeeper server in pod ${t.leader}: ${reason}`, {
          hint: 'the kill mode needs bash and /proc in the container; --mode delete-pod needs neither',
        });
      }
    }
  };
}
