/**
 * A member lost with its node, for real: the node holding a follower is lost
 * (test/cluster/node-lose.sh: its veth down so nothing on it answers, its
 * kubelet and containerd stopped, every process of its pods killed) while a
 * writer writes through the two other members. `status` turns the member
 * into "its node is NotReady" with the command to run; `member replace`
 * rebuilds it on the remaining nodes (the pod on the lost node can never
 * confirm its deletion: member replace deletes it without grace once its
 * grace period has passed); the writer loses nothing, and the rebuilt member
 * alone serves everything. The node is brought back (node-restore.sh) at the
 * end, and in after() whatever happens. Changes the cluster: group X of
 * test/e2e/run.sh runs it alone, after the others.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {join, resolve} from 'node:path';
import {createNamespace, deleteNamespace, dumpDiagnostics, kubectl, kubectlJson, loseNode, lostNodes, restoreNode, useCluster, waitFor} from './lib/cluster.js';
import {createEnsemble, holdSession, kzk, statusJson} from './lib/zk.js';

useCluster();

const STATUS_SH = join(resolve(import.meta.dirname, '../..'), 'test/cluster/status.sh');

describe('e2e: a member lost with its node (node-lose.sh: kubelet, containerd and pods gone) is rebuilt on the remaining nodes under a writer', function () {
  this.timeout(900_000);
  let ns: string;
  const NAME = 'zkl';
  const STRICT = 'zkr';
  const LEADER = 'zkx';

  before(async () => {
    ns = await createNamespace('kzk-e2e-loss');
    // rebuilt on the remaining nodes' capacity: two members share a node, so spreading is preferred
    await createEnsemble(ns, NAME, 3, ['--spread', 'preferred']);
    // the default: one member per node required (three nodes, three zones); nowhere to rebuild while a node is lost
    await createEnsemble(ns, STRICT, 3);
    // its leader's node is lost in the second round (spread over the three nodes when made)
    await createEnsemble(ns, LEADER, 3, ['--spread', 'preferred']);
    await kzk(['znode', 'create', '/kept', 'before-the-loss', '--ensemble', LEADER, '-n', ns]);
    await kzk(['znode', 'create', '/kept', 'before-the-loss', '--ensemble', NAME, '-n', ns]);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    for (const node of lostNodes()) await restoreNode(node);
    if (ns) await deleteNamespace(ns);
  });

  it('a follower: status names the NotReady node and member replace; member replace rebuilds it elsewhere: 0 acknowledged writes lost, full strength on two nodes, its data served by it alone; the ensemble that requires one member per node is refused', async () => {
    await lossRound(NAME, 'follower', true);
  });

  it('the leader: the others elect, status names its NotReady node, member replace rebuilds it as a follower elsewhere: 0 acknowledged writes lost', async () => {
    await lossRound(LEADER, 'leader', false);
  });

  /** Loses the node of `name`'s member in `role` (alone on its node), shows status, replaces it under a writer, restores the node. */
  async function lossRound(NAME: string, role: 'follower' | 'leader', strictCheck: boolean): Promise<void> {
    const before = await waitFor(
      `${NAME} healthy`,
      async () => {
        const s = await statusJson(ns, NAME);
        return s.health === 'healthy' ? s : null;
      },
      {timeoutMs: 240_000, intervalMs: 2000},
    );
    const row = before.members.find((m: {role: string}) => m.role === role);
    assert.equal(before.members.filter((m: {node: string}) => m.node === row.node).length, 1, `${row.pod} is alone on ${row.node}: ${JSON.stringify(before.members.map((m: any) => [m.pod, m.node]))}`);
    const pod: string = row.pod;
    const ordinal = Number(/-(\d+)$/.exec(pod)![1]);
    const node: string = row.node;
    const others: string[] = before.members.filter((m: {pod: string}) => m.pod !== pod).map((m: {pod: string}) => m.pod);
    const oldClaim = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pvc', `data-${pod}`, '-n', ns])).metadata.uid;
    const held = await holdSession(ns, NAME, others);

    const t0 = Date.now();
    await loseNode(node);
    let restored = false;
    try {
      // status: the member's node NotReady, what to do, exit 3
      const found = await waitFor(
        `status to report ${pod}'s node ${node} NotReady`,
        async () => {
          const s = await kzk(['status', NAME, '-n', ns]);
          return s.code === 3 && s.stdout.includes(`${pod}'s node ${node} is NotReady`) ? s : null;
        },
        {timeoutMs: 180_000, intervalMs: 3000},
      );
      const notReadyMs = Date.now() - t0;
      assert.match(found.stdout, new RegExp(`kubectl zk member replace ${NAME} ${ordinal} -n ${ns} \\(it removes server\\.${ordinal + 1} from the voting config, deletes PVC data-${pod}`));
      const json = await statusJson(ns, NAME);
      assert.equal(json.quorum.has, true);
      const problem = json.placement.find((p: {pod: string}) => p.pod === pod);
      assert.equal(problem.node, node);
      assert.equal(problem.state, 'not-ready');
      assert.equal(problem.via, 'pod');

      // the ensemble that requires one member per node: its member on the lost node has nowhere to go, refused before anything changes
      if (strictCheck) await strictRefused(node);

      await kzk(['znode', 'create', '/written-while-lost', 'yes', '--ensemble', NAME, '-n', ns]);
      const r = await kzk(['member', 'replace', NAME, String(ordinal), '-n', ns, '--yes', '-o', 'json', '--timeout', '6m'], {timeoutMs: 900_000});
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const result = JSON.parse(r.stdout);
      assert.equal(result.replaced, pod);
      assert.equal(result.health, 'healthy');
      assert.deepEqual(
        result.steps.map((s: any) => `${s.action} ${s.pod} ${s.role}`),
        [`remove ${pod} participant`, `add ${pod} participant`],
      );
      const w = await held.finish({keep: true});
      const replacedMs = Date.now() - t0;
      console.log(
        `      [measure] node ${node} lost at 0 s; status said NotReady at ${(notReadyMs / 1000).toFixed(1)} s; member replace ${pod}: ${result.durationMs} ms (${result.steps.map((s: any) => `${s.action} ${s.durationMs} ms`).join(', ')}), done at ${(replacedMs / 1000).toFixed(1)} s; writes acked ${w.acked}, failed ${w.failed}, lost ${w.lost.length}, longest gap ${w.longestGapMs} ms`,
      );
      assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
      assert.deepEqual(w.lost, [], 'no acknowledged write lost');
      assert.ok(w.acked > 0);

      // full strength on the remaining nodes, while the lost one is still down
      const s = await statusJson(ns, NAME);
      assert.equal(s.health, 'healthy');
      assert.equal(s.quorum.servingVoters, 3);
      const rebuilt = s.members.find((m: {pod: string}) => m.pod === pod);
      assert.equal(rebuilt.role, 'follower');
      assert.notEqual(rebuilt.node, node, 'rebuilt on another node');
      for (const m of s.members) assert.notEqual(m.node, node, `${m.pod} is not on the lost node`);
      const claim = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pvc', `data-${pod}`, '-n', ns])).metadata.uid;
      assert.notEqual(claim, oldClaim, 'on a new volume');

      // the rebuilt member alone serves what was written before, during and after the loss
      const zkCli = (...args: string[]) => kubectl(['exec', '-n', ns, pod, '-c', 'zookeeper', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', ...args], {timeoutMs: 60_000});
      for (const [path, want] of [
        ['/kept', 'before-the-loss'],
        ['/written-while-lost', 'yes'],
      ]) {
        assert.match((await zkCli('get', path!)).stdout, new RegExp(`^${want}$`, 'm'), `${pod} serves ${path}`);
      }
      const ls = (await zkCli('ls', held.dir)).stdout;
      const children = new Set(/\[(.*)\]/.exec(ls)?.[1]?.split(', ') ?? []);
      const missing = w.ackedPaths.filter((p) => !children.has(p.slice(held.dir.length + 1)));
      assert.deepEqual(missing, [], `${pod} alone holds every acknowledged write (${w.acked})`);

      // the node comes back: Ready, the cluster healthy, the ensemble untouched by its old pod
      await restoreNode(node);
      restored = true;
      const downMs = Date.now() - t0;
      console.log(`      [measure] node ${node} was down ${(downMs / 1000).toFixed(1)} s`);
      const st = spawnSync('bash', [STATUS_SH], {encoding: 'utf8'});
      assert.equal(st.status, 0, `test/cluster/status.sh after the restore:\n${st.stdout}${st.stderr}`);
      await waitFor('healthy with the node back', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 120_000, intervalMs: 2000});
      if (strictCheck) {
        await waitFor(`${STRICT} healthy with the node back (its member rejoins with its data)`, async () => (await statusJson(ns, STRICT)).health === 'healthy', {
          timeoutMs: 240_000,
          intervalMs: 2000,
        });
      }
      await kzk(['znode', 'delete', held.dir, '--recursive', '--yes', '--ensemble', NAME, '-n', ns]);
    } finally {
      if (!restored) await restoreNode(node);
    }
  }

  async function strictRefused(node: string): Promise<void> {
    const strict = await statusJson(ns, STRICT);
    const stranded = strict.members.find((m: {node: string}) => m.node === node);
    assert.ok(stranded, `${STRICT} has a member on ${node}: ${JSON.stringify(strict.members)}`);
    const strictOrdinal = /-(\d+)$/.exec(stranded.pod)![1]!;
    const refused = await kzk(['member', 'replace', STRICT, strictOrdinal, '-n', ns, '--yes']);
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: refusing to replace ${stranded.pod}: one member per node is required \\(spread node=required\\) and no schedulable node is free for ${stranded.pod}: .*; not schedulable: ${node} \\(add schedulable nodes`,
        'm',
      ),
    );
    assert.equal((await statusJson(ns, STRICT)).config.members.length, 3, `${STRICT}'s membership unchanged`);
  }
});
