/**
 * The supported ZooKeeper lines on the real cluster, through `kubectl zk …`:
 * the plugin's default image is the one the cluster carries (the 3.9 line);
 * create / status / znode / failover-test once on 3.8; `upgrade` from 3.8 to
 * the default under a writer (the leader last, no acknowledged write lost,
 * every member reporting the new version in srvr); and an upgrade to an image
 * that is not ZooKeeper stops after the first member with the quorum intact.
 * The servers are asked directly (srvr from inside the pods).
 */
import assert from 'node:assert/strict';
import {DEFAULT_IMAGE, DEFAULT_ZOOKEEPER_VERSION} from '../../src/manifests/options.js';
import {clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, fourLetter, holdSession, kzk, modes, srvrVersion, waitFor, type ZkRun, leaderEpoch, podUids, statusJson} from './lib/zk.js';

useCluster();

const NAME = 'zk';
const PODS = ['zk-0', 'zk-1', 'zk-2'];

/** What each member's srvr says its version is. */
async function versions(ns: string): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const pod of PODS) out[pod] = srvrVersion(await fourLetter(ns, pod, 'srvr'));
  return out;
}

function upgrade(ns: string, image: string): Promise<ZkRun> {
  return kzk(['upgrade', NAME, '-n', ns, '--image', image, '--yes', '-o', 'json', '--timeout', '4m'], {timeoutMs: 900_000});
}

