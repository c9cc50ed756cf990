/**
 * One failover round: marker and writer, who leads, the disruption, the watch
 * (failover/watch.ts), the read-back (failover/audit.ts), then cleanup and the
 * round's figures. Each step is a method; the fields are what they share.
 */
import {AbortedError, CliError, errorMessage} from '../../errors.js';
import {formatDuration} from '../../util/duration.js';
import {poll} from '../../util/poll.js';
import type {ProgressStep} from '../../util/progress.js';
import type {ZkClient} from '../../zk/client.js';
import type {Endpoint} from '../../zk/endpoint.js';
import {isZkError} from '../../zk/errors.js';
import {gatherStatus, type MemberReport, type StatusReport} from '../status.js';
import {audit} from './audit.js';
import {buildTimeline, figuresOf, firstAckAfter, longestAckGap, type Observed, type TimelineEvent} from './figures.js';
import {modeText} from './plan.js';
import {aborted, ensembleState, type FailoverDeps, type FailoverRequest, type FailoverRound, type StatusDepsLike, type Undo} from './types.js';
import {watchFailover} from './watch.js';
import {startWriter, type Writer, type WriteRecord} from './writer.js';

export async function runRound(n: number, req: FailoverRequest, deps: FailoverDeps, sdeps: StatusDepsLike, runPath: string): Promise<FailoverRound> {
  return new Round(n, req, deps, sdeps, runPath).run();
}

class Round {
  private readonly path: string;
  private readonly markerPath: string;
  private readonly writesDir: string;
  private readonly markerValue: string;
  private readonly tag: string;
  private readonly round: FailoverRound;
  private readonly observed: Observed[] = [];
  private endpoints = new Map<string, Endpoint>();
  private pods: string[] = [];
  private main!: ZkClient;
  private writer?: Writer;
  private writes: WriteRecord[] = [];
  /** ancestors of the round's path that this round created (removed again if empty) */
  private created: string[] = [];
  private disruptionAt?: number;
  private writerStoppedAt?: number;
  private last?: StatusReport;

  constructor(
    n: number,
    private readonly req: FailoverRequest,
    private readonly deps: FailoverDeps,
    private readonly sdeps: StatusDepsLike,
    runPath: string,
  ) {
    this.path = `${runPath}/round-${n}`;
    this.markerPath = `${this.path}/marker`;
    this.writesDir = `${this.path}/writes`;
    this.markerValue = `kubectl-zk failover-test ${req.runId} round ${n}`;
    this.tag = req.rounds > 1 ? `round ${n}: ` : '';
    this.round = {
      round: n,
      path: this.path,
      outcome: 'pass',
      problems: [],
      timeline: [],
      writes: {ratePerSec: req.writeRate, attempted: 0, acked: 0, failed: 0, failures: [], lost: []},
      polling: {intervalMs: req.pollMs, polls: 0, longestMs: 0},
      cleanup: {removed: false},
    };
  }

  private note(event: TimelineEvent, detail: string, at = this.deps.clock.now()): void {
    this.observed.push({event, at, detail});
  }

  async run(): Promise<FailoverRound> {
    const start = await gatherStatus(this.req, this.sdeps);
    this.pods = start.members.filter((m) => m.role !== 'no pod').map((m) => m.pod);
    for (const pod of this.pods) this.endpoints.set(pod, await this.deps.endpoint(this.req.namespace, pod));
    await this.connect();
    try {
      await this.body();
    } catch (e) {
      if (!(e instanceof AbortedError) && !aborted(this.deps)) throw e;
      if (this.round.outcome === 'pass') this.round.outcome = 'interrupted';
    } finally {
      await this.wrapUp();
    }
    return this.figures();
  }

  private async connect(): Promise<void> {
    const step = this.deps.progress.step(`${this.tag}writing the marker ${this.markerPath}`);
    try {
      this.main = await this.deps.connect([...this.endpoints.values()]);
    } catch (e) {
      step.fail();
      throw new CliError(`cannot open a ZooKeeper session to ensemble "${this.req.name}": ${errorMessage(e)}`);
    }
    this.markerStep = step;
  }

