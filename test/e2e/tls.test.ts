/**
 * create --tls on the real three-node cluster, with the default image: the
 * quorum runs in TLS, every command reaches the members in TLS (status, znode,
 * scale 3 → 5 → 3 and restart under a held session and a writer), a pod of the
 * namespace gets nothing from the plain port and no ZooKeeper answer in plain
 * TCP on the secure one; bad input changes nothing.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {apply, clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, portForward, useCluster, waitForPod, bystanderPod} from './lib/cluster.js';
import {createEnsemble, holdSession, kubectl, kubectlJson, kzk, plainFrom, waitFor, whenInSync} from './lib/zk.js';
import {createStrangerSecret, javaClient, zkCliTls} from './lib/tls-clients.js';

useCluster();

/** `status -o json` once it says healthy (exit 0), within 2 min: a member just added may still be syncing on a loaded machine. */
async function healthy(ns: string, name: string): Promise<any> {
  return waitFor(
    `${name} healthy`,
    async () => {
      const s = await kzk(['status', name, '-n', ns, '-o', 'json']);
      const report = JSON.parse(s.stdout);
      if (s.code !== 0) throw new Error(`status ${s.code}: ${report.health} ${JSON.stringify(report.warnings)} ${JSON.stringify(report.errors)}`);
      return report;
    },
    {timeoutMs: 120_000, intervalMs: 2000},
  );
}

