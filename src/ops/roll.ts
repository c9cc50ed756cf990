/**
 * `kubectl zk restart` and `kubectl zk upgrade`: replace an ensemble's member
 * pods one at a time, in an order kubectl-zk chooses (the StatefulSet's
 * updateStrategy is OnDelete, so the controller never replaces a pod by
 * itself; it only recreates a deleted pod from the current template).
 *
 * - The template (roll/template.ts) gets a new revision (status.updateRevision),
 *   and a member is "done" when its pod carries that revision (label
 *   controller-revision-hash). That is what makes a second run resume: it
 *   rolls only the members not on the target revision.
 * - The plan and the checks before and after each member are pure
 *   (roll/plan.ts); this file acts: it patches the template, then per member
 *   evicts the pod (the Eviction API: PodDisruptionBudgets are respected), waits until the new one is back, serving and in sync, and
 *   verifies it (`verifyMember`). The first member that does not come back
 *   stops the roll; the rest are left untouched.
 *
 * The ZooKeeper side comes in as `status` (gatherStatus); time, sleep,
 * progress, confirmation and Ctrl-C are parameters too. The result is data;
 * src/render/roll.ts prints it.
 */
import {AbortedError, CliError, errorMessage} from '../errors.js';
import {retryOnConflict} from '../kube/errors.js';
import type {ObjectRef} from '../kube/types.js';
import {LABEL, MANAGER} from '../manifests/labels.js';
import {objectNames} from '../manifests/names.js';
import {formatDuration} from '../util/duration.js';
import {PhaseTimer} from '../util/phases.js';
import {poll, type PollStep} from '../util/poll.js';
import type {ProgressStep} from '../util/progress.js';
import {LeaderTracker, type LeaderSeen} from './ensemble/leader.js';
import {isReady, podProblem, type PodLike} from './pods.js';
import {isServing} from './ensemble/member.js';
import {
  lastExit,
  leaderEpoch,
  memberBack,
  memberStates,
  memberVersionProblem,
  readyToStop,
  rollOrder,
  rollPreconditions,
  ROLL_STOPPERS,
  zkSaid,
  type MemberState,
  type PlannedMember,
} from './roll/plan.js';
import {
  desiredTemplate,
  goBackCommand,
  hasTlsTemplate,
  imageOf,
  RESTARTED_AT,
  restartPatch,
  revisionOf,
  settledRevision,
  templateOf,
  upgradePatch,
  type RollStatefulSet,
  type TemplateSpec,
} from './roll/template.js';
import {crashDetails, problemText, ROLL_EXIT, RollStop, verb, type MemberStep, type RollDeps, type RollRequest, type RollResult} from './roll/types.js';
import type {MemberReport, StatusReport} from './status.js';
import {evictPod} from './evict.js';
import {refuseDuringTlsEnableOf} from './tls/enable-template.js';
import {listMemberPods, settleSyncGap} from './wait.js';

/**
 * Restarts or upgrades an ensemble one member at a time (see the module
 * comment). Refuses an unhealthy ensemble unless `force` (exit 3); a member
 * that does not come back stops the roll (result.stopped, exit 4); Ctrl-C
 * throws with where it stopped. Running it again resumes.
 */
export async function rollEnsemble(req: RollRequest, deps: RollDeps): Promise<RollResult> {
  return new RollRun(req, deps).run();
}

/** The start of a roll: the ensemble as found, and what the roll will do. */
interface Start {
  report: StatusReport;
  pods: PodLike[];
  /** the template's revision before the roll (undefined while the controller has not seen the latest spec) */
  settled?: string;
  /** the template changes (upgrade), or gets a new restartedAt (restart) */
  patchNeeded: boolean;
  members: MemberState[];
  pending: PlannedMember[];
  from: TemplateSpec;
  to: TemplateSpec;
  changes: string[];
}

/** One run of restart or upgrade; its fields are the state the steps share. */
class RollRun {
  private readonly started: number;
  private readonly pollMs: number;
  private readonly stsRef: ObjectRef;
  private sts!: RollStatefulSet;
  private target?: string;
  private result!: RollResult;
  private leader = new LeaderTracker();
  /** the member whose turn it is, and whether its pod was deleted yet */
  private current?: {pod: string; deleted: boolean};

  constructor(
    private readonly req: RollRequest,
    private readonly deps: RollDeps,
  ) {
    this.started = deps.clock.now();
    this.pollMs = deps.pollMs ?? 500;
    this.stsRef = {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: objectNames(req.name).statefulSet};
  }

