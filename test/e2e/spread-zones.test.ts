/**
 * Issue 19 item 3 on the test bed, whose three nodes carry the zone labels
 * zone-a, zone-b, zone-c (test/cluster/lib.sh node_zone): a 3-member ensemble
 * lands one member per node and zone (the preferred anti-affinity per node and
 * per zone); `create` prints no spread warning, `status -o json` shows each
 * member's zone and has no spread warning. The rule's other cases (shared
 * zones, too few zones) are unit and in-process tests (test/unit/spread.test.ts):
 * making them here would mean relabelling the shared bed's nodes.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, kubectlJson, useCluster} from './lib/cluster.js';
import {createEnsemble, kzk, statusJson} from './lib/zk.js';

useCluster();

const NAME = 'zk';

describe('e2e: spread over nodes and zones (issue 19 item 3)', function () {
  this.timeout(1_800_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('sig-zone');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', NAME, '-n', ns, '--yes', '--delete-data', '--break-lock']).catch(() => undefined);
    await deleteNamespace(ns);
  });

  it('three members on three zones: one per zone, no spread warning from create or status; status -o json shows the zones', async () => {
    const nodes = (await kubectlJson(['get', 'nodes'])) as {items: {metadata: {name: string; labels?: Record<string, string>}}[]};
    const zoneOf = new Map(nodes.items.map((n) => [n.metadata.name, n.metadata.labels?.['topology.kubernetes.io/zone']]));
    assert.ok(new Set(zoneOf.values()).size >= 3 && ![...zoneOf.values()].includes(undefined), `the test bed's nodes carry three zones: ${JSON.stringify([...zoneOf])}`);
    const created = await createEnsemble(ns, NAME, 3);
    assert.doesNotMatch(created.stderr, /share a node|share a zone|a zone holds|schedulable (node|zone)/, created.stderr);
    const s = await statusJson(ns, NAME);
    const members = s.members as {pod: string; node: string; zone?: string}[];
    assert.deepEqual(
      members.map((m) => m.zone),
      members.map((m) => zoneOf.get(m.node)),
      "each member shows its node's zone",
    );
    assert.equal(new Set(members.map((m) => m.zone)).size, 3, `one member per zone: ${JSON.stringify(members.map((m) => [m.pod, m.node, m.zone]))}`);
    assert.deepEqual(
      (s.warnings as string[]).filter((w) => /node|zone/.test(w)),
      [],
    );
  });
});
