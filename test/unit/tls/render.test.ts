import assert from 'node:assert/strict';
import {X509Certificate} from 'node:crypto';
import {UsageError} from '../../../src/errors.js';
import type {KubeObject} from '../../../src/kube/types.js';
import {loadAssets} from '../../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../../src/manifests/options.js';
import {bootstrapMembership, renderEnsemble, serverLine} from '../../../src/manifests/render.js';
import {describeClientPeers} from '../../../src/manifests/network.js';
import {zooCfgValues} from '../../../src/manifests/security.js';
import {planCreate} from '../../../src/ops/create.js';
import {ensembleOfPod, tlsIdentityOf} from '../../../src/ops/ensemble/forwarders.js';
import {redactSecrets} from '../../../src/render/create.js';
import {makeEnsembleTls} from '../../../src/tls/ensemble.js';

const assets = loadAssets();
const now = new Date('2026-12-06T00:00:00Z');

function tlsOptions(over: Record<string, unknown> = {}) {
  return validateEnsembleOptions({name: 'zk', namespace: 'prod', tls: true, ...over});
}

function rendered(): Record<string, any> {
  const o = tlsOptions().options;
  const objs = renderEnsemble(o, {superPassword: 'pw', tls: makeEnsembleTls(o, now)}, assets);
  return Object.fromEntries(objs.map((x) => [`${x.kind}/${x.metadata.name}`, x]));
}

