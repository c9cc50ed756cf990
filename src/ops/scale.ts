/**
 * `kubectl zk scale`: change an ensemble's membership through ZooKeeper's
 * dynamic reconfiguration, one member at a time, without restarting any
 * existing member.
 *
 * Layout: voting members are the lowest ordinals, observers the ordinals
 * after them; server id = ordinal + 1. Every change is at the tail.
 *
 * The op talks to ZooKeeper itself (read the committed config, incremental
 * reconfig add/remove as the super user) and leaves what differs between
 * Kubernetes and a loopback test ensemble to a `ScaleMembers` collaborator:
 * starting a joiner, recording the committed membership for members that
 * start later, stopping a removed member, and where the client ports are.
 * `kubeScaleMembers` (below) is the Kubernetes one: ConfigMap, StatefulSet
 * replicas, PersistentVolumeClaims, port-forwards. Health comes from
 * gatherStatus (src/ops/status.ts), passed in as `status`.
 */
import {AbortedError, CliError, UsageError, errorMessage} from '../errors.js';
import type {Kube, KubeObject} from '../kube/types.js';
import {MAX_REPLICAS} from '../manifests/options.js';
import {objectNames, podName, PORTS} from '../manifests/names.js';
import {formatDuration} from '../util/duration.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';
import type {Endpoint} from '../zk/endpoint.js';
import {isZkError, type ZkError} from '../zk/errors.js';
import {formatServerLine, parseServerLine, type DynamicConfig, type ServerRole} from '../zk/parse.js';
import {digestAuth, readConfig, reconfigAndConfirm, type ConfigSnapshot, type ReconfigChange} from '../zk/reconfig.js';
import type {AuthInfo} from '../zk/wire.js';
import {isServing, VOTING_ROLES} from './ensemble/member.js';
import {hasQuorum, quorumSize} from './ensemble/quorum.js';
import {ensembleSyncGap} from './ensemble/sync.js';
import {isRunning, podProblem, type PodLike} from './pods.js';
import type {Health, StatusReport} from './status.js';

// ---------------------------------------------------------------- shapes and the plan (pure)

/** Voting members and observers of an ensemble. */
export interface Shape {
  voters: number;
  observers: number;
}

export type StepAction = 'add' | 'remove' | 'retire';

export interface PlanStep {
  /** add: join a member; remove: take a member out of the membership and stop it; retire: stop a pod that is not a member (left by an interrupted scale) */
  action: StepAction;
  ordinal: number;
  /** server id = ordinal + 1 */
  id: number;
  pod: string;
  /** the member's role in the membership (absent for retire: it never was a member) */
  role?: ServerRole;
  /** the committed membership after this step */
  after: Shape;
}

export interface ScalePlan {
  from: Shape;
  to: Shape;
  steps: PlanStep[];
  /** what the plan does beyond the obvious, in words */
  notes: string[];
}

/** Usage errors (exit 2) for the requested shape; nothing has been contacted yet. */
export function validateShape(voters: number, observers?: number): void {
  if (!Number.isInteger(voters) || voters < 1 || voters > MAX_REPLICAS) {
    throw new UsageError(`--replicas must be between 1 and ${MAX_REPLICAS}, got ${voters}`, 'ZooKeeper server ids are 1-255 (id = ordinal + 1)');
  }
  if (observers !== undefined && (!Number.isInteger(observers) || observers < 0 || voters + observers > MAX_REPLICAS)) {
    throw new UsageError(`--observers must be between 0 and ${MAX_REPLICAS - voters} with --replicas ${voters}, got ${observers}`, `voters and observers together are at most ${MAX_REPLICAS}`);
  }
}

/**
 * The committed membership as a Shape; refuses a membership that does not
 * follow the layout (participants = ids 1..V, observers = ids V+1..V+O), which
 * kubectl-zk never makes: someone changed it by hand.
 */
export function shapeOf(servers: readonly {id: number; role: string}[]): Shape {
  const sorted = [...servers].sort((a, b) => a.id - b.id);
  const voters = sorted.filter((s) => s.role === 'participant').length;
  const observers = sorted.length - voters;
  const layout = sorted.every((s, i) => s.id === i + 1 && (i < voters ? s.role === 'participant' : s.role === 'observer'));
  if (!layout || voters === 0) {
    const got = sorted.map((s) => `server.${s.id} ${s.role}`).join(', ') || 'no servers';
    throw new CliError(`the committed membership (${got}) does not follow kubectl-zk's layout: voters are servers 1..N, observers the ids after them`, {
      hint: 'it was changed outside kubectl zk scale; restore that layout with a reconfig (zkCli.sh reconfig) before scaling',
    });
  }
  return {voters, observers};
}

