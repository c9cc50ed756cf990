/**
 * failover-test's fault modes on the real cluster (issue 17 item 8): --mode
 * pause (SIGSTOP of the leader's JVM, SIGCONT after --stop-for) over two
 * rounds and --mode kill (SIGKILL of the JVM), each with the concurrent
 * writer: every round passes, no acknowledged write is lost, the time to a
 * new leader and to full sync are reported in -o json and in the human
 * output, and the stopped JVM was continued (it rejoined as a follower).
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, kubectl, kubectlJson, kzk, statusJson} from './lib/zk.js';

useCluster();

const NAME = 'zk';

describe('e2e: failover-test --mode pause and --mode kill', function () {
  this.timeout(2_400_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-modes');
    await createEnsemble(ns, NAME, 3);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', NAME, '-n', ns, '--yes', '--delete-data']).catch(() => undefined);
    await deleteNamespace(ns);
  });

  it('--mode pause, 2 rounds: the followers elect while the leader is stopped; it continues and rejoins; 0 writes lost; times reported', async () => {
    const r = await kzk(['failover-test', NAME, '-n', ns, '--mode', 'pause', '--stop-for', '30s', '--rounds', '2', '--pause', '5s', '--write-rate', '20', '--timeout', '3m', '--yes', '-o', 'json'], {
      timeoutMs: 900_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.mode, 'pause');
    assert.equal(report.rounds.length, 2);
    for (const round of report.rounds) {
      assert.equal(round.outcome, 'pass', JSON.stringify(round.problems));
      assert.match(round.disruption.detail, /^SIGSTOP to pid \d+ in zk-\d$/);
      assert.ok(
        round.timeline.some((e: any) => e.event === 'disruption-undone' && /^SIGCONT to pid \d+ in zk-\d$/.test(e.detail)),
        'continued',
      );
      assert.equal(round.writes.lost.length, 0);
      assert.ok(round.writes.acked > 0);
      assert.notEqual(round.newLeader.pod, round.before.leader, 'a follower took over while the leader was stopped');
      const f = round.figures;
      assert.ok(f.electionMs > 0 && f.syncedMs >= f.electionMs, `election ${f.electionMs} ms, synced ${f.syncedMs} ms`);
      // the new leader was seen while the old one was still stopped
      const undone = round.timeline.find((e: any) => e.event === 'disruption-undone').tMs;
      assert.ok(f.electionMs < undone, `election ${f.electionMs} ms before SIGCONT at ${undone} ms`);
      console.log(`      [measure] pause round ${round.round}: election ${f.electionMs} ms, synced ${f.syncedMs} ms, acked ${f.acked}, failed ${f.failed}, lost ${f.lost}`);
    }
    assert.equal((await statusJson(ns, NAME)).health, 'healthy');
  });

  it('--mode partition: NetworkPolicies cut the leader off; the followers elect; after its JVM continues it stays out until the heal; 0 writes lost; the policies are put back', async () => {
    const before = await kubectlJson<any>(['get', 'networkpolicy', NAME, '-n', ns, '-o', 'json']);
    const r = await kzk(['failover-test', NAME, '-n', ns, '--mode', 'partition', '--stop-for', '45s', '--write-rate', '20', '--timeout', '3m', '--yes', '-o', 'json'], {timeoutMs: 900_000});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    const round = report.rounds[0];
    assert.equal(round.outcome, 'pass', JSON.stringify(round.problems));
    assert.match(round.disruption.detail, /cut off by NetworkPolicy \(zk-partition; zk narrowed to the others\), and SIGSTOP to pid \d+ in zk-\d/);
    const undone = round.timeline.filter((e: any) => e.event === 'disruption-undone');
    assert.equal(undone.length, 2, JSON.stringify(round.timeline));
    assert.match(undone[0].detail, /^SIGCONT to pid \d+ in zk-\d: it runs, still cut off$/);
    assert.match(undone[1].detail, /^NetworkPolicy zk restored and zk-partition deleted/);
    assert.notEqual(round.newLeader.pod, round.before.leader);
    assert.equal(round.writes.lost.length, 0);
    assert.ok(round.writes.acked > 0);
    const f = round.figures;
    // the cut held: running again after SIGCONT (once another member led), the old leader joined the new one only after the policies were put back
    assert.ok(undone[0].tMs > f.electionMs, `SIGCONT at ${undone[0].tMs} ms, after the election at ${f.electionMs} ms`);
    const synced = round.timeline.find((e: any) => e.event === 'followers-synced');
    assert.ok(synced, JSON.stringify(round.timeline));
    assert.ok(synced.tMs > undone[1].tMs, `every follower (${round.before.leader} too) in sync at ${synced.tMs} ms; the heal was at ${undone[1].tMs} ms, SIGCONT at ${undone[0].tMs} ms`);
    assert.ok(!round.timeline.some((e: any) => e.event === 'writer-session' && /expired/.test(e.detail)), 'the writer session did not expire');
    console.log(
      `      [measure] partition: election ${f.electionMs} ms, SIGCONT ${undone[0].tMs} ms, heal ${undone[1].tMs} ms, all synced ${synced.tMs} ms, acked ${f.acked}, failed ${f.failed}, lost ${f.lost}`,
    );
    const after = await kubectlJson<any>(['get', 'networkpolicy', NAME, '-n', ns, '-o', 'json']);
    assert.deepEqual(after.spec, before.spec, 'the ensemble policy is as it was');
    const gone = await kubectl(['get', 'networkpolicy', `${NAME}-partition`, '-n', ns], {allowFail: true});
    assert.notEqual(gone.code, 0, 'zk-partition is deleted');
    assert.equal((await statusJson(ns, NAME)).health, 'healthy');
  });

  it('--mode kill: SIGKILL of the JVM (not PID 1); human output names the election and the sync times; 0 lost', async () => {
    const r = await kzk(['failover-test', NAME, '-n', ns, '--mode', 'kill', '--write-rate', '20', '--timeout', '3m', '--yes'], {timeoutMs: 900_000});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SIGKILL to pid \d+ in zk-\d/);
    assert.match(r.stdout, /Election:\s+\d/);
    assert.match(r.stdout, /Synced again:\s+\d/);
    assert.match(r.stdout, /Writes: .*acknowledged [1-9]\d*, .*, lost 0/);
  });
});