  private markerStep?: ProgressStep;

  /** 1. marker and writer, 2. who leads, 3. disrupt, 4. watch, 5. a write acknowledged after the disruption, 6. audit. */
  private async body(): Promise<void> {
    await this.writeMarker();
    if (aborted(this.deps)) throw new AbortedError();
    const now = await gatherStatus(this.req, this.sdeps);
    const leader = now.members.find((m) => m.role === 'leader');
    if (!leader) {
      this.round.outcome = 'precondition';
      this.round.problems.push('no member reports itself leader right before the disruption');
      this.last = now;
      return;
    }
    this.round.before = {leader: leader.pod, epoch: leader.epoch, members: now.members.map((m) => ({pod: m.pod, role: m.role}))};
    this.note('leader-identified', `${leader.pod} leads (epoch ${leader.epoch ?? '?'}, zxid ${leader.zxid ?? '?'})`);
    const disruptedAt = await this.disrupt(leader);
    await this.keepWriting(disruptedAt);
    await this.stopWriter();
    await this.auditRound();
  }

  private async writeMarker(): Promise<void> {
    const {req, deps} = this;
    for (const a of ancestorsOf(this.path)) if ((await this.main.exists(a)) === null) this.created.push(a);
    await this.main.create(this.markerPath, this.markerValue, {parents: true});
    if (req.writeRate > 0) await this.main.create(this.writesDir);
    this.markerStep?.succeed(`${this.tag}marker ${this.markerPath} written`);
    if (req.writeRate <= 0) return;
    const all = [...this.endpoints.values()];
    this.writer = (deps.startWriter ?? startWriter)({
      dir: this.writesDir,
      ratePerSec: req.writeRate,
      client: this.main,
      reconnect: () => deps.connect(all),
      clock: deps.clock,
      sleep: deps.sleep,
      onEvent: (detail, at) => this.note('writer-session', detail, at),
    });
    this.note('writer-started', `${req.writeRate} writes/s under ${this.writesDir}`);
    // a baseline of acknowledged writes before the disruption
    await deps.sleep(Math.min(2000, Math.max(200, 5 * (1000 / req.writeRate))), deps.signal).catch(() => undefined);
  }

  /** Disrupts the leader (or every pod) and watches the election and the recovery. Returns when it was disrupted. */
  private async disrupt(leader: MemberReport): Promise<number> {
    const {req, deps, round, tag} = this;
    let step = deps.progress.step(`${tag}${modeText(req.mode, leader.pod)}`);
    const disruptionAt = deps.clock.now();
    this.disruptionAt = disruptionAt;
    this.note('disruption-sent', modeText(req.mode, leader.pod), disruptionAt);
    const result = await deps.disruptor({
      namespace: req.namespace,
      name: req.name,
      mode: req.mode,
      leader: leader.pod,
      pods: this.pods,
      stopForMs: req.stopForMs,
      newLeaderSeen: () => this.observed.some((o) => o.event === 'new-leader' && o.at >= disruptionAt),
      signal: deps.signal,
    });
    const {undo, ...done} = result;
    round.disruption = {...done, time: new Date(disruptionAt).toISOString()};
    this.note('disruption-done', result.detail);
    if (undo) this.undoing = this.undoLater(undo);
    step.succeed(`${tag}${result.detail}`);

    step = deps.progress.step(`${tag}waiting for a new leader`);
    const targets = result.pods.length > 0 ? result.pods : [leader.pod];
    const note = (event: TimelineEvent, detail: string, at?: number) => this.note(event, detail, at);
    const w = await watchFailover({req, deps, sdeps: this.sdeps, t0: disruptionAt, oldLeader: leader.pod, oldEpoch: leader.epoch, targets, note, step, observed: this.observed});
    this.last = w.last;
    round.polling.polls = w.polls;
    round.polling.longestMs = w.longestMs;
    if (w.newLeader) round.newLeader = w.newLeader;
    if (w.outcome !== 'pass') {
      round.outcome = w.outcome;
      round.problems.push(w.why);
      step.fail(`${tag}${w.why}`);
    } else step.succeed(`${tag}recovered ${formatDuration(deps.clock.now() - disruptionAt)} after the disruption; new leader ${w.newLeader?.pod} (epoch ${w.newLeader?.epoch ?? '?'})`);
    return disruptionAt;
  }

