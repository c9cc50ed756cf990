/**
 * Issue 17 items 4 and 5 on the real cluster. A member whose data was wiped
 * syncs a tree of tens of MB from the leader without being killed (the
 * startupProbe holds liveness off; restartCount stays 0); it waits for a
 * leader before it starts with an empty disk (the empty-disk guard). With
 * ephemeral storage, a rolling restart of every pod keeps the tree, and two
 * members coming back empty while the only member with data is frozen do not
 * elect an empty tree.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {fourLetter, kubectl, kubectlJson, kzk, modes, waitFor, zkCliChildren} from './lib/zk.js';

useCluster();

/** Signals the ZooKeeper JVM in a member's pod (shareProcessNamespace: found through /proc, not PID 1). */
async function signalJvm(ns: string, pod: string, sig: 'STOP' | 'CONT'): Promise<void> {
  // the class name is split so that this bash's own command line does not match
  const script = `m=Quorum; m=\${m}PeerMain; for d in /proc/[0-9]*; do a=$(tr '\\0' ' ' < $d/cmdline 2>/dev/null); [[ $a == *java*$m* ]] && kill -${sig} \${d#/proc/} && echo signalled \${d#/proc/}; done`;
  const r = await kubectl(['exec', '-n', ns, pod, '-c', 'zookeeper', '--', 'bash', '-c', script], {timeoutMs: 30_000});
  assert.match(r.stdout, /signalled \d+/, `SIG${sig} sent in ${pod}`);
}

/** A 3-member ensemble with small pods (createEnsemble's flags fix --memory and --storage). */
async function make(ns: string, name: string, flags: string[]): Promise<void> {
  const r = await kzk(['create', name, '-n', ns, '--replicas', '3', '--timeout', '4m', '--image-pull-policy', 'Never', '--cpu', '100m', ...flags]);
  assert.equal(r.code, 0, r.stderr);
}

/** The Mode line each member reports, or "down" when its client port does not answer. */
async function modeOf(ns: string, pod: string): Promise<string> {
  const srvr = await fourLetter(ns, pod, 'srvr').catch(() => '');
  return /^Mode: (.*)$/m.exec(srvr)?.[1] ?? (srvr.includes('not currently serving') ? 'not serving' : 'down');
}

async function pod(ns: string, name: string): Promise<any> {
  return kubectlJson(['get', 'pod', name, '-n', ns, '-o', 'json']);
}

/** Events of one pod (by uid: the replaced pod of the same name has its own "Killing" from our delete). */
async function events(ns: string, uid: string): Promise<string[]> {
  const list = await kubectlJson<{items: {reason: string; message: string}[]}>(['get', 'events', '-n', ns, '--field-selector', `involvedObject.uid=${uid}`, '-o', 'json']);
  return list.items.map((e) => `${e.reason}: ${e.message}`);
}