function describeShape(s: Shape): string {
  return `${s.voters} voter${s.voters === 1 ? '' : 's'}${s.observers > 0 ? ` + ${s.observers} observer${s.observers === 1 ? '' : 's'}` : ''}`;
}

/**
 * From the committed shape to the desired one, one member per step, at the
 * tail. Pods beyond the membership (`strays`: an interrupted earlier scale)
 * are retired first. When the voter count changes while observers exist, the
 * observers are removed first (their ordinals follow the voters'), the voters
 * changed, and the observers added back at their new ordinals: a member
 * never changes role in place (observer→participant can fail in ZooKeeper).
 */
export function planScale(name: string, current: Shape & {strays?: readonly number[]}, desired: Shape): ScalePlan {
  const steps: PlanStep[] = [];
  const notes: string[] = [];
  let v = current.voters;
  let o = current.observers;
  const push = (action: StepAction, ordinal: number, role: ServerRole | undefined) =>
    steps.push({action, ordinal, id: ordinal + 1, pod: podName(name, ordinal), ...(role ? {role} : {}), after: {voters: v, observers: o}});

  const strays = [...(current.strays ?? [])].sort((a, b) => b - a);
  for (const ordinal of strays) push('retire', ordinal, undefined);
  if (strays.length > 0) notes.push(`pod(s) ${strays.map((x) => podName(name, x)).join(', ')} are not in the committed membership (an interrupted scale?): they are stopped first`);

  if (desired.voters !== v && o > 0) {
    notes.push(
      `the voter count changes while ${o} observer${o === 1 ? '' : 's'} exist: observers sit at the ordinals after the voters, so the observers are removed first, the voters changed, then ${desired.observers} observer${desired.observers === 1 ? '' : 's'} added back at the new ordinals (reads are served by the voters alone meanwhile)`,
    );
    while (o > 0) {
      o--;
      push('remove', v + o, 'observer');
    }
  }
  while (v < desired.voters) {
    v++;
    push('add', v - 1, 'participant');
  }
  while (v > desired.voters) {
    v--;
    push('remove', v, 'participant');
  }
  while (o < desired.observers) {
    o++;
    push('add', v + o - 1, 'observer');
  }
  while (o > desired.observers) {
    o--;
    push('remove', v + o, 'observer');
  }
  if (current.voters === 1 && desired.voters > 1) notes.push('growing from 1 voter works because the servers run with standaloneEnabled=false');
  return {from: {voters: current.voters, observers: current.observers}, to: {...desired}, steps, notes};
}

export function isDestructive(plan: ScalePlan): boolean {
  return plan.steps.some((s) => s.action !== 'add');
}

/**
 * Why removing voters would put the quorum at risk, judged from the members'
 * own answers: after each removal, a majority of the remaining voters must be
 * serving. Removing a dead member is fine; removing a live one while others
 * are dead is not. Empty when the plan is safe.
 */
export function removalRisks(plan: ScalePlan, report: StatusReport): string[] {
  const risks: string[] = [];
  const role = (id: number) => report.members.find((m) => m.serverId === id)?.role ?? 'no pod';
  for (const s of plan.steps) {
    if (s.action !== 'remove' || s.role !== 'participant') continue;
    const remaining = s.after.voters;
    const needed = quorumSize(remaining);
    const ids = Array.from({length: remaining}, (_, i) => i + 1);
    const serving = ids.filter((id) => VOTING_ROLES.has(role(id)));
    if (!hasQuorum(serving.length, remaining)) {
      const down = ids.filter((id) => !VOTING_ROLES.has(role(id))).map((id) => `${podName(report.name, id - 1)} (${role(id)})`);
      risks.push(`after removing ${s.pod}, ${serving.length} of the ${remaining} remaining voter${remaining === 1 ? '' : 's'} serve and ${needed} are needed for a quorum; not serving: ${down.join(', ')}`);
      break; // later removals only get worse
    }
  }
  return risks;
}

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
}

// ---------------------------------------------------------------- result

export interface MemberRef {
  id: number;
  pod: string;
  role: ServerRole;
}

export interface PhaseTiming {
  phase: string;
  ms: number;
}

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
  waited: boolean;
  health?: Health;
  leader?: string;
  warnings: string[];
  durationMs: number;
}

