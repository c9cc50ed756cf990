/**
 * The spread rule (src/ops/ensemble/spread.ts): which placements of members
 * over nodes and zones `status` and `create` warn about, and that the
 * StatefulSet's preferred anti-affinity covers zones.
 */
import assert from 'node:assert/strict';
import {spreadNode, spreadWarnings, ZONE_LABEL, type SpreadMember, type SpreadNode} from '../../src/ops/ensemble/spread.js';
import type {KubeObject} from '../../src/kube/types.js';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {fakeMembers} from '../support/fake-members.js';
import {runInProcess} from '../support/inprocess.js';

const voters = (...nodes: (string | undefined)[]): SpreadMember[] => nodes.map((node, i) => ({pod: `zk-${i}`, node, voter: true}));
const nodes = (spec: Record<string, string | undefined>, unschedulable: string[] = []): SpreadNode[] =>
  Object.entries(spec).map(([name, zone]) => ({name, zone, schedulable: !unschedulable.includes(name)}));

describe('spread warnings (nodes and zones)', () => {
  it('nodes: members that share a node are named, with "only N schedulable nodes" when there are too few; before placement too few nodes alone is said', () => {
    const three = nodes({n1: undefined, n2: undefined, n3: undefined});
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), three), []);
    assert.deepEqual(spreadWarnings(voters('n1', 'n1', 'n3'), three), ['members share a node: n1: zk-0, zk-1 (one node failure takes several)']);
    assert.deepEqual(spreadWarnings(voters('n1', 'n1', 'n2'), nodes({n1: undefined, n2: undefined, n3: undefined}, ['n3'])), [
      'members share a node: n1: zk-0, zk-1 (one node failure takes several; only 2 schedulable nodes for 3 members)',
    ]);
    assert.deepEqual(spreadWarnings(voters(undefined, undefined, undefined), nodes({n1: undefined, n2: undefined})), [
      'only 2 schedulable nodes for 3 members: some will share a node (one node failure takes several)',
    ]);
    // nodes not readable: what the pods say is still judged
    assert.deepEqual(spreadWarnings(voters('n1', 'n1', 'n2'), undefined), ['members share a node: n1: zk-0, zk-1 (one node failure takes several)']);
  });

  it('zones: judged only when every node involved is labelled, over at least two zones, and for 3 or more voters', () => {
    // no labels (the test bed): nothing about zones
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), nodes({n1: undefined, n2: undefined, n3: undefined})), []);
    // one member's node unlabelled: zones unknown
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), nodes({n1: 'a', n2: 'a', n3: undefined})), []);
    // one zone (a zonal cluster): nothing to do about zones, nothing said, also by create
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), nodes({n1: 'a', n2: 'a', n3: 'a'}), {fewZones: true}), []);
    assert.deepEqual(spreadWarnings(voters(undefined, undefined, undefined), nodes({n1: 'a', n2: 'a', n3: 'a'}), {fewZones: true}), []);
    // 1 and 2 voters lose the quorum with any member: no zone warning
    assert.deepEqual(spreadWarnings(voters('n1', 'n2'), nodes({n1: 'a', n2: 'a', n3: 'b'})), []);
  });

  it('zones: a zone holding more voters than the ensemble can lose is warned when the zones could do better; when they cannot, only by create', () => {
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), nodes({n1: 'a', n2: 'a', n3: 'b', n4: 'c'})), [
      'a zone holds more voters than the ensemble can lose: a: zk-0, zk-1 (of 3 voters; losing that zone loses the quorum; 3 schedulable zones could hold them so that no single zone takes the quorum)',
    ]);
    // two zones for three voters: no placement survives a zone; create says so (fewZones), status does not repeat it
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), nodes({n1: 'a', n2: 'a', n3: 'b'}), {fewZones: true}), [
      'a zone holds more voters than the ensemble can lose: a: zk-0, zk-1 (of 3 voters; losing that zone loses the quorum; 2 schedulable zones cannot hold 3 voters so that no single zone takes the quorum)',
    ]);
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3'), nodes({n1: 'a', n2: 'a', n3: 'b'})), []);
    // 5 voters tolerate 2: 2+2+1 over three zones survives any one zone
    assert.deepEqual(spreadWarnings(voters('n1', 'n2', 'n3', 'n4', 'n5'), nodes({n1: 'a', n2: 'a', n3: 'b', n4: 'b', n5: 'c'})), []);
    // an observer in the zone does not count toward the quorum
    const withObserver: SpreadMember[] = [...voters('n1', 'n2', 'n3'), {pod: 'zk-3', node: 'n4', voter: false}];
    assert.deepEqual(spreadWarnings(withObserver, nodes({n1: 'a', n2: 'b', n3: 'c', n4: 'a'})), [], '3 zones for 4 members: sharing cannot be avoided, and the observer takes no quorum');
  });

  it('zones: members sharing a zone that does not take the quorum are named only when there are at least as many zones as members', () => {
    const five = voters('n1', 'n2', 'n3', 'n4', 'n5');
    assert.deepEqual(spreadWarnings(five, nodes({n1: 'a', n2: 'a', n3: 'b', n4: 'c', n5: 'd', n6: 'e'})), [
      'members share a zone: a: zk-0, zk-1 (5 schedulable zones for 5 members: one zone failure takes several)',
    ]);
    assert.deepEqual(spreadWarnings(five, nodes({n1: 'a', n2: 'a', n3: 'b', n4: 'c', n5: 'd'})), [], '4 zones for 5 members: sharing cannot be avoided, and no zone takes the quorum');
  });

  it('zones before placement: too few zones for any placement to survive one zone', () => {
    const unplaced = voters(undefined, undefined, undefined);
    assert.deepEqual(spreadWarnings(unplaced, nodes({n1: 'a', n2: 'a', n3: 'b'}), {fewZones: true}), ["only 2 schedulable zones for 3 voters: one zone's loss can take the quorum"]);
    assert.deepEqual(spreadWarnings(unplaced, nodes({n1: 'a', n2: 'b', n3: 'c'})), []);
  });

  it('a node: its zone label; schedulable when Ready and not cordoned', () => {
    const ready = {type: 'Ready', status: 'True'};
    assert.deepEqual(spreadNode({metadata: {name: 'n1', labels: {[ZONE_LABEL]: 'a'}}, status: {conditions: [ready]}}), {name: 'n1', zone: 'a', schedulable: true});
    assert.equal(spreadNode({metadata: {name: 'n1'}, spec: {unschedulable: true}, status: {conditions: [ready]}}).schedulable, false);
    assert.equal(spreadNode({metadata: {name: 'n1'}, status: {conditions: [{type: 'Ready', status: 'Unknown'}]}}).schedulable, false);
  });
});