  /** A disruption that ends (pause, partition): each step after its time, or at once on Ctrl-C/SIGTERM; a failure is a problem of the round. */
  private async undoLater(first: Undo): Promise<void> {
    const {deps, req} = this;
    for (let undo: Undo | undefined = first; undo; undo = undo.then) {
      await deps.sleep(undo.afterMs, deps.signal).catch(() => undefined);
      try {
        this.note('disruption-undone', await undo.run());
      } catch (e) {
        this.round.problems.push(`could not undo the disruption: ${errorMessage(e)}`);
        const fix =
          req.mode === 'partition'
            ? `the leader may still be cut off: kubectl delete networkpolicy ${req.name}-partition -n ${req.namespace}, then kubectl zk secure ${req.name} -n ${req.namespace}`
            : "the leader's JVM may still be stopped: kubectl exec … -- kill -CONT <pid>, or delete the pod";
        deps.progress.warn(`could not undo the disruption: ${errorMessage(e)} (${fix})`);
      }
    }
  }

  private undoing?: Promise<void>;

  /** Keeps writing until a write issued after the disruption is acknowledged (or the timeout). */
  private async keepWriting(disruptionAt: number): Promise<void> {
    const {req, deps, writer} = this;
    if (!writer || this.round.outcome !== 'pass') return;
    // ends at the ack, the timeout or Ctrl-C alike: what follows judges which
    await poll(async () => (firstAckAfter(writer.records(), disruptionAt) ? {ok: undefined} : {why: 'no write acknowledged since the disruption'}), {
      clock: deps.clock,
      sleep: deps.sleep,
      signal: deps.signal,
      intervalMs: Math.min(50, req.pollMs),
      deadline: disruptionAt + req.timeoutMs,
    }).catch(() => undefined);
  }

  private async stopWriter(timeoutMs?: number): Promise<void> {
    if (!this.writer || this.writerStoppedAt !== undefined) return;
    this.writes = timeoutMs === undefined ? await this.writer.stop() : await this.writer.stop(timeoutMs).catch(() => this.writes);
    this.writerStoppedAt = this.deps.clock.now();
    this.note('writer-stopped', `${this.writes.length} writes issued`, this.writerStoppedAt);
  }

  private async auditRound(): Promise<void> {
    const {req, deps, round, tag} = this;
    if (round.outcome === 'interrupted' || aborted(deps)) {
      if (round.outcome === 'pass') round.outcome = 'interrupted';
      return;
    }
    if (round.outcome === 'no-new-leader') {
      round.audit = {complete: false, barrier: false, members: [], lost: [], markerOk: false, committedUnacked: [], skipped: 'no leader: nothing can be read back consistently'};
      return;
    }
    const step = deps.progress.step(`${tag}reading the marker and every acknowledged write back from each member`);
    const writesDir = req.writeRate > 0 ? this.writesDir : undefined;
    round.audit = await audit({
      deps,
      req,
      endpoints: this.endpoints,
      client: this.writer?.client() ?? this.main,
      markerPath: this.markerPath,
      markerValue: this.markerValue,
      writesDir,
      barrierPath: `${this.path}/barrier`,
      writes: this.writes,
    });
    const a = round.audit;
    if (a.lost.length > 0 || !a.markerOk) {
      round.outcome = 'data-loss';
      if (a.lost.length > 0)
        round.problems.push(
          `${a.lost.length} acknowledged write(s) missing: ${a.lost
            .slice(0, 10)
            .map((w) => w.name)
            .join(', ')}${a.lost.length > 10 ? ', …' : ''}`,
        );
      for (const m of a.members) if (m.marker === 'wrong' || m.marker === 'missing') round.problems.push(`${m.pod}: marker ${m.marker}${m.markerValue !== undefined ? ` ("${m.markerValue}")` : ''}`);
      step.fail(`${tag}DATA LOSS: ${round.problems.join('; ')}`);
    } else if (!a.complete) {
      if (round.outcome === 'pass') round.outcome = 'not-recovered';
      if (a.barrierError !== undefined) round.problems.push(`the barrier write failed (${a.barrierError}): no member could be verified, and no loss is claimed`);
      for (const m of a.members) if (!m.reachable || !m.caughtUp || m.marker === 'unread') round.problems.push(`${m.pod}: could not be verified${m.error ? ` (${m.error})` : ''}`);
      step.fail(`${tag}verification incomplete`);
    } else {
      step.succeed(`${tag}every member has the marker and all ${this.writes.filter((x) => x.ackedAt !== undefined).length} acknowledged writes`);
    }
  }

