/** The roll's request, collaborators and result, and how it stops. */
import type {Kube, StatefulSetObject} from '../../kube/types.js';
import type {PhaseTiming} from '../../util/phases.js';
import type {Progress} from '../../util/progress.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {PodProblem} from '../pods.js';
import type {Health, Role, StatusReport} from '../status.js';
import type {OrderReason, PlannedMember} from './plan.js';
import {ZK_CONTAINER, type TemplateChange, type TemplateSpec} from './template.js';

export type {PhaseTiming};

/** Exit codes of `restart` and `upgrade` (README, --help). Ctrl-C exits 130. */
export const ROLL_EXIT = {done: 0, failed: 1, usage: 2, refused: 3, stopped: 4} as const;

export type RollAction = 'restart' | 'upgrade';

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
  /** pause after a member is back and in sync, before the next one (0: none) */
  settleMs?: number;
  /**
   * A template change of the caller's own (tls enable), rolled like a restart:
   * `patch` is the merge patch, or undefined when the template already has the
   * change (the roll then continues with the members not on its revision);
   * `changes` says what it changes; `rerun` is the command that resumes.
   */
  template?: {patch(sts: StatefulSetObject): Record<string, unknown> | undefined; changes: string[]; rerun: string};
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
export class RollStop extends Error {
  constructor(
    message: string,
    readonly pod?: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export function verb(action: RollAction): string {
  return action === 'restart' ? 'restart' : 'upgrade';
}

export async function crashDetails(kube: Kube, namespace: string, problem: PodProblem): Promise<string[]> {
  if (!problem.crashed) return [];
  const logs = await kube
    .logs(namespace, problem.pod, {container: ZK_CONTAINER, tailLines: 10, previous: true})
    .catch(() => kube.logs(namespace, problem.pod, {container: ZK_CONTAINER, tailLines: 10}).catch(() => ''));
  return logs
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((l) => `${problem.pod} | ${l}`);
}

export function problemText(p: PodProblem): string {
  return `${p.reason}${p.message ? ` (${p.message})` : ''}`;
}
