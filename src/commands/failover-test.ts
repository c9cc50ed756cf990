import {randomBytes} from 'node:crypto';
import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {validateName} from '../manifests/options.js';
import type {FailoverMode, FailoverReport} from '../ops/failover/types.js';
import {renderFailover} from '../render/failover.js';
import {parseDuration} from '../util/duration.js';

/** "20250131-142501-3f9a1c": sortable, unique enough for concurrent runs. */
export function newRunId(now: number, random: string = randomBytes(3).toString('hex')): string {
  const iso = new Date(now).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${random}`;
}

export default class FailoverTest extends ZkCommand<FailoverReport> {
  static override summary = 'Disrupt the leader under write load; time the election and the recovery; prove no acknowledged write was lost.';
  static override description = `Refuses unless the ensemble is healthy (quorum, every member serving and Ready, followers synced) and has at least 3 voters (--force runs anyway); asks for confirmation on a terminal, scripts pass --yes. Writes a marker znode under --path/<run-id>, starts a writer (--write-rate creates per second through one session to all members; --no-load skips it) that records every write the servers acknowledged, asks the servers who leads and disrupts it: --mode delete-pod evicts its pod (the Eviction API; the StatefulSet recreates it), --mode kill kills the ZooKeeper JVM inside the container through exec (bash and /proc only; SIGKILL, as the pod shares its process namespace the JVM is not PID 1 — for a JVM that is PID 1 only SIGTERM works; the container restarts), --mode pause stops the JVM with SIGSTOP for --stop-for and then continues it with SIGCONT (the followers time out and elect; the old leader rejoins; Ctrl-C continues it at once), --mode partition cuts the leader off from the other members with NetworkPolicies for --stop-for (the ensemble's policy narrowed to the others, NAME-partition allowing the leader nothing; its JVM is stopped until the followers drop its existing connections, which policy agents keep, then it runs cut off), then puts the policies back (at once on Ctrl-C; needs an enforcing NetworkPolicy agent), --mode all-pods deletes every pod (the quorum is lost on purpose; needs --force). It polls the members every --poll and timestamps leader loss, the new leader (and its epoch), the first acknowledged write after the disruption, the disrupted member serving again and full health. Then it reads the marker and the writes back from each member alone, after that member has applied a barrier write: every acknowledged write must be there (failed writes count as unavailability, not loss). Prints a timeline and the figures (election time, longest gap between acknowledged writes, time to full recovery, writes acknowledged/failed/lost); --rounds N repeats after --pause and adds min/median/max. Removes its znodes unless --keep-data. Ctrl-C stops the writer, reports the ensemble's state and cleans up what it can.
Exit codes: 0 pass; 10 data loss (an acknowledged write or the marker missing or wrong on a member); 11 no new leader within --timeout; 12 not fully recovered within --timeout (or a member could not be read back); 13 precondition failed (not healthy, fewer than 3 voters); 1 interrupted or error; 2 usage (also: no terminal and no --yes).`;
  static override examples = [
    '<%= config.bin %> failover-test zk',
    '<%= config.bin %> failover-test zk --mode delete-pod --yes -o json',
    '<%= config.bin %> failover-test zk --mode kill --rounds 5 --pause 1m --yes',
    '<%= config.bin %> failover-test zk --write-rate 50 --poll 50ms --timeout 2m',
    '<%= config.bin %> failover-test zk --mode all-pods --force --yes',
  ];
  static override args = {
    name: Args.string({required: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    mode: Flags.string({
      summary:
        "How to disrupt: delete-pod (evict the leader's pod), kill (SIGKILL the leader's ZooKeeper JVM), pause (SIGSTOP it for --stop-for, then SIGCONT), partition (NetworkPolicies cut the leader off from the other members for --stop-for; needs an enforcing policy agent), all-pods (every pod; needs --force).",
      options: ['delete-pod', 'kill', 'pause', 'partition', 'all-pods'],
      default: 'delete-pod',
    }),
    'stop-for': Flags.string({
      summary:
        "With --mode pause: how long the leader's JVM stays stopped (longer than syncLimit × tickTime, so that the followers give up on it); with --mode partition: how long the leader stays cut off.",
      default: '30s',
    }),
    rounds: Flags.integer({summary: 'How many times to run the test (stops at the first round that fails).', default: 1, min: 1}),
    pause: Flags.string({summary: 'Pause between rounds.', default: '30s'}),
    poll: Flags.string({summary: 'How often to ask the members who leads while waiting.', default: '100ms'}),
    timeout: Flags.string({summary: 'Limit for a new leader, and for full recovery, each from the disruption.', default: '5m'}),
    'write-rate': Flags.integer({summary: 'Writes per second during the test.', default: 20, min: 1}),
    load: Flags.boolean({summary: 'Write during the test (--no-load: only the marker).', default: true, allowNo: true}),
    path: Flags.string({summary: 'Znode under which each run makes its <run-id> directory.', default: '/kubectl-zk/failover'}),
    'keep-data': Flags.boolean({summary: 'Keep the marker and the written znodes.'}),
    force: Flags.boolean({summary: 'Run although the ensemble is not healthy or has fewer than 3 voters; required for --mode all-pods.'}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
  };

  protected override lockTarget(args: Record<string, unknown>, _flags: Record<string, unknown>): string | undefined {
    return String(args.name);
  }

  async execute(rt: Runtime): Promise<FailoverReport> {
    const {args, flags} = await this.parse(FailoverTest);
    validateName(args.name);
    const req = {
      name: args.name,
      mode: flags.mode as FailoverMode,
      stopForMs: parseDuration(flags['stop-for'], '--stop-for'),
      rounds: flags.rounds,
      pauseMs: parseDuration(flags.pause, '--pause'),
      pollMs: parseDuration(flags.poll, '--poll'),
      timeoutMs: parseDuration(flags.timeout, '--timeout'),
      writeRate: flags.load ? flags['write-rate'] : 0,
      force: flags.force,
      keepData: flags['keep-data'],
      basePath: flags.path,
      runId: newRunId(rt.clock.now()),
    };
    const [{runFailoverTest}, {kubeDisruptor}, {validateFailoverRequest}, {ensembleProbe}, {connectZk}] = await Promise.all([
      import('../ops/failover.js'),
      import('../ops/failover/disrupt.js'),
      import('../ops/failover/types.js'),
      import('../ops/ensemble/probe.js'),
      import('../zk/client.js'),
    ]);
    validateFailoverRequest({...req, namespace: ''}); // usage errors before the cluster is contacted
    const kube = await rt.kube();
    const probe = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
    try {
      return await runFailoverTest(
        {...req, namespace: kube.namespace},
        {
          kube,
          clock: rt.clock,
          sleep: rt.sleep,
          progress: rt.progress,
          signal: rt.signal,
          endpoint: probe.deps.endpoint,
          connect: (endpoints, o = {}) =>
            connectZk({endpoints, sessionTimeoutMs: 10_000, connectTimeoutMs: o.connectTimeoutMs ?? 15_000, operationTimeoutMs: o.operationTimeoutMs ?? 10_000, spinDelayMs: 100, log: rt.debug}),
          disruptor: kubeDisruptor(kube, {clock: rt.clock, sleep: rt.sleep}),
          confirm: (q) => rt.confirm(q),
          probeTimeoutMs: probe.deps.timeoutMs,
        },
      );
    } finally {
      await probe.close();
    }
  }

  override render(result: FailoverReport, rt: Runtime): string {
    return renderFailover(result, rt.paint);
  }

  override exitCodeFor(result: FailoverReport): number {
    return result.exitCode;
  }
}
