/**
 * `kubectl zk scale` against REAL ZooKeeper processes on loopback: the op
 * (src/ops/scale.ts) does the reconfiguration itself; a harness-backed
 * ScaleMembers starts joiners with the harness's joiner procedure
 * (ens.addServer) and stops removed members; gatherStatus asks the real
 * servers, with the in-memory API standing in for the StatefulSet and pods.
 * A client session with a writer stays open through every sequence: no
 * expiry, every acknowledged write present afterwards. Time per step and the
 * longest gap between acknowledged writes per step are printed as [measure].
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {CliError} from '../../src/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {electionZxid} from '../../src/ops/quorum/plan.js';
import {restoreQuorum, type QuorumMembers} from '../../src/ops/restore-quorum.js';
import {replaceMember, scaleEnsemble} from '../../src/ops/scale.js';
import type {ScaleDeps, ScaleMembers, ScaleRequest, ScaleResult, VolumeFate} from '../../src/ops/scale/types.js';
import {gatherStatus} from '../../src/ops/status.js';
import {renderScale} from '../../src/render/scale.js';
import {formatDuration} from '../../src/util/duration.js';
import {poll} from '../../src/util/poll.js';
import {noPaint} from '../../src/util/progress.js';
import {realSleep, systemClock} from '../../src/util/time.js';
import {connectZk, type ConnectionState, type ZkClient} from '../../src/zk/client.js';
import {readConfig, type ConfigSnapshot} from '../../src/zk/reconfig.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

const NS = 'ns';
const NAME = 'zk';
const stsRef = {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name: NAME};

interface World {
  ens: Ensemble;
  kube: FakeKube;
  deps: ScaleDeps;
  published: ConfigSnapshot[];
  questions: string[];
  progress: ReturnType<typeof recordingProgress>;
  /** what each joiner's own dynamic file said right after it joined (measured: does it list itself?) */
  joinerFiles: {id: number; listsItself: boolean}[];
}

/** The Kubernetes side in memory (StatefulSet, pods), the ZooKeeper side real. */
function world(ens: Ensemble, size: number): World {
  const kube = new FakeKube(NS);
  const o = validateEnsembleOptions({name: NAME, namespace: NS, replicas: size}).options;
  kube.seed(...renderEnsemble(o, {superPassword: ens.superPassword}, loadAssets()));
  const labels = ensembleLabels(NAME, o.image);
  for (let i = 0; i < size; i++) kube.seed(fakePod(NS, `${NAME}-${i}`, labels, 'ready'));
  const published: ConfigSnapshot[] = [];
  const questions: string[] = [];
  const joinerFiles: World['joinerFiles'] = [];
  const progress = recordingProgress();
  const setReplicas = (n: number) => kube.mergePatch(stsRef, {spec: {replicas: n}});

  const members: ScaleMembers = {
    async replicas() {
      const sts = (await kube.get<{apiVersion: string; kind: string; metadata: {name: string}; spec: {replicas: number}}>(stsRef))!;
      return sts.spec.replicas;
    },
    async endpoints(ordinals) {
      return ordinals.flatMap((i) => ens.servers.filter((s) => s.id === i + 1).map((s) => s.endpoint));
    },
    async launch(ordinal, role, _committed, ctx) {
      // The harness's joiner procedure writes committed config + the joiner itself, as kubeScaleMembers puts in the ConfigMap.
      const known = ens.servers.some((s) => s.id === ordinal + 1);
      ctx.phase('start the server (harness joiner procedure)');
      const s = await ens.addServer(ordinal + 1, {role, timeoutMs: 90_000});
      joinerFiles.push({id: s.id, listsItself: new RegExp(`^server\\.${s.id}=`, 'm').test(s.dynamicConfigText())});
      kube.seed(fakePod(NS, `${NAME}-${ordinal}`, labels, 'ready'));
      await setReplicas(ordinal + 1);
      const volume: VolumeFate = known ? 'reused' : 'fresh';
      return {serverLine: s.serverLine(role), volume};
    },
    async publish(committed) {
      published.push(committed);
    },
    async rebuild(ordinal, role, _committed, ctx) {
      // member replace: the server stopped, its data wiped, started as a joiner (committed + itself), as the ConfigMap and a new volume give it
      ctx.phase('stop the server, wipe its data, start it as a joiner (harness)');
      const old = ens.servers.find((x) => x.id === ordinal + 1);
      if (old?.running) await old.stop();
      const s = await ens.addServer(ordinal + 1, {role, timeoutMs: 90_000});
      kube.seed(fakePod(NS, `${NAME}-${ordinal}`, labels, 'ready'));
      return {serverLine: s.serverLine(role), volume: 'deleted-stale'};
    },
    async retire(ordinal, ctx) {
      ctx.phase('stop the server');
      const s = ens.servers.find((x) => x.id === ordinal + 1);
      await s?.stop();
      await kube.delete({apiVersion: 'v1', kind: 'Pod', namespace: NS, name: `${NAME}-${ordinal}`});
      await setReplicas(ordinal);
      return {volume: 'kept'}; // the harness keeps the data dir: a later add of this id reuses it
    },
  };
  const deps: ScaleDeps = {
    members,
    status: () =>
      gatherStatus(
        {name: NAME, namespace: NS},
        {
          kube,
          clock: systemClock,
          endpoint: async (_ns, pod) => ens.server(Number(pod.split('-')[1]) + 1).endpoint,
          timeoutMs: 2000,
        },
      ),
    auth: async () => ens.superAuth,
    clock: systemClock,
    sleep: realSleep,
    progress,
    confirm: async (q) => {
      questions.push(q);
      return true;
    },
    pollMs: 100,
    zkTimeoutMs: 20_000,
  };
  return {ens, kube, deps, published, questions, progress, joinerFiles};
}

