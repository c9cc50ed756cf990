/**
 * rotate-certs on the real three-node cluster, default image, under a held
 * TLS session and a writer (an application: its identity is swapped during
 * the two-CA period as docs/tls.md tells applications to): renew, then --ca,
 * then --finish. Checked per stage: what each member serves (fingerprint,
 * through a port-forward with Node's TLS), 0 acknowledged writes lost, the
 * session never expired; after --finish a client certificate from the old CA
 * and an old member certificate no longer connect. Bad input changes nothing.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster, clusterEnv} from './lib/cluster.js';
import {createEnsemble, holdSession, kubectl, kubectlJson, kzk} from './lib/zk.js';

useCluster();

type Identity = {ca: string; cert: string; key: string};

async function secretData(ns: string, name: string): Promise<Record<string, string>> {
  const s = await kubectlJson<{data: Record<string, string>}>(['get', 'secret', name, '-n', ns, '-o', 'json']);
  return Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * rotate-certs refuses (exit 3, nothing changed) while the leader does not count its followers in
 * sync, as restart does; on a loaded machine that happens for a while after create or a roll
 * (test/e2e/tls.test.ts retries likewise): run again until accepted, within 3 min.
 */
async function whenInSync(args: string[], timeoutMs: number): Promise<Awaited<ReturnType<typeof kzk>>> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await kzk(args, {timeoutMs});
    if (!(r.code === 3 && /followers in sync|syncs pending/.test(r.stderr)) || Date.now() > deadline) return r;
    console.log(`      [note] refused, followers not in sync yet: ${r.stderr.trim()}`);
    await new Promise((res) => setTimeout(res, 5000));
  }
}

