/**
 * znode commands and failover-test on the real cluster, through `kubectl zk …`.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, kubectl, kzk, modes, waitFor} from './lib/zk.js';

useCluster();

describe('e2e: znode and failover-test on a real cluster', function () {
  this.timeout(1_200_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-f');
    await createEnsemble(ns, 'zk', 3);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
  });

  it('znode create then get: a byte-exact round trip of binary data from stdin, over a native client', async () => {
    const data = Buffer.concat([Buffer.from(Array.from({length: 256}, (_, i) => i)), randomBytes(4096)]);
    const c = await kzk(['znode', 'create', '/bin', '-', '--ensemble', 'zk', '-n', ns], {input: data});
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), '/bin');
    const g = await kzk(['znode', 'get', '/bin', '-n', ns]); // the only ensemble in the namespace
    assert.equal(g.code, 0, g.stderr);
    assert.ok(g.stdoutBytes.equals(data), `got ${g.stdoutBytes.length} bytes, sent ${data.length}`);
    // and the servers agree, read through the JVM client inside a member
    const viaCli = await kubectl(['exec', '-n', ns, 'zk-1', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'stat', '/bin'], {timeoutMs: 60_000});
    assert.match(viaCli.stdout, new RegExp(`dataLength = ${data.length}`));
  });

  it('znode errors read like zkCli and exit non-zero; invalid paths are refused before connecting (exit 2)', async () => {
    const dup = await kzk(['znode', 'create', '/bin', 'x', '-n', ns]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^error: Node already exists: \/bin/m);
    const missing = await kzk(['znode', 'get', '/nope', '-n', ns]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Node does not exist: \/nope/m);
    const bad = await kzk(['znode', 'get', 'no-slash', '-n', ns]);
    assert.equal(bad.code, 2);
    const ls = await kzk(['znode', 'ls', '/', '-n', ns, '-o', 'json']);
    assert.ok(JSON.parse(ls.stdout).includes('bin'));
  });

  for (const mode of ['delete-pod', 'kill'] as const) {
    it(`failover-test --mode ${mode}: a new leader, no acknowledged write lost, healthy afterwards`, async () => {
      const r = await kzk(['failover-test', 'zk', '-n', ns, '--mode', mode, '--yes', '-o', 'json', '--timeout', '4m']);
      const report = JSON.parse(r.stdout);
      assert.equal(r.code, 0, `${r.stderr}\n${JSON.stringify(report.rounds?.[0]?.problems)}`);
      const round = report.rounds[0];
      assert.equal(round.outcome, 'pass');
      assert.ok(round.newLeader.pod, 'a new leader was observed');
      assert.notEqual(round.newLeader.pod, round.before.leader, 'the new leader is another member');
      assert.equal(round.figures.lost, 0);
      assert.ok(round.figures.acked > 0, 'the writer ran');
      console.log(
        `      [measure] ${mode}: election ${round.figures.electionMs} ms, unavailability ${round.figures.unavailabilityMs} ms, recovery ${round.figures.recoveryMs} ms, acked ${round.figures.acked}, failed ${round.figures.failed}, lost ${round.figures.lost}`,
      );
      await waitFor('status exit 0', async () => (await kzk(['status', 'zk', '-n', ns])).code === 0, {timeoutMs: 180_000, intervalMs: 2000});
    });
  }

  it('failover-test --rounds 3 prints min/median/max', async () => {
    const r = await kzk(['failover-test', 'zk', '-n', ns, '--rounds', '3', '--pause', '5s', '--yes', '-o', 'json', '--timeout', '4m'], {timeoutMs: 900_000});
    const report = JSON.parse(r.stdout);
    const problems = report.rounds.map((x: {round: number; outcome: string; problems: string[]}) => `round ${x.round}: ${x.outcome} ${x.problems.join('; ')}`);
    assert.equal(r.code, 0, `${r.stderr}\n${problems.join('\n')}`);
    assert.equal(report.rounds.length, 3);
    assert.ok(report.rounds.every((x: {figures: {lost: number}}) => x.figures.lost === 0));
    const e = report.summary.electionMs;
    assert.ok(e.min <= e.median && e.median <= e.max);
    console.log(`      [measure] 3 rounds delete-pod: election min/median/max ${e.min}/${e.median}/${e.max} ms; unavailability ${JSON.stringify(report.summary.unavailabilityMs)}`);
  });

  it('failover-test refuses an unhealthy ensemble (exit 13) and changes nothing', async () => {
    await waitFor('status exit 0', async () => (await kzk(['status', 'zk', '-n', ns])).code === 0, {timeoutMs: 180_000, intervalMs: 2000});
    const before = await modes(ns, 'zk', 3);
    const follower = `zk-${before.indexOf('follower')}`;
    await kubectl(['delete', 'pod', '-n', ns, follower, '--wait=false']);
    await waitFor('degraded', async () => (await kzk(['status', 'zk', '-n', ns])).code === 3, {timeoutMs: 60_000, intervalMs: 300});
    const r = await kzk(['failover-test', 'zk', '-n', ns, '--yes']);
    assert.equal(r.code, 13, r.stderr);
    assert.match(r.stderr, /^error: ensemble "zk" is not ready for a failover test: /m);
  });
});