const request = (voters: number, extra: Partial<ScaleRequest> = {}): ScaleRequest => ({
  name: NAME,
  namespace: NS,
  voters,
  keepVolumes: true,
  force: false,
  dryRun: false,
  wait: true,
  timeoutMs: 120_000,
  ...extra,
});

// ---------------------------------------------------------------- the writer (client-visible availability)

interface Write {
  seq: number;
  startedAt: number;
  ackedAt?: number;
  error?: string;
}

interface Writer {
  client: ZkClient;
  writes: Write[];
  states: {state: ConnectionState; at: number}[];
  sessionId: string | undefined;
  stop(): Promise<void>;
}

const ROOT = '/kzk-scale-test';
/** every writer started, so a failed test still stops its loop and closes its session (mocha waits for open handles) */
const writers: Writer[] = [];

/** One session, one create at a time every `everyMs`, each acknowledged write recorded. */
async function startWriter(ens: Ensemble, endpointIds: number[], dir: string, everyMs = 20): Promise<Writer> {
  const client = await connectZk({endpoints: endpointIds.map((id) => ens.server(id).endpoint), sessionTimeoutMs: 10_000, connectTimeoutMs: 15_000, operationTimeoutMs: 15_000, spinDelayMs: 100});
  const states: Writer['states'] = [];
  client.onState((state) => states.push({state, at: Date.now()}));
  await client.create(`${ROOT}/${dir}`, '', {parents: true});
  const writes: Write[] = [];
  let stopped = false;
  const loop = (async () => {
    let seq = 0;
    while (!stopped) {
      const w: Write = {seq: ++seq, startedAt: Date.now()};
      writes.push(w);
      try {
        await client.create(`${ROOT}/${dir}/w-${String(seq).padStart(8, '0')}`, String(seq));
        w.ackedAt = Date.now();
      } catch (e) {
        w.error = e instanceof Error ? e.message : String(e);
        await realSleep(50);
      }
      await realSleep(everyMs);
    }
  })();
  const writer: Writer = {
    client,
    writes,
    states,
    sessionId: client.sessionId,
    async stop() {
      stopped = true;
      await loop;
    },
  };
  writers.push(writer);
  return writer;
}