describe('e2e: rotate-certs (renew, --ca, --finish) under a writer and a held session', function () {
  this.timeout(2_400_000);
  let ns: string;
  let kube: any;
  let app: Identity;
  const opened: {close(): Promise<void>}[] = [];
  let held: Awaited<ReturnType<typeof holdSession>>;
  const pods = ['rc-0', 'rc-1', 'rc-2'];
  let served: (pod: string, id: Identity) => Promise<{fingerprint256?: string; answered: boolean; error?: string}>;

  before(async () => {
    ns = await createNamespace('rotate-e2e');
    const [{resolveKubeConfig}, {KubeClient}] = await Promise.all([import('../../src/kube/config.js'), import('../../src/kube/client.js')]);
    kube = new KubeClient(resolveKubeConfig({namespace: ns}, {...process.env, KUBECONFIG: clusterEnv().KUBECONFIG}));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    for (const o of opened) await o.close().catch(() => undefined);
    await kube?.close();
    await kzk(['teardown', 'rc', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
  });

  it('bad input: an ensemble without TLS is refused (exit 3) and nothing changes; --finish without --ca refused', async () => {
    await createEnsemble(ns, 'plain', 1, []);
    const before = (await kubectl(['get', 'secrets,statefulsets', '-n', ns, '-o', 'name'])).stdout;
    const r = await kzk(['rotate-certs', 'plain', '-n', ns, '--yes']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: ensemble "plain" in namespace "[^"]+" has no TLS \(no Secret plain-tls\): nothing to rotate/m);
    assert.equal((await kubectl(['get', 'secrets,statefulsets', '-n', ns, '-o', 'name'])).stdout, before);
    const u = await kzk(['rotate-certs', 'plain', '-n', ns, '--ca', '--finish']);
    assert.equal(u.code, 2, u.stderr);
    await kzk(['teardown', 'plain', '-n', ns, '--yes', '--delete-data']);
  });

  it('create --tls, --dry-run prints the plan and redacted Secrets, changes nothing', async () => {
    await createEnsemble(ns, 'rc', 3, ['--tls']);
    const [{servedCertificate}, {tlsClientEndpoint}, {memberServerName}, {PORTS}] = await Promise.all([
      import('../../src/tls/served.js'),
      import('../../src/tls/endpoint.js'),
      import('../../src/tls/ensemble.js'),
      import('../../src/manifests/names.js'),
    ]);
    served = async (pod, id) => {
      const f = await kube.portForward(ns, pod, PORTS.secureClient);
      try {
        return await servedCertificate(f, id, memberServerName('rc', ns, pod));
      } finally {
        await f.close();
      }
    };
    const c = await secretData(ns, 'rc-tls-client');
    app = {ca: c['ca.crt']!, cert: c['tls.crt']!, key: c['tls.key']!};
    // the application: one TLS endpoint per member that reads `app` at every new connection
    const eps = [];
    for (const pod of pods) {
      const f = await kube.portForward(ns, pod, PORTS.secureClient);
      const e = await tlsClientEndpoint(f, app, memberServerName('rc', ns, pod));
      opened.push(e, f);
      eps.push({host: e.host, port: e.port});
    }
    held = await holdSession(ns, 'rc', pods, 100, {endpoints: eps});
    const before = await secretData(ns, 'rc-tls');
    const d = await kzk(['rotate-certs', 'rc', '-n', ns, '--dry-run']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /1\. new-member-certificates/);
    assert.match(d.stdout, /rc-0\.pem: <redacted>/);
    assert.doesNotMatch(d.stdout, /BEGIN/);
    assert.deepEqual(await secretData(ns, 'rc-tls'), before);
  });

  it('renew: every member serves a new certificate from the same CA, the writer loses nothing', async () => {
    const was = await Promise.all(pods.map((p) => served(p, app)));
    const t0 = Date.now();
    const r = await whenInSync(['rotate-certs', 'rc', '-n', ns, '--yes', '-o', 'json'], 1_200_000);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    const stage = res.stages[0];
    console.log(
      `      [measure] rotate-certs (renew): ${Date.now() - t0} ms; kubelet sync → new certificate served by every member ${stage.syncMs ?? 'not within the limit'} ms; roll ${stage.roll.durationMs} ms`,
    );
    const secret = await secretData(ns, 'rc-tls');
    const {X509Certificate} = await import('node:crypto');
    for (const [i, pod] of pods.entries()) {
      const now = await served(pod, app);
      const want = new X509Certificate(secret[`${pod}.pem`]!.slice(secret[`${pod}.pem`]!.indexOf('-----BEGIN CERTIFICATE'))).fingerprint256;
      assert.notEqual(now.fingerprint256, was[i]!.fingerprint256, pod);
      assert.equal(now.fingerprint256, want, pod);
      assert.equal(now.answered, true);
    }
  });

  it('--ca, then --finish: two-CA period; afterwards old-CA client and member certificates no longer connect; writer and session intact', async () => {
    const oldMember = (await secretData(ns, 'rc-tls'))['rc-0.pem']!;
    const oldPlugin = {...app};
    const t0 = Date.now();
    const a = await whenInSync(['rotate-certs', 'rc', '-n', ns, '--ca', '--yes', '-o', 'json'], 1_200_000);
    assert.equal(a.code, 0, a.stderr);
    const ra = JSON.parse(a.stdout);
    console.log(`      [measure] rotate-certs --ca: ${Date.now() - t0} ms; roll ${ra.stages[0].roll.durationMs} ms`);
    assert.ok(ra.stages[0].members.every((m: any) => m.accepts === true));
    assert.match(ra.next, /--finish/);
    // the application takes the new trust bundle and a certificate from the new CA
    const c = await secretData(ns, 'rc-tls-client');
    const pem = await kzk(['certificate', 'rc', '-n', ns, '--user', 'app', '-o', 'pem']);
    assert.equal(pem.code, 0, pem.stderr);
    const certs = pem.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!;
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(pem.stdout)![0];
    Object.assign(app, {ca: c['ca.crt']!, cert: certs[0]!, key});
    assert.equal((await served('rc-1', app)).answered, true, 'a certificate from the new CA is accepted in the two-CA period');
    const again = await kzk(['rotate-certs', 'rc', '-n', ns, '--ca', '--yes']);
    assert.equal(again.code, 3, 'a second --ca during the period is refused');
    const t1 = Date.now();
    const f = await whenInSync(['rotate-certs', 'rc', '-n', ns, '--finish', '--yes', '-o', 'json'], 1_800_000);
    assert.equal(f.code, 0, f.stderr);
    const rf = JSON.parse(f.stdout);
    console.log(`      [measure] rotate-certs --finish: ${Date.now() - t1} ms; stages ${rf.stages.map((s: any) => `${s.name} sync ${s.syncMs ?? 'n/a'} ms roll ${s.roll.durationMs} ms`).join('; ')}`);
    assert.ok(rf.stages[1].members.every((m: any) => m.refuses === true && m.accepts === true));
    app.ca = (await secretData(ns, 'rc-tls-client'))['ca.crt']!;
    for (const pod of pods) {
      const old = await served(pod, {ca: app.ca, cert: oldPlugin.cert, key: oldPlugin.key});
      assert.equal(old.answered, false, `${pod}: the old-CA client certificate is refused`);
      const oldM = await served(pod, {ca: app.ca, cert: oldMember.slice(oldMember.indexOf('-----BEGIN CERTIFICATE')), key: oldMember.slice(0, oldMember.indexOf('-----BEGIN CERTIFICATE'))});
      assert.equal(oldM.answered, false, `${pod}: the old member certificate is refused`);
      assert.equal((await served(pod, app)).answered, true, `${pod}: the new-CA application certificate is accepted`);
    }
    const w = await held.finish();
    console.log(`      [measure] writer through renew, --ca, --finish: ${w.acked} acked, ${w.failed} failed, ${w.lost.length} lost, longest gap ${w.longestGapMs} ms, session kept ${w.sessionKept}`);
    assert.ok(w.acked > 0);
    assert.deepEqual(w.lost, []);
    assert.equal(w.sessionKept, true, `states ${w.states.join(',')}`);
  });

  it('the scheduled backup of the TLS ensemble: its Job speaks TLS to 2281 with NAME-tls-client as it is now (the new CA) and writes an export', async () => {
    const pvc = {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'backups'}, spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '64Mi'}}}};
    assert.equal((await kubectl(['apply', '-n', ns, '-f', '-'], {input: JSON.stringify(pvc)})).code, 0);
    const s = await kzk(['backup', 'rc', '-n', ns, '--schedule', '*/30 * * * *', '--to-pvc', 'backups', '--keep', '2', '-o', 'json']);
    assert.equal(s.code, 0, s.stderr);
    const cron = await kubectlJson<any>(['get', 'cronjob', 'rc-backup', '-n', ns, '-o', 'json']);
    assert.equal(cron.spec.jobTemplate.spec.template.spec.containers[0].env.find((e: any) => e.name === 'ZK_SERVER').value, 'rc:2281');
    assert.equal((await kubectl(['create', 'job', '-n', ns, '--from=cronjob/rc-backup', 'rc-backup-now'])).code, 0);
    const w = await kubectl(['wait', '-n', ns, '--for=condition=complete', 'job/rc-backup-now', '--timeout=400s'], {timeoutMs: 420_000});
    const logs = await kubectl(['logs', '-n', ns, 'job/rc-backup-now', '--all-containers'], {allowFail: true});
    assert.equal(w.code, 0, `job did not complete: ${w.stderr}\n${logs.stdout}${logs.stderr}`);
    console.log(`      [measure] scheduled backup over TLS: ${logs.stdout.trim().split('\n').at(-1)}`);
    assert.match(logs.stdout, /"znodes":\s*\d+/);
  });
});
