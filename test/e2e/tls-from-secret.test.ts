/**
 * create --tls-from-secret on the real three-node cluster, with the default
 * image: a CA made with openssl here (RSA 2048 with keyCertSign, as a
 * cert-manager CA Certificate is by default) in a Secret of the namespace;
 * a Secret whose key is not the certificate's is refused with nothing made;
 * the ensemble made from the good one serves over TLS, `certificate` issues
 * from that CA for a Java client, a client of another CA is refused,
 * rotate-certs --ca refuses, a renewal signs with it, and teardown leaves the
 * user's Secret as it was.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {X509Certificate} from 'node:crypto';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {apply, createNamespace, deleteNamespace, dumpDiagnostics, useCluster, waitForPod} from './lib/cluster.js';
import {createStrangerSecret, javaClient, zkCliTls} from './lib/tls-clients.js';
import {createEnsemble, kubectl, kubectlJson, kzk, waitFor} from './lib/zk.js';

useCluster();

type Secret = {metadata: {name: string; resourceVersion: string; annotations?: Record<string, string>}; data: Record<string, string>};

/** openssl in the test: an RSA root CA with keyCertSign, and a second RSA key that is not its. */
function makeCaFiles(dir: string): {crt: string; key: string; otherKey: string} {
  const f = (n: string) => join(dir, n);
  const subj = '/O=e2e/CN=user CA for tls-from-secret';
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', subj, '-days', '30', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'],
    {stdio: 'pipe'},
  );
  execFileSync('openssl', ['genrsa', '-out', f('other.key'), '2048'], {stdio: 'pipe'});
  return {crt: f('ca.crt'), key: f('ca.key'), otherKey: f('other.key')};
}

async function secrets(ns: string): Promise<Secret[]> {
  return (await kubectlJson<{items: Secret[]}>(['get', 'secrets', '-n', ns, '-o', 'json'])).items;
}

