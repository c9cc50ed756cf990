/** failover-test's request, collaborators, outcomes and report. */
import {UsageError} from '../../errors.js';
import type {Kube} from '../../kube/types.js';
import type {Progress} from '../../util/progress.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {ZkClient} from '../../zk/client.js';
import type {Endpoint} from '../../zk/endpoint.js';
import type {Health, Role, StatusDeps, StatusReport} from '../status.js';
import type {AuditResult} from './audit.js';
import type {FigureKey, Gap, RoundFigures, Stats, TimelineEntry} from './figures.js';
import type {StartWriter, WriteRecord} from './writer.js';

// ---------------------------------------------------------------- exit codes, modes, request

/**
 * Exit codes of `failover-test`, documented in the command's description.
 * When several apply, the first in this order wins: data loss, no new leader,
 * not recovered, precondition, interrupted.
 */
export const FAILOVER_EXIT = {pass: 0, interrupted: 1, dataLoss: 10, noNewLeader: 11, notRecovered: 12, precondition: 13} as const;

export const FAILOVER_MODES = ['delete-pod', 'kill', 'pause', 'partition', 'all-pods'] as const;
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
  /** --mode pause: how long the leader's JVM stays stopped (SIGSTOP … SIGCONT); --mode partition: how long the leader stays cut off */
  stopForMs?: number;
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
  /** --mode pause: how long the JVM stays stopped; --mode partition: how long the leader stays cut off */
  stopForMs?: number;
  /** whether the round has seen another member lead since the disruption (partition continues the cut-off JVM only then) */
  newLeaderSeen?(): boolean;
  /** the run's abort signal: a disruption's timed end comes at once */
  signal?: AbortSignal;
}

export interface DisruptionResult {
  /** the pods disrupted */
  pods: string[];
  /** what was done, e.g. "deleted pod zk-1" or "SIGKILL to pid 7 in zk-1" */
  detail: string;
  /** a disruption that ends by itself (pause, partition): undo it after `afterMs` (or at once when interrupted); says what it did */
  undo?: Undo;
}

/** One timed step of ending a disruption; `then` runs `afterMs` after it (partition: continue the JVM, later heal the network). */
export interface Undo {
  afterMs: number;
  run(): Promise<string>;
  then?: Undo;
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

export function ensembleState(r: StatusReport): EnsembleState {
  return {time: r.time, health: r.health, leader: r.quorum.leader, members: r.members.map((m) => ({pod: m.pod, role: m.role, epoch: m.epoch}))};
}

// ---------------------------------------------------------------- the op
export const aborted = (deps: FailoverDeps) => deps.signal?.aborted === true;
/** Usage errors (exit 2) in the request, before anything is contacted. */
export function validateFailoverRequest(req: FailoverRequest): void {
  if (!Number.isInteger(req.rounds) || req.rounds < 1) throw new UsageError(`--rounds must be a positive integer, not ${req.rounds}`);
  if (!(req.pollMs > 0)) throw new UsageError('--poll must be more than 0');
  if (!(req.timeoutMs > 0)) throw new UsageError('--timeout must be more than 0');
  if (!(req.writeRate >= 0) || !Number.isFinite(req.writeRate)) throw new UsageError(`--write-rate must be 0 or more, not ${req.writeRate}`);
  if ((req.mode === 'pause' || req.mode === 'partition') && !((req.stopForMs ?? 0) > 0)) throw new UsageError(`--stop-for must be more than 0 with --mode ${req.mode}`);
  if (req.mode === 'all-pods' && !req.force) throw new UsageError('--mode all-pods deletes every pod and loses the quorum on purpose', 'pass --force to do it');
  if (!req.basePath.startsWith('/') || req.basePath.endsWith('/') || req.basePath === '/zookeeper' || req.basePath.startsWith('/zookeeper/')) {
    throw new UsageError(`--path must be an absolute znode path outside /zookeeper, without a trailing slash: "${req.basePath}"`);
  }
}
export type StatusDepsLike = StatusDeps;