/** The membership a shape stands for in the layout: ids 1..V participants, then observers. */
export function predictedMembers(name: string, s: Shape): MemberRef[] {
  return Array.from({length: s.voters + s.observers}, (_, i) => ({id: i + 1, pod: podName(name, i), role: i < s.voters ? 'participant' : 'observer'}));
}

function refs(name: string, servers: readonly {id: number; role: string}[]): MemberRef[] {
  return [...servers].sort((a, b) => a.id - b.id).map((s) => ({id: s.id, pod: podName(name, s.id - 1), role: s.role as ServerRole}));
}

// ---------------------------------------------------------------- errors

const DEFINITIVE = new Set(['ReconfigInProgress', 'NewConfigNoQuorum', 'BadVersion', 'BadArguments', 'NoAuth', 'AuthFailed', 'ReconfigDisabled', 'Unimplemented']);

/** A ZooKeeper refusal in this command's words; the server's code stays in the message. */
export function explainReconfigError(e: unknown, step: PlanStep, req: {name: string; namespace: string}, fromVersion?: string): unknown {
  if (!isZkError(e)) return e;
  const what = `${step.action} ${step.pod} (server.${step.id})`;
  const status = `kubectl zk status ${req.name} -n ${req.namespace}`;
  switch (e.code) {
    case 'ReconfigInProgress':
      return new CliError(`${what}: another membership change is still in progress on the ensemble (ZooKeeper: ReconfigInProgress)`, {hint: `wait until it completes (${status}) and run scale again`, cause: e});
    case 'NewConfigNoQuorum':
      return new CliError(`${what}: ZooKeeper refused the change: a majority of the new voters is not connected and in sync with the leader (NewConfigNoQuorum)`, {hint: `bring the members that are down back first (${status})`, cause: e});
    case 'BadVersion':
      return new CliError(`${what}: the membership changed while scale was running (committed config is no longer version ${fromVersion ?? '?'}; ZooKeeper: BadVersion)`, {hint: 'another scale or reconfig ran at the same time; run scale again', cause: e});
    case 'NoAuth':
    case 'AuthFailed':
      return new CliError(`${what}: ZooKeeper did not accept the super-user password from Secret ${objectNames(req.name).secret} (${e.code})`, {hint: 'the Secret and the servers\' superDigest must match', cause: e});
    case 'ReconfigDisabled':
      return new CliError(`${what}: dynamic reconfiguration is disabled on the servers (ReconfigDisabled)`, {hint: 'the servers need reconfigEnabled=true', cause: e});
    default:
      return new CliError(`${what}: ${e.message} (ZooKeeper: ${e.code})`, {cause: e});
  }
}

// ---------------------------------------------------------------- helpers

/** The dynamic config text kubectl-zk publishes: server lines only (the version goes to membership-version). */
export function membershipText(servers: DynamicConfig['servers']): string {
  return [...servers].sort((a, b) => a.id - b.id).map((s) => formatServerLine(s)).join('\n') + '\n';
}

/** committed membership + the joiner (any old line of its id replaced) */
export function joinerMembership(committed: DynamicConfig, joinerLine: string): string {
  const joiner = parseServerLine(joinerLine);
  return membershipText([...committed.servers.filter((s) => s.id !== joiner.id), joiner]);
}

function hex(v: string | undefined): string {
  return v === undefined ? '?' : `0x${v}`;
}

interface Waiter {
  <T>(what: string, deadline: number, probe: () => Promise<{ok: T} | {why: string}>, onWhy?: (why: string) => void): Promise<T>;
}

function makeWaiter(deps: ScaleDeps): Waiter {
  return async (what, deadline, probe, onWhy) => {
    const poll = deps.pollMs ?? 1000;
    let last = '';
    for (;;) {
      deps.signal?.throwIfAborted();
      let why: string;
      try {
        const r = await probe();
        if ('ok' in r) return r.ok;
        why = r.why;
      } catch (e) {
        why = errorMessage(e);
      }
      if (why !== last) onWhy?.(why);
      last = why;
      if (deps.clock.now() >= deadline) throw new CliError(`timed out waiting for ${what} (${why})`);
      await deps.sleep(Math.min(poll, Math.max(0, deadline - deps.clock.now())), deps.signal);
    }
  };
}

const SERVING_AS: Record<ServerRole, Set<string>> = {participant: new Set(['leader', 'follower']), observer: new Set(['observer'])};