  /** Always: the writer stopped, what we made removed (unless --keep-data), sessions closed, the state left behind. */
  private async wrapUp(): Promise<void> {
    const {req, deps, round} = this;
    await this.undoing;
    await this.stopWriter(2000);
    if (aborted(deps) && round.outcome === 'pass') round.outcome = 'interrupted'; // never masks what was found
    if (req.keepData) round.cleanup = {removed: false, kept: true};
    else await this.cleanup();
    const clients = [this.writer?.client(), this.main].filter((c, i, a): c is ZkClient => c !== undefined && a.indexOf(c) === i);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    if (round.outcome === 'interrupted') {
      // the state we leave the ensemble in
      this.last = (await withTimeout(deps, 10_000, 'status', gatherStatus(req, this.sdeps)).catch(() => undefined)) ?? this.last;
    }
  }

  /** The round's subtree, then parents we created if they are empty. */
  private async cleanup(): Promise<void> {
    const c = this.writer?.client() ?? this.main;
    try {
      await withTimeout(
        this.deps,
        20_000,
        'cleanup',
        (async () => {
          await c.deleteRecursive(this.path).catch((e: unknown) => {
            if (!isZkError(e, 'NoNode')) throw e;
          });
          const created = this.created.filter((a) => a !== this.path && a.length < this.path.length).reverse();
          for (const a of created) {
            await c.delete(a).catch((e: unknown) => {
              if (!isZkError(e, 'NoNode') && !isZkError(e, 'NotEmpty')) throw e;
            });
          }
        })(),
      );
      this.round.cleanup = {removed: true};
    } catch (e) {
      this.round.cleanup = {removed: false, error: errorMessage(e)};
      this.deps.progress.warn(`could not remove ${this.path}: ${errorMessage(e)} (remove it with: kubectl zk znode delete -r ${this.path})`);
    }
  }

  private figures(): FailoverRound {
    const {round, observed, writes, disruptionAt} = this;
    if (this.last) round.ensemble = ensembleState(this.last);
    if (disruptionAt !== undefined) {
      const lost = round.audit?.lost.length ?? 0;
      const committedUnacked = round.audit?.committedUnacked.length ?? 0;
      round.figures = figuresOf({disruptionAt, observed, writes, writerStoppedAt: this.writerStoppedAt, lost, committedUnacked});
      round.unavailability = longestAckGap(writes, disruptionAt, this.writerStoppedAt);
      round.timeline = buildTimeline(disruptionAt, observed, writes);
    } else {
      round.timeline = buildTimeline(observed[0]?.at ?? this.deps.clock.now(), observed, writes);
    }
    round.writes = {
      ratePerSec: this.req.writeRate,
      attempted: writes.length,
      acked: writes.filter((w) => w.ackedAt !== undefined).length,
      failed: writes.filter((w) => w.ackedAt === undefined).length,
      failures: writes.filter((w) => w.ackedAt === undefined),
      lost: round.audit?.lost ?? [],
    };
    return round;
  }
}

export async function withTimeout<T>(deps: FailoverDeps, ms: number, what: string, p: Promise<T>): Promise<T> {
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