describe('e2e: create --tls and every command over TLS on a real cluster', function () {
  this.timeout(2_400_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('tls-e2e');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
  });

  it('create --tls: serves on 2281 only, the quorum in TLS, the plugin sets the ACLs over TLS', async () => {
    const started = Date.now();
    const r = await createEnsemble(ns, 'zk', 3, ['--tls', '--spread', 'preferred']); // scaled to 5 on three nodes
    console.log(`      [measure] kubectl zk create --tls (3 members) → quorum in ${Date.now() - started} ms`);
    assert.match(r.stdout, /connect: zk\.tls-e2e[^.]*\.svc\.cluster\.local:2281/);
    assert.match(r.stderr, /ACLs set: \/ world:anyone:cdrw/);
    const secrets = await kubectlJson<{items: {metadata: {name: string}}[]}>(['get', 'secrets', '-n', ns, '-o', 'json']);
    const names = secrets.items.map((s) => s.metadata.name);
    for (const n of ['zk-tls', 'zk-tls-ca', 'zk-tls-client']) assert.ok(names.includes(n), n);
    for (const pod of ['zk-0', 'zk-1', 'zk-2']) {
      const log = (await kubectl(['logs', '-n', ns, pod, '-c', 'zookeeper'])).stdout;
      assert.match(log, /Using TLS encrypted quorum communication/, pod);
      assert.match(log, /NettyServerCnxnFactory.* secure: true on addr 0\.0\.0\.0\/0\.0\.0\.0:2281/, pod);
      assert.match(log, /NettyServerCnxnFactory.* secure: false on addr \/127\.0\.0\.1:2181/, pod);
    }
  });

  it('status and znode create/get go through TLS (the verbose log names the secure port and the client Secret)', async () => {
    const report = await healthy(ns, 'zk');
    assert.equal(report.quorum.voters, 3);
    assert.deepEqual(report.security.clientsFrom, ['same-namespace'], 'status reads the secure-port rule');
    const c = await kzk(['znode', 'create', '/tls-e2e', 'over-tls', '-n', ns, '--verbose']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /get secrets [^ ]+\/zk-tls-client ok/);
    assert.match(c.stderr, /portforward [^ ]+\/zk-\d:2281: stream open/);
    assert.doesNotMatch(c.stderr, /:2181: stream open/);
    const g = await kzk(['znode', 'get', '/tls-e2e', '-n', ns]);
    assert.equal(g.stdout, 'over-tls'); // the data as stored, no newline added when stdout is not a terminal
  });

  it('a pod of the namespace: the plain port is closed, plain TCP on the secure port gets no ZooKeeper answer', async () => {
    await apply(bystanderPod('inside'), ns);
    await waitForPod(ns, 'inside');
    const ip = (await kubectlJson<{status: {podIP: string}}>(['get', 'pod', 'zk-0', '-n', ns])).status.podIP;
    const plainPort = await plainFrom(ns, 'inside', ip, 2181);
    assert.notEqual(plainPort.connected, 'open', 'the plain client port on the pod IP');
    assert.doesNotMatch(plainPort.answer, /Zookeeper version|Mode:/);
    const viaService = await plainFrom(ns, 'inside', 'zk', 2181);
    assert.notEqual(viaService.connected, 'open', 'the client Service has no plain port');
    const secure = await plainFrom(ns, 'inside', ip, 2281);
    assert.equal(secure.connected, 'open', 'the NetworkPolicy admits the secure port from the namespace');
    assert.doesNotMatch(secure.answer, /Zookeeper version|Mode:/, 'plain bytes on the TLS port get no answer');
    console.log(`      [measure] bystander: ${ip}:2181 ${plainPort.connected}, zk:2181 ${viaService.connected}, ${ip}:2281 ${secure.connected} with no ZooKeeper answer in plain TCP`);
  });

  it('scale 3 → 5 → 3 and restart, under a held TLS session and a writer: nothing lost, the session kept', async () => {
    const held = await holdSession(ns, 'zk', ['zk-0', 'zk-1', 'zk-2']);
    const up = await kzk(['scale', 'zk', '-n', ns, '--replicas', '5', '--yes', '--timeout', '4m']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /issued zk-3's certificate \(Secret zk-tls\)/);
    assert.equal((await healthy(ns, 'zk')).quorum.voters, 5);
    const log = (await kubectl(['logs', '-n', ns, 'zk-4', '-c', 'zookeeper'])).stdout;
    assert.match(log, /Using TLS encrypted quorum communication/);
    const down = await kzk(['scale', 'zk', '-n', ns, '--replicas', '3', '--yes', '--timeout', '4m']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await healthy(ns, 'zk')).quorum.voters, 3);
    const roll = await whenInSync(['restart', 'zk', '-n', ns, '--yes', '--timeout', '6m']);
    assert.equal(roll.code, 0, roll.stderr);
    await healthy(ns, 'zk');
    const r = await held.finish();
    console.log(
      `      [measure] TLS writer through scale 3→5→3 and restart: ${r.acked} acked, ${r.failed} failed, ${r.lost.length} lost, longest gap ${r.longestGapMs} ms, session kept ${r.sessionKept}`,
    );
    assert.ok(r.acked > 0);
    assert.deepEqual(r.lost, []);
    assert.equal(r.sessionKept, true, `states ${r.states.join(',')}`);
  });

  it('failover-test (kill the leader, a writer, every write audited on each member) and backup run over TLS', async () => {
    const f = await whenInSync(['failover-test', 'zk', '-n', ns, '--mode', 'kill', '--write-rate', '20', '--timeout', '3m', '--yes', '-o', 'json']);
    assert.equal(f.code, 0, f.stderr);
    const result = JSON.parse(f.stdout);
    assert.equal(result.outcome, 'pass');
    const audit = result.rounds[0].audit;
    assert.equal(audit.complete, true);
    assert.deepEqual(audit.lost, []);
    assert.ok(
      audit.members.every((m: any) => m.reachable && m.marker === 'ok'),
      JSON.stringify(audit.members),
    );
    console.log(`      [measure] failover-test --mode kill over TLS: outcome ${result.outcome}, ${audit.members.length} members audited, ${audit.lost.length} lost`);
    const dir = mkdtempSync(join(tmpdir(), 'kzk-tls-backup-'));
    try {
      const b = await kzk(['backup', 'zk', '-n', ns, '-f', join(dir, 'zk.snap'), '-o', 'json']);
      assert.equal(b.code, 0, b.stderr);
      const backup = JSON.parse(b.stdout);
      assert.ok(backup.znodes > 0, b.stdout);
      console.log(`      [measure] backup over TLS: ${backup.size} bytes, ${backup.znodes} znodes, zxid ${backup.lastZxid} from ${backup.member}`);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('certificate --user: a Java client (zkCli.sh) in a pod of the namespace connects with it; with a certificate from another CA it is refused', async () => {
    const made = await kzk(['certificate', 'zk', '-n', ns, '--user', 'billing']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /Secret zk-client-billing \(kubernetes\.io\/tls/);
    const stranger = await createStrangerSecret(ns);
    await apply(javaClient('java-ok', 'zk-client-billing'), ns);
    await apply(javaClient('java-stranger', stranger), ns);
    await Promise.all([waitForPod(ns, 'java-ok'), waitForPod(ns, 'java-stranger')]);
    const ok = await zkCliTls(ns, 'java-ok', 'create /from-java over-tls', 'get /from-java');
    assert.match(ok, /Created \/from-java/, ok.slice(-2000));
    assert.match(ok, /^over-tls$/m);
    const refused = await zkCliTls(ns, 'java-stranger', 'create /from-stranger x');
    assert.doesNotMatch(refused, /Created \/from-stranger/);
    const check = await kzk(['znode', 'stat', '/from-stranger', '-n', ns]);
    assert.notEqual(check.code, 0, 'the stranger wrote nothing');
  });

  it('certificate -o pem: the Node example (docs/examples/node-tls-client.js) connects through a port-forward, verifying the Service name', async () => {
    const pem = await kzk(['certificate', 'zk', '-n', ns, '--user', 'node-app', '-o', 'pem']);
    assert.equal(pem.code, 0, pem.stderr);
    const dir = mkdtempSync(join(tmpdir(), 'kzk-tls-'));
    writeFileSync(join(dir, 'client.pem'), pem.stdout, {mode: 0o600});
    const example = resolve(import.meta.dirname, '../../docs/examples/node-tls-client.js');
    // kubectl port-forward may exit once a forwarded connection fails: one per run
    const run = async (serverName: string, timeout: number) => {
      const pf = await portForward(ns, 'svc/zk', 2281);
      try {
        return spawnSync(process.execPath, [example, join(dir, 'client.pem'), serverName, String(pf.localPort), '127.0.0.1'], {encoding: 'utf8', timeout});
      } finally {
        pf.close();
      }
    };
    try {
      const ok = await run(`zk.${ns}.svc`, 60_000);
      assert.equal(ok.stdout, 'hello over TLS\n', ok.stderr);
      const wrongName = await run('zk.elsewhere.svc', 15_000);
      assert.match(wrongName.stderr, /tls: Hostname\/IP does not match certificate's altnames/);
      assert.notEqual(wrongName.stdout, 'hello over TLS\n');
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('bad input: --tls on a ZooKeeper 3.8 image, certificate on an ensemble without TLS: one error line, nothing made', async () => {
    const r = await kzk(['create', 'old', '-n', ns, '--tls', '--image', clusterEnv()['KZK_ZK_IMAGE_38'] ?? 'zookeeper:3.8.7']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --tls needs ZooKeeper 3\.9\.0 or newer; image \S+ is 3\.8\.\d+ \(use --image zookeeper:3\.9/m);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    const left = await kubectlJson<{items: unknown[]}>(['get', 'all,secrets,configmaps', '-n', ns, '-l', 'app.kubernetes.io/instance=old', '-o', 'json']);
    assert.equal(left.items.length, 0);
    await createEnsemble(ns, 'plain', 1);
    const before = (await kubectlJson<{items: unknown[]}>(['get', 'secrets', '-n', ns, '-o', 'json'])).items.length;
    const cert = await kzk(['certificate', 'plain', '-n', ns, '--user', 'x']);
    assert.equal(cert.code, 1);
    assert.match(cert.stderr, /^error: ensemble "plain" in namespace "[^"]+" has no TLS \(no Secret plain-tls-ca\)/);
    assert.equal(cert.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.equal((await kubectlJson<{items: unknown[]}>(['get', 'secrets', '-n', ns, '-o', 'json'])).items.length, before);
    await kzk(['teardown', 'plain', '-n', ns, '--yes', '--delete-data']);
  });
});