describe('e2e: large sync, startupProbe and the empty-disk guard (issue 17 items 4, 5)', function () {
  this.timeout(1_200_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-sync');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => deleteNamespace(ns));

  it('a follower whose data was wiped waits for the leader, then syncs ~40 MB without a liveness kill (restartCount 0)', async () => {
    await make(ns, 'big', ['--memory', '1Gi', '--storage', '1Gi']);
    const chunk = Buffer.alloc(1_000_000, 0x62);
    for (let i = 0; i < 40; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map((j) => kzk(['znode', 'create', `/blob-${i + j}`, '-', '--ensemble', 'big', '-n', ns], {input: chunk})));
      for (const b of batch) assert.equal(b.code, 0, b.stderr);
    }
    const ms = await modes(ns, 'big', 3);
    const follower = `big-${ms.indexOf('follower')}`;
    const leader = `big-${ms.indexOf('leader')}`;
    const count = (s: string) => /^Node count: (\d+)$/m.exec(s)?.[1];
    const want = count(await fourLetter(ns, leader, 'srvr'));
    // wipe the follower's transaction data (myid and conf stay), then replace its pod: the new container starts empty
    await kubectl(['exec', '-n', ns, follower, '-c', 'zookeeper', '--', 'bash', '-c', 'rm -rf /data/version-2']);
    const oldUid = (await pod(ns, follower)).metadata.uid;
    await kubectl(['delete', 'pod', follower, '-n', ns, '--wait=false']);
    const started = Date.now();
    await waitFor(`${follower} replaced`, async () => (await pod(ns, follower).catch(() => null))?.metadata?.uid !== oldUid, {timeoutMs: 120_000});
    await waitFor(`${follower} serving`, async () => (await modeOf(ns, follower)) === 'follower', {timeoutMs: 600_000, intervalMs: 1000});
    console.log(`      [measure] wiped follower replaced → serving in ${Date.now() - started} ms`);
    const p = await pod(ns, follower);
    const c = p.spec.containers.find((x: {name: string}) => x.name === 'zookeeper');
    assert.ok(c.startupProbe, 'the member has a startupProbe');
    const out = await kubectl(['logs', '-n', ns, follower, '-c', 'zookeeper']);
    const logs = out.stdout + out.stderr;
    assert.match(logs, /data directory is empty but this member is a voter/);
    assert.match(logs, /leads: joining it/);
    assert.equal(count(await fourLetter(ns, follower, 'srvr')), want, 'the follower holds the whole tree');
    // stays up: no restart, no liveness kill, while it is Ready for a while
    await waitFor(`${follower} Ready`, async () => (await pod(ns, follower)).status.conditions?.some((x: {type: string; status: string}) => x.type === 'Ready' && x.status === 'True'), {
      timeoutMs: 120_000,
    });
    const after = await pod(ns, follower);
    assert.equal(after.status.containerStatuses[0].restartCount, 0);
    const ev = await events(ns, after.metadata.uid);
    console.log(`      [measure] events of the new ${follower}: ${[...new Set(ev.map((e) => e.split(':')[0]))].join(', ')}`);
    assert.ok(!ev.some((e) => /Liveness probe failed|Killing/.test(e)), ev.join('\n'));
  });

  it('ephemeral storage: every pod restarted one at a time keeps the tree; two members back empty beside a frozen member with data elect no empty tree', async () => {
    await make(ns, 'eph', ['--memory', '512Mi', '--ephemeral']);
    for (let i = 0; i < 10; i++) assert.equal((await kzk(['znode', 'create', `/tree/n${i}`, `v${i}`, '-p', '--ensemble', 'eph', '-n', ns])).code, 0);
    const roll = await kzk(['restart', 'eph', '-n', ns, '--yes', '--timeout', '10m']);
    assert.equal(roll.code, 0, roll.stderr);
    for (let i = 0; i < 3; i++) {
      assert.ok((await zkCliChildren(ns, `eph-${i}`, '/tree')).has('n9'), `eph-${i} holds the tree after every pod was replaced`);
    }
    // now the harsh case: freeze one follower (the only member that will still hold data), replace the other two
    const ms = await modes(ns, 'eph', 3);
    const keeper = `eph-${ms.indexOf('follower')}`;
    const others = [0, 1, 2].map((i) => `eph-${i}`).filter((p) => p !== keeper);
    await signalJvm(ns, keeper, 'STOP');
    try {
      const uids = await Promise.all(others.map(async (o) => (await pod(ns, o)).metadata.uid));
      await kubectl(['delete', 'pod', ...others, '-n', ns, '--wait=false']);
      await waitFor(
        'both replaced and running',
        async () => {
          const ps = await Promise.all(others.map((o) => pod(ns, o).catch(() => null)));
          return ps.every((p, i) => p && p.metadata.uid !== uids[i] && p.status.phase === 'Running');
        },
        {timeoutMs: 180_000},
      );
      // long enough for two empty voters to elect each other (they would within seconds)
      const seen: string[] = [];
      const until = Date.now() + 45_000;
      while (Date.now() < until) {
        for (const o of others) seen.push(`${o}=${await modeOf(ns, o)}`);
        await new Promise((r) => setTimeout(r, 3000));
      }
      console.log(`      [measure] modes of the empty members while the keeper was frozen: ${[...new Set(seen)].join(', ')}`);
      assert.ok(!seen.some((s) => /=(leader|follower)$/.test(s)), `an empty tree was elected: ${seen.join(', ')}`);
      for (const o of others) {
        const logs = await kubectl(['logs', '-n', ns, o, '-c', 'zookeeper']);
        assert.match(logs.stdout + logs.stderr, /waiting for a leader/);
      }
    } finally {
      await signalJvm(ns, keeper, 'CONT').catch(() => undefined);
    }
    // the keeper's data is still there
    const files = await kubectl(['exec', '-n', ns, keeper, '-c', 'zookeeper', '--', 'bash', '-c', 'ls /data/version-2']);
    assert.match(files.stdout, /snapshot\.|log\./);
  });
});
