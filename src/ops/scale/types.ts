/** scale's request, collaborators and result. */
import type {Spread} from '../../manifests/spread.js';
import type {SpreadChoice} from '../ensemble/spread.js';
import type {PhaseTiming} from '../../util/phases.js';
import type {Progress} from '../../util/progress.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {Endpoint} from '../../zk/endpoint.js';
import type {ServerRole} from '../../zk/parse.js';
import type {ConfigSnapshot} from '../../zk/reconfig.js';
import type {AuthInfo} from '../../zk/wire.js';
import type {Health, StatusReport} from '../status.js';
import type {PlanStep, ScalePlan, Shape} from './plan.js';

// ---------------------------------------------------------------- collaborators

export type VolumeFate = 'fresh' | 'deleted-stale' | 'reused' | 'deleted' | 'kept' | 'none';

/** Handed to the members collaborator so its sub-phases are timed and shown. */
export interface StepContext {
  /** ends the current phase (timed) and starts `name` */
  phase(name: string): void;
  /** an update within the current phase (progress only) */
  note(text: string): void;
  /** epoch ms by which this step must be done */
  deadline: number;
  signal?: AbortSignal;
}

/** What differs between Kubernetes and a loopback ensemble. */
export interface ScaleMembers {
  /** How many member slots exist (StatefulSet spec.replicas): ordinals 0..n-1. */
  replicas(): Promise<number>;
  /** Throws when another change of the ensemble is part-way that scale must not cut into (Kubernetes: a tls enable). Asked first. */
  refuseBusy?(): Promise<void>;
  /** Client endpoints of these ordinals, in that order; ordinals that cannot be reached are left out. */
  endpoints(ordinals: readonly number[]): Promise<Endpoint[]>;
  /**
   * Starts member `ordinal` with the membership `committed` + itself as `role`
   * (Kubernetes: ConfigMap with membership-version, stale volume, replicas + 1,
   * pod running). Resolves with the joiner's server line once it runs; the op
   * then waits until it serves.
   */
  launch(ordinal: number, role: ServerRole, committed: ConfigSnapshot, ctx: StepContext): Promise<{serverLine: string; volume: VolumeFate}>;
  /** Records the committed membership for members that start or restart later (Kubernetes: the ConfigMap). */
  publish(committed: ConfigSnapshot): Promise<void>;
  /** Stops member `ordinal`, the highest (Kubernetes: replicas - 1, pod gone, volume deleted unless kept). */
  retire(ordinal: number, ctx: StepContext): Promise<{volume: VolumeFate}>;
  /**
   * member replace: restarts member `ordinal` (no longer in `committed`) on an
   * empty volume as a joiner, like `launch` without changing the slots
   * (Kubernetes: ConfigMap, its volume claim and pod deleted, the StatefulSet
   * makes both anew). Resolves once the new pod runs.
   */
  rebuild?(ordinal: number, role: ServerRole, committed: ConfigSnapshot, ctx: StepContext): Promise<{serverLine: string; volume: VolumeFate}>;
  /**
   * Why `members` member slots (or member `replacing` rebuilt) could not all be
   * placed under the spreading the ensemble requires (Kubernetes: the
   * StatefulSet's required anti-affinity or zone spread, or `spread` about to
   * be written, and the running pods' own, against the schedulable nodes);
   * undefined when they can. Asked before anything changes.
   */
  room?(members: number, replacing?: number, spread?: Spread): Promise<string | undefined>;
  /**
   * scale --spread: the template's spreading now and as `choice` decides it
   * for `members` (throws when required cannot be met); `apply` writes it to
   * the template (the StatefulSet updates OnDelete: no pod restarts, new pods
   * get it).
   */
  respread?(choice: SpreadChoice, members: number, apply: boolean): Promise<{from: Spread; to: Spread}>;
}

export interface ScaleDeps {
  members: ScaleMembers;
  /** The ensemble's report (gatherStatus): roles, committed config, sync, health. */
  status(): Promise<StatusReport>;
  /** The super-user credentials (read only when a change is made, so --dry-run needs no Secret). */
  auth(): Promise<AuthInfo[]>;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  /** rt.confirm: asks on a TTY, --yes answers, refuses without either */
  confirm(question: string): Promise<boolean>;
  /** Shows the plan (and the warnings) before anything changes; the command prints it on stderr. Without it, warnings go to progress. */
  announce?(planned: ScaleResult): void;
  signal?: AbortSignal;
  /** status polling interval while waiting (default 1000 ms) */
  pollMs?: number;
  /** ZooKeeper request limit (default 30 s) */
  zkTimeoutMs?: number;
}

export interface ScaleRequest {
  name: string;
  namespace: string;
  /** desired voting members */
  voters: number;
  /** desired observers; undefined keeps the current count */
  observers?: number;
  keepVolumes: boolean;
  force: boolean;
  dryRun: boolean;
  /** wait until the ensemble is healthy after the last step */
  wait: boolean;
  /** limit per member step, and for the final health wait */
  timeoutMs: number;
  /** --spread: the pod template's spreading, decided as create decides it for the new member count */
  spread?: SpreadChoice;
}

export interface ReplaceRequest {
  name: string;
  namespace: string;
  /** the member rebuilt: pod NAME-<ordinal>, server id ordinal + 1 */
  ordinal: number;
  /** rebuild a member that serves and is Ready */
  force: boolean;
  /** the role it goes back in when it is already out of the membership (restore-quorum: its recorded role); default the layout's */
  role?: ServerRole;
  dryRun: boolean;
  /** wait until the ensemble is healthy after the member is back */
  wait: boolean;
  /** limit per step, and for the final health wait */
  timeoutMs: number;
}

// ---------------------------------------------------------------- result

export interface MemberRef {
  id: number;
  pod: string;
  role: ServerRole;
}

export type {PhaseTiming};

export interface StepResult extends PlanStep {
  /** ISO 8601 */
  startedAt: string;
  /** epoch ms (for correlating with client-side measurements) */
  startedAtMs: number;
  durationMs: number;
  phases: PhaseTiming[];
  /** committed config version after the step (hex) */
  configVersion?: string;
  /** the reconfig reply was lost (leader hand-off) and the change was confirmed by reading the config back */
  confirmedByReadBack?: boolean;
  volume?: VolumeFate;
  /** why a part was skipped (e.g. already a member from an interrupted run) */
  skipped?: string;
}

export interface ScaleResult {
  name: string;
  namespace: string;
  dryRun: boolean;
  /** false for a no-op (already the requested shape) and for --dry-run */
  changed: boolean;
  from: Shape & {configVersion?: string; members: MemberRef[]};
  to: Shape & {configVersion?: string; members: MemberRef[]};
  plan: ScalePlan;
  steps: StepResult[];
  keepVolumes: boolean;
  /** member replace: the member rebuilt on a new volume */
  replaced?: string;
  /** scale --spread: the pod template's spreading before and after (node=…,zone=…) */
  spread?: {from: string; to: string};
  waited: boolean;
  health?: Health;
  leader?: string;
  warnings: string[];
  durationMs: number;
}
