/**
 * rotate-certs: the stages (tls/rotate.ts, pure) and the op's refusals,
 * dry run and order of work against an in-memory API with fake checks and
 * rolls (ops/tls/rotate.ts). The rotation itself is proven on the real cluster
 * (test/e2e/rotate-certs.test.ts) and ZooKeeper's reload behaviour against real
 * 3.9.5 (test/integration/tls-reload.test.ts).
 */
import {strict as assert} from 'node:assert';
import {X509Certificate} from 'node:crypto';
import {CliError} from '../../../src/errors.js';
import type {KubeObject, SecretObject} from '../../../src/kube/types.js';
import type {RollResult} from '../../../src/ops/roll/types.js';
import {rotateCerts, type RotateDeps, type RotateRequest} from '../../../src/ops/tls/rotate.js';
import {makeEnsembleTls} from '../../../src/tls/ensemble.js';
import {CA_ROTATION, certOfMemberPem, dnsNames, fingerprint, PREVIOUS_CA_KEY, rotationStages, splitPem, type TlsSecrets} from '../../../src/tls/rotate.js';
import {silentProgress} from '../../../src/util/progress.js';
import {FakeKube} from '../../support/fake-kube.js';

const where = {name: 'zk', namespace: 'ns', clusterDomain: 'cluster.local'};
const now = new Date('2026-01-01T00:00:00Z');

function secretsOf(): TlsSecrets {
  const t = makeEnsembleTls({...where, replicas: 3}, now);
  return {
    members: {'ca.crt': t.ca.certPem, ...Object.fromEntries(t.members.map((m, i) => [`zk-${i}.pem`, m.keyPem + m.certPem]))},
    ca: {'ca.crt': t.ca.certPem, 'ca.key': t.ca.keyPem},
    client: {'ca.crt': t.ca.certPem, 'tls.crt': t.plugin.certPem, 'tls.key': t.plugin.keyPem},
    rotating: false,
  };
}

const signedBy = (cert: string, ca: string) => new X509Certificate(cert).verify(new X509Certificate(ca).publicKey);

describe('rotate-certs: the stages', () => {
  it('renew: each member gets a new key and certificate with the same CN and names, from the same CA; the plugin too', () => {
    const s = secretsOf();
    const [stage, ...rest] = rotationStages('renew', s, {...where, now});
    assert.equal(rest.length, 0);
    assert.equal(stage!.name, 'new-member-certificates');
    for (const i of [0, 1, 2]) {
      const old = certOfMemberPem(s.members[`zk-${i}.pem`]!);
      const next = certOfMemberPem(stage!.members[`zk-${i}.pem`]!);
      assert.notEqual(fingerprint(next), fingerprint(old));
      assert.deepEqual(dnsNames(next), dnsNames(old));
      assert.equal(new X509Certificate(next).subject, new X509Certificate(old).subject);
      assert.ok(signedBy(next, s.ca['ca.crt']!));
      assert.notEqual(stage!.members[`zk-${i}.pem`]!.split('-----BEGIN CERTIFICATE')[0], s.members[`zk-${i}.pem`]!.split('-----BEGIN CERTIFICATE')[0], 'a new key');
      assert.equal(stage!.expect[`zk-${i}`], fingerprint(next));
    }
    assert.equal(stage!.members['ca.crt'], undefined, 'the trust store is unchanged');
    assert.ok(signedBy(stage!.client!['tls.crt']!, s.ca['ca.crt']!));
  });

  it('--ca: a new CA beside the old one in every trust store; the members keep their certificates; the old CA kept for --finish', () => {
    const s = secretsOf();
    const [stage] = rotationStages('ca', s, {...where, now});
    const bundle = splitPem(stage!.members['ca.crt']!);
    assert.equal(bundle.length, 2);
    assert.equal(bundle[0], s.ca['ca.crt']);
    assert.equal(bundle[1], stage!.ca!['ca.crt']);
    assert.equal(stage!.client!['ca.crt'], stage!.members['ca.crt']);
    assert.equal(stage!.ca![PREVIOUS_CA_KEY], s.ca['ca.crt']);
    assert.equal(stage!.annotation, fingerprint(s.ca['ca.crt']!));
    assert.equal(Object.keys(stage!.members).length, 1, 'no member certificate changes');
    assert.equal(stage!.accepts!.certPem, stage!.ca!['ca.crt']);
  });

  it('--finish: members and plugin on the new CA while both are trusted, then the old CA dropped', () => {
    const s0 = secretsOf();
    const [ca] = rotationStages('ca', s0, {...where, now});
    const s: TlsSecrets = {members: {...s0.members, ...ca!.members}, ca: {...s0.ca, ...(ca!.ca as Record<string, string>)}, client: {...s0.client, ...ca!.client}, rotating: true};
    const [certs, drop] = rotationStages('finish', s, {...where, now});
    assert.equal(certs!.name, 'new-member-certificates');
    assert.equal(certs!.members['ca.crt'], undefined, 'both CAs stay trusted in the first stage');
    for (const i of [0, 1, 2]) assert.ok(signedBy(certOfMemberPem(certs!.members[`zk-${i}.pem`]!), s.ca['ca.crt']!));
    assert.ok(signedBy(certs!.client!['tls.crt']!, s.ca['ca.crt']!));
    assert.equal(drop!.name, 'drop-old-ca');
    assert.equal(drop!.members['ca.crt'], s.ca['ca.crt']);
    assert.equal(drop!.client!['ca.crt'], s.ca['ca.crt']);
    assert.equal(drop!.ca![PREVIOUS_CA_KEY], null);
    assert.equal(drop!.annotation, null);
    assert.equal(drop!.refuses!.certPem, s0.ca['ca.crt']);
    assert.throws(() => rotationStages('finish', s0, {...where, now}), /no CA rotation under way/);
  });
});