/** Longest gap between consecutive acknowledged writes that overlaps [from, to]. */
function longestGap(writes: readonly Write[], from: number, to: number): number {
  const acks = writes
    .filter((w) => w.ackedAt !== undefined)
    .map((w) => w.ackedAt!)
    .sort((a, b) => a - b);
  let best = 0;
  for (let i = 1; i < acks.length; i++) {
    if (acks[i]! >= from && acks[i - 1]! <= to) best = Math.max(best, acks[i]! - acks[i - 1]!);
  }
  return best;
}

/** After the writer stopped: the session never expired, and every acknowledged write is there (read after a barrier write on the same session). */
async function verifyWriter(w: Writer, dir: string): Promise<{acked: number; failed: number}> {
  await w.stop();
  assert.ok(!w.states.some((s) => s.state === 'expired'), `the session expired: ${JSON.stringify(w.states)}`);
  assert.equal(w.client.sessionId, w.sessionId, 'same session id throughout');
  await w.client.create(`${ROOT}/${dir}/barrier`, '');
  const present = new Set(await w.client.ls(`${ROOT}/${dir}`));
  const acked = w.writes.filter((x) => x.ackedAt !== undefined);
  const missing = acked.filter((x) => !present.has(`w-${String(x.seq).padStart(8, '0')}`));
  assert.deepEqual(
    missing.map((x) => x.seq),
    [],
    'acknowledged writes missing',
  );
  await w.client.close();
  return {acked: acked.length, failed: w.writes.length - acked.length};
}

function report(title: string, r: ScaleResult, w?: Writer): void {
  console.log(`      [measure] ${title}: ${r.from.voters}+${r.from.observers} → ${r.to.voters}+${r.to.observers} in ${formatDuration(r.durationMs)}`);
  for (const s of r.steps) {
    const gap = w ? longestGap(w.writes, s.startedAtMs, s.startedAtMs + s.durationMs) : undefined;
    const phases = s.phases.map((p) => `${p.phase} ${formatDuration(p.ms)}`).join(', ');
    console.log(
      `      [measure]   ${s.action} ${s.pod} (${s.role ?? '-'}): ${formatDuration(s.durationMs)}${gap !== undefined ? `, longest gap between acked writes ${gap} ms` : ''}${s.confirmedByReadBack ? ', reply lost → confirmed by read-back' : ''} [${phases}]`,
    );
  }
}

/** The premise of start.sh's stale-config rule: each member's static zoo.cfg points at zoo.cfg.dynamic.<committed version>. */
function onDiskVersions(ens: Ensemble): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of ens.servers.filter((x) => x.running)) {
    const cfg = readFileSync(join(s.dir, 'zoo.cfg'), 'utf8');
    const file = /^dynamicConfigFile=(.*)$/m.exec(cfg)?.[1] ?? '';
    out.set(s.id, file.replace(/^.*\.dynamic\.?/, ''));
  }
  return out;
}

async function committed(ens: Ensemble): Promise<ConfigSnapshot> {
  return readConfig(
    ens.servers.filter((s) => s.running).map((s) => s.endpoint),
    {connectTimeoutMs: 2000},
  );
}

const roles = (c: ConfigSnapshot) => c.config.servers.map((s) => `${s.id}:${s.role[0]}`).join(' ');

/** Stop leaders until server `id` leads (ZooKeeper elects the highest sid among equal zxids), restarting each stopped one. */
async function makeLeader(ens: Ensemble, id: number): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const l = await ens.leader();
    if (l.id === id) return;
    await l.stop();
    await ens.leader({timeoutMs: 30_000});
    await l.start();
    await ens.waitForQuorum({timeoutMs: 60_000});
  }
  throw new Error(`server ${id} did not become leader`);
}

// ---------------------------------------------------------------- tests