/** After an add: the committed config lists the joiner, it serves in its role and the leader counts it synced. */
export function joinedAndSynced(r: StatusReport, step: PlanStep): {ok: true} | {why: string} {
  const listed = r.config?.members.find((m) => m.id === step.id);
  if (!listed) return {why: `server.${step.id} is not in the committed config yet`};
  if (listed.role !== step.role) return {why: `server.${step.id} is committed as ${listed.role}, not ${step.role}`};
  if (!r.quorum.has) return {why: `no quorum (${r.quorum.servingVoters}/${r.quorum.voters} voters serving)`};
  const row = r.members.find((m) => m.serverId === step.id);
  if (!row || !SERVING_AS[step.role!].has(row.role)) return {why: `${step.pod} is ${row?.role ?? 'absent'}`};
  const gap = ensembleSyncGap(r);
  return gap ? {why: gap} : {ok: true};
}

/** After a remove: the committed config no longer lists it and a leader among the remaining voters serves. */
export function removedAndLed(r: StatusReport, step: PlanStep): {ok: true} | {why: string} {
  if (!r.config) return {why: 'no member answered with the committed config'};
  if (r.config.members.some((m) => m.id === step.id)) return {why: `server.${step.id} is still in the committed config`};
  if (!r.quorum.has || !r.quorum.leader) return {why: `no quorum yet (${r.quorum.servingVoters}/${r.quorum.voters} voters serving)`};
  if (r.quorum.leader === step.pod) return {why: `${step.pod} still leads`};
  return {ok: true};
}

// ---------------------------------------------------------------- the op

/**
 * Scales an ensemble to `req.voters` voting members (and `req.observers`
 * observers), one member per step. Refuses a scale-down that would leave the
 * remaining voters without a serving majority unless `force`; confirms
 * destructive plans; never restarts an existing member.
 */