  async run(): Promise<RollResult> {
    const {req, deps} = this;
    const start = await this.begin();
    this.result = this.plannedResult(start);
    this.leader = new LeaderTracker({pod: this.result.leaderBefore, epoch: this.result.epochBefore});
    if (start.pending.length === 0) return this.nothingToDo(start);
    this.addNotes(start);
    this.checkPreconditions(start);
    if (req.dryRun) return this.finish();
    if (deps.announce) deps.announce(this.result);
    else for (const w of this.result.warnings) deps.progress.warn(w);
    await this.confirm(start);
    this.target = start.patchNeeded ? await this.patchTemplate(start) : start.settled;
    this.result.revision.to = this.target;
    if (start.patchNeeded) this.result.alreadyDone = rollOrder(memberStates(await this.pods(), start.report), this.target).done;
    return this.rollAll();
  }

  // ---- reading

  private podRef(pod: string): ObjectRef {
    return {apiVersion: 'v1', kind: 'Pod', namespace: this.req.namespace, name: pod};
  }

  private pods(): Promise<PodLike[]> {
    return listMemberPods(this.deps.kube, this.req.namespace, this.req.name);
  }

  private async readSts(): Promise<RollStatefulSet> {
    const {req} = this;
    const sts = await this.deps.kube.get<RollStatefulSet>(this.stsRef);
    if (!sts || sts.metadata.labels?.[LABEL.managedBy] !== MANAGER) {
      throw new CliError(`ensemble "${req.name}" not found in namespace "${req.namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace} (or -A)`});
    }
    return sts;
  }

  private finish(): RollResult {
    this.result.durationMs = this.deps.clock.now() - this.started;
    return this.result;
  }

  /** Who leads in `seen`: a change goes into result.elections (an unexpected one is warned about). */
  private observe(seen: LeaderSeen, during: string, since: number, expected: boolean): void {
    const change = this.leader.observe(seen);
    if (!change) return;
    this.result.elections.push({during, ...change, ms: this.deps.clock.now() - since, expected});
    if (!expected) this.deps.progress.warn(`leader changed during ${during}'s turn: ${change.from ?? 'none'} → ${change.to}${change.epochAfter !== undefined ? ` (epoch ${change.epochAfter})` : ''}`);
  }

  private observeReport(r: StatusReport, during: string, since: number, expected: boolean): void {
    this.observe({pod: r.quorum.leader, epoch: leaderEpoch(r)}, during, since, expected);
  }

  // ---- plan

  /** Reads the ensemble (waiting briefly for members an interrupted run left starting) and decides what to roll. */
  private async begin(): Promise<Start> {
    const {req, deps} = this;
    this.sts = await this.readSts();
    // tls enable's own rolls carry their template; any other roll would restart members mid-migration
    if (!req.template) await refuseDuringTlsEnableOf(deps.kube, {name: req.name, namespace: req.namespace, why: `${req.action} would restart members in the middle of its rolls`});
    const from = templateOf(this.sts);
    const {to, changes} = req.action === 'upgrade' ? desiredTemplate({...req, tls: hasTlsTemplate(this.sts)}, from, req.change ?? {}) : {to: {...from}, changes: req.template?.changes ?? []};
    let [report, pods] = await Promise.all([deps.status(), this.pods()]);
    if (!req.dryRun && this.transient(pods, report).length > 0) ({report, pods} = await this.waitForTransient(pods, report));
    if (!req.dryRun) report = await settleSyncGap(report, deps.status, deps);
    const settled = settledRevision(this.sts);
    const incomplete = settled !== undefined && pods.some((p) => revisionOf(p) !== settled);
    // upgrade: a new revision when the template changes; restart: a new one unless an earlier roll is incomplete (then it resumes)
    const patchNeeded = req.template ? req.template.patch(this.sts) !== undefined : req.action === 'upgrade' ? changes.length > 0 : !incomplete;
    const members = memberStates(pods, report);
    const {pending} = rollOrder(members, patchNeeded ? undefined : settled);
    return {report, pods, settled, patchNeeded, members, pending, from, to, changes};
  }

  /** Members missing, terminating, or starting without a start problem: what an interrupted run leaves for a few seconds. */
  private transient(pods: PodLike[], report: StatusReport): string[] {
    const names = new Set(pods.map((p) => p.metadata.name));
    const want = this.sts.spec?.replicas ?? report.replicas.desired;
    const missing = Array.from({length: want}, (_, i) => `${this.req.name}-${i}`).filter((x) => !names.has(x));
    const starting = pods.filter((p) => {
      const pr = podProblem(p);
      return pr !== null && !ROLL_STOPPERS.has(pr.reason) && pr.reason !== 'ErrImagePull' && !pr.crashed;
    });
    return [...missing, ...starting.map((p) => p.metadata.name)];
  }

  /** Gives transient states up to a minute (or --timeout) before the ensemble is judged. */
  private async waitForTransient(pods: PodLike[], report: StatusReport): Promise<{report: StatusReport; pods: PodLike[]}> {
    const {req, deps} = this;
    const limit = Math.min(req.timeoutMs, 60_000);
    const ui = deps.progress.step(`waiting for ${this.transient(pods, report).join(', ')} to start (up to ${formatDuration(limit)})`);
    let first = true;
    const gaveUp = new Error('transient members did not settle');
    await poll(
      async () => {
        if (!first) pods = await this.pods();
        first = false;
        const left = this.transient(pods, report);
        return left.length === 0 ? {ok: undefined} : {why: left.join(', ')};
      },
      {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: this.pollMs, timeoutMs: limit, onTimeout: () => gaveUp},
    ).catch((e: unknown) => {
      if (e !== gaveUp) throw e; // still transient after the limit: judged as it is
    });
    report = await deps.status();
    if (this.transient(pods, report).length === 0) ui.succeed(`member pods running and Ready`);
    else ui.fail(`still missing, terminating or not Ready: ${this.transient(pods, report).join(', ')}`);
    return {report, pods};
  }

  private plannedResult(s: Start): RollResult {
    const {req} = this;
    return {
      name: req.name,
      namespace: req.namespace,
      action: req.action,
      dryRun: req.dryRun,
      outcome: 'planned',
      exitCode: ROLL_EXIT.done,
      template: {from: s.from, to: s.to, changes: s.changes, patched: false},
      revision: {from: s.settled, to: s.patchNeeded ? undefined : s.settled},
      resumed: !s.patchNeeded && s.pending.length > 0,
      leaderBefore: s.report.quorum.leader,
      epochBefore: leaderEpoch(s.report),
      plan: s.pending,
      alreadyDone: rollOrder(s.members, s.patchNeeded ? undefined : s.settled).done,
      members: [],
      elections: [],
      health: s.report.health,
      forced: [],
      warnings: [],
      notes: [],
      durationMs: 0,
    };
  }

  private nothingToDo(s: Start): RollResult {
    const {req} = this;
    this.result.outcome = 'nothing-to-do';
    const why = req.template
      ? `every member already runs the template (${req.template.changes.join(', ')}; revision ${s.settled ?? '?'})`
      : req.action === 'upgrade'
        ? `every member already runs the requested template (image ${s.to.image ?? '?'}, revision ${s.settled ?? '?'})`
        : 'the ensemble has no member pods';
    this.result.notes.push(why);
    if (!req.dryRun) this.deps.progress.info(`"${req.name}": ${why}: nothing to do`);
    return this.finish();
  }

  private addNotes(s: Start): void {
    const {req, result} = this;
    const done = result.alreadyDone;
    if (s.patchNeeded && req.action === 'restart' && !req.template)
      result.notes.push(`the pod template gets the annotation ${RESTARTED_AT}: a new revision, so a run after an interruption resumes with the members not on it`);
    if (!s.patchNeeded) {
      const what = req.action === 'upgrade' ? 'the requested template is already in place' : 'an earlier restart or upgrade is incomplete';
      result.notes.push(
        `${what}: continuing with the ${s.pending.length} member(s) not on revision ${s.settled}${done.length ? ` (${done.join(', ')} already ${done.length === 1 ? 'is' : 'are'})` : ''}`,
      );
    }
    const leaderTurn = s.pending.find((p) => p.why === 'leader');
    result.notes.push(leaderTurn ? `the leader (${leaderTurn.pod}) goes last: one leader election` : 'the leader already runs the target revision: no election expected');
    const voters = s.report.quorum.voters;
    if (voters < 3)
      result.warnings.push(`${voters} voter${voters === 1 ? '' : 's'}: the ensemble has no quorum (serves no requests) while ${voters === 1 ? 'its only voter restarts' : 'a voter restarts'}`);
  }

  /**
   * Refuses (exit 3) what stands between the ensemble and a safe roll, unless
   * --force. Not counted: members stuck on a start problem that this roll
   * replaces (they go first), and members already on the target revision that
   * are still starting (an interrupted run's; waited for before the next).
   */
  private checkPreconditions(s: Start): void {
    const {req, result} = this;
    const pendingSet = new Set(s.pending.map((p) => p.pod));
    const stuck = (m: MemberState) => m.problem !== undefined && (ROLL_STOPPERS.has(m.problem.reason) || m.problem.reason === 'ErrImagePull');
    const replacedFirst = s.members.filter((m) => pendingSet.has(m.pod) && (stuck(m) || m.problem?.reason === 'Terminating')).map((m) => m.pod);
    const starting = s.members.filter((m) => !pendingSet.has(m.pod) && m.problem && !stuck(m) && m.problem.reason !== 'Terminating').map((m) => m.pod);
    const problems = rollPreconditions(s.report, s.pods, new Set([...replacedFirst, ...starting]));
    const stuckOnTarget = s.members.filter((m) => !pendingSet.has(m.pod) && stuck(m));
    const fixHint =
      stuckOnTarget.length > 0
        ? `${stuckOnTarget.map((m) => m.pod).join(', ')} cannot start on the template's revision ${s.settled}: change the template with kubectl zk upgrade ${req.name} -n ${req.namespace} --image <image>`
        : '';
    if (replacedFirst.length > 0)
      result.notes.push(`${replacedFirst.join(', ')} ${replacedFirst.length === 1 ? 'is' : 'are'} down (cannot start, or terminating) and not on the target revision: replaced first`);
    if (starting.length > 0) result.notes.push(`${starting.join(', ')} ${starting.length === 1 ? 'is' : 'are'} on revision ${s.settled} and still starting: waited for before the next member`);
    if (problems.length === 0) return;
    const risk =
      'with --force a member is restarted while the ensemble already tolerates fewer failures, and a restarted member may have to catch up with the leader by a full snapshot; a serving voter is still never stopped while the other voters would not form a quorum';
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

  private async confirm(s: Start): Promise<void> {
    const {req} = this;
    const what =
      req.action === 'upgrade' || req.template
        ? `${req.template ? 'Change' : 'Upgrade'} ensemble "${req.name}" in namespace "${req.namespace}" (${s.changes.join(', ') || `continue to revision ${s.settled}`})`
        : `Restart ensemble "${req.name}" in namespace "${req.namespace}"`;
    const order = s.pending.map((p) => p.pod).join(', ');
    const leaderTurn = s.pending.some((p) => p.why === 'leader');
    if (!(await this.deps.confirm(`${what}: ${s.pending.length} member pod(s) evicted one at a time (${order})${leaderTurn ? `, the leader last: one leader election` : ''}?`))) {
      throw new AbortedError(`${verb(req.action)} cancelled; nothing was changed`);
    }
  }

  // ---- act: the template

  /** Patches the template (a conflict is retried with a fresh read), then waits for the controller's revision of it. */
  private async patchTemplate(s: Start): Promise<string> {
    const {req, deps} = this;
    const ui = deps.progress.step(req.action === 'upgrade' || req.template ? `patching the pod template: ${s.changes.join(', ')}` : `patching the pod template: ${RESTARTED_AT}`);
    try {
      if (req.action === 'restart' && !req.template) s.to.restartedAt = new Date(deps.clock.now()).toISOString();
      this.sts = await retryOnConflict(
        () => deps.kube.mergePatch<RollStatefulSet>(this.stsRef, this.templatePatch(s)),
        async () => {
          this.sts = await this.readSts();
        },
      );
      this.result.template.patched = true;
      const target = await this.newRevision();
      ui.succeed(`pod template patched: revision ${target}${s.settled && s.settled !== target ? ` (was ${s.settled})` : ''}`);
      return target;
    } catch (e) {
      ui.fail();
      if (deps.signal?.aborted)
        throw new CliError(`stopped while patching the template${this.result.template.patched ? '' : ' (nothing was changed)'}`, {hint: `run the same command again`, cause: e});
      throw e;
    }
  }

  private templatePatch(s: Start): Record<string, unknown> {
    const {req} = this;
    if (req.template) return req.template.patch(this.sts) ?? {};
    return req.action === 'upgrade' ? upgradePatch(this.sts, s.to) : restartPatch(this.sts, s.to.restartedAt!);
  }

  /** The controller's revision for the patched generation (an upgrade back to an earlier template gets that template's old revision again). */
  private async newRevision(): Promise<string> {
    const {req, deps} = this;
    const limit = Math.max(60_000, req.timeoutMs);
    const generation = Number(this.sts.metadata.generation ?? 0);
    const sts = await poll<RollStatefulSet>(
      async () => {
        const s = await this.readSts();
        return settledRevision(s) && (s.status?.observedGeneration ?? 0) >= generation ? {ok: s} : {why: 'no revision yet'};
      },
      {
        clock: deps.clock,
        sleep: deps.sleep,
        signal: deps.signal,
        intervalMs: this.pollMs,
        timeoutMs: limit,
        onTimeout: () =>
          new CliError(`the StatefulSet controller did not report a revision for the new template within ${formatDuration(limit)}`, {
            hint: `kubectl get statefulset ${this.stsRef.name} -n ${req.namespace} -o yaml`,
          }),
      },
    );
    this.sts = sts;
    return settledRevision(sts)!;
  }

  // ---- act: the members

  /** Rolls the members one at a time, in the order recomputed before each; ends done, or stopped with the reason. */
  private async rollAll(): Promise<RollResult> {
    const {deps, result} = this;
    let last: StatusReport;
    try {
      // a bound against a member that keeps coming back off the target revision
      for (let guard = 0; guard < result.plan.length * 50 + 1000; guard++) {
        const turn = await this.nextMember();
        if (!turn) break;
        await this.rollMember(turn.next, turn.report, turn.pods, turn.waitedMs, result.members.length + 1);
      }
      last = await this.waitSettled();
    } catch (caught) {
      // anything else that ends the roll early (the API server went away, the ensemble was removed) is a stop too: say where and how to resume
      const e = caught instanceof RollStop || deps.signal?.aborted ? caught : new RollStop(errorMessage(caught), this.current?.pod);
      if (e instanceof RollStop) return this.stopped(e);
      if (deps.signal?.aborted) throw await this.interrupted(e);
      throw e;
    }
    this.observeReport(last, 'the end', deps.clock.now(), false);
    result.outcome = 'done';
    result.health = last.health;
    result.leaderAfter = last.quorum.leader;
    const unexpected = result.elections.filter((x) => !x.expected);
    if (unexpected.length > 0)
      result.warnings.push(
        `${unexpected.length} leader election${unexpected.length === 1 ? '' : 's'} the roll did not cause on purpose: ${unexpected.map((x) => `${x.from ?? 'none'} → ${x.to} during ${x.during}`).join('; ')}`,
      );
    return this.finish();
  }

  /**
   * poll() with the roll's clock, sleep, signal and interval, for at most
   * --timeout: `ui()` (the step `until` makes once it has to wait, if any)
   * shows each reason and fails when the wait does.
   */
  private waitUntil<T>(until: () => Promise<PollStep<T>>, ui: () => ProgressStep | undefined, onTimeout: (why: string) => Error): Promise<T> {
    const {req, deps} = this;
    return poll<T>(until, {
      clock: deps.clock,
      sleep: deps.sleep,
      signal: deps.signal,
      intervalMs: this.pollMs,
      timeoutMs: req.timeoutMs,
      onWhy: (why) => ui()?.update(why),
      onTimeout,
    }).catch((e: unknown) => {
      ui()?.fail();
      throw e;
    });
  }

  /**
   * After the last member: the roll ends when the ensemble is as it was before
   * it (every member serves, Ready, every voter in sync: the rule the roll
   * started from), not merely when the last member is back: another member
   * may still be syncing with the leader the last turn's election made. With
   * --force (the roll may have started from a degraded ensemble) one look.
   */
  private async waitSettled(): Promise<StatusReport> {
    const {req, deps} = this;
    if (req.force) return deps.status();
    let ui: ProgressStep | undefined;
    const start = deps.clock.now();
    const report = await this.waitUntil<StatusReport>(
      async () => {
        const [r, pods] = await Promise.all([deps.status(), this.pods()]);
        const problems = rollPreconditions(r, pods);
        if (problems.length === 0) return {ok: r};
        ui ??= deps.progress.step('waiting until every member serves and is in sync');
        return {why: problems.join('; ')};
      },
      () => ui,
      (why) => new RollStop(`every member was rolled, but the ensemble did not settle within ${formatDuration(req.timeoutMs)}: ${why}`),
    );
    ui?.succeed(`every member serves and is in sync after ${formatDuration(deps.clock.now() - start)}`);
    return report;
  }

  /**
   * The next member to roll, once it may be stopped (readyToStop: the others
   * serve and are in sync); undefined when none is left. Waits at most
   * --timeout. Stops the roll when the template changed under it, or when a
   * member already on the target revision cannot start (the new template is
   * broken: restarting others will not help).
   */
  private async nextMember(): Promise<{next: PlannedMember; report: StatusReport; pods: PodLike[]; waitedMs: number} | undefined> {
    const {req, deps} = this;
    const start = deps.clock.now();
    let ui: ProgressStep | undefined;
    let next: PlannedMember | undefined;
    const found = await this.waitUntil<{report: StatusReport; pods: PodLike[]} | null>(
      async () => {
        const s = await this.readSts();
        if (settledRevision(s) && settledRevision(s) !== this.target)
          throw new RollStop(`the StatefulSet's template changed during the roll (revision ${this.target} → ${settledRevision(s)}; by someone else?)`);
        this.sts = s;
        const [report, pods] = await Promise.all([deps.status(), this.pods()]);
        this.observeReport(report, this.current?.pod ?? 'the wait between members', ui ? start : deps.clock.now(), false);
        const states = memberStates(pods, report);
        const broken = states.find((m) => m.revision === this.target && m.problem && ROLL_STOPPERS.has(m.problem.reason));
        if (broken?.problem) {
          const p = pods.find((x) => x.metadata.name === broken.pod);
          const exit = p ? lastExit(p) : undefined;
          throw new RollStop(`${broken.pod} cannot start on revision ${this.target}: ${problemText(broken.problem)}`, broken.pod, [
            ...(exit ? [exit] : []),
            ...(await crashDetails(deps.kube, req.namespace, broken.problem)),
          ]);
        }
        next = rollOrder(states, this.target).pending[0];
        if (!next) return {ok: null};
        const check = readyToStop(report, next.pod, req.force);
        if (check.ok) return {ok: {report, pods}};
        ui ??= deps.progress.step(`waiting until the others serve and are in sync before ${next.pod}`);
        return {why: check.why};
      },
      () => ui,
      (why) => new RollStop(`the ensemble did not get ready for the next member (${next?.pod}) within ${formatDuration(req.timeoutMs)}: ${why}`),
    );
    if (!found || !next) return undefined;
    const waitedMs = ui ? deps.clock.now() - start : 0;
    ui?.succeed(`ready for ${next.pod} after ${formatDuration(waitedMs)}`);
    return {next, ...found, waitedMs};
  }

  /** One member: delete its pod, wait until the new one is on the target revision, serving and in sync, then verify it. */
  private async rollMember(next: PlannedMember, r: StatusReport, podsNow: PodLike[], waitedMs: number, n: number): Promise<void> {
    const {req, deps} = this;
    const label = `[${n}/${Math.max(this.result.plan.length, n)}] ${next.pod} (${next.why}${next.problem ? `: ${next.problem}` : ''})`;
    const ui = deps.progress.step(label);
    const stepStart = deps.clock.now();
    const timer = new PhaseTimer(deps.clock, {onPhase: (name) => ui.update(name)});
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
      phases: timer.phases,
      outcome: 'done',
    };
    this.result.members.push(step);
    this.current = {pod: next.pod, deleted: false};
    try {
      timer.enter('evict the pod');
      const oldUid = podsNow.find((p) => p.metadata.name === next.pod)?.metadata.uid;
      const deadline = stepStart + req.timeoutMs;
      await evictPod(deps.kube, req.namespace, next.pod, {
        clock: deps.clock,
        sleep: deps.sleep,
        signal: deps.signal,
        timeoutMs: Math.max(0, deadline - deps.clock.now()),
        onBlocked: (why) => ui.update(why),
      });
      this.current.deleted = true;
      await this.waitUntilBack({next, r, podsNow, oldUid, step, timer, ui, deadline});
      await this.verifyMember(next, step);
      await this.settle(timer);
      timer.end();
      step.durationMs = deps.clock.now() - stepStart;
      ui.succeed(`${label} back as ${step.roleAfter ?? '?'} and in sync in ${formatDuration(step.durationMs)}${this.stepExtras(step)}`);
      this.current = undefined;
    } catch (e) {
      timer.end();
      step.durationMs = deps.clock.now() - stepStart;
      step.outcome = deps.signal?.aborted ? 'interrupted' : 'failed';
      step.error = errorMessage(e);
      ui.fail(`${label}: ${step.outcome} after ${formatDuration(step.durationMs)}`);
      if (!(e instanceof RollStop) && !deps.signal?.aborted) throw new RollStop(`${next.pod}: ${errorMessage(e)}`, next.pod);
      throw e;
    }
  }

  /** After a member is back and in sync: --settle before the next one (not after the last). */
  private async settle(timer: PhaseTimer): Promise<void> {
    const {req, deps} = this;
    if (!req.settleMs || (await this.remaining()).length === 0) return;
    timer.enter(`settle ${formatDuration(req.settleMs)}`);
    await deps.sleep(req.settleMs, deps.signal);
  }

  /**
   * After a member is back (on the target revision, serving and in sync): the
   * place for checks of the new member itself (e.g. the ZooKeeper version it
   * reports). Throw a RollStop to stop the roll at this member.
   */
  private async verifyMember(_next: PlannedMember, _step: MemberStep): Promise<void> {}

  /** A rolled member that runs a ZooKeeper too old to join stops the roll at once (it would never come back). */
  private checkVersion(row: MemberReport | undefined, image: string | undefined): void {
    const old = memberVersionProblem(row, image);
    if (old) throw new RollStop(old, row?.pod);
  }

  private stepExtras(step: MemberStep): string {
    const election = this.result.elections.find((x) => x.during === step.pod && x.expected);
    const extra = [
      step.revisionBefore && step.revisionAfter && step.revisionBefore !== step.revisionAfter ? `revision ${step.revisionBefore} → ${step.revisionAfter}` : '',
      step.imageBefore && step.imageAfter && step.imageBefore !== step.imageAfter ? `image ${step.imageAfter}` : '',
      election ? `election ${election.from ?? 'none'} → ${election.to} in ${formatDuration(election.ms)}` : '',
    ].filter(Boolean);
    return extra.length ? ` (${extra.join(', ')})` : '';
  }

  /** Polls until the member's new pod is back, serving and in sync (and, on the leader's turn, another leader was seen). */
  private async waitUntilBack(a: BackArgs): Promise<void> {
    const {req, deps} = this;
    const deletedAt = deps.clock.now();
    const wasLeader = a.r.quorum.leader === a.next.pod || a.next.why === 'leader';
    const watch = {newLeaderSeen: !wasLeader, deletedAt, wasLeader};
    a.timer.enter('wait for the new pod');
    await poll(
      async () => {
        if (!watch.newLeaderSeen) watch.newLeaderSeen = await this.watchElection(a, deletedAt);
        const why = await this.backAttempt(a, watch);
        return why === undefined ? {ok: true} : {why: `${a.timer.current}: ${why}`};
      },
      {
        clock: deps.clock,
        sleep: deps.sleep,
        signal: deps.signal,
        deadline: a.deadline,
        intervalMs: () => (watch.newLeaderSeen ? this.pollMs : (deps.electionPollMs ?? Math.min(this.pollMs, 100))),
        onWhy: (why) => a.ui.update(why),
        onTimeout: async (why) => {
          const latest = await deps.kube.get<PodLike>(this.podRef(a.next.pod)).catch(() => null);
          const problem = latest ? podProblem(latest) : null;
          const last = (await deps.status().catch(() => undefined))?.members.find((m) => m.pod === a.next.pod) ?? a.said;
          const served = last && isServing(last);
          return new RollStop(
            `${a.next.pod} did not come back within ${formatDuration(req.timeoutMs)} (${why})${problem ? `; pod: ${problemText(problem)}` : ''}${served ? '' : `; it never served as a ZooKeeper member${a.step.imageAfter ? ` on image ${a.step.imageAfter}` : ''} (${zkSaid(last)})`}`,
            a.next.pod,
            problem ? await crashDetails(deps.kube, req.namespace, problem) : [],
          );
        },
      },
    );
  }

  /** During the leader's turn: who leads now among the others (whoLeads, or the status probe). True once a new leader is seen. */
  private async watchElection(a: BackArgs, deletedAt: number): Promise<boolean> {
    const {deps} = this;
    const before = this.result.elections.length;
    let seen = false;
    if (deps.whoLeads && a.r.quorum.voters > 1) {
      const others = a.podsNow.map((x) => x.metadata.name).filter((x) => x !== a.next.pod);
      const w = await deps.whoLeads(others);
      this.observe({pod: w.leader, epoch: w.epoch}, a.next.pod, deletedAt, true);
    } else {
      const s = await deps.status();
      this.observeReport(s, a.next.pod, deletedAt, true);
      if (s.quorum.leader && s.quorum.leader !== a.next.pod) seen = true;
    }
    if (this.result.elections.length > before) {
      const el = this.result.elections.at(-1)!;
      a.ui.update(`new leader ${el.to}${el.epochAfter !== undefined ? ` (epoch ${el.epochAfter})` : ''} ${formatDuration(el.ms)} after the deletion`);
      seen = true;
    }
    return seen;
  }

  /** One look at the member's new pod: undefined when it is back, else why not. A pod that cannot come back stops the roll. */
  private async backAttempt(a: BackArgs, watch: {newLeaderSeen: boolean; deletedAt: number; wasLeader: boolean}): Promise<string | undefined> {
    const {req, deps} = this;
    const {next, step, timer} = a;
    const p = await deps.kube.get<PodLike>(this.podRef(next.pod));
    if (!p || (a.oldUid !== undefined && p.metadata.uid === a.oldUid) || p.metadata.deletionTimestamp) return p ? 'the old pod is terminating' : 'not recreated yet';
    const rev = revisionOf(p);
    if (this.target && rev && rev !== this.target) throw new RollStop(`${next.pod} came back on revision ${rev}, not ${this.target} (the template changed meanwhile?)`, next.pod);
    const image = imageOf(p);
    const want = templateOf(this.sts).image;
    if (want && image && image !== want) throw new RollStop(`${next.pod} came back with image ${image}, not ${want}`, next.pod);
    const problem = podProblem(p);
    if (problem && (problem.fatal || ROLL_STOPPERS.has(problem.reason))) {
      const exit = lastExit(p);
      throw new RollStop(`${next.pod} cannot start on revision ${this.target}${want ? ` (image ${want})` : ''}: ${problemText(problem)}`, next.pod, [
        ...(exit ? [exit] : []),
        ...(await crashDetails(deps.kube, req.namespace, problem)),
      ]);
    }
    step.revisionAfter = rev;
    step.imageAfter = image;
    if (!isReady(p)) {
      timer.enter('wait until it serves');
      if (req.action === 'upgrade' && problem?.reason === 'NotReady') {
        // its container runs a new image: ask its ZooKeeper which version it is (an old one never becomes Ready)
        a.said = (await deps.status()).members.find((m) => m.pod === next.pod);
        this.checkVersion(a.said, image);
      }
      return problem ? problemText(problem) : 'starting';
    }
    timer.enter('wait until it is in sync');
    const s = await deps.status();
    a.said = s.members.find((m) => m.pod === next.pod);
    this.checkVersion(a.said, image);
    this.observeReport(s, next.pod, watch.deletedAt, watch.wasLeader);
    // a new leader, or the same one re-elected (a new epoch: 2 voters, or it won again)
    if ((s.quorum.leader && s.quorum.leader !== next.pod) || this.result.elections.some((x) => x.during === next.pod)) watch.newLeaderSeen = true;
    const back = memberBack(s, next.pod);
    if (back.ok && (!watch.wasLeader || watch.newLeaderSeen || s.quorum.voters <= 1)) {
      step.roleAfter = s.members.find((m) => m.pod === next.pod)?.role;
      return undefined;
    }
    return back.ok ? 'waiting for a new leader' : back.why;
  }

  // ---- how a roll ends early

  /** Members not yet on the target revision. */
  private async remaining(): Promise<string[]> {
    const now = await this.pods().catch(() => [] as PodLike[]);
    return rollOrder(memberStates(now, {members: []}), this.target).pending.map((p) => p.pod);
  }

  /** result.stopped: where, why, what is left, the quorum now, how to resume (exit 4). */
  private async stopped(e: RollStop): Promise<RollResult> {
    const {req, result} = this;
    const left = await this.remaining();
    const q = await this.deps.status().catch(() => undefined);
    result.outcome = 'stopped';
    result.exitCode = ROLL_EXIT.stopped;
    const quorum = q
      ? q.quorum.has
        ? `the others keep a quorum (${q.quorum.servingVoters}/${q.quorum.voters} voters serving, leader ${q.quorum.leader ?? '?'})`
        : `NO QUORUM (${q.quorum.servingVoters}/${q.quorum.voters} voters serving)`
      : '';
    const rerun = req.template?.rerun ?? (req.action === 'upgrade' ? `kubectl zk upgrade ${req.name} -n ${req.namespace} …` : `kubectl zk restart ${req.name} -n ${req.namespace}`);
    const {from, to, changes} = result.template;
    const back = req.action === 'upgrade' && e.pod && changes.length > 0 ? `; to go back, ${goBackCommand(req, from, to)} replaces only the members on the new revision` : '';
    result.stopped = {
      ...(e.pod ? {pod: e.pod} : {}),
      reason: e.message,
      details: e.details,
      remaining: left,
      hint: `${left.length > 0 ? `${left.join(', ')} left untouched${quorum ? `; ${quorum}` : ''}. ` : quorum ? `${quorum}. ` : ''}Fix the cause and run ${rerun} again to resume (members on revision ${this.target ?? '?'} are skipped)${back}`,
    };
    if (q) {
      result.health = q.health;
      result.leaderAfter = q.quorum.leader;
    }
    return this.finish();
  }

  /** Ctrl-C: the error says where it stopped and how to resume (a Ctrl-C error is reported without its hint). */
  private async interrupted(e: unknown): Promise<CliError> {
    const {req, current} = this;
    const replacing = current?.deleted ? current.pod : undefined;
    const left = (await this.remaining()).filter((p) => p !== replacing);
    const where = current
      ? current.deleted
        ? `while ${current.pod} was being replaced (its pod was deleted; Kubernetes recreates it on revision ${this.target})`
        : `before ${current.pod} was touched`
      : 'between members';
    const doneNow = this.result.members.filter((m) => m.outcome === 'done').map((m) => m.pod);
    return new CliError(
      `${verb(req.action)} stopped ${where}; done: ${doneNow.join(', ') || 'none'}; not started: ${left.join(', ') || 'none'}; run the same command again to resume (${req.template?.rerun ?? `kubectl zk ${req.action} ${req.name} -n ${req.namespace}${req.action === 'upgrade' ? ' …' : ''}`}): members already on revision ${this.target} are skipped`,
      {cause: e},
    );
  }
}

interface BackArgs {
  next: PlannedMember;
  /** the report the member's turn started from */
  r: StatusReport;
  podsNow: PodLike[];
  oldUid?: string;
  step: MemberStep;
  timer: PhaseTimer;
  ui: ProgressStep;
  deadline: number;
  /** what the member's own ZooKeeper last said during its turn */
  said?: MemberReport;
}
