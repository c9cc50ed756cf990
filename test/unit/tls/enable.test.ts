import assert from 'node:assert/strict';
import {CliError, UsageError} from '../../../src/errors.js';
import type {KubeObject, StatefulSetObject} from '../../../src/kube/types.js';
import {loadAssets} from '../../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../../src/manifests/options.js';
import {renderEnsemble} from '../../../src/manifests/render.js';
import {tlsEnableZooCfg} from '../../../src/manifests/tls-enable.js';
import {tlsZooCfg} from '../../../src/manifests/tls.js';
import {clientAccess} from '../../../src/ops/ensemble/access.js';
import {gatherStatus} from '../../../src/ops/status.js';
import {phasesAfter, policyRules, recordedPhase, rollPatch, servicePorts} from '../../../src/ops/tls/enable-template.js';
import {tlsEnable, type TlsEnableDeps} from '../../../src/ops/tls/enable.js';
import {makeEnsembleTls} from '../../../src/tls/ensemble.js';
import {parseDynamicConfig} from '../../../src/zk/parse.js';
import {FakeKube, seedEnsemble} from '../../support/fake-kube.js';
import {recordingProgress} from '../../support/progress.js';
import {fakeTime} from '../../support/time.js';

const assets = loadAssets();
const now = new Date('2026-12-06T00:00:00Z');

function render(tls: boolean, image?: string): Record<string, any> {
  const o = validateEnsembleOptions({name: 'zk', namespace: 'prod', tls, ...(image ? {image} : {})}).options;
  const objs = renderEnsemble(o, {superPassword: 'pw', ...(tls ? {tls: makeEnsembleTls(o, now)} : {})}, assets);
  return Object.fromEntries(objs.map((x) => [`${x.kind}/${x.metadata.name}`, x]));
}

function cfgLines(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#'));
}