describe('integration: scale against a real ensemble', function () {
  this.timeout(600_000);
  const ensembles: Ensemble[] = [];
  const start = async (size: number): Promise<Ensemble> => {
    const e = await startEnsemble({size});
    ensembles.push(e);
    return e;
  };
  afterEach(async () => {
    for (const w of writers.splice(0)) {
      await w.stop();
      await w.client.close().catch(() => undefined);
    }
    await Promise.all(ensembles.splice(0).map((e) => e.stopAll()));
  });

  it('3 → 5 → 3 with a client writing throughout: no expiry, nothing acknowledged lost, existing members never restarted', async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    const pids = [1, 2, 3].map((id) => ens.server(id).pid);
    const writer = await startWriter(ens, [1, 2, 3], 'a');
    await realSleep(300);

    const up = await scaleEnsemble(request(5), w.deps);
    report('3→5', up, writer);
    assert.equal(up.changed, true);
    assert.deepEqual(
      up.steps.map((s) => `${s.action} ${s.pod} ${s.role}`),
      ['add zk-3 participant', 'add zk-4 participant'],
    );
    assert.equal(up.to.voters, 5);
    assert.equal(up.health, 'healthy');
    assert.deepEqual(w.questions, [], 'scale-up asks nothing');
    let c = await committed(ens);
    assert.equal(roles(c), '1:p 2:p 3:p 4:p 5:p');
    assert.equal(up.to.configVersion, c.version);
    // ConfigMap (published) = the committed config after every step
    assert.equal(w.published.at(-1)!.version, c.version);
    assert.equal(w.published.at(-1)!.config.servers.length, 5);
    // every member's on-disk config is the committed version: what start.sh compares with membership-version
    const disk = onDiskVersions(ens);
    for (const [id, v] of disk) assert.equal(v, c.version, `server ${id} points at zoo.cfg.dynamic.${v}`);
    for (const s of ens.servers.filter((x) => x.running)) assert.match(s.dynamicConfigText(), new RegExp(`^server\\.${s.id}=`, 'm'), `server ${s.id}'s committed file lists itself after the add`);
    console.log(`      [measure] joiners' own dynamic file lists the joiner right after joining: ${w.joinerFiles.map((j) => `server.${j.id} ${j.listsItself}`).join(', ')}`);

    const down = await scaleEnsemble(request(3), w.deps);
    report('5→3', down, writer);
    assert.deepEqual(
      down.steps.map((s) => `${s.action} ${s.pod}`),
      ['remove zk-4', 'remove zk-3'],
    );
    assert.equal(w.questions.length, 1);
    assert.match(w.questions[0]!, /Remove 2 member pod\(s\) \(zk-4, zk-3\) from ensemble "zk" in namespace "ns"; their volumes are kept\?/);
    c = await committed(ens);
    assert.equal(roles(c), '1:p 2:p 3:p');
    assert.equal(ens.server(4).running, false);
    assert.equal(ens.server(5).running, false);
    assert.deepEqual(
      [1, 2, 3].map((id) => ens.server(id).pid),
      pids,
      'no existing member was restarted',
    );
    assert.equal(down.health, 'healthy');

    const v = await verifyWriter(writer, 'a');
    console.log(`      [measure] writer: ${v.acked} writes acknowledged, ${v.failed} failed, session ${writer.sessionId} kept`);
    assert.ok(v.acked > 50);
    assert.match(renderScale(down, noPaint), /zk-4\s+server\.5\s+participant/);
  });

  it('1 → 3 → 1 (standaloneEnabled=false lets a single voter grow), writer on the first member', async () => {
    const ens = await start(1);
    const w = world(ens, 1);
    const writer = await startWriter(ens, [1], 'b');
    await realSleep(300);
    const up = await scaleEnsemble(request(3), w.deps);
    report('1→3', up, writer);
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p');
    assert.ok(up.plan.notes.some((n) => /standaloneEnabled=false/.test(n)));
    const down = await scaleEnsemble(request(1), w.deps);
    report('3→1', down, writer);
    assert.equal(roles(await committed(ens)), '1:p');
    assert.ok(
      down.warnings.some((x) => /1 voter: losing any member loses the quorum/.test(x)),
      JSON.stringify(down.warnings),
    );
    const [st] = await Promise.all([w.deps.status()]);
    assert.equal(st.members.find((m) => m.serverId === 1)?.role, 'leader');
    const v = await verifyWriter(writer, 'b');
    console.log(`      [measure] writer: ${v.acked} acknowledged, ${v.failed} failed`);
  });

  it('a scale-down that removes the current leader (3 → 2): the lost reply is confirmed by read-back, a new leader among the rest; then 2 → 3 over the kept data', async () => {
    const ens = await start(3);
    await makeLeader(ens, 3);
    assert.equal((await ens.leader()).id, 3, 'server 3 (zk-2, the highest ordinal) leads');
    const w = world(ens, 3);
    const writer = await startWriter(ens, [1, 2, 3], 'c');
    await realSleep(300);
    const down = await scaleEnsemble(request(2), w.deps);
    report('3→2 (leader removed)', down, writer);
    assert.equal(roles(await committed(ens)), '1:p 2:p');
    assert.ok(down.warnings.some((x) => /2 voters tolerate no more failures than 1/.test(x)));
    assert.ok(down.leader === 'zk-0' || down.leader === 'zk-1', `new leader ${down.leader}`);
    console.log(`      [measure] leader removal: reply ${down.steps[0]!.confirmedByReadBack ? 'lost, confirmed by read-back' : 'received'}`);
    const up = await scaleEnsemble(request(3), w.deps);
    report('2→3 (re-add over kept data)', up, writer);
    assert.equal(up.steps[0]!.volume, 'reused');
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p');
    const v = await verifyWriter(writer, 'c');
    console.log(`      [measure] writer: ${v.acked} acknowledged, ${v.failed} failed`);
  });

  it('observers 0 → 2 → 0, then a voter change while observers exist (3+1 → 5+1 → 3): observers out, voters changed, observers back', async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    const writer = await startWriter(ens, [1, 2, 3], 'd');
    await realSleep(300);
    const obs = await scaleEnsemble(request(3, {observers: 2}), w.deps);
    report('observers 0→2', obs, writer);
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p 4:o 5:o');
    const st = await w.deps.status();
    assert.deepEqual(
      st.members.filter((m) => m.role === 'observer').map((m) => m.pod),
      ['zk-3', 'zk-4'],
    );
    assert.equal(st.sync?.observers, 2);
    const none = await scaleEnsemble(request(3, {observers: 0}), w.deps);
    report('observers 2→0', none, writer);
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p');

    await scaleEnsemble(request(3, {observers: 1}), w.deps);
    const grow = await scaleEnsemble(request(5), w.deps); // observers kept at 1
    report('3+1 → 5+1', grow, writer);
    assert.deepEqual(
      grow.steps.map((s) => `${s.action} ${s.pod} ${s.role}`),
      ['remove zk-3 observer', 'add zk-3 participant', 'add zk-4 participant', 'add zk-5 observer'],
    );
    assert.ok(grow.plan.notes.some((n) => /observers are removed first/.test(n)));
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p 4:p 5:p 6:o');
    const shrink = await scaleEnsemble(request(3, {observers: 0}), w.deps);
    report('5+1 → 3', shrink, writer);
    assert.deepEqual(
      shrink.steps.map((s) => `${s.action} ${s.pod}`),
      ['remove zk-5', 'remove zk-4', 'remove zk-3'],
    );
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p');
    const v = await verifyWriter(writer, 'd');
    console.log(`      [measure] writer: ${v.acked} acknowledged, ${v.failed} failed`);
  });

  it("refuses a scale-down that would lose the quorum with a member dead; --force gets ZooKeeper's NewConfigNoQuorum, nothing changes; removing the dead member itself works", async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    ens.server(1).kill('SIGKILL');
    await ens.server(1).exited();
    const before = await committed(ens);
    await assert.rejects(scaleEnsemble(request(2), w.deps), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(e.message, /^refusing to scale down: after removing zk-2, 1 of the 2 remaining voters serve and 2 are needed for a quorum; not serving: zk-0 \(unreachable\)$/);
      assert.match(e.hint!, /--force/);
      return true;
    });
    assert.deepEqual(w.questions, [], 'refused before asking');
    await assert.rejects(scaleEnsemble(request(2, {force: true}), w.deps), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(
        e.message,
        /remove zk-2 \(server\.3\): ZooKeeper refused the change: a majority of the new voters is not connected and in sync with the leader \(NewConfigNoQuorum\); stopped at step 1 of 1 \(no step done\); it stopped at: reconfig remove/,
      );
      console.log(`      [measure] --force error: ${e.message}`);
      return true;
    });
    assert.equal((await committed(ens)).version, before.version, 'membership unchanged');
    assert.ok(ens.server(3).running, 'the member was not stopped');

    // the dead member is the one removed: allowed, the remaining two serve
    await ens.server(1).start();
    await ens.waitForQuorum();
    ens.server(3).kill('SIGKILL');
    await ens.server(3).exited();
    await ens.waitForQuorum(); // if it led, the other two elect a leader first
    const r = await scaleEnsemble(request(2), w.deps);
    report('3→2 removing a dead member', r);
    assert.equal(roles(await committed(ens)), '1:p 2:p');
  });

  it('member replace: a member that lost its data is rebuilt under a writer (removed, started empty as a learner, added back once in sync); nothing acknowledged lost, the others never restarted', async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    const writer = await startWriter(ens, [1, 3], 'r');
    await realSleep(300);
    // zk-1 loses its disk: the process dies and its data directory is gone
    ens.server(2).kill('SIGKILL');
    await ens.server(2).exited();
    ens.server(2).wipeData();
    // zk-1 may have led: the others elect before the config is read (read mid-election it failed: ConnectionLoss)
    await ens.waitForQuorum();
    const pids = [1, 3].map((id) => ens.server(id).pid);
    const before = await committed(ens);
    const r = await replaceMember({name: NAME, namespace: NS, ordinal: 1, force: false, dryRun: false, wait: true, timeoutMs: 120_000}, w.deps);
    report('replace zk-1', r, writer);
    assert.equal(r.replaced, 'zk-1');
    assert.deepEqual(
      r.steps.map((s) => `${s.action} ${s.pod} ${s.role}`),
      ['remove zk-1 participant', 'add zk-1 participant'],
    );
    assert.equal(r.health, 'healthy');
    assert.equal(w.questions.length, 1);
    assert.match(w.questions[0]!, /^Rebuild member zk-1 of ensemble "zk" in namespace "ns" on an empty volume/);
    const c = await committed(ens);
    assert.equal(roles(c), '1:p 2:p 3:p');
    assert.ok(BigInt(`0x${c.version}`) > BigInt(`0x${before.version}`), 'two reconfigs committed');
    // its voting came back only after the remove: the config versions published are the removal's, then the add's
    assert.deepEqual(
      w.published.map((p) => p.config.servers.map((x) => x.id).join(',')),
      ['1,3', '1,2,3'],
    );
    assert.deepEqual(
      [1, 3].map((id) => ens.server(id).pid),
      pids,
      'the other members were not restarted',
    );
    // the rebuilt member holds the data written while it was gone
    const probe = await connectZk({endpoints: [ens.server(2).endpoint], sessionTimeoutMs: 10_000, connectTimeoutMs: 10_000});
    try {
      const mine = await probe.ls(`${ROOT}/r`);
      assert.ok(mine.length > 0, 'the rebuilt member serves the tree');
    } finally {
      await probe.close();
    }
    const v = await verifyWriter(writer, 'r');
    console.log(`      [measure] replace under a writer: ${v.acked} acknowledged, ${v.failed} failed, session ${writer.sessionId} kept`);
    assert.ok(v.acked > 20);
  });

  it('member replace refuses a healthy member without --force, and a member whose removal would stop the ensemble; --force rebuilds the leader (hand-off)', async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    const req = {name: NAME, namespace: NS, ordinal: 0, force: false, dryRun: false, wait: true, timeoutMs: 120_000};
    await assert.rejects(replaceMember(req, w.deps), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(e.message, /^refusing to replace zk-0: zk-0 serves as (leader|follower) and its pod is Ready: there is nothing to repair$/);
      assert.match(e.hint!, /--force/);
      return true;
    });
    await assert.rejects(replaceMember({...req, ordinal: 5}, w.deps), /zk-5 is not a member of "zk": its members are zk-0\.\.zk-2/);
    const dry = await replaceMember({...req, dryRun: true}, w.deps);
    assert.match(dry.warnings.join('\n'), /would be refused: zk-0 serves/);
    // with zk-2 dead, taking zk-0 out would leave 1 of 2 voters
    ens.server(3).kill('SIGKILL');
    await ens.server(3).exited();
    await ens.waitForQuorum();
    await assert.rejects(replaceMember({...req, force: true}, w.deps), /refusing to replace zk-0: without zk-0, 1 of the other 2 voters serve and 2 are needed/);
    assert.deepEqual(w.questions, [], 'refused before asking');
    assert.deepEqual(w.published, []);
    await ens.server(3).start();
    await ens.waitForQuorum();
    // --force on the leader: it hands off, comes back empty, and is added back
    const leader = await ens.leader();
    const r = await replaceMember({...req, ordinal: leader.id - 1, force: true}, w.deps);
    report(`replace the leader zk-${leader.id - 1}`, r);
    assert.match(r.warnings.join('\n'), new RegExp(`zk-${leader.id - 1} leads: taking it out of the membership hands leadership to another voter`));
    assert.equal(r.health, 'healthy');
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p');
    assert.notEqual((await ens.leader()).id, leader.id, 'another voter leads');
  });

  it('restore-quorum: two of three voters lost for good; the survivor restarts as the only voter with its data, the others are rebuilt from it; every acknowledged write is there', async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    const recordedAtStart = (await committed(ens)).config;
    const resets: string[] = [];
    const quorum: QuorumMembers = {
      async recorded() {
        const last = w.published.at(-1);
        return last ? {config: last.config, version: last.version} : {config: recordedAtStart};
      },
      async lastZxid(ordinal) {
        const s = ens.server(ordinal + 1);
        if (!s.running) return {why: 'not running'};
        const found = electionZxid(readFileSync(s.logPath, 'utf8'));
        return found ? {zxid: found.zxid} : {why: 'no election in its log'};
      },
      async reset(survivor, line, others) {
        resets.push(`${survivor} ${line.split('=')[0]} fence ${others.join(',')}`);
        for (const o of others) {
          const s = ens.server(o + 1);
          if (s.running) await s.stop();
          s.wipeData();
        }
        const s = ens.server(survivor + 1);
        await s.stop();
        s.writeConfig([line]);
        await s.start();
      },
      async clearReset() {
        resets.push('cleared');
      },
    };
    const deps = {...w.deps, quorum};
    const writer = await startWriter(ens, [1, 2, 3], 'q');
    await realSleep(500);
    // zk-0 is lost with its disk; the writer goes on with zk-1 and zk-2 (every write acknowledged from here is on both)
    ens.server(1).kill('SIGKILL');
    await ens.server(1).exited();
    ens.server(1).wipeData();
    await realSleep(1500);
    // then zk-1, with its node: no quorum, for good
    ens.server(2).kill('SIGKILL');
    await ens.server(2).exited();
    await writer.stop();
    const acked = writer.writes.filter((x) => x.ackedAt !== undefined).map((x) => `w-${String(x.seq).padStart(8, '0')}`);
    await writer.client.close().catch(() => undefined);
    // zk-2 keeps looking: its election line is in its log
    await poll(async () => ((electionZxid(readFileSync(ens.server(3).logPath, 'utf8'))?.zxid ?? 0n) > 0n ? {ok: true} : {why: 'no election since the loss yet'}), {
      clock: systemClock,
      sleep: realSleep,
      intervalMs: 200,
      timeoutMs: 60_000,
    });
    const dry = await restoreQuorum({name: NAME, namespace: NS, dryRun: true, wait: true, timeoutMs: 120_000}, deps);
    assert.equal(dry.survivor.pod, 'zk-2');
    assert.deepEqual(
      dry.voters.map((v) => `${v.pod}:${v.zxid ? 'zxid' : v.why}`),
      ['zk-0:not running', 'zk-1:not running', 'zk-2:zxid'],
    );
    assert.deepEqual(dry.rebuild, [
      {pod: 'zk-0', role: 'participant'},
      {pod: 'zk-1', role: 'participant'},
    ]);
    assert.deepEqual(resets, [], '--dry-run changed nothing');
    const r = await restoreQuorum({name: NAME, namespace: NS, dryRun: false, wait: true, timeoutMs: 120_000}, deps);
    console.log(
      `      [measure] restore-quorum from ${r.survivor.pod} (${r.survivor.zxid}): ${formatDuration(r.durationMs)}; ${r.rebuilt.map((x) => `${x.replaced} ${formatDuration(x.durationMs)}`).join(', ')}; ${r.loss}`,
    );
    assert.deepEqual(resets, ['2 server.3 fence 0,1', 'cleared']);
    assert.equal(w.questions.length, 1);
    assert.match(w.questions[0]!, /^Restore the quorum of "zk" in namespace "ns" from zk-2 alone\? zk-0, zk-1 and their volumes are deleted/);
    assert.equal(r.health, 'healthy');
    const c = await committed(ens);
    assert.equal(roles(c), '1:p 2:p 3:p');
    assert.ok(BigInt(`0x${c.version}`) >> 32n > BigInt(r.survivor.zxid!) >> 32n, 'a new epoch: the survivor led');
    // the published memberships: the survivor alone, then each rebuilt member added back
    assert.deepEqual(
      w.published.map((p) => p.config.servers.map((x) => x.id).join(',')).filter((v, i, a) => a.indexOf(v) === i),
      ['3', '1,3', '1,2,3'],
    );
    for (const id of [1, 2, 3]) {
      const probe = await connectZk({endpoints: [ens.server(id).endpoint], sessionTimeoutMs: 10_000, connectTimeoutMs: 10_000});
      try {
        await probe.create(`${ROOT}/q-barrier-${id}`, ''); // this member has applied everything before its own write
        const present = new Set(await probe.ls(`${ROOT}/q`));
        assert.deepEqual(
          acked.filter((a) => !present.has(a)),
          [],
          `zk-${id - 1} lacks acknowledged writes`,
        );
      } finally {
        await probe.close();
      }
    }
    console.log(`      [measure] restore-quorum: ${acked.length} writes acknowledged before the loss, all on every member afterwards`);
    // with a quorum up, it refuses and changes nothing
    await assert.rejects(restoreQuorum({name: NAME, namespace: NS, dryRun: false, wait: true, timeoutMs: 120_000}, deps), (e: CliError) => {
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /"zk" has a quorum \(3\/3 voters serving\): restore-quorum is for a majority lost for good/);
      return true;
    });
    assert.equal(w.questions.length, 1);
  });

  it('no-op when already at the requested size; --dry-run changes nothing', async () => {
    const ens = await start(3);
    const w = world(ens, 3);
    const same = await scaleEnsemble(request(3), w.deps);
    assert.equal(same.changed, false);
    assert.deepEqual(same.plan.steps, []);
    const dry = await scaleEnsemble(request(5, {dryRun: true}), w.deps);
    assert.equal(dry.changed, false);
    assert.equal(dry.plan.steps.length, 2);
    assert.equal(roles(await committed(ens)), '1:p 2:p 3:p');
    assert.deepEqual(w.published, []);
    assert.equal(ens.servers.length, 3);
  });
});
