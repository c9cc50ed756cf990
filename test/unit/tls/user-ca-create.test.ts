/**
 * create --tls-from-secret against the in-memory API server: refusals change
 * nothing (in process, as shipped); the ensemble's Secrets come from the
 * user's CA, whose Secret is read and never written; certificate and
 * rotate-certs follow it; teardown leaves it.
 */
import assert from 'node:assert/strict';
import {X509Certificate} from 'node:crypto';
import type {KubeObject, SecretObject, StatefulSetObject} from '../../../src/kube/types.js';
import {securityPosture} from '../../../src/ops/posture.js';
import {loadAssets} from '../../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../../src/manifests/options.js';
import {createEnsemble, type CreateDeps} from '../../../src/ops/create.js';
import {readTlsSecrets} from '../../../src/ops/tls/rotate.js';
import {ensureMemberCertificate} from '../../../src/ops/tls.js';
import {teardownEnsemble} from '../../../src/ops/teardown.js';
import {makeCa, memberCertificate} from '../../../src/tls/ensemble.js';
import {USER_CA_ANNOTATION} from '../../../src/tls/user-ca.js';
import {issueCertificate} from '../../../src/tls/x509.js';
import {oneErrorLine} from '../../support/cli.js';
import {FakeKube} from '../../support/fake-kube.js';
import {runInProcess} from '../../support/inprocess.js';
import {recordingProgress} from '../../support/progress.js';
import {fakeTime} from '../../support/time.js';
import {caSecret} from '../../support/secrets.js';

const MUTATING = /^(apply|create|update|patch|delete|evict|exec) /;
const DAY = 86_400_000;
const userCa = makeCa({name: 'mine', namespace: 'prod'}, new Date(Date.now() - DAY));
const good = caSecret({'tls.crt': userCa.certPem, 'tls.key': userCa.keyPem, 'ca.crt': userCa.certPem});

function kubeWith(...secrets: SecretObject[]): FakeKube {
  const kube = new FakeKube('prod');
  kube.seed(...secrets);
  return kube;
}

