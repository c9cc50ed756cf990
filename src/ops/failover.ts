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
import {AbortedError, CliError, errorMessage} from '../errors.js';
import {formatDuration} from '../util/duration.js';
import type {ZkClient} from '../zk/client.js';
import type {Endpoint} from '../zk/endpoint.js';
import {isZkError} from '../zk/errors.js';
import {statusDeps} from './ensemble/probe.js';
import {audit} from './failover/audit.js';
import {buildTimeline, figuresOf, firstAckAfter, longestAckGap, type Observed, summarizeRounds, type TimelineEvent} from './failover/figures.js';
import {modeText, preconditionProblems} from './failover/plan.js';
import {aborted, ensembleState, exitCodeOfOutcome, FAILOVER_EXIT, type FailoverDeps, type FailoverReport, type FailoverRequest, type FailoverRound, type StatusDepsLike, validateFailoverRequest, worstOutcome} from './failover/types.js';
import {watchFailover} from './failover/watch.js';
import {startWriter, type Writer, type WriteRecord} from './failover/writer.js';
import {gatherStatus, type StatusReport} from './status.js';

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