describe('create --tls: rendering', () => {
  it('three Secrets before the ConfigMap: members (CA cert + one PEM per member), the CA key, the plugin client certificate', () => {
    const o = tlsOptions().options;
    const objs = renderEnsemble(o, {superPassword: 'pw', tls: makeEnsembleTls(o, now)}, assets);
    assert.deepEqual(
      objs.map((x) => `${x.kind}/${x.metadata.name}`),
      [
        'Secret/zk-auth',
        'Secret/zk-tls',
        'Secret/zk-tls-ca',
        'Secret/zk-tls-client',
        'ConfigMap/zk-config',
        'NetworkPolicy/zk',
        'Service/zk-hs',
        'Service/zk',
        'PodDisruptionBudget/zk',
        'StatefulSet/zk',
      ],
    );
    const r = Object.fromEntries(objs.map((x) => [x.metadata.name, x])) as Record<string, any>;
    assert.deepEqual(Object.keys(r['zk-tls'].stringData).sort(), ['ca.crt', 'zk-0.pem', 'zk-1.pem', 'zk-2.pem']);
    assert.match(r['zk-tls'].stringData['zk-1.pem'], /^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    assert.ok(!JSON.stringify(r['zk-tls']).includes(r['zk-tls-ca'].stringData['ca.key']), 'the CA key is not in the mounted Secret');
    assert.equal(r['zk-tls-client'].type, 'kubernetes.io/tls');
    assert.match(new X509Certificate(r['zk-tls-client'].stringData['tls.crt']).subject, /CN=kubectl-zk/);
    for (const x of [r['zk-tls'], r['zk-tls-ca'], r['zk-tls-client']]) assert.equal(x.metadata.annotations['kubectl-zk.io/ensemble'], 'zk', 'owned: teardown removes it');
  });

  it('zoo.cfg: Netty, secure client port 2281, PEM stores, client certificates required, TLS quorum, no reverse DNS', () => {
    const cfg = zooCfgValues(rendered()['ConfigMap/zk-config'].data['zoo.cfg']);
    assert.equal(cfg.get('serverCnxnFactory'), 'org.apache.zookeeper.server.NettyServerCnxnFactory');
    assert.equal(cfg.get('secureClientPort'), '2281');
    assert.equal(cfg.get('ssl.keyStore.type'), 'PEM');
    assert.equal(cfg.get('ssl.trustStore.location'), '/tls/ca.crt');
    assert.equal(cfg.get('ssl.clientAuth'), 'need');
    assert.equal(cfg.get('sslQuorum'), 'true');
    assert.equal(cfg.get('ssl.quorum.trustStore.type'), 'PEM');
    assert.equal(cfg.get('ssl.quorum.hostnameVerification'), 'true');
    assert.equal(cfg.get('ssl.quorum.allowReverseDnsLookup'), 'false');
    assert.equal(cfg.get('clientPort'), undefined);
  });

  it('the plain client port listens on the pod loopback only (membership lines), for the probes', () => {
    const o = tlsOptions().options;
    assert.match(serverLine(o, 0), /;127\.0\.0\.1:2181$/);
    assert.match(serverLine({...o, tls: undefined}, 0), /:participant;2181$/);
    assert.match(rendered()['ConfigMap/zk-config'].data['zoo.cfg.dynamic'], /^server\.3=zk-2\.zk-hs\.prod\.svc\.cluster\.local:2888:3888:participant;127\.0\.0\.1:2181$/m);
    assert.equal(
      bootstrapMembership(o)
        .split('\n')
        .filter((l) => l.endsWith(';127.0.0.1:2181')).length,
      3,
    );
  });

  it('the pod mounts zk-tls, picks its own PEM by pod name, exposes 2281 and not 2181', () => {
    const pod = rendered()['StatefulSet/zk'].spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(
      c.ports.map((p: {containerPort: number}) => p.containerPort),
      [2281, 2888, 3888, 7000],
    );
    const flags = c.env.find((e: {name: string}) => e.name === 'SERVER_JVMFLAGS').value;
    assert.equal(flags, '-Dzookeeper.ssl.keyStore.location=/tls/$(POD_NAME).pem -Dzookeeper.ssl.quorum.keyStore.location=/tls/$(POD_NAME).pem');
    assert.ok(c.env.findIndex((e: {name: string}) => e.name === 'POD_NAME') < c.env.findIndex((e: {name: string}) => e.name === 'SERVER_JVMFLAGS'), 'POD_NAME defined first: $(POD_NAME) expands');
    assert.deepEqual(
      c.volumeMounts.find((m: {name: string}) => m.name === 'tls'),
      {name: 'tls', mountPath: '/tls', readOnly: true},
    );
    assert.equal(pod.volumes.find((v: {name: string}) => v.name === 'tls').secret.secretName, 'zk-tls');
  });

  it('the Services and the NetworkPolicy carry the secure port instead of the plain one', () => {
    const r = rendered();
    for (const svc of [r['Service/zk'], r['Service/zk-hs']]) {
      const ports = svc.spec.ports.map((p: {port: number}) => p.port);
      assert.ok(ports.includes(2281) && !ports.includes(2181), JSON.stringify(ports));
    }
    const policyPorts = (r['NetworkPolicy/zk'].spec.ingress as {ports: {port: number}[]}[]).flatMap((i) => i.ports.map((p) => p.port));
    assert.ok(policyPorts.includes(2281));
    assert.ok(!policyPorts.includes(2181), JSON.stringify(policyPorts));
    assert.deepEqual(describeClientPeers(r['NetworkPolicy/zk'], [2181, 2281]), ['same-namespace'], 'status reads the secure rule back');
  });

  it('--dry-run redacts every Secret value, the keys included', () => {
    const {options, warnings} = tlsOptions();
    const objs = redactSecrets(planCreate({options, wait: false, timeoutMs: 1, warnings}, assets, 'pw', now));
    const text = JSON.stringify(objs);
    assert.ok(!/BEGIN (PRIVATE KEY|CERTIFICATE)/.test(text));
    assert.deepEqual(Object.keys((objs.find((x) => x.metadata.name === 'zk-tls-ca') as KubeObject & {stringData: object}).stringData), ['ca.crt', 'ca.key']);
  });

  it('--tls refuses a ZooKeeper 3.8 image (usage error); a tag with no version is warned about', () => {
    assert.throws(
      () => tlsOptions({image: 'zookeeper:3.8.4'}),
      (e: unknown) => e instanceof UsageError && /--tls needs ZooKeeper 3\.9\.0 or newer; image zookeeper:3\.8\.4 is 3\.8\.4/.test(e.message),
    );
    assert.doesNotThrow(() => tlsOptions({image: 'zookeeper:3.9.5'}));
    assert.doesNotThrow(() => validateEnsembleOptions({name: 'zk', namespace: 'prod', image: 'zookeeper:3.8.4'}));
    assert.match(tlsOptions({image: 'registry.example/zk:latest'}).warnings.join('\n'), /names no ZooKeeper version/);
  });

  it('the plugin side: the ensemble of a pod, the identity from the client Secret, none without it', () => {
    assert.equal(ensembleOfPod('my-zk-12'), 'my-zk');
    assert.equal(tlsIdentityOf(null), null);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const id = tlsIdentityOf({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-tls-client'}, data: {'ca.crt': b64('CA'), 'tls.crt': b64('C'), 'tls.key': b64('K')}});
    assert.deepEqual(id, {ca: 'CA', cert: 'C', key: 'K'});
    assert.throws(() => tlsIdentityOf({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-tls-client'}, data: {}}), /has no ca\.crt/);
  });
});

describe('upgrade of an ensemble made with --tls', () => {
  it('refuses an image too old for TLS (the template has a secure client port)', async () => {
    const {desiredTemplate, hasTlsTemplate} = await import('../../../src/ops/roll/template.js');
    const o = tlsOptions().options;
    const sts = renderEnsemble(o, {superPassword: 'pw', tls: makeEnsembleTls(o, now)}, assets).find((x) => x.kind === 'StatefulSet')!;
    assert.equal(hasTlsTemplate(sts), true);
    const from = {image: 'zookeeper:3.9.5', cpu: '250m', memory: '1Gi', heapMb: 512};
    assert.throws(() => desiredTemplate({name: 'zk', namespace: 'prod', tls: true}, from, {image: 'zookeeper:3.8.7'}), /--tls needs ZooKeeper 3\.9\.0 or newer/);
    assert.doesNotThrow(() => desiredTemplate({name: 'zk', namespace: 'prod', tls: false}, from, {image: 'zookeeper:3.8.7'}));
  });
});
