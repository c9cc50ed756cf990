import assert from 'node:assert/strict';
import {loadAssets} from '../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {isolate, isolatedSpec, partitionPolicy} from '../../src/ops/failover/partition.js';
import {FakeKube} from '../support/fake-kube.js';

const NS = 'ns';
const ref = {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: NS, name: 'zk'};
const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;

function rendered(): any {
  const o = validateEnsembleOptions({name: 'zk', namespace: NS, replicas: 3}).options;
  return renderEnsemble(o, {superPassword: 'pw'}, loadAssets()).find((x) => x.kind === 'NetworkPolicy');
}

describe('failover-test --mode partition: the NetworkPolicies', () => {
  it('isolatedSpec: the leader is out of whom the policy selects and of the member rule; the client rule is untouched', () => {
    const p = rendered();
    const spec = isolatedSpec(p.spec, 'zk-1');
    const notIn = {key: 'statefulset.kubernetes.io/pod-name', operator: 'NotIn', values: ['zk-1']};
    assert.deepEqual(spec.podSelector!.matchExpressions, [notIn]);
    assert.deepEqual(spec.podSelector!.matchLabels, p.spec.podSelector.matchLabels);
    const [members, clients] = spec.ingress!;
    assert.deepEqual(members!.from![0]!.podSelector!.matchExpressions, [notIn]);
    assert.deepEqual(json(clients), json(p.spec.ingress[1]));
    // narrowing twice (a second run after a crash) does not stack expressions
    assert.deepEqual(isolatedSpec(spec, 'zk-2').podSelector!.matchExpressions, [{...notIn, values: ['zk-2']}]);
  });

  it('partitionPolicy: selects only the leader, no ingress and no egress rule, owned by the ensemble (teardown takes it)', () => {
    const cut = partitionPolicy(rendered(), 'zk-0') as any;
    assert.equal(cut.metadata.name, 'zk-partition');
    assert.deepEqual(cut.spec, {podSelector: {matchLabels: {'statefulset.kubernetes.io/pod-name': 'zk-0'}}, policyTypes: ['Ingress', 'Egress']});
    assert.equal(cut.metadata.annotations['kubectl-zk.io/ensemble'], 'zk');
    assert.equal(cut.metadata.labels['app.kubernetes.io/instance'], 'zk');
  });

  it('isolate narrows and cuts; heal puts the ensemble policy back exactly and deletes the cut', async () => {
    const kube = new FakeKube(NS).seed(rendered());
    const original = json((await kube.get<any>(ref)).spec);
    const heal = await isolate(kube, NS, 'zk', 'zk-2');
    const narrowed = (await kube.get<any>(ref)).spec;
    assert.deepEqual(narrowed.podSelector.matchExpressions[0].values, ['zk-2']);
    assert.ok(await kube.get({...ref, name: 'zk-partition'}));
    await heal();
    assert.deepEqual(json((await kube.get<any>(ref)).spec), original);
    assert.equal(await kube.get({...ref, name: 'zk-partition'}), null);
  });

  it('a failure half-way heals before it throws: nothing stays cut off', async () => {
    const kube = new FakeKube(NS).seed(rendered());
    const original = json((await kube.get<any>(ref)).spec);
    kube.fail('patch', 'NetworkPolicy', 403, {times: 1});
    await assert.rejects(isolate(kube, NS, 'zk', 'zk-0'), /403|fake/);
    assert.deepEqual(json((await kube.get<any>(ref)).spec), original);
    assert.equal(await kube.get({...ref, name: 'zk-partition'}), null);
  });

  it('no ensemble policy: a clear error, nothing made', async () => {
    const kube = new FakeKube(NS);
    await assert.rejects(isolate(kube, NS, 'zk', 'zk-0'), /the ensemble has no NetworkPolicy zk to narrow \(kubectl zk secure zk makes it\)/);
    assert.deepEqual(kube.all('NetworkPolicy'), []);
  });
});
