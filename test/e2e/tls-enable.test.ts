/**
 * `kubectl zk tls enable` on the real three-node cluster with the default
 * image: a plaintext ensemble made with `kubectl zk create`, a held session
 * and a writer through the plugin's port-forwards, a first run stopped by
 * --total-timeout during roll 1 and a second run that resumes it; at the end
 * every member accepts TLS only (status, asked of each member's conf), plain
 * connections are refused on the pod IPs and the Service, the plugin's
 * commands work over TLS; bad input changes nothing.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {apply, bystanderPod, clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, useCluster, waitForPod} from './lib/cluster.js';
import {createEnsemble, holdSession, kubectl, kubectlJson, kzk, plainFrom, waitFor, whenInSync} from './lib/zk.js';

useCluster();

const PODS = ['zk-0', 'zk-1', 'zk-2'];

async function statusJson(ns: string): Promise<any> {
  return waitFor(
    'zk healthy',
    async () => {
      const s = await kzk(['status', 'zk', '-n', ns, '-o', 'json']);
      if (s.code !== 0) throw new Error(`status ${s.code}: ${s.stdout.slice(0, 400)} ${s.stderr.slice(-400)}`);
      return JSON.parse(s.stdout);
    },
    {timeoutMs: 120_000, intervalMs: 2000},
  );
}

async function phaseOf(ns: string): Promise<string | undefined> {
  const cm = await kubectlJson<{metadata: {annotations?: Record<string, string>}}>(['get', 'configmap', 'zk-config', '-n', ns, '-o', 'json']);
  return cm.metadata.annotations?.['kubectl-zk/tls-enable'];
}

describe('e2e: tls enable moves a plaintext ensemble to TLS without downtime', function () {
  this.timeout(2_400_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('tls-enable');
    await createEnsemble(ns, 'zk', 3);
    await apply(bystanderPod('inside'), ns);
    await waitForPod(ns, 'inside');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
  });

  it('--dry-run lists the phases and changes nothing; before: every member accepts plain only', async () => {
    const d = await kzk(['tls', 'enable', 'zk', '-n', ns, '--dry-run']);
    assert.equal(d.code, 0, d.stderr);
    for (const p of ['certificates', 'quorum-unified', 'quorum-tls', 'clients-tls', 'done']) assert.match(d.stdout, new RegExp(`to do\\s+${p} `), d.stdout);
    assert.equal(await phaseOf(ns), undefined);
    const secrets = await kubectlJson<{items: {metadata: {name: string}}[]}>(['get', 'secrets', '-n', ns, '-o', 'json']);
    assert.ok(!secrets.items.some((s) => s.metadata.name.startsWith('zk-tls')), 'no Secret made');
    const report = await statusJson(ns);
    assert.deepEqual(
      report.members.map((m: any) => m.clients),
      ['plain', 'plain', 'plain'],
    );
    assert.equal((await plainFrom(ns, 'inside', 'zk', 2181)).connected, 'open');
  });

  it('under a writer and a held session: a run stopped during roll 1, then resumed to the end; nothing lost, the session kept', async () => {
    const held = await holdSession(ns, 'zk', PODS);
    const started = Date.now();
    const first = await kzk(['tls', 'enable', 'zk', '-n', ns, '--yes', '--total-timeout', '40s'], {timeoutMs: 300_000});
    console.log(`      [measure] first run stopped by --total-timeout 40s: exit ${first.code} after ${Date.now() - started} ms; recorded phase ${await phaseOf(ns)}`);
    assert.notEqual(first.code, 0, 'the first run is stopped part-way');
    assert.match(first.stderr, /timed out/);
    assert.equal(await phaseOf(ns), 'certificates', 'roll 1 was under way: the last phase reached is certificates');
    const mid = await statusJson(ns);
    assert.ok(
      mid.warnings.some((w: string) => /^tls enable is under way \(last phase reached: certificates\): kubectl zk tls enable zk/.test(w)),
      JSON.stringify(mid.warnings),
    );
    console.log(`      [measure] between the runs: ${mid.members.map((m: any) => `${m.pod} ${m.clients}`).join(', ')}`);
    const second = await kzk(['tls', 'enable', 'zk', '-n', ns, '--yes', '-o', 'json', '--timeout', '6m'], {timeoutMs: 1_800_000});
    assert.equal(second.code, 0, second.stderr.slice(-3000));
    const result = JSON.parse(second.stdout);
    assert.equal(result.outcome, 'done');
    assert.equal(result.resumedAfter, 'certificates');
    assert.deepEqual(
      result.phases.map((p: any) => p.state),
      ['done-before', 'done', 'done', 'done', 'done'],
    );
    assert.equal(await phaseOf(ns), 'done');
    const r = await held.finish();
    console.log(
      `      [measure] tls enable (resumed run ${result.durationMs} ms; rolls ${result.phases
        .filter((p: any) => p.roll)
        .map((p: any) => `${p.phase} ${p.roll.durationMs} ms`)
        .join(', ')}): writer ${r.acked} acked, ${r.failed} failed, ${r.lost.length} lost, longest gap ${r.longestGapMs} ms, session kept ${r.sessionKept}`,
    );
    assert.ok(r.acked > 0);
    assert.deepEqual(r.lost, []);
    assert.equal(r.sessionKept, true, `states ${r.states.join(',')}`);
  });

  it('at the end every member accepts TLS only: status per member, the quorum in TLS, plain refused', async () => {
    const report = await statusJson(ns);
    assert.deepEqual(
      report.members.map((m: any) => m.clients),
      ['tls', 'tls', 'tls'],
    );
    const human = await kzk(['status', 'zk', '-n', ns]);
    assert.match(human.stdout, /CLIENTS/);
    assert.equal(human.stdout.split('\n').filter((l) => /^zk-\d .* tls /.test(l)).length, 3, human.stdout);
    for (const pod of PODS) {
      const log = (await kubectl(['logs', '-n', ns, pod, '-c', 'zookeeper'])).stdout;
      assert.match(log, /Using TLS encrypted quorum communication/, pod);
      assert.match(log, /NettyServerCnxnFactory.* secure: false on addr \/127\.0\.0\.1:2181/, pod);
      const ip = (await kubectlJson<{status: {podIP: string}}>(['get', 'pod', pod, '-n', ns])).status.podIP;
      const self = await plainFrom(ns, pod, ip, 2181);
      assert.equal(self.connected, 'refused', `${pod}: its own pod IP refuses 2181 (the port is on loopback)`);
      const other = await plainFrom(ns, 'inside', ip, 2181);
      assert.notEqual(other.connected, 'open', `${pod} from a pod of the namespace`);
    }
    assert.notEqual((await plainFrom(ns, 'inside', 'zk', 2181)).connected, 'open', 'the Service has no plain port');
    assert.equal((await plainFrom(ns, 'inside', 'zk', 2281)).connected, 'open', 'the secure port is admitted');
    const cm = await kubectlJson<{data: Record<string, string>}>(['get', 'configmap', 'zk-config', '-n', ns, '-o', 'json']);
    assert.match(cm.data['zoo.cfg']!, /^sslQuorum=true$/m);
    assert.doesNotMatch(cm.data['zoo.cfg']!, /portUnification/);
    assert.deepEqual(
      Object.keys(cm.data).filter((k) => k.startsWith('zoo.cfg.tls-')),
      [],
    );
  });

  it('every plugin command works over TLS: znode, restart, backup, certificate', async () => {
    const c = await kzk(['znode', 'create', '/after-enable', 'tls', '-n', ns, '--verbose']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /portforward [^ ]+\/zk-\d:2281: stream open/);
    assert.equal((await kzk(['znode', 'get', '/after-enable', '-n', ns])).stdout, 'tls');
    const roll = await whenInSync(['restart', 'zk', '-n', ns, '--yes', '--timeout', '6m']);
    assert.equal(roll.code, 0, roll.stderr.slice(-2000));
    const dir = mkdtempSync(join(tmpdir(), 'kzk-tls-enable-'));
    try {
      const b = await kzk(['backup', 'zk', '-n', ns, '-f', join(dir, 'zk.snap'), '-o', 'json']);
      assert.equal(b.code, 0, b.stderr);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
    const cert = await kzk(['certificate', 'zk', '-n', ns, '--user', 'app', '-o', 'pem']);
    assert.equal(cert.code, 0, cert.stderr);
    assert.match(cert.stdout, /BEGIN CERTIFICATE/);
  });

  it('bad input: an ensemble with TLS already, an image older than 3.9: one error line, nothing changed', async () => {
    const before = (await kubectlJson<any>(['get', 'statefulset', 'zk', '-n', ns, '-o', 'json'])).metadata.resourceVersion;
    const again = await kzk(['tls', 'enable', 'zk', '-n', ns, '--yes']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: ensemble "zk" in namespace "[^"]+" already has TLS: nothing to do/m);
    assert.equal(again.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.equal((await kubectlJson<any>(['get', 'statefulset', 'zk', '-n', ns, '-o', 'json'])).metadata.resourceVersion, before);
    await createEnsemble(ns, 'old', 1, ['--image', clusterEnv()['KZK_ZK_IMAGE_38'] ?? 'zookeeper:3.8.7']);
    const old = await kzk(['tls', 'enable', 'old', '-n', ns, '--yes']);
    assert.equal(old.code, 2);
    assert.match(old.stderr, /^error: tls enable needs ZooKeeper 3\.9\.0 or newer; ensemble "old" runs \S+3\.8\.\d+/m);
    const secrets = await kubectlJson<{items: {metadata: {name: string}}[]}>(['get', 'secrets', '-n', ns, '-o', 'json']);
    assert.ok(!secrets.items.some((s) => s.metadata.name.startsWith('old-tls')));
    await kzk(['teardown', 'old', '-n', ns, '--yes', '--delete-data']);
  });
});
