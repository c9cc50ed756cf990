/**
 * `kubectl zk failover-test` against a REAL 3-server ZooKeeper ensemble on
 * loopback: the leader's JVM is really killed (SIGKILL) and restarted after a
 * delay, as the kubelet would; the writer, the membership watch and the
 * per-member audit talk to the real servers. Only the Kubernetes side
 * (StatefulSet, pods) is the in-memory API.
 */
import assert from 'node:assert/strict';
import {runFailoverTest} from '../../src/ops/failover.js';
import type {TimelineEvent} from '../../src/ops/failover/figures.js';
import type {Disruptor, FailoverDeps, FailoverReport, FailoverRequest, FailoverRound} from '../../src/ops/failover/types.js';
import {startWriter} from '../../src/ops/failover/writer.js';
import {renderFailover} from '../../src/render/failover.js';
import {noPaint} from '../../src/util/progress.js';
import {realSleep, systemClock} from '../../src/util/time.js';
import {connectZk} from '../../src/zk/client.js';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {startEnsemble, type Ensemble, type ZkServer} from './lib/ensemble.js';

const idOf = (pod: string) => Number(pod.split('-')[1]) + 1;

describe('integration: failover-test against a real ensemble', function () {
  this.timeout(180_000);
  let ens: Ensemble;
  let kube: FakeKube;
  const restarts: Promise<void>[] = [];

  before(async () => {
    ens = await startEnsemble({size: 3});
    kube = new FakeKube('ns');
    await seedEnsemble(kube, 'zk', 'ns', 3);
  });
  after(async () => {
    await Promise.allSettled(restarts);
    await ens?.stopAll();
  });

  async function allBack(): Promise<void> {
    await Promise.allSettled(restarts);
    for (const s of ens.servers) if (!s.running) await s.start();
    await ens.waitForQuorum({timeoutMs: 60_000});
  }
  afterEach(allBack);

  /** When the killed servers' processes were seen gone, and when each was started again (systemClock, the op's clock). */
  interface Downtime {
    exited: number[];
    starting: number[];
  }

  /** SIGKILL the given servers' JVMs, start them again after `delayMs` (the kubelet's restart). */
  function killAndRestart(servers: ZkServer[], delayMs: number, down?: Downtime): string {
    const pids = servers.map((s) => s.pid);
    for (const s of servers) s.kill('SIGKILL');
    for (const s of servers) {
      restarts.push(
        (async () => {
          await s.exited();
          down?.exited.push(systemClock.now());
          await realSleep(delayMs);
          down?.starting.push(systemClock.now());
          await s.start();
        })(),
      );
    }
    return `SIGKILL to pid ${pids.join(', ')}`;
  }

  /** The test disruptor: kill the leader's process (or every one for all-pods), restart after a delay. */
  const killLeader =
    (delayMs = 1500, down?: Downtime): Disruptor =>
    async (t) => {
      const pods = t.mode === 'all-pods' ? t.pods : [t.leader];
      const detail = killAndRestart(
        pods.map((p) => ens.server(idOf(p))),
        delayMs,
        down,
      );
      return {pods, detail: `${detail} (${pods.join(', ')})`};
    };

  function deps(over: Partial<FailoverDeps> = {}): FailoverDeps & {progress: ReturnType<typeof recordingProgress>} {
    return {
      kube,
      clock: systemClock,
      sleep: realSleep,
      progress: recordingProgress(),
      endpoint: async (_ns, pod) => ens.server(idOf(pod)).endpoint,
      connect: (endpoints, o = {}) =>
        connectZk({endpoints, sessionTimeoutMs: 10_000, connectTimeoutMs: o.connectTimeoutMs ?? 15_000, operationTimeoutMs: o.operationTimeoutMs ?? 10_000, spinDelayMs: 100}),
      disruptor: killLeader(),
      confirm: async () => true,
      probeTimeoutMs: 1000,
      ...over,
    } as FailoverDeps & {progress: ReturnType<typeof recordingProgress>};
  }

  let runs = 0;
  const request = (over: Partial<FailoverRequest> = {}): FailoverRequest => ({
    name: 'zk',
    namespace: 'ns',
    mode: 'delete-pod',
    rounds: 1,
    pauseMs: 1000,
    pollMs: 50,
    timeoutMs: 60_000,
    writeRate: 40,
    force: false,
    keepData: false,
    basePath: '/kubectl-zk/failover',
    runId: `it-${Date.now()}-${++runs}`,
    ...over,
  });

  const at = (r: FailoverRound, e: TimelineEvent) => r.timeline.find((x) => x.event === e)?.tMs;

  function assertConsistentRound(r: FailoverRound): void {
    const t = r.timeline.map((x) => x.tMs);
    for (let i = 1; i < t.length; i++) assert.ok(t[i]! >= t[i - 1]!, `timeline not monotonic: ${JSON.stringify(r.timeline)}`);
    const sent = at(r, 'disruption-sent')!;
    const lost = at(r, 'leader-lost')!;
    const elected = at(r, 'new-leader')!;
    const back = at(r, 'member-back')!;
    const synced = at(r, 'followers-synced')!;
    const recovered = at(r, 'recovered')!;
    assert.equal(sent, 0);
    for (const [name, v] of Object.entries({lost, elected, back, synced, recovered})) assert.equal(typeof v, 'number', `${name} missing from ${JSON.stringify(r.timeline)}`);
    assert.ok(sent <= lost && lost <= elected && elected <= synced && back <= synced && synced <= recovered, JSON.stringify(r.timeline));
    const f = r.figures!;
    assert.ok(f.electionMs! > 0 && f.electionMs! <= f.recoveryMs!, JSON.stringify(f));
    assert.ok(f.leaderLossMs! <= f.electionMs!);
    assert.ok(r.newLeader && r.before);
    assert.ok(r.newLeader.epoch! > r.before.epoch!, `epoch ${r.before.epoch} → ${r.newLeader.epoch}`);
  }

  function measure(label: string, r: FailoverRound): void {
    const f = r.figures!;
    console.log(
      `      [measure] ${label}: leader ${r.before?.leader} → ${r.newLeader?.pod}, leader loss seen ${f.leaderLossMs} ms, election ${f.electionMs} ms, first ack ${f.firstAckMs} ms, unavailability ${f.unavailabilityMs} ms, member back ${f.memberBackMs} ms, synced ${f.syncedMs} ms, recovery ${f.recoveryMs} ms; writes acked ${f.acked}, failed ${f.failed}, lost ${f.lost}, committed-unacked ${f.committedUnacked}; ${r.polling.polls} polls, longest ${r.polling.longestMs} ms`,
    );
  }

  async function runPathGone(report: FailoverReport): Promise<void> {
    const c = await connectZk({endpoints: ens.endpoints});
    try {
      assert.equal(await c.exists(report.path), null, `${report.path} left behind`);
      assert.equal(await c.exists('/kubectl-zk'), null, '/kubectl-zk was created by the test and must be removed');
    } finally {
      await c.close();
    }
  }

  it('kill -9 of the real leader: a different leader with a newer epoch, every acknowledged write on every member, consistent timeline, cleaned up', async () => {
    const oldLeader = await ens.leader();
    const d = deps();
    const report = await runFailoverTest(request(), d);
    const r = report.rounds[0]!;
    assert.equal(report.outcome, 'pass', `${JSON.stringify(r.problems)}\n${renderFailover(report, noPaint)}`);
    assert.equal(report.exitCode, 0);
    assert.equal(r.before?.leader, `zk-${oldLeader.id - 1}`);
    assert.notEqual(r.newLeader?.pod, r.before?.leader);
    assertConsistentRound(r);
    const a = r.audit!;
    assert.equal(a.complete, true);
    assert.equal(a.barrier, true);
    assert.deepEqual(
      a.members.map((m) => m.pod),
      ['zk-0', 'zk-1', 'zk-2'],
    );
    for (const m of a.members) {
      assert.equal(m.marker, 'ok', m.pod);
      assert.equal(m.caughtUp, true, m.pod);
      assert.deepEqual(m.missing, [], m.pod);
      assert.ok(m.present! >= r.figures!.acked, `${m.pod} has ${m.present} of ${r.figures!.acked}`);
    }
    assert.equal(r.figures!.lost, 0);
    assert.ok(r.figures!.acked > 20, `acked ${r.figures!.acked}`);
    assert.ok(r.figures!.unavailabilityMs! > 0);
    assert.equal(r.cleanup.removed, true);
    await runPathGone(report);
    const text = renderFailover(report, noPaint);
    assert.match(text, /^Outcome: PASS \(exit 0\)$/m);
    assert.match(text, /disruption-sent/);
    assert.match(text, /Election: +\d/);
    measure('kill -9 leader', r);
  });

  it('--rounds 2: two passing rounds and min/median/max per figure', async () => {
    const report = await runFailoverTest(request({rounds: 2, pauseMs: 500}), deps());
    assert.equal(report.outcome, 'pass', renderFailover(report, noPaint));
    assert.equal(report.rounds.length, 2);
    for (const r of report.rounds) assertConsistentRound(r);
    const e = report.summary.electionMs!;
    assert.equal(e.n, 2);
    assert.ok(e.min <= e.median && e.median <= e.max);
    assert.equal(e.median, (report.rounds[0]!.figures!.electionMs! + report.rounds[1]!.figures!.electionMs!) / 2);
    assert.equal(report.summary.lost?.max, 0);
    const text = renderFailover(report, noPaint);
    assert.match(text, /^FIGURE\s+MIN\s+MEDIAN\s+MAX\s+ROUNDS$/m);
    assert.match(text, /^election \(new leader seen\)\s+\S+\s+\S+\s+\S+\s+2\/2$/m);
    for (const [i, r] of report.rounds.entries()) measure(`round ${i + 1}/2`, r);
    await runPathGone(report);
  });

  it('--no-load --keep-data: only the marker, read back from every member, and left in place', async () => {
    const report = await runFailoverTest(request({writeRate: 0, keepData: true}), deps());
    const r = report.rounds[0]!;
    assert.equal(report.outcome, 'pass', renderFailover(report, noPaint));
    assert.deepEqual(r.writes, {ratePerSec: 0, attempted: 0, acked: 0, failed: 0, failures: [], lost: []});
    assert.equal(r.figures!.unavailabilityMs, undefined);
    assert.ok(r.audit!.members.every((m) => m.marker === 'ok' && m.present === undefined));
    assert.deepEqual(r.cleanup, {removed: false, kept: true});
    assert.match(renderFailover(report, noPaint), /Writes: +none \(--no-load\)/);
    const c = await connectZk({endpoints: ens.endpoints});
    try {
      assert.equal((await c.get(`${r.path}/marker`)).data.toString(), `kubectl-zk failover-test ${report.runId} round 1`);
      await c.deleteRecursive('/kubectl-zk');
    } finally {
      await c.close();
    }
  });

  it('a LYING writer log (an "acknowledged" write that never happened) makes the audit fail: data loss, exit 10', async () => {
    const lie = 'w-9999999999';
    const report = await runFailoverTest(
      request(),
      deps({
        startWriter: (o) => {
          const w = startWriter(o);
          return {
            ...w,
            async stop(grace) {
              const recs = await w.stop(grace);
              const t = recs.at(-1)?.ackedAt ?? Date.now();
              return [...recs, {seq: 9_999_999_999, name: lie, startedAt: t, ackedAt: t}];
            },
          };
        },
      }),
    );
    const r = report.rounds[0]!;
    assert.equal(report.outcome, 'data-loss');
    assert.equal(report.exitCode, 10);
    assert.deepEqual(
      r.writes.lost.map((w) => w.name),
      [lie],
      'exactly the invented write is lost; every real one is present',
    );
    for (const m of r.audit!.members) assert.deepEqual(m.missing, [lie]);
    assert.equal(r.figures!.lost, 1);
    const text = renderFailover(report, noPaint);
    assert.match(text, /ACKNOWLEDGED BUT LOST \(1\):/);
    assert.match(text, new RegExp(`^    ${lie}  issued `, 'm'));
    assert.match(text, /^Outcome: FAIL: DATA LOSS \(exit 10\)$/m);
    await runPathGone(report);
  });

  it('all-pods (every process killed, restarted 1.5 s later): quorum lost and regained, acknowledged writes survive, failed ones are only unavailability', async () => {
    const down: Downtime = {exited: [], starting: []};
    const report = await runFailoverTest(request({mode: 'all-pods', force: true}), deps({disruptor: killLeader(1500, down)}));
    const r = report.rounds[0]!;
    assert.equal(report.outcome, 'pass', renderFailover(report, noPaint));
    assert.deepEqual(r.disruption?.pods, ['zk-0', 'zk-1', 'zk-2']);
    assert.ok(at(r, 'leader-lost')! <= at(r, 'new-leader')!);
    assert.ok(r.newLeader!.epoch! > r.before!.epoch!);
    // Whether a write fails depends on whether one was in flight at the kill: a write issued while
    // disconnected waits for the reconnect and is acknowledged late. Either way the outage shows as a
    // gap between acknowledgements, and no failure is counted as lost.
    assert.equal(r.writes.acked + r.writes.failed, r.writes.attempted, 'every write is acknowledged or failed');
    assert.ok(r.writes.acked > 0);
    // the outage against the downtime measured here (no absolute figure): the longest gap between acknowledgements
    // ends only after a member was started again, and is at least as long as every process was down
    const gap = r.unavailability!;
    const disruptedAt = Date.parse(r.disruption!.time);
    const allDown = {from: Math.max(...down.exited), to: Math.min(...down.starting)};
    assert.equal(down.exited.length, 3, 'every process was seen gone');
    assert.ok(disruptedAt + gap.toMs >= allDown.to, `gap ${JSON.stringify(gap)} ended before the first restart (${allDown.to - disruptedAt} ms after the disruption)`);
    assert.ok(gap.ms >= allDown.to - allDown.from, `gap ${gap.ms} ms shorter than the ${allDown.to - allDown.from} ms when every process was down`);
    assert.equal(r.figures!.unavailabilityMs, gap.ms);
    assert.equal(r.figures!.lost, 0);
    measure('all-pods', r);
  });

  it('no new leader within --timeout (two of three killed, back only later): exit 11, nothing verified, cleaned up once they return', async () => {
    const disruptor: Disruptor = async (t) => {
      const leader = ens.server(idOf(t.leader));
      const other = ens.servers.find((s) => s !== leader)!;
      return {pods: [t.leader], detail: killAndRestart([leader, other], 4000)};
    };
    const report = await runFailoverTest(request({timeoutMs: 2500}), deps({disruptor}));
    const r = report.rounds[0]!;
    assert.equal(report.outcome, 'no-new-leader', renderFailover(report, noPaint));
    assert.equal(report.exitCode, 11);
    assert.equal(r.newLeader, undefined);
    assert.match(r.audit!.skipped!, /no leader/);
    assert.match(r.problems.join(), /no new leader within 2\.50s/);
    assert.ok(r.ensemble && r.ensemble.leader === undefined);
    assert.equal(r.cleanup.removed, true, `cleanup: ${r.cleanup.error}`);
    assert.match(renderFailover(report, noPaint), /^Outcome: FAIL: no new leader \(exit 11\)$/m);
  });

  it('Ctrl-C after the disruption: the writer stops, the ensemble state is reported, the znodes are removed, exit 1', async () => {
    const abort = new AbortController();
    const base = killLeader(3000);
    const report = await runFailoverTest(
      request(),
      deps({
        signal: abort.signal,
        disruptor: async (t) => {
          const res = await base(t);
          setTimeout(() => abort.abort(new Error('interrupted')), 300);
          return res;
        },
      }),
    );
    const r = report.rounds[0]!;
    assert.equal(report.outcome, 'interrupted');
    assert.equal(report.exitCode, 1);
    assert.equal(r.audit, undefined);
    assert.ok(r.ensemble, 'the state of the ensemble is reported');
    assert.ok(r.timeline.some((e) => e.event === 'writer-stopped'));
    await allBack();
    await runPathGone(report);
    assert.match(renderFailover(report, noPaint), /Ensemble now:/);
  });
});
