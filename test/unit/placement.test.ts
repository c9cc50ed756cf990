import assert from 'node:assert/strict';
import type {KubeObject} from '../../src/kube/types.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {placementAdvice, placementProblems, pinnedNode, type NodeLike} from '../../src/ops/ensemble/placement.js';
import {gatherStatus} from '../../src/ops/status.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';

const node = (name: string, ready: 'True' | 'False' | 'Unknown', unschedulable = false): NodeLike => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {name},
  spec: {unschedulable},
  status: {conditions: [{type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown'}]},
});
const pv = (name: string, host: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: {name},
  spec: {nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: 'kubernetes.io/hostname', operator: 'In', values: [host]}]}]}}},
});

describe('status: members held down by their node', () => {
  it('the node a local volume is pinned to', () => {
    assert.equal(pinnedNode(pv('pv-1', 'n2') as never), 'n2');
    assert.equal(pinnedNode({apiVersion: 'v1', kind: 'PersistentVolume', metadata: {name: 'x'}}), undefined);
    assert.equal(pinnedNode(null), undefined);
  });

  it('pod on a NotReady or vanished node; Pending on a volume pinned to a NotReady or cordoned node; healthy nodes say nothing', () => {
    const nodes = [node('n1', 'True'), node('n2', 'Unknown'), node('n3', 'True', true)];
    const got = placementProblems(
      [
        {pod: 'zk-0', phase: 'Running', node: 'n1'},
        {pod: 'zk-1', phase: 'Running', node: 'n2'},
        {pod: 'zk-2', phase: 'Running', node: 'n9'},
        {pod: 'zk-3', phase: 'Pending', volumeNode: 'n2', unschedulable: '0/3 nodes are available: 1 node(s) had volume node affinity conflict'},
        {pod: 'zk-4', phase: 'Pending', volumeNode: 'n3'},
        {pod: 'zk-5', phase: 'Pending', volumeNode: 'n1'},
        {pod: 'zk-6', phase: 'Running', node: 'n3'},
      ],
      nodes,
    );
    assert.deepEqual(
      got.map((p) => [p.pod, p.node, p.state, p.via]),
      [
        ['zk-1', 'n2', 'not-ready', 'pod'],
        ['zk-2', 'n9', 'gone', 'pod'],
        ['zk-3', 'n2', 'not-ready', 'volume'],
        ['zk-4', 'n3', 'cordoned', 'volume'],
      ],
    );
    assert.match(got[0]!.text, /zk-1's node n2 is NotReady \(Ready=Unknown NodeStatusUnknown\)/);
    assert.match(got[2]!.text, /zk-3 is stuck Pending: its volume is bound to node n2, which is NotReady .*volume node affinity conflict/);
    const advice = placementAdvice(got[2]!, {name: 'zk', namespace: 'prod'});
    assert.match(advice, /bring node n2 back/);
    assert.match(advice, /kubectl zk member replace zk 3 -n prod \(it removes server\.4 from the voting config, deletes PVC data-zk-3 and pod zk-3,/);
    assert.match(placementAdvice(got[3]!, {name: 'zk', namespace: 'prod'}), /kubectl uncordon n3/);
  });

  it('gatherStatus diagnoses nodes and volumes only when a pod is not Ready, and warns with what to do', async () => {
    const kube = new FakeKube('ns');
    const labels = ensembleLabels('zk', 'zookeeper:3.9.5');
    kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', namespace: 'ns', labels}, spec: {replicas: 2}} as KubeObject);
    kube.seed(fakePod('ns', 'zk-0', labels, 'ready'));
    const deps = {kube, clock: {now: () => 0}, endpoint: async () => ({host: '127.0.0.1', port: 1}), timeoutMs: 200};
    const calm = await gatherStatus({name: 'zk', namespace: 'ns'}, deps);
    assert.equal(calm.placement, undefined);
    assert.ok(!kube.calls.some((c) => c.startsWith('get PersistentVolume')), 'no volume read while every pod is Ready (the node list is read for the spread warnings)');
    kube.fail('list', 'Node', 403, {times: 1});
    const calmForbidden = await gatherStatus({name: 'zk', namespace: 'ns'}, deps);
    assert.deepEqual(
      calmForbidden.errors.filter((e) => /nodes/.test(e)),
      [],
      'nodes not readable while every pod is Ready: no error (only the zone warnings are skipped)',
    );
    const pending = fakePod('ns', 'zk-1', labels, 'unschedulable');
    delete (pending['spec'] as {nodeName?: string}).nodeName;
    kube.seed(pending, node('node-1', 'True'), node('node-2', 'False'), pv('pv-zk-1', 'node-2'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {name: 'data-zk-1', namespace: 'ns'},
      spec: {volumeName: 'pv-zk-1'},
    });
    const r = await gatherStatus({name: 'zk', namespace: 'ns'}, deps);
    assert.deepEqual(
      r.placement?.map((p) => [p.pod, p.node, p.via]),
      [['zk-1', 'node-2', 'volume']],
    );
    assert.ok(
      r.warnings.some((w) => /^zk-1 is stuck Pending: its volume is bound to node node-2, which is NotReady/.test(w)),
      r.warnings.join('\n'),
    );
    kube.fail('list', 'Node', 403);
    const forbidden = await gatherStatus({name: 'zk', namespace: 'ns'}, deps);
    assert.equal(forbidden.placement, undefined);
    assert.ok(forbidden.errors.some((e) => /^nodes and volumes of members not ready: /.test(e)));
  });
});