function seedTls(kube: FakeKube, s: TlsSecrets, annotations: Record<string, string> = {}): void {
  const b64 = (d: Record<string, string>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  const secret = (name: string, data: Record<string, string>, ann: Record<string, string> = {}): KubeObject =>
    ({apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace: 'ns', annotations: ann}, data: b64(data)}) as KubeObject;
  kube.seed(secret('zk-tls', s.members), secret('zk-tls-ca', s.ca, annotations), secret('zk-tls-client', s.client));
}

function deps(kube: FakeKube, o: {rollExit?: number; served?: (pod: string) => string | undefined} = {}): RotateDeps & {rolls: boolean[]} {
  const rolls: boolean[] = [];
  let t = 0;
  const memberPem = async (pod: string) => {
    const s = await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 'zk-tls'});
    return Buffer.from(s!.data![`${pod}.pem`]!, 'base64').toString();
  };
  return {
    kube,
    rolls,
    clock: {now: () => t},
    sleep: async (ms: number) => void (t += ms),
    progress: silentProgress,
    confirm: async () => true,
    pollMs: 1000,
    roll: async (dryRun) => {
      rolls.push(dryRun);
      return {
        outcome: dryRun ? 'planned' : o.rollExit ? 'stopped' : 'done',
        exitCode: dryRun ? 0 : (o.rollExit ?? 0),
        warnings: [],
        members: [],
        durationMs: 1,
        stopped: o.rollExit ? {reason: 'zk-1 did not come back'} : undefined,
      } as unknown as RollResult;
    },
    check: async (pod) => ({fingerprint256: o.served?.(pod) ?? fingerprint(certOfMemberPem(await memberPem(pod))), answered: true}),
  };
}

