/** Metrics: the PodMonitor (`create --monitor`), discovery of its CRD, the metrics port in the NetworkPolicy, mntr figures in `status`. */
import assert from 'node:assert/strict';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {ownedByStatefulSet, renderPodMonitor} from '../../src/manifests/monitor.js';
import {describeClientPeers, parseClientSources} from '../../src/manifests/network.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderNetworkPolicy} from '../../src/manifests/render.js';
import {planCreate} from '../../src/ops/create.js';
import {droppingUnservedMonitor, withOwner} from '../../src/ops/monitor.js';
import type {MemberReport, StatusReport} from '../../src/ops/status.js';
import {renderStatus} from '../../src/render/status.js';
import {noPaint} from '../../src/util/progress.js';
import {parseMntr} from '../../src/zk/parse.js';
import {FakeKube} from '../support/fake-kube.js';

const assets = loadAssets();
const options = validateEnsembleOptions({name: 'zk', namespace: 'prod', replicas: 3}).options;

describe('metrics (pure and against the in-memory API)', () => {
  it("renders a PodMonitor selecting exactly this ensemble's pods on the named metrics port", () => {
    const pm = renderPodMonitor(options) as any;
    assert.equal(pm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(pm.kind, 'PodMonitor');
    assert.deepEqual(pm.metadata, {name: 'zk', namespace: 'prod', labels: ensembleLabels('zk', options.image)});
    assert.deepEqual(pm.spec.selector, {matchLabels: {'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'zk'}});
    assert.deepEqual(pm.spec.podMetricsEndpoints, [{port: 'metrics', path: '/metrics'}]);
    const sts = (planCreate({options, wait: false, timeoutMs: 0, warnings: []}, assets, 'pw') as any[]).find((o) => o.kind === 'StatefulSet');
    assert.ok(
      sts.spec.template.spec.containers[0].ports.some((p: any) => p.name === 'metrics' && p.containerPort === 7000),
      'the port the PodMonitor names exists',
    );
  });

  it('planCreate (what --dry-run prints) has the PodMonitor last with --monitor, and none without', () => {
    const kinds = (monitor: boolean) => planCreate({options, wait: false, timeoutMs: 0, warnings: [], monitor}, assets, 'pw').map((o) => o.kind);
    assert.equal(kinds(true).at(-1), 'PodMonitor');
    assert.equal(kinds(true).at(-2), 'StatefulSet');
    assert.ok(!kinds(false).includes('PodMonitor'));
  });

  it('the PodMonitor is owned by the applied StatefulSet (gone with it); nothing else is, and no uid means no reference', () => {
    const pm = renderPodMonitor(options);
    const sts = {apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', namespace: 'prod', uid: 'u-1'}};
    assert.deepEqual(withOwner(pm, [sts]).metadata.ownerReferences, [{apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'zk', uid: 'u-1', blockOwnerDeletion: false}]);
    const svc = {apiVersion: 'v1', kind: 'Service', metadata: {name: 'zk'}};
    assert.equal(withOwner(svc, [sts]), svc);
    assert.equal(ownedByStatefulSet(pm, {...sts, metadata: {name: 'zk'}}), pm);
  });

  it('--monitor without the PodMonitor CRD: a warning, the PodMonitor dropped, the rest kept', async () => {
    const kube = new FakeKube('prod');
    const objects = planCreate({options, wait: false, timeoutMs: 0, warnings: [], monitor: true}, assets, 'pw');
    const warnings: string[] = [];
    const kept = await droppingUnservedMonitor(kube, objects, (w) => warnings.push(w));
    assert.deepEqual(
      kept.map((o) => o.kind),
      objects.filter((o) => o.kind !== 'PodMonitor').map((o) => o.kind),
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /--monitor: the API server does not serve PodMonitor \(monitoring\.coreos\.com\/v1\).*no PodMonitor made/);
    assert.deepEqual(kube.calls, ['discover PodMonitor']);
  });

  it('--monitor with the CRD: kept; a failed discovery is a warning too; without --monitor discovery is not asked', async () => {
    const kube = new FakeKube('prod');
    kube.servedKinds.add('monitoring.coreos.com/v1|PodMonitor');
    const objects = planCreate({options, wait: false, timeoutMs: 0, warnings: [], monitor: true}, assets, 'pw');
    const warnings: string[] = [];
    assert.equal((await droppingUnservedMonitor(kube, objects, (w) => warnings.push(w))).length, objects.length);
    assert.equal(warnings.length, 0);
    kube.fail('discover', 'PodMonitor', 403, {message: 'forbidden'});
    assert.equal((await droppingUnservedMonitor(kube, objects, (w) => warnings.push(w))).length, objects.length - 1);
    assert.match(warnings[0]!, /could not ask the API server whether it serves PodMonitor/);
    const plain = new FakeKube('prod');
    await droppingUnservedMonitor(plain, planCreate({options, wait: false, timeoutMs: 0, warnings: []}, assets, 'pw'), () => assert.fail('no warning'));
    assert.deepEqual(plain.calls, []);
  });

  it('the metrics port admits exactly the client sources, whatever they are; status still reads them back', () => {
    for (const flags of [['namespace=kafka', 'podSelector=app=billing'], ['all'], ['same-namespace']]) {
      const np = renderNetworkPolicy({...options, clientSources: parseClientSources(flags)}, assets) as any;
      const rules = np.spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === 7000));
      assert.equal(rules.length, 1, 'one rule carries the metrics port');
      assert.ok(
        rules[0].ports.some((p: any) => p.port === 2181),
        'the same rule as the client port',
      );
      assert.deepEqual(describeClientPeers(np, 2181), flags);
    }
  });

  it('status: outstanding requests, average latency, znodes and watches per member, from mntr', () => {
    const mntr = parseMntr(
      [
        'zk_version\t3.9.5-1, built on 2025',
        'zk_server_state\tfollower',
        'zk_avg_latency\t0.4',
        'zk_max_latency\t7',
        'zk_outstanding_requests\t2',
        'zk_znode_count\t1234',
        'zk_watch_count\t56',
        'zk_fsync_threshold_exceed_count\t3',
        '',
      ].join('\n'),
    );
    assert.ok(mntr.status === 'ok');
    assert.equal(mntr.watchCount, 56);
    const member: MemberReport = {pod: 'zk-0', serverId: 1, role: 'follower', ready: true, restarts: 0, outstanding: 2, latencyAvg: 0.4, latencyMax: 7, znodeCount: 1234, watchCount: 56};
    const r: StatusReport = {
      name: 'zk',
      namespace: 'prod',
      time: new Date(0).toISOString(),
      replicas: {desired: 1, ready: 1},
      quorum: {has: true, voters: 1, needed: 1, servingVoters: 1, tolerates: 0},
      members: [member],
      health: 'healthy',
      warnings: [],
      errors: [],
    } as StatusReport;
    const lines = renderStatus(r, noPaint).split('\n');
    const header = lines.find((l) => l.startsWith('POD'))!;
    const row = lines.find((l) => l.startsWith('zk-0'))!;
    const cell = (name: string) => row.slice(header.indexOf(name)).split(/\s+/)[0];
    assert.equal(cell('OUTST'), '2');
    assert.equal(cell('LAT AVG/MAX'), '0.4/7ms');
    assert.equal(cell('ZNODES'), '1234');
    assert.equal(cell('WATCHES'), '56');
  });
});
