/**
 * create / teardown / list / status on the real three-node cluster, through
 * `kubectl zk …` exactly as a user runs it. The servers are asked directly
 * (four-letter words from inside the pods) rather than trusting Kubernetes.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, nodeNames, useCluster} from './lib/cluster.js';
import {createEnsemble, fourLetter, kubectl, kubectlJson, kzk, labelled, modes, smallEnsembleFlags, waitFor} from './lib/zk.js';

useCluster();

describe('e2e: kubectl zk create / status / teardown on a real cluster', function () {
  this.timeout(900_000);
  let ns: string;
  let other: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-a');
    other = await createNamespace('kzk-e2e-b');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await deleteNamespace(ns);
    await deleteNamespace(other);
  });

  it('create: a 3-member ensemble serves, with one leader and two followers (asked of the servers)', async () => {
    const started = Date.now();
    const r = await createEnsemble(ns, 'zk', 3);
    console.log(`      [measure] kubectl zk create (3 members) → quorum in ${Date.now() - started} ms`);
    assert.match(r.stdout, /ensemble "zk" is serving in namespace "kzk-e2e-a[^"]*": 3 members, leader zk-\d/);
    assert.match(r.stderr, /leader elected, followers synced/);
    const pods = await kubectlJson<{items: {metadata: {name: string}; spec: {nodeName?: string}; status: {conditions: {type: string; status: string}[]}}[]}>([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/instance=zk',
      '-o',
      'json',
    ]);
    assert.equal(pods.items.length, 3);
    assert.ok(pods.items.every((p) => p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')));
    // on a cluster of 3+ nodes the members spread: one per node (spec.nodeName)
    const placement = pods.items.map((p) => `${p.metadata.name}@${p.spec.nodeName}`).join(', ');
    console.log(`      [measure] placement: ${placement}`);
    if (nodeNames().length >= 3) assert.equal(new Set(pods.items.map((p) => p.spec.nodeName)).size, 3, `members on 3 different nodes: ${placement}`);
    assert.deepEqual((await modes(ns, 'zk', 3)).sort(), ['follower', 'follower', 'leader']);
    // the anti-affinity / spread selectors really select the members
    const sts = await kubectlJson<any>(['get', 'statefulset', 'zk', '-n', ns, '-o', 'json']);
    // with a node per member (create's default --spread auto) one member per node is required, else preferred
    const anti = sts.spec.template.spec.affinity.podAntiAffinity;
    if (nodeNames().length >= 3) assert.ok(anti.requiredDuringSchedulingIgnoredDuringExecution?.length, JSON.stringify(anti));
    const term = anti.requiredDuringSchedulingIgnoredDuringExecution?.[0] ?? anti.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    const sel = term.labelSelector.matchLabels;
    const matched = await kubectlJson<{items: unknown[]}>([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      Object.entries(sel)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      '-o',
      'json',
    ]);
    assert.equal(matched.items.length, 3);
  });

  it('a znode written through one member is read through another', async () => {
    const w = await kubectl(['exec', '-n', ns, 'zk-0', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'create', '/e2e', 'written-on-zk-0'], {timeoutMs: 60_000});
    assert.match(w.stdout + w.stderr, /Created \/e2e/);
    const r = await kubectl(['exec', '-n', ns, 'zk-2', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'get', '/e2e'], {timeoutMs: 60_000});
    assert.match(r.stdout, /^written-on-zk-0$/m);
  });

  it('create refuses an ensemble that already exists', async () => {
    const r = await kzk(['create', 'zk', '-n', ns, ...smallEnsembleFlags()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: ensemble "zk" already exists in namespace/m);
  });

  it('status: healthy 3-member ensemble, exit 0; -o json is the report; list and status -A see it', async () => {
    const r = await kzk(['status', 'zk', '-n', ns]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Quorum:\s+yes, 3\/3 voters serving, needs 2, tolerates 1 more failure/);
    const j = await kzk(['status', 'zk', '-n', ns, '-o', 'json']);
    const report = JSON.parse(j.stdout);
    assert.deepEqual(report.members.map((m: {role: string}) => m.role).sort(), ['follower', 'follower', 'leader']);
    assert.equal(report.health, 'healthy');
    assert.equal(report.sync.followers, 2);
    const all = await kzk(['status', '-A']);
    assert.match(all.stdout, new RegExp(`${ns}\\s+zk\\s+healthy\\s+3/3`));
    const list = await kzk(['list', '-n', ns]);
    assert.match(list.stdout, /^zk\s+3\/3\s+\S+\s+\d+[sm]$/m);
  });

  it('status: deleting a follower pod shows degraded, then healthy again', async () => {
    const report = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout);
    const follower = report.members.find((m: {role: string}) => m.role === 'follower').pod as string;
    await kubectl(['delete', 'pod', '-n', ns, follower, '--wait=false']);
    const degraded = await waitFor(
      'status to report degraded',
      async () => {
        const s = await kzk(['status', 'zk', '-n', ns, '-o', 'json']);
        return s.code === 3 ? JSON.parse(s.stdout) : false;
      },
      {timeoutMs: 60_000, intervalMs: 300},
    );
    assert.equal(degraded.health, 'degraded');
    assert.equal(degraded.quorum.has, true);
    await waitFor('status to report healthy again', async () => (await kzk(['status', 'zk', '-n', ns])).code === 0, {timeoutMs: 180_000, intervalMs: 2000});
  });

  it('two ensembles with the same name in two namespaces are isolated', async () => {
    await createEnsemble(other, 'zk', 1);
    await kubectl(['exec', '-n', other, 'zk-0', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'create', '/only-in-b', 'b'], {timeoutMs: 60_000});
    const inA = await kubectl(['exec', '-n', ns, 'zk-0', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'stat', '/only-in-b'], {timeoutMs: 60_000, allowFail: true});
    assert.match(inA.stdout + inA.stderr, /Node does not exist: \/only-in-b/);
    const srvrB = await fourLetter(other, 'zk-0', 'srvr');
    assert.match(srvrB, /^Mode: leader$/m, 'a 1-member ensemble with standaloneEnabled=false leads itself');
    const t = await kzk(['teardown', 'zk', '-n', other, '--yes']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal((await kzk(['status', 'zk', '-n', ns])).code, 0, 'the other namespace is untouched');
    assert.deepEqual(await modes(ns, 'zk', 3).then((m) => m.sort()), ['follower', 'follower', 'leader']);
  });

  it('teardown: refuses without a TTY and --yes; then leaves only the kept PVCs; --delete-data removes them; re-running exits 0', async () => {
    const refused = await kzk(['teardown', 'zk', '-n', ns]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refusing without confirmation \(no terminal to ask on; pass --yes/);
    assert.equal((await labelled(ns, 'zk')).filter((x) => x.startsWith('StatefulSet')).length, 1, 'nothing was deleted');

    const t = await kzk(['teardown', 'zk', '-n', ns, '--yes']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /kept 3 volume claim\(s\) with the data: data-zk-0, data-zk-1, data-zk-2/);
    assert.deepEqual(await labelled(ns, 'zk'), ['PersistentVolumeClaim/data-zk-0', 'PersistentVolumeClaim/data-zk-1', 'PersistentVolumeClaim/data-zk-2']);
    const volumes = (await kubectlJson<{items: {spec: {volumeName: string}}[]}>(['get', 'pvc', '-n', ns, '-o', 'json'])).items.map((p) => p.spec.volumeName);

    const d = await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(await labelled(ns, 'zk'), []);
    await waitFor(
      'the volumes to be released and deleted',
      async () => {
        const pvs = await kubectlJson<{items: {metadata: {name: string}}[]}>(['get', 'pv', '-o', 'json']);
        return !pvs.items.some((p) => volumes.includes(p.metadata.name));
      },
      {timeoutMs: 120_000},
    );

    const again = await kzk(['teardown', 'zk', '-n', ns, '--yes']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /not found in namespace/);
  });

  it("an image that does not exist fails create with the pod's reason, and teardown cleans it", async () => {
    const r = await kzk([
      'create',
      'broken',
      '-n',
      ns,
      '--replicas',
      '1',
      '--timeout',
      '60s',
      '--image',
      'kubectl-zk.invalid/no-such-image:0',
      '--image-pull-policy',
      'IfNotPresent',
      '--memory',
      '256Mi',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ErrImagePull|ImagePullBackOff/);
    assert.match(r.stderr, /^error: /m);
    const t = await kzk(['teardown', 'broken', '-n', ns, '--yes', '--delete-data']);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(await labelled(ns, 'broken'), []);
  });
});
