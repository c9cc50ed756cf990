/**
 * Issue 19 item 2 on the real cluster, default image: two of three members
 * lose their volumes for good (claims and pods deleted: they come back empty
 * and, by the empty-disk guard, wait for a leader that never comes). The
 * quorum is gone. `kubectl zk restore-quorum` picks the survivor from its own
 * election log line, restarts it as the only voter with its data, and rebuilds
 * the others from it; a writer on the survivor runs while they are rebuilt.
 */
import assert from 'node:assert/strict';
import {clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, holdSession, kubectl, kzk, statusJson, waitFor, zkCliChildren} from './lib/zk.js';

useCluster();

const NAME = 'rq';

/** Writes `n` znodes under `dir` through the plugin's own client over port-forwards; returns the acknowledged paths. */
async function writeMany(ns: string, dir: string, n: number): Promise<string[]> {
  const [{resolveKubeConfig}, {KubeClient}, {MemberForwarders}, {connectZk}] = await Promise.all([
    import('../../src/kube/config.js'),
    import('../../src/kube/client.js'),
    import('../../src/ops/members.js'),
    import('../../src/zk/client.js'),
  ]);
  const kube = new KubeClient(resolveKubeConfig({namespace: ns}, {...process.env, KUBECONFIG: clusterEnv().KUBECONFIG}));
  const forwarders = new MemberForwarders(kube);
  try {
    const endpoints = await Promise.all([0, 1, 2].map((i) => forwarders.endpoint(ns, `${NAME}-${i}`)));
    const client = await connectZk({endpoints, sessionTimeoutMs: 30_000, operationTimeoutMs: 10_000});
    const acked: string[] = [];
    try {
      await client.create(dir, '', {parents: true});
      for (let i = 0; i < n; i++) acked.push(await client.create(`${dir}/n-${String(i).padStart(5, '0')}`, `v${i}`));
    } finally {
      await client.close();
    }
    return acked;
  } finally {
    await forwarders.close();
    await kube.close();
  }
}

describe('e2e: restore-quorum after two of three members are lost with their volumes (issue 19 item 2)', function () {
  this.timeout(1_500_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-rq');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => deleteNamespace(ns));

  it('refused while a quorum serves; after the loss the survivor is found, restarted alone with its data, the others rebuilt from it under a writer: every acknowledged write is on every member', async () => {
    await createEnsemble(ns, NAME, 3);
    const up = await kzk(['restore-quorum', NAME, '-n', ns, '--yes']);
    assert.equal(up.code, 3, up.stdout + up.stderr);
    assert.match(up.stderr, /^error: "rq" has a quorum \(3\/3 voters serving\): restore-quorum is for a majority lost for good/m);

    const acked = await writeMany(ns, '/before-loss', 300);
    // rq-0 and rq-1 lose their disks for good: claims and pods deleted; they come back empty and wait for a leader
    await kubectl(['delete', 'pvc', `data-${NAME}-0`, `data-${NAME}-1`, '-n', ns, '--wait=false']);
    await kubectl(['delete', 'pod', `${NAME}-0`, `${NAME}-1`, '-n', ns, '--wait=true']);
    await waitFor('no quorum', async () => (await statusJson(ns, NAME)).quorum.has === false, {timeoutMs: 120_000, intervalMs: 2000});
    await waitFor(
      `${NAME}-2 looking with its zxid in its log`,
      async () => /New election\. My id = 3, proposed zxid=0x[1-9a-f]/.test((await kubectl(['logs', '-n', ns, `${NAME}-2`, '-c', 'zookeeper'])).stdout),
      {timeoutMs: 120_000, intervalMs: 2000},
    );

    const dry = await kzk(['restore-quorum', NAME, '-n', ns, '--dry-run', '-o', 'json']);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.equal(plan.survivor.pod, `${NAME}-2`);
    assert.deepEqual(
      plan.rebuild.map((b: {pod: string}) => b.pod),
      [`${NAME}-0`, `${NAME}-1`],
    );
    assert.match(plan.voters.find((v: {pod: string}) => v.pod === `${NAME}-0`).why, /no election|not running|Pending/);
    const noTty = await kzk(['restore-quorum', NAME, '-n', ns]);
    assert.equal(noTty.code, 2, noTty.stderr);
    assert.match(noTty.stderr, /refusing without confirmation/);

    // the restore, and a writer on the survivor as soon as it serves alone (while the others are rebuilt)
    const run = kzk(['restore-quorum', NAME, '-n', ns, '--yes', '-o', 'json', '--timeout', '6m'], {timeoutMs: 1_200_000});
    await waitFor('the survivor serving alone', async () => (await statusJson(ns, NAME)).quorum.has === true, {timeoutMs: 600_000, intervalMs: 1000});
    const held = await holdSession(ns, NAME, [`${NAME}-2`]);
    const r = await run;
    const w = await held.finish();
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    console.log(
      `      [measure] restore-quorum from ${result.survivor.pod} (${result.survivor.zxid}): ${result.durationMs} ms; ${result.rebuilt.map((x: any) => `${x.replaced} ${x.durationMs} ms`).join(', ')}; writer during the rebuilds: acked ${w.acked}, failed ${w.failed}, longest gap ${w.longestGapMs} ms; ${result.loss}`,
    );
    assert.equal(result.health, 'healthy');
    assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
    assert.deepEqual(w.lost, [], 'no acknowledged write lost while the others were rebuilt');
    const s = await statusJson(ns, NAME);
    assert.equal(s.health, 'healthy');
    assert.deepEqual(s.config.members.map((m: {id: number; role: string}) => `${m.id}:${m.role}`).sort(), ['1:participant', '2:participant', '3:participant']);
    // every member alone (zkCli in its pod) holds every write acknowledged before the loss
    for (const i of [0, 1, 2]) {
      const names = await zkCliChildren(ns, `${NAME}-${i}`, '/before-loss');
      const missing = acked.filter((p) => !names.has(p.split('/').pop()!));
      assert.deepEqual(missing, [], `${NAME}-${i} lacks acknowledged writes`);
    }
    const cm = await kubectl(['get', 'configmap', `${NAME}-config`, '-n', ns, '-o', 'jsonpath={.data.membership-reset}']);
    assert.equal(cm.stdout.trim(), '', 'the reset marker is gone');
    const log = await kubectl(['logs', '-n', ns, `${NAME}-2`, '-c', 'zookeeper']);
    assert.match(log.stdout + log.stderr, /restore-quorum \(token [0-9a-f]+\): restarting as the only voter/);
  });
});