describe('spread warnings in process (oclif, fake API server)', function () {
  this.timeout(60_000);
  const node = (name: string, zone?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {name, labels: zone ? {[ZONE_LABEL]: zone} : {}},
    status: {conditions: [{type: 'Ready', status: 'True'}]},
  });

  it('status: members sharing a zone that takes the quorum are warned (human and -o json), each member shows its zone; the same ensemble spread over three zones is not', async () => {
    const kube = new FakeKube('team-a');
    await seedEnsemble(kube, 'zk', 'team-a', 3);
    for (const [i, n] of ['n1', 'n2', 'n3'].entries()) (kube.all('Pod').find((p) => p.metadata.name === `zk-${i}`) as unknown as {spec: {nodeName: string}}).spec.nodeName = n;
    kube.seed(node('n1', 'a'), node('n2', 'a'), node('n3', 'b'), node('n4', 'c'));
    const members = await fakeMembers(kube, 'zk', 'team-a', ['follower', 'leader', 'follower']);
    try {
      const human = await runInProcess('status', ['zk'], {kube});
      assert.match(
        human.stdout + human.stderr,
        /a zone holds more voters than the ensemble can lose: a: zk-0, zk-1 \(of 3 voters; losing that zone loses the quorum; 3 schedulable zones could hold them/,
      );
      const json = JSON.parse((await runInProcess('status', ['zk', '-o', 'json'], {kube})).stdout) as {warnings: string[]; members: {pod: string; zone?: string}[]};
      assert.ok(json.warnings.some((w) => w.startsWith('a zone holds more voters')));
      assert.deepEqual(
        json.members.map((m) => [m.pod, m.zone]),
        [
          ['zk-0', 'a'],
          ['zk-1', 'a'],
          ['zk-2', 'b'],
        ],
      );
      kube.seed(node('n2', 'c'));
      const spread = JSON.parse((await runInProcess('status', ['zk', '-o', 'json'], {kube})).stdout) as {warnings: string[]};
      assert.deepEqual(
        spread.warnings.filter((w) => /zone|node/.test(w)),
        [],
      );
    } finally {
      await members.close();
    }
  });

  it('create --no-wait on two nodes for three members: the warning on stderr, the ensemble made all the same', async () => {
    const kube = new FakeKube('team-a');
    kube.seed(node('n1'), node('n2'));
    const r = await runInProcess('create', ['zk', '--no-wait'], {kube});
    assert.equal(r.exit, 0, r.stderrAsCli);
    assert.match(r.stderr, /only 2 schedulable nodes for 3 members: some will share a node/);
    assert.ok(kube.calls.includes('apply StatefulSet/zk'));
  });
});
