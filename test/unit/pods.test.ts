import assert from 'node:assert/strict';
import {podProblem, type PodLike} from '../../src/ops/pods.js';
import {fakePod} from '../support/fake-kube.js';

const waiting = (reason: string, message: string) => fakePod('ns', 'zk-0', {}, {waiting: reason, message}) as unknown as PodLike;

describe('podProblem: what retrying fixes and what it does not', () => {
  it('CreateContainerConfigError for a Secret or key that is not there is fatal (a roll stops on it)', () => {
    const p = podProblem(waiting('CreateContainerConfigError', 'secret "zk-auth" not found'));
    assert.equal(p?.reason, 'CreateContainerConfigError');
    assert.equal(p?.fatal, true);
  });

  it("CreateContainerConfigError because the kubelet's own Secret/ConfigMap cache is not synced yet: still starting, not fatal", () => {
    for (const message of ['failed to sync secret cache: timed out waiting for the condition', 'failed to sync configmap cache: timed out waiting for the condition']) {
      const p = podProblem(waiting('CreateContainerConfigError', message));
      assert.equal(p?.reason, 'Pending', message);
      assert.equal(p?.fatal, false);
      assert.match(p?.message ?? '', /still reading the pod's Secrets and ConfigMaps/);
    }
  });
});
