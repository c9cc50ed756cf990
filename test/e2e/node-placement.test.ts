/**
 * A member held down by its node, on the real cluster: the node holding a
 * member is cordoned and the member's pod deleted, so the new pod stays
 * Pending on its volume (local-path pins it to that node), as after a node
 * loss. `status` says so, with what to do, and exits 3 (degraded); uncordoning
 * brings the member back with its data. `member replace` rebuilds such a
 * member on another node under a concurrent writer. Cordoning changes the
 * cluster: test/e2e/run.sh runs this file alone, after the others; after()
 * uncordons whatever happens.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, holdSession, kubectl, kubectlJson, kzk, statusJson, waitFor} from './lib/zk.js';

useCluster();

describe('e2e: status diagnoses a member stuck on its node (cordon; exclusive lock)', function () {
  this.timeout(900_000);
  let ns: string;
  const cordoned = new Set<string>();
  const NAME = 'zkp';

  before(async () => {
    ns = await createNamespace('kzk-e2e-place');
    // the stranded member is rebuilt on a node that holds another member: spreading preferred (required leaves no room on three nodes)
    await createEnsemble(ns, NAME, 3, ['--spread', 'preferred']);
    await kzk(['znode', 'create', '/kept', 'on-the-volume', '--ensemble', NAME, '-n', ns]);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    for (const node of cordoned) await kubectl(['uncordon', node], {allowFail: true});
    if (ns) await deleteNamespace(ns);
  });

  /** A node lost as the member sees it: its node cordoned and its pod deleted, the new pod stays Pending on the volume pinned there. Returns the node. */
  async function strand(pod: string): Promise<string> {
    const node = (await kubectlJson<{spec: {nodeName: string}}>(['get', 'pod', pod, '-n', ns])).spec.nodeName;
    cordoned.add(node);
    await kubectl(['cordon', node]);
    await kubectl(['delete', 'pod', pod, '-n', ns, '--wait=true']);
    await waitFor(
      `${pod} Pending on its volume`,
      async () => {
        const p = await kubectlJson<{status: {phase: string; conditions?: {type: string; status: string}[]}}>(['get', 'pod', pod, '-n', ns], {allowFail: true}).catch(() => null);
        return p?.status.phase === 'Pending' && p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      {timeoutMs: 120_000, intervalMs: 1000},
    );
    // the two others serve again (when the stranded member led, they elect a leader first)
    await waitFor('a quorum among the others', async () => (await statusJson(ns, NAME)).quorum.has === true, {timeoutMs: 120_000, intervalMs: 1000});
    return node;
  }

  it('Pending on a volume pinned to a cordoned node: a warning with what to do, exit 3; uncordon brings it back with its data', async () => {
    const pod = `${NAME}-1`;
    const node = await strand(pod);
    const human = await kzk(['status', NAME, '-n', ns]);
    assert.equal(human.code, 3, human.stdout + human.stderr);
    assert.match(human.stdout, new RegExp(`${pod} is stuck Pending: its volume is bound to node ${node}, which is cordoned`));
    assert.match(human.stdout, new RegExp(`kubectl uncordon ${node}`));
    assert.match(human.stdout, /kubectl zk member replace zkp 1 -n kzk-e2e-place\S* \(it removes server\.2 from the voting config, deletes PVC data-zkp-1/);
    const json = await statusJson(ns, NAME);
    assert.deepEqual(json.placement, [json.placement[0]]);
    assert.equal(json.placement[0].pod, pod);
    assert.equal(json.placement[0].node, node);
    assert.equal(json.placement[0].state, 'cordoned');
    assert.equal(json.placement[0].via, 'volume');

    await kubectl(['uncordon', node]);
    cordoned.delete(node);
    await waitFor('healthy again', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 240_000, intervalMs: 2000});
    const after = await statusJson(ns, NAME);
    assert.equal(after.placement, undefined);
    assert.equal(after.members.find((m: {pod: string}) => m.pod === pod).node, node, 'back on its node, with its volume');
    const got = await kzk(['znode', 'get', '/kept', '--ensemble', NAME, '-n', ns]);
    assert.equal(got.stdout, 'on-the-volume');
  });

  it('member replace: refuses a healthy member; rebuilds one stuck on a lost node elsewhere under a concurrent writer (0 acknowledged writes lost), voting only once it holds the data', async () => {
    const healthy = await kzk(['member', 'replace', NAME, '0', '-n', ns, '--yes']);
    assert.equal(healthy.code, 3, healthy.stdout + healthy.stderr);
    assert.match(healthy.stderr, /^error: refusing to replace zkp-0: zkp-0 serves as (leader|follower) and its pod is Ready: there is nothing to repair/m);
    const pod = `${NAME}-2`;
    const oldClaim = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pvc', `data-${pod}`, '-n', ns])).metadata.uid;
    const node = await strand(pod);
    await kzk(['znode', 'create', '/written-while-stuck', 'yes', '--ensemble', NAME, '-n', ns]);
    const held = await holdSession(ns, NAME, [`${NAME}-0`, `${NAME}-1`]);
    const r = await kzk(['member', 'replace', NAME, '2', '-n', ns, '--yes', '-o', 'json', '--timeout', '6m'], {timeoutMs: 900_000});
    const w = await held.finish();
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    console.log(
      `      [measure] member replace ${pod}: ${result.durationMs} ms; ${result.steps.map((s: any) => `${s.action} ${s.durationMs} ms`).join(', ')}; writes acked ${w.acked}, failed ${w.failed}, longest gap ${w.longestGapMs} ms`,
    );
    assert.equal(result.replaced, pod);
    assert.deepEqual(
      result.steps.map((s: any) => `${s.action} ${s.pod} ${s.role}`),
      [`remove ${pod} participant`, `add ${pod} participant`],
    );
    assert.equal(result.health, 'healthy');
    assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
    assert.deepEqual(w.lost, [], 'no acknowledged write lost');
    assert.ok(w.acked > 0);
    const s = await statusJson(ns, NAME);
    assert.equal(s.health, 'healthy');
    const row = s.members.find((m: {pod: string}) => m.pod === pod);
    assert.equal(row.role, 'follower');
    assert.notEqual(row.node, node, 'rebuilt on another node');
    const claim = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pvc', `data-${pod}`, '-n', ns])).metadata.uid;
    assert.notEqual(claim, oldClaim, 'on a new volume');
    // the rebuilt member holds what was written before and while it was stuck (asked of it alone)
    for (const [path, want] of [
      ['/kept', 'on-the-volume'],
      ['/written-while-stuck', 'yes'],
    ]) {
      const got = await kubectl(['exec', '-n', ns, pod, '-c', 'zookeeper', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'get', path!], {timeoutMs: 60_000});
      assert.match(got.stdout, new RegExp(`^${want}$`, 'm'), `${pod} serves ${path}`);
    }
    const logs = await kubectl(['logs', '-n', ns, pod, '-c', 'zookeeper']);
    assert.match(logs.stdout + logs.stderr, /waiting for a leader/, 'the empty member waited for a leader before starting');
  });

  it('kubectl drain goes through the PodDisruptionBudget one member at a time: a second node is not drained while a member is away; the quorum and every acknowledged write hold', async () => {
    for (const node of [...cordoned]) {
      await kubectl(['uncordon', node]);
      cordoned.delete(node);
    }
    await waitFor('healthy', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 240_000, intervalMs: 2000});
    const pods = [0, 1, 2].map((i) => `${NAME}-${i}`);
    const nodes = await Promise.all(pods.map(async (pod) => (await kubectlJson<{spec: {nodeName: string}}>(['get', 'pod', pod, '-n', ns])).spec.nodeName));
    // a: a node with exactly one member (drained first); b: the node of another member
    const victim = pods.findIndex((_, i) => nodes.filter((n) => n === nodes[i]).length === 1);
    assert.ok(victim >= 0, `members spread over nodes: ${nodes.join(', ')}`);
    const a = nodes[victim]!;
    const other = pods.findIndex((_, i) => i !== victim);
    const b = nodes[other]!;
    const uidOther = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pod', pods[other]!, '-n', ns])).metadata.uid;
    const selector = `app.kubernetes.io/instance=${NAME}`;
    const held = await holdSession(
      ns,
      NAME,
      pods.filter((_, i) => i !== victim),
    );
    try {
      cordoned.add(a);
      const first = await kubectl(['drain', a, '--pod-selector', selector, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '120s'], {allowFail: true, timeoutMs: 180_000});
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout + first.stderr, new RegExp(`evicted`));
      // member 0's new pod stays Pending on its volume (pinned to node a): one member is away
      cordoned.add(b);
      const second = await kubectl(['drain', b, '--pod-selector', selector, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '20s'], {allowFail: true, timeoutMs: 120_000});
      assert.notEqual(second.code, 0, 'the second drain must not finish while a member is away');
      assert.match(second.stdout + second.stderr, /disruption budget/i);
      const still = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pod', pods[other]!, '-n', ns])).metadata.uid;
      assert.equal(still, uidOther, `${pods[other]} was not evicted`);
      const s = await statusJson(ns, NAME);
      assert.equal(s.quorum.has, true);
      assert.equal(s.quorum.servingVoters, 2);
    } finally {
      for (const node of [a, b]) {
        await kubectl(['uncordon', node], {allowFail: true});
        cordoned.delete(node);
      }
    }
    await waitFor('healthy again', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 240_000, intervalMs: 2000});
    const w = await held.finish();
    console.log(`      [measure] drain through the PDB: writes acked ${w.acked}, failed ${w.failed}, longest gap ${w.longestGapMs} ms`);
    assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
    assert.deepEqual(w.lost, [], 'no acknowledged write lost');
    assert.ok(w.acked > 0);
  });
});
