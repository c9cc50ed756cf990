/**
 * kubectl zk restart / upgrade on the real cluster, with a session held open
 * and a writer running: the session survives, no acknowledged write is lost,
 * the leader goes last and exactly one election happens (asked of the servers:
 * the leader's epoch goes up by exactly one); an upgrade to a second image tag
 * (re-tagged inside containerd) rolls every member; an image that cannot be
 * pulled stops after one member with the quorum intact; an interrupted restart
 * resumes.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {dirname} from 'node:path';
import {clusterEnv, clusterProcessEnv, createNamespace, ctrAllNodes, deleteNamespace, dumpDiagnostics, kubectl, kubectlJson, useCluster, waitFor} from './lib/cluster.js';
import {DEFAULT_IMAGE} from '../../src/manifests/options.js';
import {createEnsemble, holdSession, kzk, pluginDir, type ZkRun, leaderEpoch, podUids, statusJson} from './lib/zk.js';

useCluster();

const NAME = 'zk';
const PODS = ['zk-0', 'zk-1', 'zk-2'];

function roll(ns: string, args: string[]): Promise<ZkRun> {
  return kzk([...args, NAME, '-n', ns, '--yes', '-o', 'json', '--timeout', '4m'], {timeoutMs: 900_000});
}

function measure(what: string, r: any, w?: {acked: number; failed: number; longestGapMs: number}) {
  console.log(
    `      [measure] ${what}: ${r.outcome} in ${r.durationMs} ms; ${r.members.map((m: any) => `${m.pod}(${m.why}) ${m.durationMs}ms`).join(', ')}; elections ${r.elections.map((e: any) => `${e.from}→${e.to} epoch ${e.epochBefore}→${e.epochAfter} seen after ${e.ms}ms`).join('; ') || 'none'}${w ? `; writes acked ${w.acked}, failed ${w.failed}, longest gap ${w.longestGapMs} ms` : ''}`,
  );
}

describe('e2e: kubectl zk restart and upgrade on a real cluster', function () {
  this.timeout(2_400_000);
  let ns: string;
  // The cluster's env exists only once the root hook (useCluster) has run up.sh: read it in hooks, never at load time
  let env: ReturnType<typeof clusterEnv>;
  let image2: string;
  // every node's containerd: a member may be scheduled on any node
  const ctr = (args: string[]) => ctrAllNodes(args);

  before(async () => {
    env = clusterEnv();
    image2 = `${env.KZK_ZK_IMAGE.replace(/:[^:/]+$/, '')}:roll-e2e-${process.pid}`;
    ns = await createNamespace('kzk-e2e-roll');
    const t = ctr(['images', 'tag', '--force', env.KZK_ZK_IMAGE, image2]);
    assert.equal(t.status, 0, `ctr images tag: ${t.stderr}`);
    await createEnsemble(ns, NAME, 3);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', NAME, '-n', ns, '--yes', '--delete-data']).catch(() => undefined);
    await deleteNamespace(ns);
    ctr(['images', 'rm', image2]);
  });

  it('restart: followers first, the leader last; the session and every acknowledged write survive; exactly one election (epoch + 1)', async () => {
    const before = await leaderEpoch(ns, PODS);
    const held = await holdSession(ns, NAME, PODS);
    const r = await roll(ns, ['restart']);
    const w = await held.finish();
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    measure('restart 3 members', result, w);
    assert.equal(result.outcome, 'done');
    assert.deepEqual(result.members.map((m: any) => m.pod).sort(), PODS);
    assert.equal(result.members.at(-1).pod, before.leader, 'the leader last');
    assert.ok(result.members.slice(0, 2).every((m: any) => m.roleBefore === 'follower'));
    assert.equal(result.elections.length, 1);
    assert.equal(result.elections[0].from, before.leader);
    const after = await leaderEpoch(ns, PODS);
    assert.equal(after.epoch, before.epoch + 1, `exactly one election: epoch ${before.epoch} → ${after.epoch}`);
    assert.notEqual(after.leader, before.leader);
    assert.equal(result.elections[0].to, after.leader);
    assert.ok(w.sessionKept, `session lost: ${w.states.join(',')}`);
    assert.deepEqual(w.lost, []);
    assert.ok(w.acked > 0);
    const s = await statusJson(ns, NAME);
    assert.equal(s.health, 'healthy');
    assert.deepEqual(new Set(s.members.map((m: any) => m.revision)).size, 1);
    assert.equal(s.members[0].revision, result.revision.to);
    assert.equal(s.rollout.updated, 3);
    assert.ok(!s.warnings.some((x: string) => /revision/.test(x)), s.warnings.join('\n'));
  });

  it('restart interrupted with Ctrl-C during the second member (exit 130, says where), then resumed: only the rest are restarted', async () => {
    const uids = await podUids(ns, NAME);
    const childEnv = {...clusterProcessEnv(), PATH: `${pluginDir()}:${dirname(process.execPath)}:${clusterProcessEnv().PATH}`};
    const child = spawn('kubectl', ['zk', 'restart', NAME, '-n', ns, '--yes', '--timeout', '4m'], {env: childEnv, stdio: ['ignore', 'pipe', 'pipe']});
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let exitCode: number | undefined;
    const exited = new Promise<number>((res) => child.on('close', (code, signal) => res((exitCode = code ?? (signal ? 128 : 1)))));
    try {
      await waitFor(
        "the second member's turn",
        async () => {
          if (exitCode !== undefined) throw new Error(`kubectl zk restart exited ${exitCode} early:\n${stderr}`);
          return /\[2\/3\] zk-\d \(follower\) \.\.\.\n {2}evict the pod/.test(stderr);
        },
        {timeoutMs: 300_000, intervalMs: 200},
      );
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\nstderr so far:\n${stderr}`, {cause: e});
    }
    await new Promise((r) => setTimeout(r, 1500)); // its pod deleted, not back yet
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /error: interrupted: restart stopped while zk-\d was being replaced \(its pod was deleted; Kubernetes recreates it on revision zk-\w+\); done: zk-\d; not started: zk-\d; run the same command again to resume/,
    );
    const mid = await statusJson(ns, NAME);
    assert.ok(mid.warnings.some((x: string) => /^mixed revisions: /.test(x)) || mid.rollout.updated < 3, JSON.stringify(mid.warnings));
    const resumed = await roll(ns, ['restart']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const r = JSON.parse(resumed.stdout);
    measure('restart resumed', r);
    assert.equal(r.resumed, true);
    assert.equal(r.template.patched, false, 'the same revision: no new annotation');
    assert.equal(r.alreadyDone.length + r.members.length, 3);
    assert.ok(r.alreadyDone.length >= 1, 'the member done before Ctrl-C is not restarted again');
    const now = await podUids(ns, NAME);
    for (const pod of r.alreadyDone) assert.notEqual(now[pod], uids[pod], `${pod} was restarted by the first run`);
    const s = await statusJson(ns, NAME);
    assert.equal(s.health, 'healthy');
    assert.equal(s.rollout.updated, 3);
  });

  it('upgrade to a second image tag: every member on it, the leader last, one election; the session and writes survive', async () => {
    const before = await leaderEpoch(ns, PODS);
    const held = await holdSession(ns, NAME, PODS);
    const r = await roll(ns, ['upgrade', '--image', image2]);
    const w = await held.finish();
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    measure('upgrade 3 members', result, w);
    assert.deepEqual(result.template.changes, [`image ${DEFAULT_IMAGE} → ${image2}`], 'created with the default image');
    assert.equal(result.members.length, 3);
    assert.equal(result.members.at(-1).pod, before.leader);
    assert.ok(result.members.every((m: any) => m.imageAfter === image2));
    assert.equal((await leaderEpoch(ns, PODS)).epoch, before.epoch + 1);
    assert.ok(w.sessionKept, w.states.join(','));
    assert.deepEqual(w.lost, []);
    const s = await statusJson(ns, NAME);
    assert.equal(s.image, image2);
    assert.deepEqual(
      s.members.map((m: any) => m.image),
      [image2, image2, image2],
    );
    const sts = await kubectlJson<any>(['get', 'statefulset', NAME, '-n', ns]);
    assert.equal(sts.spec.replicas, 3, 'replicas untouched');
    assert.equal(sts.spec.template.spec.containers[0].env.find((e: any) => e.name === 'ZK_HEAP_MB').value, '256', 'heap untouched');
  });

  it("upgrade to an image that cannot be pulled: stops after one member (exit 4) with the pod's reason, quorum intact; going back replaces only that member", async () => {
    const uids = await podUids(ns, NAME);
    const leader = (await leaderEpoch(ns, PODS)).leader;
    const broken = `${env.KZK_ZK_IMAGE.replace(/:[^:/]+$/, '')}:does-not-exist-${process.pid}`;
    const r = await roll(ns, ['upgrade', '--image', broken, '--image-pull-policy', 'IfNotPresent']);
    assert.equal(r.code, 4, r.stderr);
    const result = JSON.parse(r.stdout);
    measure('upgrade to a broken image', result);
    assert.equal(result.outcome, 'stopped');
    assert.equal(result.members.length, 1);
    const victim = result.stopped.pod;
    assert.notEqual(victim, leader, 'a follower first');
    assert.match(result.stopped.reason, /cannot start on revision .*: (ImagePullBackOff|ErrImagePull)/);
    assert.match(r.stderr, /^error: upgrade stopped at zk-\d: zk-\d cannot start .*(ImagePullBackOff|ErrImagePull)/m);
    const now = await podUids(ns, NAME);
    for (const pod of PODS.filter((p) => p !== victim)) assert.equal(now[pod], uids[pod], `${pod} untouched`);
    const s = await statusJson(ns, NAME);
    assert.equal(s.quorum.has, true);
    assert.equal(s.quorum.servingVoters, 2);
    assert.equal(s.quorum.leader, leader, 'no election');
    // back to the working image and pull policy: the StatefulSet reuses the old revision; only the broken member is replaced, no --force
    const back = await roll(ns, ['upgrade', '--image', image2, '--image-pull-policy', 'Never']);
    assert.equal(back.code, 0, back.stderr);
    const b = JSON.parse(back.stdout);
    measure('upgrade back', b);
    assert.deepEqual(
      b.members.map((m: any) => m.pod),
      [victim],
    );
    assert.deepEqual(b.elections, []);
    const healthy = await statusJson(ns, NAME);
    assert.equal(healthy.health, 'healthy');
    assert.equal(healthy.rollout.updated, 3);
  });

  it('refuses an unhealthy ensemble (exit 3) and, without a terminal, without --yes (exit 2); --dry-run prints the plan', async () => {
    const dry = await kzk(['restart', NAME, '-n', ns, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Plan \(dry run, nothing changed\): restarting ensemble "zk" .*\(leader now: zk-\d, epoch \d+\)$/m);
    const noYes = await kzk(['restart', NAME, '-n', ns]);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /refusing without confirmation \(no terminal to ask on; pass --yes/);
    // a member that cannot start on the template's revision: refused
    await kubectl([
      'patch',
      'statefulset',
      NAME,
      '-n',
      ns,
      '--type',
      'json',
      '-p',
      JSON.stringify([{op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'example.invalid/zk:none'}]),
    ]);
    const victim = 'zk-0';
    await kubectl(['delete', 'pod', victim, '-n', ns, '--wait=true']);
    await waitFor(
      'zk-0 stuck on the unpullable image',
      async () => {
        const s = await statusJson(ns, NAME);
        return s.members.find((m: any) => m.pod === victim)?.role !== 'follower' && s.members.find((m: any) => m.pod === victim)?.image === 'example.invalid/zk:none';
      },
      {timeoutMs: 120_000},
    );
    const refused = await kzk(['restart', NAME, '-n', ns, '--yes']);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /^error: refusing to restart "zk": zk-0: /m);
    const fixed = await roll(ns, ['upgrade', '--image', image2]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal((await statusJson(ns, NAME)).health, 'healthy');
  });
});
