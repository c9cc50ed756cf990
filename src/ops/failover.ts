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
import {statusDeps} from './ensemble/probe.js';
import {summarizeRounds} from './failover/figures.js';
import {modeText, preconditionProblems} from './failover/plan.js';
import {runRound} from './failover/round.js';
import {settleSyncGap} from './wait.js';
import {
  aborted,
  ensembleState,
  exitCodeOfOutcome,
  FAILOVER_EXIT,
  type FailoverDeps,
  type FailoverReport,
  type FailoverRequest,
  type FailoverRound,
  validateFailoverRequest,
  worstOutcome,
} from './failover/types.js';
import {gatherStatus, type StatusReport} from './status.js';

/**
 * Runs the failover test: preconditions (throws CliError exit 13 unless
 * --force), confirmation, then `rounds` rounds with a pause between them.
 * Stops after the first round that does not pass. Never throws for what the
 * test finds: the report carries the outcome and exit code.
 */
export async function runFailoverTest(req: FailoverRequest, deps: FailoverDeps): Promise<FailoverReport> {
  validateFailoverRequest(req);
  // one gate for every poll of the run: the members are polled at --poll through an election
  const sdeps = statusDeps({kube: deps.kube, clock: deps.clock, endpoint: deps.endpoint, requestTimeoutMs: deps.probeTimeoutMs});
  const runPath = `${req.basePath}/${req.runId}`;

  const check = deps.progress.step(`checking ensemble ${req.name}`);
  let pre: StatusReport;
  try {
    pre = await settleSyncGap(await gatherStatus(req, sdeps), () => gatherStatus(req, sdeps), deps);
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
      const refused = await recheck(n, req, deps, sdeps, runPath);
      if (refused) {
        report.rounds.push(refused);
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

/** Before a later round: the preconditions again; a round that may not run (unless --force) is returned as such. */
async function recheck(n: number, req: FailoverRequest, deps: FailoverDeps, sdeps: ReturnType<typeof statusDeps>, runPath: string): Promise<FailoverRound | undefined> {
  const read = () => gatherStatus(req, sdeps);
  const again = await read()
    .then((r) => settleSyncGap(r, read, deps))
    .catch((e: unknown) => e);
  const p = again instanceof Error ? [errorMessage(again)] : preconditionProblems(again as StatusReport);
  if (p.length === 0 || req.force) return undefined;
  return {
    round: n,
    path: `${runPath}/round-${n}`,
    outcome: 'precondition',
    problems: p,
    timeline: [],
    writes: {ratePerSec: req.writeRate, attempted: 0, acked: 0, failed: 0, failures: [], lost: []},
    polling: {intervalMs: req.pollMs, polls: 0, longestMs: 0},
    ensemble: again instanceof Error ? undefined : ensembleState(again as StatusReport),
    cleanup: {removed: false},
  };
}