export async function scaleEnsemble(req: ScaleRequest, deps: ScaleDeps): Promise<ScaleResult> {
  validateShape(req.voters, req.observers);
  const {clock, progress, members} = deps;
  const started = clock.now();
  const report = await deps.status();
  if (!report.config) {
    throw new CliError(`cannot read the committed membership of "${req.name}": no member answered with it${report.errors.length ? ` (${report.errors.join('; ')})` : ''}`, {
      hint: `see kubectl zk status ${req.name} -n ${req.namespace}`,
    });
  }
  const current = shapeOf(report.config.members);
  const desired: Shape = {voters: req.voters, observers: req.observers ?? current.observers};
  const slots = await members.replicas();
  const total = current.voters + current.observers;
  const strays = Array.from({length: Math.max(0, slots - total)}, (_, i) => total + i);
  const plan = planScale(req.name, {...current, strays}, desired);

  const warnings: string[] = [];
  if (desired.voters % 2 === 0) warnings.push(`${desired.voters} voters tolerate no more failures than ${desired.voters - 1}; an odd count is usually better`);
  if (desired.voters < 3 && desired.voters < current.voters) warnings.push(`${desired.voters} voter${desired.voters === 1 ? '' : 's'}: losing any member loses the quorum`);
  if (plan.steps.length > 0 && report.health !== 'healthy') {
    const down = report.members.filter((m) => !isServing(m)).map((m) => `${m.pod} (${m.role})`);
    warnings.push(`the ensemble is ${report.health}${down.length ? `: ${down.join(', ')}` : ''}`);
  }

  const result: ScaleResult = {
    name: req.name,
    namespace: req.namespace,
    dryRun: req.dryRun,
    changed: false,
    from: {...current, configVersion: report.config.version, members: refs(req.name, report.config.members)},
    to: {...desired, members: predictedMembers(req.name, desired)},
    plan,
    steps: [],
    keepVolumes: req.keepVolumes,
    waited: false,
    health: report.health,
    leader: report.quorum.leader,
    warnings,
    durationMs: 0,
  };
  const finish = () => {
    result.durationMs = clock.now() - started;
    return result;
  };
  if (plan.steps.length === 0) {
    if (!req.dryRun) progress.info(`"${req.name}" already has ${describeShape(current)}: nothing to do`);
    return finish();
  }

  // Guards that --force cannot lift, then the ones it can.
  const risks = removalRisks(plan, report);
  if (!report.quorum.has && req.dryRun) warnings.push(`no quorum (${report.quorum.servingVoters}/${report.quorum.voters} voters serving): the scale would be refused`);
  else if (!report.quorum.has) {
    throw new CliError(`"${req.name}" has no quorum (${report.quorum.servingVoters}/${report.quorum.voters} voters serving, ${report.quorum.needed} needed): a membership change needs a serving leader`, {
      hint: `bring members back first; see kubectl zk status ${req.name} -n ${req.namespace}`,
    });
  }
  if (risks.length > 0 && !req.force && !req.dryRun) {
    throw new CliError(`refusing to scale down: ${risks[0]}`, {
      hint: 'bring those members back first, or pass --force to try anyway (ZooKeeper may still refuse with NewConfigNoQuorum; if it commits, the removed members\' data is gone and the rest cannot survive another failure)',
    });
  }
  if (risks.length > 0) {
    warnings.push(
      req.dryRun
        ? `would be refused without --force: ${risks[0]}`
        : `--force: ${risks[0]}. If ZooKeeper accepts the change, the ensemble keeps no spare voter: one more failure stops writes, and the removed members' volumes ${req.keepVolumes ? 'are kept' : 'are deleted'}`,
    );
  }
  if (req.dryRun) return finish();

  if (deps.announce) deps.announce(result);
  else for (const w of warnings) progress.warn(w);
  if (isDestructive(plan)) {
    const gone = plan.steps.filter((s) => s.action !== 'add').map((s) => s.pod);
    const vol = req.keepVolumes ? 'their volumes are kept' : 'their volumes are deleted';
    if (!(await deps.confirm(`Remove ${gone.length} member pod(s) (${gone.join(', ')}) from ensemble "${req.name}" in namespace "${req.namespace}"; ${vol}?`))) {
      throw new AbortedError('scale cancelled; nothing was changed');
    }
  }
  const auth = await deps.auth();
  const zkOpts = {auth, connectTimeoutMs: 5000, timeoutMs: deps.zkTimeoutMs ?? 30_000};
  const wait = makeWaiter(deps);
  let shape = {...current};

  for (const [i, step] of plan.steps.entries()) {
    const label = `[${i + 1}/${plan.steps.length}] ${step.action} ${step.pod}${step.role ? ` (server.${step.id}, ${step.role})` : ''}`;
    const ui = progress.step(label);
    const stepStart = clock.now();
    const phases: PhaseTiming[] = [];
    let phase = '';
    let phaseStart = stepStart;
    const ctx: StepContext = {
      phase(name) {
        const now = clock.now();
        if (phase && now > phaseStart) phases.push({phase, ms: now - phaseStart}); // a phase a collaborator's own phases replaced at once is left out
        phase = name;
        phaseStart = now;
        if (name) ui.update(name);
      },
      note: (t) => ui.update(`${phase}: ${t}`),
      deadline: stepStart + req.timeoutMs,
      signal: deps.signal,
    };
    const sr: StepResult = {...step, startedAt: new Date(stepStart).toISOString(), startedAtMs: stepStart, durationMs: 0, phases};
    try {
      if (step.action === 'add') await addMember(step, shape, sr, ctx);
      else if (step.action === 'remove') await removeMember(step, shape, sr, ctx);
      else {
        ctx.phase('stop the pod');
        sr.volume = (await members.retire(step.ordinal, ctx)).volume;
      }
      ctx.phase('');
    } catch (e) {
      ctx.phase('');
      sr.durationMs = clock.now() - stepStart;
      ui.fail(`${label}: failed after ${formatDuration(sr.durationMs)}`);
      result.steps.push(sr);
      const done = result.steps.length - 1;
      const where = `stopped at step ${i + 1} of ${plan.steps.length}${done > 0 ? ` (${done} done: now ${describeShape(shape)})` : ' (nothing done)'}`;
      if (e instanceof CliError) throw new CliError(`${e.message}; ${where}`, {hint: e.hint ?? `see kubectl zk status ${req.name} -n ${req.namespace}; run scale again to continue`, details: e.details, exitCode: e.exitCode, cause: e});
      if (deps.signal?.aborted) throw new CliError(`${where} (${errorMessage(e)})`, {cause: e});
      throw new CliError(`${label}: ${errorMessage(e)}; ${where}`, {hint: `see kubectl zk status ${req.name} -n ${req.namespace}; run scale again to continue`, cause: e});
    }
    shape = {...step.after};
    sr.durationMs = clock.now() - stepStart;
    result.steps.push(sr);
    result.changed = true;
    const extra = [sr.configVersion ? `config ${hex(sr.configVersion)}` : '', sr.confirmedByReadBack ? 'reply lost, confirmed by read-back' : '', sr.volume && sr.volume !== 'none' ? `volume ${sr.volume}` : '', sr.skipped ?? '']
      .filter(Boolean)
      .join(', ');
    ui.succeed(`${label} done in ${formatDuration(sr.durationMs)}${extra ? ` (${extra})` : ''}`);
  }

  // The outcome, from the members themselves.
  let last = await deps.status();
  if (req.wait) {
    const ui = progress.step('waiting until every member serves and is in sync');
    const deadline = clock.now() + req.timeoutMs;
    try {
      last = await wait<StatusReport>('a healthy ensemble', deadline, async () => {
        const r = await deps.status();
        return r.health === 'healthy' ? {ok: r} : {why: `${r.health}: ${r.warnings[0] ?? r.errors[0] ?? `${r.replicas.ready}/${r.replicas.desired} ready`}`};
      }, (w) => ui.update(w));
      ui.succeed(`healthy (leader ${last.quorum.leader ?? '?'})`);
      result.waited = true;
    } catch (e) {
      ui.fail();
      throw e;
    }
  }
  if (last.config) {
    result.to = {...shapeOf(last.config.members), configVersion: last.config.version, members: refs(req.name, last.config.members)};
  }
  result.health = last.health;
  result.leader = last.quorum.leader;
  return finish();

  // ---- one added member
  async function addMember(step: PlanStep, before: Shape, sr: StepResult, ctx: StepContext): Promise<void> {
    const existing = Array.from({length: before.voters + before.observers}, (_, i) => i);
    const eps = await members.endpoints(existing);
    ctx.phase('read the committed config');
    const committed = await readConfig(eps, zkOpts);
    const listed = committed.config.servers.find((s) => s.id === step.id);
    if (listed) {
      if (listed.role !== step.role) throw new CliError(`server.${step.id} is already committed as ${listed.role}, not ${step.role}`);
      sr.skipped = 'already a member (an earlier run added it)';
      sr.configVersion = committed.version;
      await members.publish(committed);
      return;
    }
    ctx.phase('start the member');
    let launched: {serverLine: string; volume: VolumeFate} | undefined;
    let maybeApplied = false;
    try {
      launched = await members.launch(step.ordinal, step.role!, committed, ctx);
      sr.volume = launched.volume;
      ctx.phase('wait until it serves as a non-voting learner');
      await wait(`${step.pod} to serve`, ctx.deadline, async () => {
        const r = await deps.status();
        const row = r.members.find((m) => m.serverId === step.id);
        return row && (row.role === 'follower' || row.role === 'observer') ? {ok: true} : {why: `${step.pod} is ${row?.role ?? 'absent'}${row?.error ? ` (${row.error})` : ''}`};
      }, ctx.note);
      ctx.phase('reconfig add');
      maybeApplied = true;
      const change: ReconfigChange = {add: [launched.serverLine], ...(committed.version ? {fromConfigVersion: committed.version} : {})};
      const res = await reconfigAndConfirm(eps, change, {...zkOpts, confirmTimeoutMs: Math.max(5000, ctx.deadline - clock.now()), pollIntervalMs: Math.min(deps.pollMs ?? 1000, 500)}).catch((e: unknown) => {
        if (isZkError(e) && DEFINITIVE.has((e as ZkError).code)) maybeApplied = false;
        throw explainReconfigError(e, step, req, committed.version);
      });
      sr.confirmedByReadBack = res.confirmedByReadBack;
    } catch (e) {
      if (!maybeApplied && !deps.signal?.aborted) await rollback(step, committed, ctx);
      throw e;
    }
    ctx.phase('wait until committed and synced');
    await wait(`server.${step.id} committed and synced`, ctx.deadline, async () => joinedAndSynced(await deps.status(), step), ctx.note);
    ctx.phase('record the committed membership');
    const after = await readConfig(eps, zkOpts);
    await members.publish(after);
    sr.configVersion = after.version;
  }

  /** A joiner that never became a member: put the recorded membership back and stop it. */
  async function rollback(step: PlanStep, committed: ConfigSnapshot, ctx: StepContext): Promise<void> {
    try {
      ctx.phase('roll back: stop the joiner');
      await members.publish(committed);
      await members.retire(step.ordinal, {...ctx, deadline: Math.max(ctx.deadline, clock.now() + 120_000)});
      progress.warn(`${step.pod} never became a member: it was stopped again and the recorded membership restored`);
    } catch (e) {
      progress.warn(`could not stop ${step.pod} after the failure: ${errorMessage(e)} (the next scale run stops it first)`);
    }
  }

  // ---- one removed member
  async function removeMember(step: PlanStep, before: Shape, sr: StepResult, ctx: StepContext): Promise<void> {
    const all = Array.from({length: before.voters + before.observers}, (_, i) => i);
    const remaining = all.filter((o) => o !== step.ordinal);
    // the removed member last: if it is the leader, its reply may be lost in the hand-off
    const eps = await members.endpoints([...remaining, step.ordinal]);
    const stayEps = await members.endpoints(remaining);
    ctx.phase('read the committed config');
    const committed = await readConfig(eps, zkOpts);
    if (committed.config.servers.some((s) => s.id === step.id)) {
      ctx.phase('reconfig remove');
      const change: ReconfigChange = {remove: [step.id], ...(committed.version ? {fromConfigVersion: committed.version} : {})};
      const res = await reconfigAndConfirm(eps, change, {...zkOpts, confirmTimeoutMs: Math.max(5000, ctx.deadline - clock.now()), pollIntervalMs: Math.min(deps.pollMs ?? 1000, 500)}).catch((e: unknown) => {
        throw explainReconfigError(e, step, req, committed.version);
      });
      sr.confirmedByReadBack = res.confirmedByReadBack;
    } else {
      sr.skipped = 'no longer in the committed config (an earlier run removed it)';
    }
    ctx.phase('wait until committed, with a leader among the rest');
    await wait(`server.${step.id} removed`, ctx.deadline, async () => removedAndLed(await deps.status(), step), ctx.note);
    ctx.phase('record the committed membership');
    const after = await readConfig(stayEps, zkOpts);
    await members.publish(after);
    sr.configVersion = after.version;
    ctx.phase('stop the member');
    sr.volume = (await members.retire(step.ordinal, ctx)).volume;
  }
}

