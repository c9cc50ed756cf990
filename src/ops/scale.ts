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
import {AbortedError, CliError, errorMessage} from '../errors.js';
import {formatDuration} from '../util/duration.js';
import {PhaseTimer} from '../util/phases.js';
import {poll, type PollStep} from '../util/poll.js';
import {isZkError, type ZkError} from '../zk/errors.js';
import {type ConfigSnapshot, readConfig, reconfigAndConfirm, type ReconfigChange} from '../zk/reconfig.js';
import type {ServerRole} from '../zk/parse.js';
import type {AuthInfo} from '../zk/wire.js';
import {isServing} from './ensemble/member.js';
import {DEFINITIVE, explainReconfigError} from './scale/errors.js';
import {
  describeShape,
  isDestructive,
  joinedAndSynced,
  planScale,
  type PlanStep,
  predictedMembers,
  refs,
  removalRisks,
  removedAndLed,
  planReplace,
  type Shape,
  shapeOf,
  validateShape,
  type ScalePlan,
} from './scale/plan.js';
import type {ReplaceRequest, ScaleDeps, ScaleRequest, ScaleResult, StepContext, StepResult, VolumeFate} from './scale/types.js';
import {podName} from '../manifests/names.js';
import {formatSpread, parseSpread} from '../manifests/spread.js';
import type {StatusReport} from './status.js';

function hex(v: string | undefined): string {
  return v === undefined ? '?' : `0x${v}`;
}

/**
 * Scales an ensemble to `req.voters` voting members (and `req.observers`
 * observers), one member per step. Refuses a scale-down that would leave the
 * remaining voters without a serving majority unless `force`; confirms
 * destructive plans; never restarts an existing member.
 */
export async function scaleEnsemble(req: ScaleRequest, deps: ScaleDeps): Promise<ScaleResult> {
  validateShape(req.voters, req.observers);
  return new ScaleRun(req, deps).run();
}

/**
 * `kubectl zk member replace`: rebuilds member `req.ordinal` on an empty
 * volume with scale's two steps, remove then add, at that ordinal (planReplace
 * says what and refuses what is unsafe). `deps.members.rebuild` replaces the
 * pod and its volume between them.
 */
export async function replaceMember(req: ReplaceRequest, deps: ScaleDeps): Promise<ScaleResult> {
  if (!deps.members.rebuild) throw new Error('replaceMember needs members.rebuild');
  const scaleReq: ScaleRequest = {name: req.name, namespace: req.namespace, voters: 0, keepVolumes: false, force: req.force, dryRun: req.dryRun, wait: req.wait, timeoutMs: req.timeoutMs};
  return new ScaleRun(scaleReq, deps, req.ordinal, req.role).replace();
}

/** One run of scale; its fields are the state the steps share. */
class ScaleRun {
  private readonly started: number;
  private result!: ScaleResult;
  private zkOpts!: {auth: AuthInfo[]; connectTimeoutMs: number; timeoutMs: number};
  private shape!: Shape;
  /** member replace: the ordinals of the committed members other than the one rebuilt */
  private replaceOthers: number[] = [];

  constructor(
    private readonly req: ScaleRequest,
    private readonly deps: ScaleDeps,
    /** member replace: the ordinal rebuilt (its steps keep the other ordinals and StatefulSet replicas as they are) */
    private readonly replacing?: number,
    /** member replace: the role it goes back in when it is out of the membership (default: the layout's) */
    private readonly replaceRole?: ServerRole,
  ) {
    this.started = deps.clock.now();
  }