describe('tls enable: the phases (pure)', () => {
  it("roll 1 and 2 are create --tls's settings with the quorum port unified; roll 3 is create --tls's text", () => {
    const full = tlsZooCfg({trustStore: '/tls/ca.crt', secureClientPort: 2281});
    const one = cfgLines(tlsEnableZooCfg('quorum-unified', '/tls/ca.crt'));
    const two = cfgLines(tlsEnableZooCfg('quorum-tls', '/tls/ca.crt'));
    assert.ok(one.includes('sslQuorum=false') && one.includes('portUnification=true') && !one.includes('sslQuorum=true'));
    assert.ok(two.includes('sslQuorum=true') && two.includes('portUnification=true'));
    assert.ok(one.includes('secureClientPort=2281') && one.includes('serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory'));
    assert.deepEqual(
      two.filter((l) => l !== 'portUnification=true'),
      cfgLines(full),
    );
    assert.equal(tlsEnableZooCfg('tls', '/tls/ca.crt'), full);
  });

  it('the recorded phase: none → every phase to do; a recorded one → the rest', () => {
    assert.equal(recordedPhase(null), undefined);
    assert.equal(recordedPhase({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x', annotations: {'kubectl-zk/tls-enable': 'quorum-tls'}}}), 'quorum-tls');
    assert.deepEqual(phasesAfter(undefined), ['certificates', 'quorum-unified', 'quorum-tls', 'clients-tls', 'done']);
    assert.deepEqual(phasesAfter('quorum-tls'), ['clients-tls', 'done']);
  });

  it("roll 1 adds the secure port next to the plain one and the roll's settings; roll 3 ends in create --tls's pod; a template on the roll needs no patch", () => {
    const sts = render(false)['StatefulSet/zk'] as StatefulSetObject;
    const p1 = rollPatch(sts, 'quorum-unified', 'zk') as any;
    const c1 = p1.spec.template.spec.containers.find((c: any) => c.name === 'zookeeper');
    assert.deepEqual(c1.ports.map((p: any) => p.name).slice(0, 2), ['secure-client', 'client']);
    assert.equal(c1.env.find((e: any) => e.name === 'ZK_STATIC_TEMPLATE').value, '/opt/kubectl-zk/zoo.cfg.tls-quorum-unified');
    assert.equal(p1.spec.template.metadata.annotations['kubectl-zk/tls-enable'], 'quorum-unified');
    const on1 = {...sts, spec: {...sts.spec, template: {...p1.spec.template, metadata: {...sts.spec?.template?.metadata, ...p1.spec.template.metadata}}}} as StatefulSetObject;
    assert.equal(rollPatch(on1, 'quorum-unified', 'zk'), undefined);
    const p3 = rollPatch(on1, 'tls', 'zk') as any;
    const c3 = p3.spec.template.spec.containers.find((c: any) => c.name === 'zookeeper');
    const made = (render(true)['StatefulSet/zk'] as any).spec.template.spec;
    const mc = made.containers.find((c: any) => c.name === 'zookeeper');
    assert.deepEqual(c3.ports, mc.ports);
    assert.deepEqual(c3.volumeMounts, mc.volumeMounts);
    assert.deepEqual(
      c3.env.map((e: any) => e.name),
      mc.env.map((e: any) => e.name),
    );
    assert.deepEqual(p3.spec.template.spec.volumes, made.volumes);
  });

  it('Services and NetworkPolicy: both client ports, then the secure one only, as create --tls renders them', () => {
    const plain = render(false);
    const tls = render(true);
    for (const svc of ['Service/zk', 'Service/zk-hs']) {
      const both = servicePorts(plain[svc].spec.ports, 'both');
      assert.deepEqual(
        both.map((p) => p.port),
        svc === 'Service/zk' ? [2181, 2281] : [2181, 2281, 2888, 3888],
      );
      assert.deepEqual(servicePorts(both, 'tls'), tls[svc].spec.ports);
    }
    const rules = plain['NetworkPolicy/zk'].spec.ingress;
    const both = policyRules(rules, 'both');
    assert.deepEqual(
      both[1]!.ports!.map((p) => p.port),
      [2181, 2281, 7000],
    );
    assert.deepEqual(
      policyRules(both, 'tls').map((r) => (r.ports ?? []).map((p) => p.port).sort()),
      (tls['NetworkPolicy/zk'].spec.ingress as any[]).map((r) => (r.ports ?? []).map((p: any) => p.port).sort()),
    );
    assert.deepEqual(both[0], rules[0], 'the quorum rule is untouched');
  });

  it('what a member accepts, from its conf: plain, both, tls (plain port on loopback), none', () => {
    const conf = (secure: string | undefined, client: string) => ({
      values: (secure ? {secureClientPort: secure} : {}) as Record<string, string>,
      serverId: 1,
      clientPort: 2181,
      membership: parseDynamicConfig(`server.1=zk-0.zk-hs.prod.svc.cluster.local:2888:3888:participant;${client}\nversion=100000000`),
    });
    assert.equal(clientAccess(conf(undefined, '0.0.0.0:2181')), 'plain');
    assert.equal(clientAccess(conf(undefined, '2181')), 'plain');
    assert.equal(clientAccess(conf('2281', '0.0.0.0:2181')), 'both');
    assert.equal(clientAccess(conf('2281', '127.0.0.1:2181')), 'tls');
    assert.equal(clientAccess(conf(undefined, '127.0.0.1:2181')), 'none');
    assert.equal(clientAccess({...conf(undefined, '2181'), serverId: 7}), undefined, 'not in its own membership');
  });
});

describe('tls enable: the op against the in-memory API', () => {
  function deps(kube: FakeKube): TlsEnableDeps {
    const t = fakeTime();
    return {
      kube,
      clock: t.clock,
      progress: recordingProgress(),
      confirm: async () => true,
      endpoint: async () => {
        throw new Error('no member is reached in these tests');
      },
      roll: async () => {
        throw new Error('no roll in these tests');
      },
      sleep: t.sleep,
      openStatus: () => {
        throw new Error('no status in these tests');
      },
    };
  }
  const req = {name: 'zk', namespace: 'prod', dryRun: true, timeoutMs: 60_000, settleMs: 0};
  const writes = (kube: FakeKube) => kube.calls.filter((c) => !/^(get|list) /.test(c));

  it('--dry-run: every phase planned, nothing written', async () => {
    const kube = new FakeKube('prod');
    await seedEnsemble(kube, 'zk', 'prod', 3);
    kube.calls.length = 0;
    const r = await tlsEnable(req, deps(kube));
    assert.equal(r.outcome, 'planned');
    assert.deepEqual(
      r.phases.map((p) => `${p.phase}:${p.state}`),
      ['certificates:planned', 'quorum-unified:planned', 'quorum-tls:planned', 'clients-tls:planned', 'done:planned'],
    );
    assert.deepEqual(writes(kube), []);
  });

  it('--dry-run after a stopped run: the phases reached are done before', async () => {
    const kube = new FakeKube('prod');
    await seedEnsemble(kube, 'zk', 'prod', 3);
    await kube.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', namespace: 'prod', name: 'zk-config'}, {metadata: {annotations: {'kubectl-zk/tls-enable': 'quorum-unified'}}});
    const r = await tlsEnable(req, deps(kube));
    assert.equal(r.resumedAfter, 'quorum-unified');
    assert.deepEqual(
      r.phases.map((p) => p.state),
      ['done-before', 'done-before', 'planned', 'planned', 'planned'],
    );
  });

  it('an ensemble made with --tls: a clear error, nothing written', async () => {
    const kube = new FakeKube('prod');
    kube.seed(...(Object.values(render(true)) as KubeObject[]).map((o) => ({...o, metadata: {...o.metadata, namespace: 'prod'}})));
    kube.calls.length = 0;
    await assert.rejects(tlsEnable({...req, dryRun: false}, deps(kube)), (e: unknown) => e instanceof CliError && /already has TLS: nothing to do/.test(e.message));
    assert.deepEqual(writes(kube), []);
  });

  it('status warns while a run is under way (the phase reached, the command that goes on), not once it is done', async () => {
    const kube = new FakeKube('prod');
    await seedEnsemble(kube, 'zk', 'prod', 1);
    const cm = {apiVersion: 'v1', kind: 'ConfigMap', namespace: 'prod', name: 'zk-config'};
    const deps = {kube, clock: {now: () => 0}, endpoint: async () => ({host: '127.0.0.1', port: 1}), timeoutMs: 200};
    assert.ok(!(await gatherStatus({name: 'zk', namespace: 'prod'}, deps)).warnings.some((w) => /tls enable/.test(w)));
    await kube.mergePatch(cm, {metadata: {annotations: {'kubectl-zk/tls-enable': 'quorum-tls'}}});
    assert.ok(
      (await gatherStatus({name: 'zk', namespace: 'prod'}, deps)).warnings.includes('tls enable is under way (last phase reached: quorum-tls): kubectl zk tls enable zk -n prod goes on from there'),
    );
    await kube.mergePatch(cm, {metadata: {annotations: {'kubectl-zk/tls-enable': 'done'}}});
    assert.ok(!(await gatherStatus({name: 'zk', namespace: 'prod'}, deps)).warnings.some((w) => /tls enable/.test(w)));
  });

  it('a ZooKeeper 3.8 image: a usage error, nothing written', async () => {
    const kube = new FakeKube('prod');
    kube.seed(...(Object.values(render(false, 'zookeeper:3.8.7')) as KubeObject[]));
    kube.calls.length = 0;
    await assert.rejects(
      tlsEnable({...req, dryRun: false}, deps(kube)),
      (e: unknown) => e instanceof UsageError && /tls enable needs ZooKeeper 3\.9\.0 or newer; ensemble "zk" runs zookeeper:3\.8\.7/.test(e.message),
    );
    assert.deepEqual(writes(kube), []);
  });
});