describe('e2e: create --tls-from-secret (your own CA) on a real cluster', function () {
  this.timeout(2_400_000);
  let ns: string;
  let dir: string;
  let files: ReturnType<typeof makeCaFiles>;
  let userSecret: Secret;

  before(async () => {
    ns = await createNamespace('tlsfs-e2e');
    dir = mkdtempSync(join(tmpdir(), 'kzk-user-ca-'));
    files = makeCaFiles(dir);
    await kubectl(['create', 'secret', 'tls', 'my-ca', '-n', ns, '--cert', files.crt, '--key', files.key]);
    // kubectl create secret tls checks the pair itself: a generic Secret carries the wrong key
    await kubectl(['create', 'secret', 'generic', 'bad-ca', '-n', ns, `--from-file=tls.crt=${files.crt}`, `--from-file=tls.key=${files.otherKey}`]);
    userSecret = (await secrets(ns)).find((s) => s.metadata.name === 'my-ca')!;
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
    rmSync(dir, {recursive: true, force: true});
  });

  it('a Secret whose key is not the certificate’s: exit 3, one error line, nothing made in the namespace', async () => {
    const r = await kzk(['create', 'zk', '-n', ns, '--tls-from-secret', 'bad-ca', '--memory', '512Mi']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: --tls-from-secret: Secret "bad-ca" in namespace "[^"]+": tls\.key is not the private key of the certificate in tls\.crt/m);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    const left = await kubectlJson<{items: {kind: string; metadata: {name: string}}[]}>([
      'get',
      'statefulsets,services,configmaps,secrets,networkpolicies,poddisruptionbudgets,pvc,pods',
      '-n',
      ns,
      '-o',
      'json',
    ]);
    const made = left.items.map((x) => `${x.kind}/${x.metadata.name}`).filter((x) => x !== 'ConfigMap/kube-root-ca.crt'); // in every namespace
    assert.deepEqual(made.sort(), ['Secret/bad-ca', 'Secret/my-ca']);
    // what every refused create leaves: the ensemble's lock, released (taken before the op runs: src/base.ts)
    const leases = await kubectlJson<{items: {metadata: {name: string}; spec: {holderIdentity?: string | null}}[]}>(['get', 'leases', '-n', ns, '-o', 'json']);
    assert.deepEqual(
      leases.items.map((l) => [l.metadata.name, l.spec.holderIdentity ?? null]),
      [['zk-kubectl-zk-lock', null]],
    );
  });

  it('create --tls-from-secret my-ca: the quorum in TLS with certificates from that CA; zk-tls-ca holds its certificate only', async () => {
    const started = Date.now();
    const r = await createEnsemble(ns, 'zk', 3, ['--tls-from-secret', 'my-ca']); // implies --tls
    console.log(`      [measure] kubectl zk create --tls-from-secret (3 members) → quorum in ${Date.now() - started} ms`);
    assert.match(r.stdout, /connect: zk\.tlsfs-e2e[^.]*\.svc\.cluster\.local:2281/);
    const all = await secrets(ns);
    const caSecret = all.find((s) => s.metadata.name === 'zk-tls-ca')!;
    assert.deepEqual(Object.keys(caSecret.data), ['ca.crt']);
    assert.equal(caSecret.metadata.annotations?.['kubectl-zk/tls-ca-secret'], 'my-ca');
    const ca = new X509Certificate(readFileSync(files.crt));
    const members = all.find((s) => s.metadata.name === 'zk-tls')!;
    for (const pod of ['zk-0', 'zk-1', 'zk-2']) {
      const pem = Buffer.from(members.data[`${pod}.pem`]!, 'base64').toString();
      assert.ok(new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE'))).verify(ca.publicKey), pod);
      const log = (await kubectl(['logs', '-n', ns, pod, '-c', 'zookeeper'])).stdout;
      assert.match(log, /Using TLS encrypted quorum communication/, pod);
    }
  });

  it('status and znode create/get over TLS', async () => {
    const report = await waitFor('zk healthy', async () => {
      const s = await kzk(['status', 'zk', '-n', ns, '-o', 'json']);
      if (s.code !== 0) throw new Error(`status ${s.code}: ${s.stdout.slice(0, 400)}`);
      return JSON.parse(s.stdout);
    });
    assert.equal(report.quorum.voters, 3);
    assert.equal(report.security.tlsCaSecret, 'my-ca', 'status says whose CA it is');
    const c = await kzk(['znode', 'create', '/byo', 'from-your-ca', '-n', ns, '--verbose']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /portforward [^ ]+\/zk-\d:2281: stream open/);
    assert.equal((await kzk(['znode', 'get', '/byo', '-n', ns])).stdout, 'from-your-ca');
  });

  it('certificate --user (signed with the user CA): a Java client connects; one from another CA is refused', async () => {
    const made = await kzk(['certificate', 'zk', '-n', ns, '--user', 'billing']);
    assert.equal(made.code, 0, made.stderr);
    const stranger = await createStrangerSecret(ns);
    await apply(javaClient('java-ok', 'zk-client-billing'), ns);
    await apply(javaClient('java-stranger', stranger), ns);
    await Promise.all([waitForPod(ns, 'java-ok'), waitForPod(ns, 'java-stranger')]);
    const ok = await zkCliTls(ns, 'java-ok', 'create /from-java byo-ca', 'get /from-java');
    assert.match(ok, /Created \/from-java/, ok.slice(-2000));
    assert.match(ok, /^byo-ca$/m);
    const refused = await zkCliTls(ns, 'java-stranger', 'create /from-stranger x');
    assert.doesNotMatch(refused, /Created \/from-stranger/);
    assert.notEqual((await kzk(['znode', 'stat', '/from-stranger', '-n', ns])).code, 0, 'the stranger wrote nothing');
  });

  it('rotate-certs --ca refuses (exit 3): the CA is the user’s', async () => {
    const r = await kzk(['rotate-certs', 'zk', '-n', ns, '--ca', '--yes']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: the CA of "zk" is yours \(Secret my-ca, made with --tls-from-secret\): kubectl-zk does not rotate it/m);
  });

  it('rotate-certs (a renewal): new member certificates from the user CA, the key read from its Secret; znode still answers', async () => {
    const before = (await secrets(ns)).find((s) => s.metadata.name === 'zk-tls')!;
    const started = Date.now();
    const r = await kzk(['rotate-certs', 'zk', '-n', ns, '--yes', '-o', 'json']);
    console.log(`      [measure] kubectl zk rotate-certs (user CA, 3 members) in ${Date.now() - started} ms`);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.equal(JSON.parse(r.stdout).outcome, 'done');
    const after = (await secrets(ns)).find((s) => s.metadata.name === 'zk-tls')!;
    const ca = new X509Certificate(readFileSync(files.crt));
    for (const pod of ['zk-0', 'zk-1', 'zk-2']) {
      assert.notEqual(after.data[`${pod}.pem`], before.data[`${pod}.pem`], pod);
      const pem = Buffer.from(after.data[`${pod}.pem`]!, 'base64').toString();
      assert.ok(new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE'))).verify(ca.publicKey), pod);
    }
    assert.equal((await kzk(['znode', 'get', '/byo', '-n', ns])).stdout, 'from-your-ca');
  });

  it('teardown removes the ensemble and leaves the user Secret as it was', async () => {
    const t = await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    assert.equal(t.code, 0, t.stderr);
    const after = await secrets(ns);
    assert.ok(!after.some((s) => s.metadata.name.startsWith('zk-tls')), after.map((s) => s.metadata.name).join(', '));
    const mine = after.find((s) => s.metadata.name === 'my-ca');
    assert.ok(mine, 'my-ca is still there');
    assert.equal(mine.metadata.resourceVersion, userSecret.metadata.resourceVersion, 'never written');
    assert.deepEqual(mine.data, userSecret.data);
  });
});
