/**
 * Issue 19 item 3 on the test bed, whose three nodes carry the zone labels
 * zone-a, zone-b, zone-c (test/cluster/lib.sh node_zone): a 3-member ensemble
 * made with the default --spread auto requires one member per node and an
 * even spread over zones, and lands one member per node and zone; `create`
 * prints no spread warning, `status -o json` shows each member's zone and has
 * no spread warning. Growing it to 5 on three nodes is refused, nothing
 * changed, also with `scale --spread auto` while the running pods still
 * carry the required anti-affinity; `scale --spread preferred` at the same
 * size changes the template, `restart` rolls it out, then 3 → 5 with
 * `--spread auto` (zones required again) places the zones 2, 2, 1, under a
 * writer. The rule's other cases (shared
 * zones, too few zones) are unit and in-process tests (test/unit/spread.test.ts):
 * making them here would mean relabelling the shared bed's nodes.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, kubectlJson, useCluster} from './lib/cluster.js';
import {createEnsemble, holdSession, kzk, podUids, statusJson} from './lib/zk.js';

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
    assert.match(created.stdout, /^spread: {2}node=required,zone=required \(--spread\)$/m);
    const sts = await kubectlJson<any>(['get', 'statefulset', NAME, '-n', ns]);
    assert.equal(sts.metadata.annotations['kubectl-zk/spread'], 'node=required,zone=required');
    assert.equal(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(
      sts.spec.template.spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable]),
      [['topology.kubernetes.io/zone', 1, 'DoNotSchedule']],
    );
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

  it('5 members on three nodes: refused while one member per node is required, also by the running pods after scale --spread (nothing changed); --spread preferred on the template, restart, then scale --spread auto: zones even, 0 acknowledged writes lost', async () => {
    const nodes = ((await kubectlJson(['get', 'nodes'])) as {items: {metadata: {name: string}}[]}).items.map((n) => n.metadata.name).sort();
    const uids = await podUids(ns, NAME);
    const unchanged = async () => {
      const sts = await kubectlJson<any>(['get', 'statefulset', NAME, '-n', ns]);
      assert.equal(sts.spec.replicas, 3, 'nothing changed: replicas');
      assert.equal(sts.metadata.annotations['kubectl-zk/spread'], 'node=required,zone=required', 'nothing changed: the template');
      assert.equal((await statusJson(ns, NAME)).config.members.length, 3);
      assert.deepEqual(await podUids(ns, NAME), uids, 'no member restarted');
    };
    const refused = await kzk(['scale', NAME, '-n', ns, '--replicas', '5', '--yes']);
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: refusing to scale "${NAME}" to 5 members: one member per node is required \\(spread node=required\\) and 5 members need 5 schedulable nodes; there are 3: ${nodes.join(', ')} \\(add schedulable nodes`,
        'm',
      ),
    );
    await unchanged();
    // a template that no longer requires it is not enough: the running pods keep their required anti-affinity, which binds new pods too
    const stale = await kzk(['scale', NAME, '-n', ns, '--replicas', '5', '--spread', 'auto', '--yes']);
    assert.equal(stale.code, 3, stale.stdout + stale.stderr);
    assert.match(
      stale.stderr,
      new RegExp(`the running members ${NAME}-0, ${NAME}-1, ${NAME}-2 were made when it did and keep it until they restart: roll them onto the template with kubectl zk restart ${NAME}`),
    );
    await unchanged();

    const held = await holdSession(
      ns,
      NAME,
      [0, 1, 2].map((i) => `${NAME}-${i}`),
    );
    // at the same size: only the template (auto would still require one per node for 3 members)
    const t = await kzk(['scale', NAME, '-n', ns, '--replicas', '3', '--spread', 'preferred', '--yes', '-o', 'json']);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(JSON.parse(t.stdout).spread, {from: 'node=required,zone=required', to: 'node=preferred,zone=preferred'});
    assert.deepEqual(await podUids(ns, NAME), uids, 'the template changed, no member restarted');
    const rolled = await kzk(['restart', NAME, '-n', ns, '--yes', '--timeout', '4m'], {timeoutMs: 900_000});
    assert.equal(rolled.code, 0, rolled.stderr);
    // decided for 5 on three nodes: one per node preferred, the zones required again (new members are placed 2, 2, 1)
    const r = await kzk(['scale', NAME, '-n', ns, '--replicas', '5', '--spread', 'auto', '--yes', '-o', 'json', '--timeout', '4m'], {timeoutMs: 900_000});
    const w = await held.finish();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).spread, {from: 'node=preferred,zone=preferred', to: 'node=preferred,zone=required'});
    console.log(`      [measure] scale --spread preferred, restart, scale 3 → 5 --spread auto: writes acked ${w.acked}, failed ${w.failed}, lost ${w.lost.length}, longest gap ${w.longestGapMs} ms`);
    assert.deepEqual(w.lost, [], 'no acknowledged write lost');
    assert.ok(w.sessionKept);
    const s = await statusJson(ns, NAME);
    assert.equal(s.quorum.voters, 5);
    const perZone = new Map<string, number>();
    for (const m of s.members as {zone: string}[]) perZone.set(m.zone, (perZone.get(m.zone) ?? 0) + 1);
    assert.deepEqual([...perZone.values()].sort(), [1, 2, 2], `the zones stay even (maxSkew 1): ${JSON.stringify([...perZone])}`);
  });
});
