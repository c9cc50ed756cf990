/**
 * kubectl zk scale on the real cluster: membership changes by dynamic
 * reconfiguration, with a session held open and a writer running through every
 * sequence.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, kubectlJson, useCluster} from './lib/cluster.js';
import {createEnsemble, fourLetter, holdSession, kzk} from './lib/zk.js';

useCluster();

async function scale(ns: string, name: string, args: string[]): Promise<any> {
  const started = Date.now();
  const r = await kzk(['scale', name, '-n', ns, '--yes', '-o', 'json', '--timeout', '4m', ...args]);
  assert.equal(r.code, 0, `scale ${args.join(' ')}: ${r.stderr}`);
  const result = JSON.parse(r.stdout);
  console.log(
    `      [measure] scale ${result.from.voters}+${result.from.observers} → ${result.to.voters}+${result.to.observers}: ${Date.now() - started} ms; steps ${result.steps.map((s: any) => `${s.action} ${s.pod} ${s.durationMs}ms`).join(', ')}`,
  );
  return result;
}

async function healthy(ns: string, name: string): Promise<any> {
  const s = await kzk(['status', name, '-n', ns, '-o', 'json']);
  const report = JSON.parse(s.stdout);
  assert.equal(s.code, 0, `status not healthy: ${report.health} ${JSON.stringify(report.warnings)} ${JSON.stringify(report.errors)}`);
  return report;
}

async function restarts(ns: string, name: string): Promise<number> {
  const pods = await kubectlJson<{items: {status: {containerStatuses?: {restartCount: number}[]}}[]}>(['get', 'pods', '-n', ns, '-l', `app.kubernetes.io/instance=${name}`, '-o', 'json']);
  return pods.items.reduce((n, p) => n + (p.status.containerStatuses ?? []).reduce((m, c) => m + c.restartCount, 0), 0);
}

describe('e2e: kubectl zk scale on a real cluster', function () {
  this.timeout(2_400_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-s');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    await kzk(['teardown', 'one', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
  });

  it('3 → 5 → 3 keeps the session and every acknowledged write; existing members never restart', async () => {
    // 5 members on the three-node bed share nodes: spreading preferred (auto would require one per node and refuse 5)
    await createEnsemble(ns, 'zk', 3, ['--spread', 'preferred']);
    const held = await holdSession(ns, 'zk', ['zk-0', 'zk-1', 'zk-2']);
    const up = await scale(ns, 'zk', ['--replicas', '5']);
    assert.deepEqual(
      up.to.members.map((m: any) => m.id),
      [1, 2, 3, 4, 5],
    );
    const r5 = await healthy(ns, 'zk');
    assert.equal(r5.quorum.voters, 5);
    assert.deepEqual(r5.members.map((m: any) => m.role).sort(), ['follower', 'follower', 'follower', 'follower', 'leader']);
    await scale(ns, 'zk', ['--replicas', '3']);
    const r3 = await healthy(ns, 'zk');
    assert.equal(r3.quorum.voters, 3);
    assert.deepEqual(
      r3.config.members.map((m: any) => m.id),
      [1, 2, 3],
    );
    const w = await held.finish();
    assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
    assert.deepEqual(w.lost, []);
    assert.ok(w.acked > 0);
    console.log(`      [measure] 3→5→3: ${w.acked} writes acked, ${w.failed} failed, longest gap ${w.longestGapMs} ms`);
    assert.equal(await restarts(ns, 'zk'), 0, 'no member restarted or crash-looped');
    const pvcs = await kubectlJson<{items: {metadata: {name: string}}[]}>(['get', 'pvc', '-n', ns, '-l', 'app.kubernetes.io/instance=zk', '-o', 'json']);
    assert.deepEqual(pvcs.items.map((p) => p.metadata.name).sort(), ['data-zk-0', 'data-zk-1', 'data-zk-2'], 'volumes of removed members are deleted by default');
  });

  it('a scale-down that removes the current leader hands leadership off', async () => {
    // make zk-2 (the member a 3 → 2 removes) the leader: delete the leader's pod until zk-2 leads
    for (let i = 0; i < 6; i++) {
      const s = await healthy(ns, 'zk');
      if (s.quorum.leader === 'zk-2') break;
      await kzk(['failover-test', 'zk', '-n', ns, '--yes', '--no-load', '--timeout', '3m']);
    }
    const before = await healthy(ns, 'zk');
    const held = await holdSession(ns, 'zk', ['zk-0', 'zk-1']);
    await scale(ns, 'zk', ['--replicas', '2']);
    const after = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout);
    assert.equal(after.quorum.voters, 2);
    assert.ok(['zk-0', 'zk-1'].includes(after.quorum.leader), `leader after: ${after.quorum.leader}`);
    if (before.quorum.leader === 'zk-2') console.log('      [measure] the removed member was the leader');
    await scale(ns, 'zk', ['--replicas', '3']);
    await healthy(ns, 'zk');
    const w = await held.finish();
    assert.ok(w.sessionKept);
    assert.deepEqual(w.lost, []);
    console.log(`      [measure] leader removal 3→2→3: longest gap ${w.longestGapMs} ms, ${w.failed} writes failed`);
  });

  it('--observers 2 then 0: observers serve and do not vote', async () => {
    const held = await holdSession(ns, 'zk', ['zk-0', 'zk-1', 'zk-2']);
    await scale(ns, 'zk', ['--replicas', '3', '--observers', '2']);
    const s = await healthy(ns, 'zk');
    assert.equal(s.quorum.voters, 3);
    assert.deepEqual(
      s.config.members.filter((m: any) => m.role === 'observer').map((m: any) => m.id),
      [4, 5],
    );
    assert.match(await fourLetter(ns, 'zk-3', 'srvr'), /^Mode: observer$/m);
    await scale(ns, 'zk', ['--replicas', '3', '--observers', '0']);
    const s2 = await healthy(ns, 'zk');
    assert.equal(s2.config.members.length, 3);
    const w = await held.finish();
    assert.ok(w.sessionKept);
    assert.deepEqual(w.lost, []);
  });

  it('3 → 1 → 3 with --keep-volumes and then with volumes deleted: no "myid not in peer list", no crash loop', async () => {
    const held = await holdSession(ns, 'zk', ['zk-0']);
    await scale(ns, 'zk', ['--replicas', '1', '--keep-volumes']);
    const pvcs = await kubectlJson<{items: unknown[]}>(['get', 'pvc', '-n', ns, '-l', 'app.kubernetes.io/instance=zk', '-o', 'json']);
    assert.equal(pvcs.items.length, 3, 'volumes kept');
    await scale(ns, 'zk', ['--replicas', '3', '--keep-volumes']);
    await healthy(ns, 'zk');
    await scale(ns, 'zk', ['--replicas', '1']);
    await scale(ns, 'zk', ['--replicas', '3']);
    await healthy(ns, 'zk');
    const w = await held.finish();
    assert.ok(w.sessionKept, `session: ${w.states.join(',')}`);
    assert.deepEqual(w.lost, []);
    const logs = await kzk(['status', 'zk', '-n', ns, '-o', 'json']);
    assert.equal(JSON.parse(logs.stdout).health, 'healthy');
  });

  it('1 → 3 → 1 (where other tools lose data) keeps every write', async () => {
    await createEnsemble(ns, 'one', 1);
    const held = await holdSession(ns, 'one', ['one-0']);
    await scale(ns, 'one', ['--replicas', '3']);
    const s = await healthy(ns, 'one');
    assert.equal(s.quorum.voters, 3);
    await scale(ns, 'one', ['--replicas', '1']);
    await healthy(ns, 'one');
    const w = await held.finish();
    assert.ok(w.sessionKept);
    assert.deepEqual(w.lost, []);
    console.log(`      [measure] 1→3→1: ${w.acked} acked, ${w.failed} failed, longest gap ${w.longestGapMs} ms`);
  });

  it('guards: same size is a no-op (exit 0); 0 and 256 are usage errors (exit 2)', async () => {
    const same = await kzk(['scale', 'one', '-n', ns, '--replicas', '1', '--yes']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal((await kzk(['scale', 'one', '-n', ns, '--replicas', '0', '--yes'])).code, 2);
    assert.equal((await kzk(['scale', 'one', '-n', ns, '--replicas', '256', '--yes'])).code, 2);
    const missing = await kzk(['scale', 'nope', '-n', ns, '--replicas', '3', '--yes']);
    assert.equal(missing.code, 1);
  });
});
