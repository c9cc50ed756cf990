import assert from 'node:assert/strict';
import {cannotGoHome, takenHome} from '../../src/ops/quorum/kube.js';
import type {PodLike} from '../../src/ops/pods.js';

const pod = (name: string, o: {node?: string; unschedulable?: boolean; deleting?: boolean} = {}): PodLike => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {name, ...(o.deleting ? {deletionTimestamp: '2026-12-06T00:00:00Z'} : {})},
  spec: {containers: [], ...(o.node ? {nodeName: o.node} : {})},
  status: {phase: 'Pending', conditions: o.unschedulable ? [{type: 'PodScheduled', status: 'False', reason: 'Unschedulable'}] : []},
});

describe('restore-quorum: a rebuilt member on the survivor’s node (cannotGoHome, takenHome)', () => {
  const survivor = pod('rq-2', {unschedulable: true});
  it('names the rebuilt member whose new pod took the node the survivor ran on, while the survivor cannot be scheduled', () => {
    const others = [
      {ordinal: 0, pod: pod('rq-0', {node: 'node-2'})},
      {ordinal: 1, pod: pod('rq-1', {node: 'node-1'})},
    ];
    assert.equal(cannotGoHome(survivor), true);
    assert.equal(takenHome('node-1', others), 1);
  });
  it('nothing while the survivor is scheduled or merely pending; nor for a pod already going or on another node', () => {
    assert.equal(cannotGoHome(pod('rq-2', {node: 'node-1'})), false);
    assert.equal(cannotGoHome(pod('rq-2')), false);
    assert.equal(takenHome('node-1', [{ordinal: 1, pod: pod('rq-1', {node: 'node-1', deleting: true})}]), undefined);
    assert.equal(
      takenHome('node-1', [
        {ordinal: 1, pod: null},
        {ordinal: 0, pod: pod('rq-0', {node: 'node-3'})},
      ]),
      undefined,
    );
  });
});