describe('e2e: ZooKeeper 3.8 and 3.9 (the default) on a real cluster', function () {
  this.timeout(2_400_000);
  let ns: string;
  // read in hooks: the env file exists only once the root hook (useCluster) has run up.sh
  let env: ReturnType<typeof clusterEnv>;
  let version38: string;

  before(async () => {
    env = clusterEnv();
    const image38 = env['KZK_ZK_IMAGE_38'];
    assert.ok(image38, `${env.KZK_CLUSTER_STATE}/env does not set KZK_ZK_IMAGE_38 (test/cluster/up.sh writes it)`);
    version38 = image38.slice(image38.lastIndexOf(':') + 1);
    ns = await createNamespace('kzk-e2e-v');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', NAME, '-n', ns, '--yes', '--delete-data']).catch(() => undefined);
    await deleteNamespace(ns);
  });

  it("the cluster carries the plugin's default image (KZK_ZK_IMAGE is it, as containerd names it) and a 3.8 image", () => {
    assert.equal(env.KZK_ZK_IMAGE, `docker.io/library/${DEFAULT_IMAGE}`);
    assert.match(version38, /^3\.8\.\d+$/);
  });

  it('3.8: create, status, znode and failover-test work; every member says 3.8 in srvr', async () => {
    const r = await createEnsemble(ns, NAME, 3, ['--image', `zookeeper:${version38}`]);
    assert.match(r.stdout, /ensemble "zk" is serving in namespace "kzk-e2e-v[^"]*": 3 members, leader zk-\d/);
    assert.deepEqual((await modes(ns, NAME, 3)).sort(), ['follower', 'follower', 'leader']);
    assert.deepEqual(await versions(ns), Object.fromEntries(PODS.map((p) => [p, version38])));

    const s = await statusJson(ns, NAME);
    assert.equal(s.health, 'healthy');
    assert.equal(s.zookeeperVersion, version38);
    assert.deepEqual(
      s.members.map((m: any) => m.version),
      [version38, version38, version38],
    );
    assert.equal(s.sync.followers, 2, 'the leader counts its followers in sync (mntr on 3.8)');

    const c = await kzk(['znode', 'create', '/written-on-3.8', 'kept across the upgrade', '-n', ns]);
    assert.equal(c.code, 0, c.stderr);
    const g = await kzk(['znode', 'get', '/written-on-3.8', '-n', ns]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout.trim(), 'kept across the upgrade');

    const f = await kzk(['failover-test', NAME, '-n', ns, '--mode', 'delete-pod', '--yes', '-o', 'json', '--timeout', '4m']);
    const report = JSON.parse(f.stdout);
    assert.equal(f.code, 0, `${f.stderr}\n${JSON.stringify(report.rounds?.[0]?.problems)}`);
    const round = report.rounds[0];
    assert.equal(round.outcome, 'pass');
    assert.notEqual(round.newLeader.pod, round.before.leader);
    assert.equal(round.figures.lost, 0);
    assert.ok(round.figures.acked > 0, 'the writer ran');
    console.log(
      `      [measure] 3.8 failover delete-pod: election ${round.figures.electionMs} ms, unavailability ${round.figures.unavailabilityMs} ms, acked ${round.figures.acked}, lost ${round.figures.lost}`,
    );
    await waitFor('status exit 0', async () => (await kzk(['status', NAME, '-n', ns])).code === 0, {timeoutMs: 180_000, intervalMs: 2000});
  });

  it(`upgrade 3.8 → ${DEFAULT_IMAGE} under a writer: the leader last, no acknowledged write lost, every member says ${DEFAULT_ZOOKEEPER_VERSION} in srvr`, async () => {
    const before = await leaderEpoch(ns, PODS);
    const held = await holdSession(ns, NAME, PODS);
    const r = await upgrade(ns, DEFAULT_IMAGE);
    const w = await held.finish();
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    console.log(
      `      [measure] upgrade ${version38} → ${DEFAULT_ZOOKEEPER_VERSION}: ${result.outcome} in ${result.durationMs} ms; ${result.members.map((m: any) => `${m.pod}(${m.why}) ${m.durationMs}ms`).join(', ')}; writes acked ${w.acked}, failed ${w.failed}, longest gap ${w.longestGapMs} ms`,
    );
    assert.equal(result.outcome, 'done');
    assert.deepEqual(result.template.changes, [`image zookeeper:${version38} → ${DEFAULT_IMAGE}`]);
    assert.deepEqual(result.members.map((m: any) => m.pod).sort(), PODS);
    assert.equal(result.members.at(-1).pod, before.leader, 'the leader last');
    assert.ok(result.members.every((m: any) => m.imageAfter === DEFAULT_IMAGE));
    assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
    assert.ok(w.acked > 0, 'the writer ran');
    assert.deepEqual(w.lost, [], 'no acknowledged write lost');

    assert.deepEqual(await versions(ns), Object.fromEntries(PODS.map((p) => [p, DEFAULT_ZOOKEEPER_VERSION])));
    const s = await statusJson(ns, NAME);
    assert.equal(s.health, 'healthy');
    assert.equal(s.zookeeperVersion, DEFAULT_ZOOKEEPER_VERSION);
    assert.ok(!s.warnings.some((x: string) => /mixed ZooKeeper versions/.test(x)), s.warnings.join('\n'));
    const g = await kzk(['znode', 'get', '/written-on-3.8', '-n', ns]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout.trim(), 'kept across the upgrade');
  });

  it('upgrade to an image that is not ZooKeeper: stops after the first member (exit 4), says what it found; the quorum intact; going back replaces only that member', async () => {
    const notZk = env['KZK_BUSYBOX_IMAGE'];
    assert.ok(notZk, 'the env file sets KZK_BUSYBOX_IMAGE');
    const uids = await podUids(ns, NAME);
    const leader = (await leaderEpoch(ns, PODS)).leader;
    const r = await upgrade(ns, notZk);
    assert.equal(r.code, 4, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.outcome, 'stopped');
    assert.equal(result.members.length, 1, 'stopped after the first member');
    const victim = result.stopped.pod;
    assert.notEqual(victim, leader, 'a follower first');
    // the busybox image has no bash: the container cannot start, and the runtime says why
    const said = [result.stopped.reason, ...result.stopped.details].join('\n');
    assert.match(result.stopped.reason, new RegExp(`^${victim} (cannot start on revision \\S+ \\(image ${notZk.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)|did not come back)`));
    assert.match(said, /bash/, said);
    assert.match(r.stderr, new RegExp(`^error: upgrade stopped at ${victim}: `, 'm'));
    assert.match(result.stopped.hint, /the others keep a quorum \(2\/3 voters serving/);
    const now = await podUids(ns, NAME);
    for (const pod of PODS.filter((p) => p !== victim)) assert.equal(now[pod], uids[pod], `${pod} untouched`);
    const s = await statusJson(ns, NAME);
    assert.equal(s.quorum.has, true);
    assert.equal(s.quorum.servingVoters, 2);
    assert.equal(s.quorum.leader, leader, 'no election');

    const back = await upgrade(ns, DEFAULT_IMAGE);
    assert.equal(back.code, 0, back.stderr);
    const b = JSON.parse(back.stdout);
    assert.deepEqual(
      b.members.map((m: any) => m.pod),
      [victim],
    );
    assert.deepEqual(b.elections, []);
    assert.equal((await statusJson(ns, NAME)).health, 'healthy');
    assert.deepEqual(await versions(ns), Object.fromEntries(PODS.map((p) => [p, DEFAULT_ZOOKEEPER_VERSION])));
  });
});
