/**
 * `kubectl zk certificate` in process against the in-memory API server: a
 * client certificate signed by the ensemble's CA, into a Secret or as PEM; an
 * ensemble without TLS and bad input are one error line and change nothing.
 */
import assert from 'node:assert/strict';
import {X509Certificate} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {makeCa} from '../../../src/tls/ensemble.js';
import {FakeKube, seedEnsemble} from '../../support/fake-kube.js';
import {oneErrorLine} from '../../support/cli.js';
import {runInProcess} from '../../support/inprocess.js';
import {conforms} from '../../support/shape.js';
import type {Shape} from '../../../scripts/output-schema.js';

const SCHEMA = JSON.parse(readFileSync(new URL('../../fixtures/output-schema.json', import.meta.url), 'utf8')) as Record<string, Shape>;
const MUTATING = /^(apply|create|update|patch|delete|evict|exec) /;
const ca = makeCa({name: 'zk', namespace: 'team-a'}, new Date());

async function seeded(tls: boolean): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  if (tls) {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {name: 'zk-tls-ca', namespace: 'team-a'},
      data: {'ca.crt': Buffer.from(ca.certPem).toString('base64'), 'ca.key': Buffer.from(ca.keyPem).toString('base64')},
    });
  }
  kube.calls.length = 0;
  return kube;
}

const mutations = (kube: FakeKube) => kube.calls.filter((c) => MUTATING.test(c));

describe('kubectl zk certificate (in process)', () => {
  it('-o json: a kubernetes.io/tls Secret NAME-client-USER whose certificate the CA signed; the key never printed', async () => {
    const kube = await seeded(true);
    const r = await runInProcess('certificate', ['zk', '--user', 'billing', '-o', 'json'], {kube});
    assert.equal(r.error, undefined, r.error?.stack);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(conforms(printed, SCHEMA['certificate']!), []);
    assert.equal(printed['secret'], 'zk-client-billing');
    assert.equal(printed['connect'], 'zk.team-a.svc:2281');
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
    const secret = (await kube.get({apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'zk-client-billing'})) as any;
    assert.equal(secret.type, 'kubernetes.io/tls');
    const text = (k: string) => secret.stringData?.[k] ?? Buffer.from(secret.data[k], 'base64').toString();
    const cert = new X509Certificate(text('tls.crt'));
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
    assert.match(cert.subject, /CN=billing/);
    assert.equal(text('ca.crt'), ca.certPem);
    assert.match(text('tls.key'), /BEGIN PRIVATE KEY/);
    assert.equal(secret.metadata.annotations['kubectl-zk.io/ensemble'], 'zk', 'teardown removes it with the ensemble');
  });

  it('-o pem: key, certificate and CA on stdout; nothing made', async () => {
    const kube = await seeded(true);
    const r = await runInProcess('certificate', ['zk', '--user', 'app@x', '-o', 'pem', '--days', '30'], {kube});
    assert.equal(r.error, undefined, r.error?.stack);
    assert.match(r.stdout, /^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/);
    assert.deepEqual(mutations(kube), []);
  });

  it('an ensemble without TLS: one error line, nothing made', async () => {
    const kube = await seeded(false);
    const r = await runInProcess('certificate', ['zk', '--user', 'billing'], {kube});
    assert.equal(r.exit, 1);
    assert.match(oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, 'no TLS'), /^error: ensemble "zk" in namespace "team-a" has no TLS \(no Secret zk-tls-ca\)/);
    assert.deepEqual(mutations(kube), []);
  });

  it('bad input is a usage error before any API call; a Secret that exists is not overwritten', async () => {
    const kube = await seeded(true);
    for (const argv of [
      ['zk', '--user', 'bad user'],
      ['zk', '--user', 'u', '--days', '0'],
      ['zk', '--user', 'u', '-o', 'pem', '--secret-name', 's'],
    ]) {
      const r = await runInProcess('certificate', argv, {kube});
      assert.equal(r.exit, 2, argv.join(' '));
      oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, argv.join(' '));
    }
    assert.deepEqual(kube.calls, []);
    assert.equal((await runInProcess('certificate', ['zk', '--user', 'billing'], {kube})).exit, 0);
    const again = await runInProcess('certificate', ['zk', '--user', 'billing'], {kube});
    assert.match(oneErrorLine({stdout: again.stdout, stderr: again.stderrAsCli}, 'exists'), /secret "zk-client-billing" already exists/);
  });
});