const req = (mode: RotateRequest['mode'], dryRun = false): RotateRequest => ({name: 'zk', namespace: 'ns', mode, dryRun, syncTimeoutMs: 10_000});
const sts: KubeObject = {apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', namespace: 'ns'}};

describe('rotate-certs: the op', () => {
  it('an ensemble without TLS: refused with exit 3 before anything is read beyond the Secret, nothing changed', async () => {
    const kube = new FakeKube('ns').seed(sts);
    const d = deps(kube);
    await assert.rejects(rotateCerts(req('renew'), d), (e: CliError) => e.exitCode === 3 && /has no TLS \(no Secret zk-tls\): nothing to rotate/.test(e.message));
    assert.deepEqual(d.rolls, []);
    assert.ok(!kube.calls.some((c) => /patch/i.test(c)), kube.calls.join(' '));
  });

  it('--finish without a CA rotation, --ca during one: refused with exit 3', async () => {
    const kube = new FakeKube('ns').seed(sts);
    seedTls(kube, secretsOf());
    await assert.rejects(rotateCerts(req('finish'), deps(kube)), (e: CliError) => e.exitCode === 3 && /no CA rotation/.test(e.message));
    const k2 = new FakeKube('ns').seed(sts);
    seedTls(k2, secretsOf(), {[CA_ROTATION]: 'x'});
    await assert.rejects(rotateCerts(req('ca'), deps(k2)), (e: CliError) => e.exitCode === 3 && /under way/.test(e.message));
    await assert.rejects(rotateCerts(req('renew'), deps(k2)), (e: CliError) => e.exitCode === 3);
  });

  it('--dry-run: the stages and the Secrets it would patch, values redacted; nothing patched, no roll', async () => {
    const kube = new FakeKube('ns').seed(sts);
    seedTls(kube, secretsOf());
    const d = deps(kube);
    const r = await rotateCerts(req('ca', true), d);
    assert.equal(r.outcome, 'planned');
    assert.deepEqual(d.rolls, [true]);
    assert.deepEqual(
      r.secrets!.map((s) => s.metadata.name),
      ['zk-tls', 'zk-tls-ca', 'zk-tls-client'],
    );
    assert.ok(JSON.stringify(r.secrets).includes('<redacted>'));
    assert.ok(!JSON.stringify(r.secrets).includes('BEGIN'));
    assert.ok(!kube.calls.some((c) => /patch/i.test(c)));
  });

  it('renew: the Secrets patched, then one roll; every member checked against what was written', async () => {
    const kube = new FakeKube('ns').seed(sts);
    const s = secretsOf();
    seedTls(kube, s);
    const d = deps(kube);
    const r = await rotateCerts(req('renew'), d);
    assert.equal(r.outcome, 'done', r.stopped);
    assert.deepEqual(d.rolls, [true, false]);
    const m = r.stages[0]!.members;
    assert.ok(m.every((x) => x.before !== x.after && x.after === x.expected));
    assert.equal(r.stages[0]!.syncMs, 0);
  });

  it('--ca: no wait for the kubelet (a CA added shows only after the restart); after the roll every member accepts the new CA', async () => {
    const kube = new FakeKube('ns').seed(sts);
    seedTls(kube, secretsOf());
    const d = deps(kube);
    const r = await rotateCerts(req('ca'), d);
    assert.equal(r.outcome, 'done', r.stopped);
    assert.equal(r.stages[0]!.syncMs, undefined);
    assert.ok(r.stages[0]!.members.every((m) => m.accepts === true && m.before === m.after));
    assert.match(r.next!, /--finish/);
    const ca = await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 'zk-tls-ca'});
    assert.ok(ca!.metadata.annotations?.[CA_ROTATION]);
    const bundle = splitPem(Buffer.from((await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 'zk-tls'}))!.data!['ca.crt']!, 'base64').toString());
    assert.equal(bundle.length, 2);
    assert.notEqual(new X509Certificate(bundle[0]!).subject, new X509Certificate(bundle[1]!).subject, 'two CAs of one subject: ZooKeeper would trust only the last');
  });

  it('a member that keeps serving its old certificate after the roll: stopped, exit 4, naming it', async () => {
    const kube = new FakeKube('ns').seed(sts);
    const s = secretsOf();
    seedTls(kube, s);
    const stale = fingerprint(certOfMemberPem(s.members['zk-2.pem']!));
    const r = await rotateCerts(req('renew'), deps(kube, {served: (pod) => (pod === 'zk-2' ? stale : undefined)}));
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.exitCode, 4);
    assert.match(r.stopped!, /zk-2 did not serve/);
  });

  it('a roll that stops: the rotation stops with its exit code', async () => {
    const kube = new FakeKube('ns').seed(sts);
    seedTls(kube, secretsOf());
    const r = await rotateCerts(req('renew'), deps(kube, {rollExit: 4}));
    assert.equal(r.exitCode, 4);
    assert.match(r.stopped!, /zk-1 did not come back/);
  });
});