// ---------------------------------------------------------------- Kubernetes

/** The super-user password from Secret NAME-auth (.data.password, base64) as reconfig credentials. */
export async function readSuperAuth(kube: Kube, namespace: string, name: string): Promise<AuthInfo[]> {
  const secretName = objectNames(name).secret;
  const secret = await kube.get<KubeObject & {data?: Record<string, string>; stringData?: Record<string, string>}>({apiVersion: 'v1', kind: 'Secret', namespace, name: secretName});
  const password = secret?.data?.password !== undefined ? Buffer.from(secret.data.password, 'base64').toString('utf8') : secret?.stringData?.password;
  if (!password) {
    throw new CliError(`Secret ${secretName} ${secret ? 'has no password' : 'not found'} in namespace "${namespace}": the super-user password is needed to change the membership`, {
      hint: 'kubectl zk create makes it; it must match the servers\' superDigest',
    });
  }
  return [digestAuth('super', password)];
}

/** The cluster DNS domain the members' hosts use (NAME-<i>.NAME-hs.NAMESPACE.svc.<domain>). */
export function clusterDomainOf(config: DynamicConfig, name: string, namespace: string): string {
  const hs = objectNames(name).headlessService;
  for (const s of config.servers) {
    const prefix = `${podName(name, s.id - 1)}.${hs}.${namespace}.svc.`;
    if (s.host.startsWith(prefix) && s.host.length > prefix.length) return s.host.slice(prefix.length);
  }
  throw new CliError(`the committed membership's hosts (${config.servers.map((s) => s.host).join(', ')}) are not kubectl-zk's (NAME-<i>.${hs}.${namespace}.svc.<domain>)`, {
    hint: 'was this ensemble made by kubectl zk create?',
  });
}