  async run(): Promise<ScaleResult> {
    const {req, deps} = this;
    await deps.members.refuseBusy?.();
    const report = await deps.status();
    if (!report.config) {
      throw new CliError(`cannot read the committed membership of "${req.name}": no member answered with it${report.errors.length ? ` (${report.errors.join('; ')})` : ''}`, {
        hint: `see kubectl zk status ${req.name} -n ${req.namespace}`,
      });
    }
    const current = shapeOf(report.config.members);
    const desired: Shape = {voters: req.voters, observers: req.observers ?? current.observers};
    const slots = await deps.members.replicas();
    const total = current.voters + current.observers;
    const strays = Array.from({length: Math.max(0, slots - total)}, (_, i) => total + i);
    const plan = planScale(req.name, {...current, strays}, desired);
    this.result = this.plannedResult(report, current, desired, plan);
    const slotsAfter = desired.voters + desired.observers;
    const respread = await this.planSpread(slotsAfter);
    if (plan.steps.length === 0) {
      if (!req.dryRun) deps.progress.info(`"${req.name}" already has ${describeShape(current)}: nothing to do${respread ? `; the template's spreading changes to ${this.result.spread!.to}` : ''}`);
      if (respread && !req.dryRun) await respread();
      return this.finish();
    }
    this.guard(report, plan);
    const newSpread = parseSpread(this.result.spread?.to);
    if (slotsAfter > slots) await this.refuseNoRoom(`refusing to scale "${req.name}" to ${slotsAfter} members`, await deps.members.room?.(slotsAfter, undefined, newSpread));
    if (req.dryRun) return this.finish();
    await this.announceAndConfirm(plan);
    if (respread) await respread();
    this.zkOpts = {auth: await deps.auth(), connectTimeoutMs: 5000, timeoutMs: deps.zkTimeoutMs ?? 30_000};
    this.shape = {...current};
    for (const [i, step] of plan.steps.entries()) await this.runStep(step, i, plan.steps.length);
    return this.outcome();
  }

  async replace(): Promise<ScaleResult> {
    const {req, deps} = this;
    const ordinal = this.replacing!;
    await deps.members.refuseBusy?.();
    const report = await deps.status();
    if (!report.config) {
      throw new CliError(`cannot read the committed membership of "${req.name}": no member answered with it${report.errors.length ? ` (${report.errors.join('; ')})` : ''}`, {
        hint: `see kubectl zk status ${req.name} -n ${req.namespace}`,
      });
    }
    const slots = await deps.members.replicas();
    if (ordinal >= slots) {
      const last = podName(req.name, slots - 1);
      throw new CliError(`${podName(req.name, ordinal)} is not a member of "${req.name}": its members are ${podName(req.name, 0)}${slots > 1 ? `..${last}` : ''}`, {exitCode: 2});
    }
    const r = planReplace(report, ordinal, req.force, this.replaceRole);
    this.replaceOthers = report.config.members.map((m) => m.id - 1).filter((o) => o !== ordinal);
    this.result = {...this.plannedResult(report, r.plan.from, r.plan.to, r.plan), replaced: podName(req.name, ordinal)};
    this.result.warnings.push(...r.warnings);
    if (r.refusal && !req.dryRun) throw new CliError(`refusing to replace ${podName(req.name, ordinal)}: ${r.refusal.message}`, {hint: r.refusal.hint, exitCode: 3});
    if (r.refusal) this.result.warnings.push(`would be refused: ${r.refusal.message}`);
    await this.refuseNoRoom(`refusing to replace ${podName(req.name, ordinal)}`, r.refusal ? undefined : await deps.members.room?.(slots, ordinal));
    if (req.dryRun) return this.finish();
    if (deps.announce) deps.announce(this.result);
    else for (const w of this.result.warnings) deps.progress.warn(w);
    const pod = podName(req.name, ordinal);
    if (
      !(await deps.confirm(
        `Rebuild member ${pod} of ensemble "${req.name}" in namespace "${req.namespace}" on an empty volume (its volume claim data-${pod} and the data on it are deleted; it takes the data from the leader again)?`,
      ))
    ) {
      throw new AbortedError('replace cancelled; nothing was changed');
    }
    this.zkOpts = {auth: await deps.auth(), connectTimeoutMs: 5000, timeoutMs: deps.zkTimeoutMs ?? 30_000};
    this.shape = {...r.plan.from};
    for (const [i, step] of r.plan.steps.entries()) await this.runStep(step, i, r.plan.steps.length);
    return this.outcome();
  }

  /** The ordinals of the other members (their client ports are asked): the layout's; a replace's: the committed members', less the one rebuilt (after restore-quorum they need not be the lowest ordinals). */
  private memberOrdinals(): number[] {
    if (this.replacing !== undefined) return this.replaceOthers;
    const {voters, observers} = this.shape;
    return Array.from({length: voters + observers}, (_, i) => i);
  }

  private finish(): ScaleResult {
    this.result.durationMs = this.deps.clock.now() - this.started;
    return this.result;
  }

  private plannedResult(report: StatusReport, current: Shape, desired: Shape, plan: ScalePlan): ScaleResult {
    const {req} = this;
    const warnings: string[] = [];
    if (desired.voters % 2 === 0) warnings.push(`${desired.voters} voters tolerate no more failures than ${desired.voters - 1}; an odd count is usually better`);
    if (desired.voters < 3 && desired.voters < current.voters) warnings.push(`${desired.voters} voter${desired.voters === 1 ? '' : 's'}: losing any member loses the quorum`);
    if (plan.steps.length > 0 && report.health !== 'healthy') {
      const down = report.members.filter((m) => !isServing(m)).map((m) => `${m.pod} (${m.role})`);
      warnings.push(`the ensemble is ${report.health}${down.length ? `: ${down.join(', ')}` : ''}`);
    }
    return {
      name: req.name,
      namespace: req.namespace,
      dryRun: req.dryRun,
      changed: false,
      from: {...current, configVersion: report.config!.version, members: refs(req.name, report.config!.members)},
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
  }

  /** scale --spread: the change (in the result, with a warning), and the step that writes it; undefined when there is nothing to change. */
  private async planSpread(members: number): Promise<(() => Promise<void>) | undefined> {
    const {req, deps} = this;
    if (!req.spread || !deps.members.respread) return undefined;
    const {from, to} = await deps.members.respread(req.spread, members, false);
    this.result.spread = {from: formatSpread(from), to: formatSpread(to)};
    if (formatSpread(from) === formatSpread(to)) return undefined;
    this.result.warnings.push(
      `the pod template's spreading changes from ${formatSpread(from)} to ${formatSpread(to)}: new members get it at once; the running members keep their pods (no restart) and take it at their next restart (kubectl zk restart ${req.name}); until then status shows them on the old revision`,
    );
    return async () => {
      await deps.members.respread!(req.spread!, members, true);
      this.result.changed = true;
    };
  }

  /** The spreading the ensemble requires leaves no room (members.room): refused before anything changes (a warning with --dry-run). */
  private async refuseNoRoom(what: string, why: string | undefined): Promise<void> {
    if (why === undefined) return;
    const {req} = this;
    if (req.dryRun) {
      this.result.warnings.push(`would be refused: ${why}`);
      return;
    }
    throw new CliError(`${what}: ${why}`, {
      hint: `add schedulable nodes (or bring a lost one back) first; the spreading was chosen at create --spread and is changed by scale --spread (docs/operations.md#drains-the-poddisruptionbudget-and-spreading); kubectl zk status ${req.name} -n ${req.namespace} shows where the members run`,
      exitCode: 3,
    });
  }

  /** Guards that --force cannot lift (no quorum), then the ones it can (a removal that risks the quorum). */
  private guard(report: StatusReport, plan: ScalePlan): void {
    const {req} = this;
    const warnings = this.result.warnings;
    const risks = removalRisks(plan, report);
    if (!report.quorum.has && req.dryRun) warnings.push(`no quorum (${report.quorum.servingVoters}/${report.quorum.voters} voters serving): the scale would be refused`);
    else if (!report.quorum.has) {
      throw new CliError(
        `"${req.name}" has no quorum (${report.quorum.servingVoters}/${report.quorum.voters} voters serving, ${report.quorum.needed} needed): a membership change needs a serving leader`,
        {
          hint: `bring members back first; see kubectl zk status ${req.name} -n ${req.namespace}`,
        },
      );
    }
    if (risks.length > 0 && !req.force && !req.dryRun) {
      throw new CliError(`refusing to scale down: ${risks[0]}`, {
        hint: "bring those members back first, or pass --force to try anyway (ZooKeeper may still refuse with NewConfigNoQuorum; if it commits, the removed members' data is gone and the rest cannot survive another failure)",
      });
    }
    if (risks.length > 0) {
      warnings.push(
        req.dryRun
          ? `would be refused without --force: ${risks[0]}`
          : `--force: ${risks[0]}. If ZooKeeper accepts the change, the ensemble keeps no spare voter: one more failure stops writes, and the removed members' volumes ${req.keepVolumes ? 'are kept' : 'are deleted'}`,
      );
    }
  }

  private async announceAndConfirm(plan: ScalePlan): Promise<void> {
    const {req, deps} = this;
    if (deps.announce) deps.announce(this.result);
    else for (const w of this.result.warnings) deps.progress.warn(w);
    if (!isDestructive(plan)) return;
    const gone = plan.steps.filter((s) => s.action !== 'add').map((s) => s.pod);
    const vol = req.keepVolumes ? 'their volumes are kept' : 'their volumes are deleted';
    if (!(await deps.confirm(`Remove ${gone.length} member pod(s) (${gone.join(', ')}) from ensemble "${req.name}" in namespace "${req.namespace}"; ${vol}?`))) {
      throw new AbortedError('scale cancelled; nothing was changed');
    }
  }

  /** Polls `probe` (an error counts as "not yet", with its message) until it is done or `deadline`. */
  private wait<T>(what: string, deadline: number, probe: () => Promise<PollStep<T>>, onWhy?: (why: string) => void): Promise<T> {
    const {deps} = this;
    return poll(() => probe().catch((e: unknown) => ({why: errorMessage(e)})), {
      clock: deps.clock,
      sleep: deps.sleep,
      signal: deps.signal,
      intervalMs: deps.pollMs ?? 1000,
      deadline,
      onWhy,
      what,
    });
  }

  // ---- act: one step

  private async runStep(step: PlanStep, i: number, count: number): Promise<void> {
    const {req, deps, result} = this;
    const label = `[${i + 1}/${count}] ${step.action} ${step.pod}${step.role ? ` (server.${step.id}, ${step.role})` : ''}`;
    const ui = deps.progress.step(label);
    const stepStart = deps.clock.now();
    // a phase a collaborator's own phases replaced at once is left out
    const timer = new PhaseTimer(deps.clock, {dropEmpty: true, onPhase: (name) => ui.update(name)});
    const ctx: StepContext = {
      phase: (name) => timer.enter(name),
      note: (t) => ui.update(`${timer.current}: ${t}`),
      deadline: stepStart + req.timeoutMs,
      signal: deps.signal,
    };
    const sr: StepResult = {...step, startedAt: new Date(stepStart).toISOString(), startedAtMs: stepStart, durationMs: 0, phases: timer.phases};
    try {
      deps.signal?.throwIfAborted(); // a safe point: nothing of this step is done yet
      if (step.action === 'add') await this.addMember(step, sr, ctx);
      else if (step.action === 'remove') await this.removeMember(step, sr, ctx);
      else {
        ctx.phase('stop the pod');
        sr.volume = (await deps.members.retire(step.ordinal, ctx)).volume;
      }
      timer.end();
    } catch (e) {
      timer.end();
      sr.durationMs = deps.clock.now() - stepStart;
      ui.fail(`${label}: failed after ${formatDuration(sr.durationMs)}`);
      result.steps.push(sr);
      throw this.stepError(e, label, i, count, sr);
    }
    this.shape = {...step.after};
    sr.durationMs = deps.clock.now() - stepStart;
    result.steps.push(sr);
    result.changed = true;
    const extra = [
      sr.configVersion ? `config ${hex(sr.configVersion)}` : '',
      sr.confirmedByReadBack ? 'reply lost, confirmed by read-back' : '',
      sr.volume && sr.volume !== 'none' ? `volume ${sr.volume}` : '',
      sr.skipped ?? '',
    ]
      .filter(Boolean)
      .join(', ');
    ui.succeed(`${label} done in ${formatDuration(sr.durationMs)}${extra ? ` (${extra})` : ''}`);
  }

  /** Where the scale stopped and how to continue, around the step's own error. */
  private stepError(e: unknown, label: string, i: number, count: number, sr: StepResult): CliError {
    const {req, deps} = this;
    const done = this.result.steps.length - 1;
    // what the stopped step itself left: its membership change may be committed already
    const phase = sr.phases.at(-1)?.phase;
    const left = sr.configVersion
      ? `; its membership change is committed (config ${hex(sr.configVersion)}: server.${sr.id} ${sr.action === 'remove' ? 'is out' : 'is in'}), it stopped at: ${phase}`
      : phase
        ? `; it stopped at: ${phase}`
        : '';
    const where = `stopped at step ${i + 1} of ${count}${done > 0 ? ` (${done} done: now ${describeShape(this.shape)})` : ' (no step done)'}${left}`;
    const again = this.replacing === undefined ? 'run scale again to continue' : `run kubectl zk member replace ${req.name} ${this.replacing} again to finish`;
    const hint = `see kubectl zk status ${req.name} -n ${req.namespace}; ${again}`;
    if (e instanceof CliError)
      return new CliError(`${e.message}; ${where}`, {
        hint: e.hint ?? hint,
        details: e.details,
        exitCode: e.exitCode,
        cause: e,
      });
    if (deps.signal?.aborted) return new CliError(`${where} (${errorMessage(e)})`, {cause: e});
    return new CliError(`${label}: ${errorMessage(e)}; ${where}`, {hint, cause: e});
  }

  /** The outcome, from the members themselves (with --wait: once healthy). */
  private async outcome(): Promise<ScaleResult> {
    const {req, deps, result} = this;
    let last = await deps.status();
    if (req.wait) {
      const ui = deps.progress.step('waiting until every member serves and is in sync');
      try {
        last = await this.wait<StatusReport>(
          'a healthy ensemble',
          deps.clock.now() + req.timeoutMs,
          async () => {
            const r = await deps.status();
            return r.health === 'healthy' ? {ok: r} : {why: `${r.health}: ${r.warnings[0] ?? r.errors[0] ?? `${r.replicas.ready}/${r.replicas.desired} ready`}`};
          },
          (w) => ui.update(w),
        );
        ui.succeed(`healthy (leader ${last.quorum.leader ?? '?'})`);
        result.waited = true;
      } catch (e) {
        ui.fail();
        throw e;
      }
    }
    if (last.config) {
      // a replace within restore-quorum passes through memberships with gaps ({1,3} while server.2 is rebuilt): counted, not checked against the layout
      const members = last.config.members;
      const voters = members.filter((m) => m.role === 'participant').length;
      const shape = this.replacing === undefined ? shapeOf(members) : {voters, observers: members.length - voters};
      result.to = {...shape, configVersion: last.config.version, members: refs(req.name, members)};
    }
    result.health = last.health;
    result.leader = last.quorum.leader;
    return this.finish();
  }

  // ---- one added member
  private async addMember(step: PlanStep, sr: StepResult, ctx: StepContext): Promise<void> {
    const {req, deps} = this;
    const {members} = deps;
    const {clock} = deps;
    const zkOpts = this.zkOpts;
    const wait = this.wait.bind(this);
    const eps = await members.endpoints(this.memberOrdinals());
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
      launched = this.replacing === undefined ? await members.launch(step.ordinal, step.role!, committed, ctx) : await members.rebuild!(step.ordinal, step.role!, committed, ctx);
      sr.volume = launched.volume;
      ctx.phase('wait until it serves as a non-voting learner');
      await wait(
        `${step.pod} to serve`,
        ctx.deadline,
        async () => {
          const r = await deps.status();
          const row = r.members.find((m) => m.serverId === step.id);
          return row && (row.role === 'follower' || row.role === 'observer') ? {ok: true} : {why: `${step.pod} is ${row?.role ?? 'absent'}${row?.error ? ` (${row.error})` : ''}`};
        },
        ctx.note,
      );
      ctx.phase('reconfig add');
      deps.signal?.throwIfAborted(); // the last safe point before the membership changes
      maybeApplied = true;
      const change: ReconfigChange = {add: [launched.serverLine], ...(committed.version ? {fromConfigVersion: committed.version} : {})};
      const res = await reconfigAndConfirm(eps, change, {...zkOpts, confirmTimeoutMs: Math.max(5000, ctx.deadline - clock.now()), pollIntervalMs: Math.min(deps.pollMs ?? 1000, 500)}).catch(
        (e: unknown) => {
          if (isZkError(e) && DEFINITIVE.has((e as ZkError).code)) maybeApplied = false;
          throw explainReconfigError(e, step, req, committed.version);
        },
      );
      sr.confirmedByReadBack = res.confirmedByReadBack;
    } catch (e) {
      if (!maybeApplied && !deps.signal?.aborted) await this.rollback(step, committed, ctx);
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
  private async rollback(step: PlanStep, committed: ConfigSnapshot, ctx: StepContext): Promise<void> {
    const {members, progress, clock} = this.deps;
    if (this.replacing !== undefined) {
      // the slot stays (the StatefulSet keeps its replicas): record the membership without it; running replace again finishes it
      await members.publish(committed).catch(() => undefined);
      progress.warn(`${step.pod} is out of the membership and did not join again: run kubectl zk member replace ${this.req.name} ${step.ordinal} -n ${this.req.namespace} again to finish`);
      return;
    }
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
  private async removeMember(step: PlanStep, sr: StepResult, ctx: StepContext): Promise<void> {
    const {req, deps} = this;
    const {members, clock} = deps;
    const zkOpts = this.zkOpts;
    const wait = this.wait.bind(this);
    const remaining = this.memberOrdinals().filter((o) => o !== step.ordinal);
    // the removed member last: if it is the leader, its reply may be lost in the hand-off
    const eps = await members.endpoints([...remaining, step.ordinal]);
    const stayEps = await members.endpoints(remaining);
    ctx.phase('read the committed config');
    const committed = await readConfig(eps, zkOpts);
    if (committed.config.servers.some((s) => s.id === step.id)) {
      ctx.phase('reconfig remove');
      deps.signal?.throwIfAborted(); // the last safe point before the membership changes
      const change: ReconfigChange = {remove: [step.id], ...(committed.version ? {fromConfigVersion: committed.version} : {})};
      const res = await reconfigAndConfirm(eps, change, {...zkOpts, confirmTimeoutMs: Math.max(5000, ctx.deadline - clock.now()), pollIntervalMs: Math.min(deps.pollMs ?? 1000, 500)}).catch(
        (e: unknown) => {
          throw explainReconfigError(e, step, req, committed.version);
        },
      );
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
    if (this.replacing !== undefined) return; // its pod and volume are rebuilt by the add step
    ctx.phase('stop the member');
    sr.volume = (await members.retire(step.ordinal, ctx)).volume;
  }
}
