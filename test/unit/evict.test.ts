import assert from 'node:assert/strict';
import {toKubeError} from '../../src/kube/errors.js';
import {budgetName, EvictionBlocked, evictPod} from '../../src/ops/evict.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {fakeTime} from '../support/time.js';

const REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.: The disruption budget zk needs 3 healthy pods and has 3 currently";

describe('evictPod: the Eviction API, retried while a PodDisruptionBudget refuses', () => {
  it("the budget's name from the API server's 429 (its causes)", () => {
    const body = JSON.stringify({
      kind: 'Status',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: {causes: [{reason: 'DisruptionBudget', message: 'The disruption budget zk-pdb needs 2 healthy pods and has 2 currently'}]},
      code: 429,
    });
    const e = toKubeError(Object.assign(new Error('HTTP 429'), {code: 429, body}), {server: 's', context: 'c'}, {verb: 'create', resource: 'pods/eviction', namespace: 'ns', name: 'zk-0'});
    assert.equal(e.status, 429);
    assert.match(e.message, /^eviction of pods\/eviction "zk-0" in namespace "ns" refused: Cannot evict pod .*: The disruption budget zk-pdb needs 2/);
    assert.equal(budgetName(e.apiMessage), 'zk-pdb');
  });

  it('a refusal is retried; once allowed the pod is evicted', async () => {
    const t = fakeTime();
    const kube = new FakeKube('ns').seed(fakePod('ns', 'zk-0', {}, 'ready'));
    kube.fail('evict', 'Pod', 429, {times: 2, message: REFUSED});
    const blocked: string[] = [];
    assert.equal(await evictPod(kube, 'ns', 'zk-0', {...t, timeoutMs: 60_000, onBlocked: (w) => blocked.push(w)}), true);
    assert.deepEqual(kube.evicted, ['zk-0']);
    assert.equal(kube.calls.filter((c) => c === 'evict Pod/zk-0').length, 3);
    assert.equal(blocked.length, 1, 'the same reason is reported once');
  });

  it('refused until the limit: EvictionBlocked names the PodDisruptionBudget; the pod stays', async () => {
    const t = fakeTime();
    const kube = new FakeKube('ns').seed(fakePod('ns', 'zk-0', {}, 'ready'));
    kube.fail('evict', 'Pod', 429, {message: REFUSED});
    const err = await evictPod(kube, 'ns', 'zk-0', {...t, timeoutMs: 10_000}).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof EvictionBlocked);
    assert.equal(err.budget, 'zk');
    assert.match(err.message, /^eviction of pod zk-0 refused for 10\.0s by PodDisruptionBudget zk: /);
    assert.deepEqual(
      kube.all('Pod').map((p) => p.metadata.name),
      ['zk-0'],
    );
  });

  it('another API error is not retried; a pod already gone is false', async () => {
    const t = fakeTime();
    const kube = new FakeKube('ns');
    assert.equal(await evictPod(kube, 'ns', 'zk-9', {...t, timeoutMs: 10_000}), false);
    kube.fail('evict', 'Pod', 403);
    await assert.rejects(evictPod(kube, 'ns', 'zk-0', {...t, timeoutMs: 10_000}), (e: unknown) => (e as {status?: number}).status === 403);
    assert.equal(kube.calls.filter((c) => c === 'evict Pod/zk-0').length, 1);
  });
});