/** What the API server does with stringData: kept as data (base64). */
function stored(kube: FakeKube): void {
  for (const s of kube.all('Secret') as (SecretObject & {stringData?: Record<string, string>})[]) {
    if (!s.stringData) continue;
    const data = Object.fromEntries(Object.entries(s.stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const {stringData: _, ...rest} = s;
    kube.seed({...rest, data} as KubeObject);
  }
}

const text = (s: SecretObject, k: string) => Buffer.from(s.data![k]!, 'base64').toString('utf8');

describe('create --tls-from-secret (in process): refusals make nothing', () => {
  const other = makeCa({name: 'other', namespace: 'prod'}, new Date());
  const expired = issueCertificate({commonName: 'old CA', usage: 'ca', notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY)});
  const leaf = memberCertificate({name: 'zk', namespace: 'prod', clusterDomain: 'cluster.local'}, 0, userCa, new Date());
  const cases: [string, SecretObject[], RegExp][] = [
    ['missing', [], /Secret "my-ca" in namespace "prod": not found/],
    ['in another namespace', [{...good, metadata: {name: 'my-ca', namespace: 'elsewhere'}}], /not found \(it must be in the namespace of the ensemble\)/],
    ['keys missing', [caSecret({'tls.crt': userCa.certPem})], /has no tls\.key/],
    ['not PEM', [caSecret({'tls.crt': 'x', 'tls.key': userCa.keyPem})], /tls\.crt is not a PEM certificate/],
    ['wrong key', [caSecret({'tls.crt': userCa.certPem, 'tls.key': other.keyPem})], /tls\.key is not the private key of the certificate/],
    ['expired', [caSecret({'tls.crt': expired.certPem, 'tls.key': expired.keyPem})], /the CA certificate expired at/],
    ['a leaf, not a CA', [caSecret({'tls.crt': leaf.certPem, 'tls.key': leaf.keyPem, 'ca.crt': userCa.certPem})], /tls\.crt is not a CA certificate/],
    ['ca.crt of another CA', [caSecret({'tls.crt': userCa.certPem, 'tls.key': userCa.keyPem, 'ca.crt': other.certPem})], /does not verify against the Secret's ca\.crt/],
  ];
  for (const [what, secrets, pattern] of cases) {
    it(`${what}: exit 3, one error line, nothing applied (and with --dry-run)`, async () => {
      for (const extra of [[], ['--dry-run']]) {
        const kube = kubeWith(...secrets);
        const before = structuredClone(kube.all());
        const r = await runInProcess('create', ['zk', '--tls-from-secret', 'my-ca', ...extra], {kube, now: Date.now()});
        assert.equal(r.exit, 3, r.stderrAsCli);
        assert.match(oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, what), pattern);
        assert.deepEqual(
          kube.calls.filter((c) => MUTATING.test(c)),
          [],
        );
        assert.deepEqual(kube.all(), before);
      }
    });
  }

  it('usage errors (exit 2), the Secret not read, nothing applied: a namespace/name, a name the ensemble makes, a 3.8 image', async () => {
    for (const [argv, pattern] of [
      [['zk', '--tls-from-secret', 'other/my-ca'], /takes a Secret's name, not "other\/my-ca"/],
      [['zk', '--tls-from-secret', 'zk-tls-ca'], /zk-tls-ca: that is the name of a Secret the ensemble "zk" makes/],
      [['zk', '--tls-from-secret', 'my-ca', '--image', 'zookeeper:3.8.7'], /--tls needs ZooKeeper 3\.9\.0 or newer/],
    ] as const) {
      const kube = kubeWith(good);
      const r = await runInProcess('create', [...argv], {kube, now: Date.now()});
      assert.equal(r.exit, 2, r.stderrAsCli);
      assert.match(oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, argv.join(' ')), pattern);
      assert.deepEqual(
        kube.calls.filter((c) => MUTATING.test(c) || c.includes('Secret/my-ca')),
        [],
      );
    }
  });

  it('--dry-run: reads the CA Secret only, prints the objects with every Secret redacted, zk-tls-ca naming the user Secret', async () => {
    const kube = kubeWith(good);
    const r = await runInProcess('create', ['zk', '--tls-from-secret', 'my-ca', '--dry-run', '-o', 'json'], {kube, now: Date.now()});
    assert.equal(r.exit, 0, r.stderrAsCli);
    assert.deepEqual(kube.calls, ['get Secret/my-ca']);
    const items = (JSON.parse(r.stdout) as {items: KubeObject[]}).items;
    const caObj = items.find((x) => x.metadata.name === 'zk-tls-ca') as any;
    assert.equal(caObj.metadata.annotations[USER_CA_ANNOTATION], 'my-ca');
    assert.deepEqual(Object.keys(caObj.stringData), ['ca.crt'], 'no CA key in the ensemble');
    assert.doesNotMatch(r.stdout, /BEGIN (PRIVATE KEY|CERTIFICATE)/);
  });
});

describe('create --tls-from-secret (ops): the user CA issues, its Secret is only read', () => {
  async function created() {
    const kube = kubeWith(good);
    const userSecret = structuredClone(kube.all('Secret')[0]);
    const time = fakeTime(Date.now());
    const progress = recordingProgress();
    const deps: CreateDeps = {
      kube,
      clock: time.clock,
      sleep: time.sleep,
      progress,
      probe: async () => [],
      assets: loadAssets(),
      newPassword: () => 'pw',
      connect: async () => assert.fail('no session without --wait'),
    };
    const options = validateEnsembleOptions({name: 'zk', namespace: 'prod', tls: true}).options;
    const r = await createEnsemble({options, wait: false, timeoutMs: 60_000, warnings: [], tlsFromSecret: 'my-ca'}, deps);
    stored(kube);
    return {kube, r, userSecret};
  }

  it('members and kubectl-zk get certificates from the user CA; zk-tls-ca holds its certificate only; the user Secret is never written', async () => {
    const {kube, r, userSecret} = await created();
    assert.equal(r.tls, true);
    assert.deepEqual(
      kube.calls.filter((c) => c.includes('Secret/my-ca')),
      ['get Secret/my-ca'],
    );
    assert.deepEqual(
      kube.all('Secret').find((s) => s.metadata.name === 'my-ca'),
      userSecret,
    );
    const get = (n: string) => kube.all('Secret').find((s) => s.metadata.name === n) as SecretObject;
    const ca = new X509Certificate(userCa.certPem);
    for (const pem of ['zk-0.pem', 'zk-1.pem', 'zk-2.pem'].map((k) => text(get('zk-tls'), k))) assert.ok(new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE'))).verify(ca.publicKey));
    assert.ok(new X509Certificate(text(get('zk-tls-client'), 'tls.crt')).verify(ca.publicKey));
    assert.equal(text(get('zk-tls'), 'ca.crt'), ca.toString());
    assert.deepEqual(Object.keys(get('zk-tls-ca').data!), ['ca.crt']);
    assert.equal(get('zk-tls-ca').metadata.annotations?.[USER_CA_ANNOTATION], 'my-ca');
    const sts = kube.all('StatefulSet')[0] as StatefulSetObject;
    assert.equal(sts.metadata.annotations?.[USER_CA_ANNOTATION], 'my-ca', 'recorded on the ensemble');
    assert.equal(securityPosture({sts, policy: null}).tlsCaSecret, 'my-ca', 'status shows it');
  });

  it('certificate signs with the user CA; rotate-certs --ca refuses (exit 3), a renewal reads the key from the user Secret', async () => {
    const {kube} = await created();
    const r = await runInProcess('certificate', ['zk', '--user', 'billing', '-o', 'pem'], {kube, now: Date.now()});
    assert.equal(r.exit, 0, r.stderrAsCli);
    const cert = new X509Certificate(r.stdout.slice(r.stdout.indexOf('-----BEGIN CERTIFICATE')));
    assert.ok(cert.verify(new X509Certificate(userCa.certPem).publicKey));
    kube.calls.length = 0;
    const rot = await runInProcess('rotate-certs', ['zk', '--ca', '--yes'], {kube, now: Date.now()});
    assert.equal(rot.exit, 3, rot.stderrAsCli);
    assert.match(oneErrorLine({stdout: rot.stdout, stderr: rot.stderrAsCli}, 'rotate --ca'), /the CA of "zk" is yours \(Secret my-ca, made with --tls-from-secret\): kubectl-zk does not rotate it/);
    assert.deepEqual(
      kube.calls.filter((c) => MUTATING.test(c)),
      [],
    );
    const s = await readTlsSecrets(kube, {name: 'zk', namespace: 'prod', mode: 'renew'});
    assert.equal(s.ca['ca.key'], userCa.keyPem);
  });

  it("scale: a joining member's certificate is issued from the user CA (the key read from its Secret)", async () => {
    const {kube} = await created();
    assert.equal(await ensureMemberCertificate(kube, {namespace: 'prod', name: 'zk', clusterDomain: 'cluster.local', ordinal: 3, now: new Date()}), true);
    const members = kube.all('Secret').find((x) => x.metadata.name === 'zk-tls') as SecretObject;
    const pem = text(members, 'zk-3.pem');
    assert.ok(new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE'))).verify(new X509Certificate(userCa.certPem).publicKey));
  });

  it('a CA Secret changed since create (another CA): certificate refuses (exit 3) rather than issue what the members do not trust', async () => {
    const {kube} = await created();
    const next = makeCa({name: 'next', namespace: 'prod'}, new Date(Date.now() - DAY));
    kube.seed(caSecret({'tls.crt': next.certPem, 'tls.key': next.keyPem}));
    const r = await runInProcess('certificate', ['zk', '--user', 'billing', '-o', 'pem'], {kube, now: Date.now()});
    assert.equal(r.exit, 3, r.stderrAsCli);
    assert.match(oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, 'changed CA'), /is not the CA the members of "zk" trust: it changed since the ensemble was made/);
  });

  it('teardown deletes what create made and leaves the user CA Secret', async () => {
    const {kube, userSecret} = await created();
    const t = fakeTime();
    const r = await teardownEnsemble(
      {name: 'zk', namespace: 'prod', deleteData: false, dryRun: false, wait: true, timeoutMs: 60_000},
      {kube, clock: t.clock, sleep: t.sleep, progress: recordingProgress(), confirm: async () => true},
    );
    assert.ok(r.deleted.some((d) => d.name === 'zk-tls-ca'));
    assert.deepEqual(
      kube.all('Secret').map((s) => s.metadata.name),
      ['my-ca'],
    );
    assert.deepEqual(kube.all('Secret')[0], userSecret);
  });
});