export const MEMBERSHIP_VERSION_KEY = 'membership-version';
export const DYNAMIC_KEY = 'zoo.cfg.dynamic';

export interface KubeMembersOptions {
  kube: Kube;
  namespace: string;
  name: string;
  keepVolumes: boolean;
  /** a member's client port (MemberForwarders in production) */
  endpoint(namespace: string, pod: string): Promise<Endpoint>;
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  pollMs?: number;
}

interface StatefulSetLike extends KubeObject {
  spec?: {replicas?: number};
}

/**
 * ScaleMembers over the Kubernetes API: the ConfigMap NAME-config (keys
 * zoo.cfg.dynamic and membership-version, read by start.sh), the StatefulSet's
 * spec.replicas, the PersistentVolumeClaims data-NAME-<i>, and port-forwards.
 */
export function kubeScaleMembers(o: KubeMembersOptions): ScaleMembers {
  const {kube, namespace, name} = o;
  const names = objectNames(name);
  const stsRef = {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: names.statefulSet};
  const cmRef = {apiVersion: 'v1', kind: 'ConfigMap', namespace, name: names.configMap};
  const pvcRef = (ordinal: number) => ({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: `data-${podName(name, ordinal)}`});
  const podRef = (ordinal: number) => ({apiVersion: 'v1', kind: 'Pod', namespace, name: podName(name, ordinal)});
  const poll = o.pollMs ?? 1000;

  const replicas = async (): Promise<number> => {
    const sts = await kube.get<StatefulSetLike>(stsRef);
    if (!sts) throw new CliError(`ensemble "${name}" not found in namespace "${namespace}" (no StatefulSet ${names.statefulSet})`, {hint: `list ensembles with: kubectl zk list -n ${namespace}`});
    return sts.spec?.replicas ?? 0;
  };
  const writeMembership = async (dynamic: string, version: string | undefined) => {
    await kube.mergePatch(cmRef, {data: {[DYNAMIC_KEY]: dynamic, [MEMBERSHIP_VERSION_KEY]: version ?? ''}});
  };
  const until = async (what: string, ctx: StepContext, check: () => Promise<string | null>) => {
    for (;;) {
      o.signal?.throwIfAborted();
      const why = await check();
      if (why === null) return;
      ctx.note(why);
      if (o.clock.now() >= ctx.deadline) throw new CliError(`timed out waiting for ${what} (${why})`, {hint: `inspect with: kubectl describe pod ${what.split(' ')[0]} -n ${namespace}`});
      await o.sleep(Math.min(poll, Math.max(0, ctx.deadline - o.clock.now())), o.signal);
    }
  };

  return {
    replicas,
    async endpoints(ordinals) {
      const got = await Promise.allSettled(ordinals.map((i) => o.endpoint(namespace, podName(name, i))));
      return got.flatMap((g) => (g.status === 'fulfilled' ? [{host: g.value.host, port: g.value.port}] : []));
    },
    async publish(committed) {
      await writeMembership(membershipText(committed.config.servers), committed.version);
    },
    async launch(ordinal, role, committed, ctx) {
      const domain = clusterDomainOf(committed.config, name, namespace);
      const line = `server.${ordinal + 1}=${podName(name, ordinal)}.${names.headlessService}.${namespace}.svc.${domain}:${PORTS.quorum}:${PORTS.election}:${role};${PORTS.client}`;
      ctx.phase('write the joiner\'s membership to the ConfigMap');
      await writeMembership(joinerMembership(committed.config, line), committed.version);
      const current = await replicas();
      let volume: VolumeFate = 'fresh';
      if (current <= ordinal) {
        const claim = await kube.get(pvcRef(ordinal));
        if (claim && !o.keepVolumes) {
          ctx.phase(`delete the stale volume ${pvcRef(ordinal).name}`);
          await kube.delete(pvcRef(ordinal));
          await until(`${pvcRef(ordinal).name} to go`, ctx, async () => ((await kube.get(pvcRef(ordinal))) ? 'volume claim still there' : null));
          volume = 'deleted-stale';
        } else if (claim) volume = 'reused';
        ctx.phase(`StatefulSet replicas ${current} → ${ordinal + 1}`);
        await kube.mergePatch(stsRef, {spec: {replicas: ordinal + 1}});
      } else {
        volume = (await kube.get(pvcRef(ordinal))) ? 'reused' : 'fresh';
      }
      ctx.phase(`wait for pod ${podName(name, ordinal)} to run`);
      await until(`${podName(name, ordinal)} to run`, ctx, async () => {
        const pod = await kube.get<PodLike>(podRef(ordinal));
        if (!pod) return 'no pod yet';
        const problem = podProblem(pod);
        if (problem?.fatal) {
          throw new CliError(`${pod.metadata.name} cannot start: ${problem.reason}${problem.message ? ` (${problem.message})` : ''}`, {hint: `inspect with: kubectl describe pod ${pod.metadata.name} -n ${namespace}`});
        }
        if (isRunning(pod)) return null;
        return problem ? `${problem.reason}${problem.message ? `: ${problem.message}` : ''}` : 'starting';
      });
      return {serverLine: line, volume};
    },
    async retire(ordinal, ctx) {
      const current = await replicas();
      if (current > ordinal) {
        ctx.phase(`StatefulSet replicas ${current} → ${ordinal}`);
        await kube.mergePatch(stsRef, {spec: {replicas: ordinal}});
      }
      ctx.phase(`wait for pod ${podName(name, ordinal)} to go`);
      await until(`${podName(name, ordinal)} to go`, ctx, async () => ((await kube.get(podRef(ordinal))) ? 'still terminating' : null));
      if (o.keepVolumes) return {volume: (await kube.get(pvcRef(ordinal))) ? 'kept' : 'none'};
      ctx.phase(`delete the volume ${pvcRef(ordinal).name}`);
      return {volume: (await kube.delete(pvcRef(ordinal))) ? 'deleted' : 'none'};
    },
  };
}
