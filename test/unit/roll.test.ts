/**
 * restart/upgrade (src/ops/roll.ts) against a simulated StatefulSet controller
 * (OnDelete: a deleted pod comes back from the current template, labelled with
 * its revision) over the in-memory API, and a simulated ZooKeeper (the leader,
 * its epoch, who serves and is in sync), on fake time: ordering (leader last,
 * not-ready first), resume after an interruption, stop on a broken image,
 * refusals, and that only the pod template is patched.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {AbortedError, CliError, UsageError} from '../../src/errors.js';
import type {DeleteOptions, KubeObject, ObjectRef} from '../../src/kube/types.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels, LABEL} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import type {PodLike} from '../../src/ops/pods.js';
import {rollEnsemble} from '../../src/ops/roll.js';
import {memberBack, memberVersionProblem, MIN_ZOOKEEPER_VERSION, readyToStop, rollOrder, rollPreconditions, versionAtLeast, type MemberState} from '../../src/ops/roll/plan.js';
import {desiredTemplate, RESTARTED_AT, templateOf, upgradePatch, type RollStatefulSet} from '../../src/ops/roll/template.js';
import {ROLL_EXIT, type RollDeps, type RollRequest, type RollResult} from '../../src/ops/roll/types.js';
import {healthOf, REVISION_LABEL, warningsFor, type MemberReport, type Role, type StatusReport} from '../../src/ops/status.js';
import {renderRoll, renderRollPlan} from '../../src/render/roll.js';
import {noPaint} from '../../src/util/progress.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {fakeTime} from '../support/time.js';

const NS = 'ns';
const IMAGE = 'zookeeper:3.8.0';

/** The API plus what the StatefulSet controller does on a template patch and a pod deletion. */
class ControllerKube extends FakeKube {
  constructor(private readonly world: World) {
    super(NS);
  }

  override async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    const out = await super.mergePatch<T>(ref, patch);
    if (ref.kind !== 'StatefulSet') return out;
    const sts = out as unknown as RollStatefulSet;
    const generation = Number(sts.metadata.generation ?? 1) + 1;
    const rev = revisionName(sts);
    this.world.revisions.push(rev);
    // the controller observes the new generation one tick later
    this.seed({...sts, metadata: {...sts.metadata, generation}, status: {...sts.status, observedGeneration: generation - 1}} as KubeObject);
    this.world.later(1, () => {
      const now = this.world.sts();
      this.seed({...now, status: {...now.status, observedGeneration: generation, updateRevision: rev}} as KubeObject);
    });
    return (await this.get<T>(ref))!;
  }

  override async delete(ref: ObjectRef, opts?: DeleteOptions): Promise<boolean> {
    const had = await super.delete(ref, opts);
    if (had && ref.kind === 'Pod') this.world.podDeleted(ref.name);
    return had;
  }

  override async evict(namespace: string, pod: string): Promise<boolean> {
    const had = await super.evict(namespace, pod);
    if (had) this.world.podDeleted(pod);
    return had;
  }
}

function revisionName(sts: RollStatefulSet): string {
  return `zk-${createHash('sha1').update(JSON.stringify(sts.spec?.template)).digest('hex').slice(0, 10)}`;
}

/** A 3-voter (or N-voter) ensemble: pods, leader, epoch; every fake sleep is one tick of the world. */
class World {
  readonly kube = new ControllerKube(this);
  readonly t = fakeTime();
  readonly revisions: string[] = [];
  leader: string | undefined;
  epoch = 1;
  /** ticks from a deletion until the controller recreates the pod */
  recreateTicks = 2;
  /** ticks from creation until the new pod's ZooKeeper serves and the pod is Ready */
  readyTicks = 3;
  /** ticks from the leader's loss to a new leader */
  electTicks = 2;
  /** images that cannot be pulled */
  broken = new Set<string>();
  /** pods that never become ready (a crash on start) */
  crashing = new Set<string>();
  /** images whose ZooKeeper is too old to join: the pod runs, never gets Ready, srvr says Mode: standalone and this version */
  oldZookeeper = new Map<string, string>();
  /** images that run but hold no ZooKeeper: the pod runs, nothing answers on 2181 */
  notZookeeper = new Set<string>();
  /** images whose container cannot start: CrashLoopBackOff after this runtime message */
  cannotExec = new Map<string, string>();
  deletions: string[] = [];
  statusCalls = 0;
  private timers: {at: number; fn: () => void}[] = [];
  private tick = 0;
  private uid = 0;

  constructor(readonly voters = 3) {
    const o = validateEnsembleOptions({name: 'zk', namespace: NS, replicas: voters, image: IMAGE, imagePullPolicy: 'Never', memory: '512Mi', cpu: '100m'}).options;
    const objs = renderEnsemble(o, {superPassword: 'pw'}, loadAssets()) as RollStatefulSet[];
    const sts = objs.find((x) => x.kind === 'StatefulSet')!;
    const rev = revisionName(sts);
    this.revisions.push(rev);
    sts.metadata.generation = 1;
    sts.status = {observedGeneration: 1, updateRevision: rev, currentRevision: rev};
    this.kube.seed(...objs);
    for (let i = 0; i < voters; i++) this.kube.seed(this.pod(`zk-${i}`, rev, IMAGE, 'ready'));
    this.leader = `zk-${Math.min(1, voters - 1)}`;
    this.t.onSleep(() => this.step());
  }

  sts(): RollStatefulSet {
    return this.kube.all('StatefulSet')[0] as RollStatefulSet;
  }

  pods(): PodLike[] {
    return (this.kube.all('Pod') as PodLike[]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  revisionOf(pod: string): string | undefined {
    return this.pods().find((p) => p.metadata.name === pod)?.metadata.labels?.[REVISION_LABEL];
  }

  uidOf(pod: string): string | undefined {
    return this.pods().find((p) => p.metadata.name === pod)?.metadata.uid;
  }

  pod(name: string, rev: string, image: string, state: Parameters<typeof fakePod>[3]): KubeObject {
    const p = fakePod(NS, name, {...ensembleLabels('zk', image), [REVISION_LABEL]: rev}, state) as PodLike;
    p.metadata.uid = `uid-${++this.uid}`;
    p.spec = {...p.spec, containers: [{name: 'zookeeper', image}]};
    return p;
  }

  later(ticks: number, fn: () => void): void {
    this.timers.push({at: this.tick + ticks, fn});
  }

  private step(): void {
    this.tick++;
    const due = this.timers.filter((x) => x.at <= this.tick);
    this.timers = this.timers.filter((x) => x.at > this.tick);
    for (const d of due) d.fn();
  }

  podDeleted(name: string): void {
    this.deletions.push(name);
    if (this.leader === name) {
      this.leader = undefined;
      this.later(this.electTicks, () => this.elect());
    }
    this.later(this.recreateTicks, () => {
      const sts = this.sts();
      const rev = sts.status!.updateRevision!;
      const image = templateOf(sts).image!;
      if (this.broken.has(image)) {
        this.kube.seed(this.pod(name, rev, image, {waiting: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`}));
        return;
      }
      const exec = this.cannotExec.get(image);
      if (exec !== undefined) {
        const p = this.pod(name, rev, image, {waiting: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=zookeeper pod=${name}`}) as PodLike;
        p.status!.containerStatuses![0]!.lastState = {terminated: {exitCode: 128, reason: 'StartError', message: exec}};
        this.kube.seed(p);
        return;
      }
      this.kube.seed(this.pod(name, rev, image, 'running'));
      if (this.crashing.has(name) || this.oldZookeeper.has(image) || this.notZookeeper.has(image)) return;
      this.later(this.readyTicks, () => {
        const p = this.pods().find((x) => x.metadata.name === name);
        if (!p) return;
        this.kube.seed(this.pod(name, rev, image, 'ready'));
        if (!this.leader) this.elect();
      });
    });
  }

  elect(): void {
    if (this.leader) return;
    const serving = this.pods().filter((p) => isReadyPod(p));
    if (serving.length < Math.floor(this.voters / 2) + 1) return;
    this.leader = serving.at(-1)!.metadata.name; // the highest id among those serving
    this.epoch++;
  }

  /** The ensemble's report, as gatherStatus would make it from these pods and this ZooKeeper. */
  async status(): Promise<StatusReport> {
    this.statusCalls++;
    const pods = this.pods();
    const members: MemberReport[] = Array.from({length: this.voters}, (_, i) => {
      const pod = pods.find((p) => p.metadata.name === `zk-${i}`);
      const ready = pod ? isReadyPod(pod) : false;
      const image = pod?.spec?.containers?.[0]?.image;
      const old = image ? this.oldZookeeper.get(image) : undefined;
      const role: Role = !pod ? 'no pod' : old ? 'standalone' : !ready ? 'unreachable' : this.leader === `zk-${i}` ? 'leader' : this.leader ? 'follower' : 'not serving';
      return {
        pod: `zk-${i}`,
        serverId: i + 1,
        role,
        configRole: 'participant',
        ready,
        restarts: 0,
        ...(role === 'leader' || role === 'follower' ? {epoch: this.epoch, zxid: `0x${this.epoch.toString(16)}00000005`} : {}),
        ...(pod ? {revision: pod.metadata.labels?.[REVISION_LABEL], image} : {}),
        ...(role !== 'no pod' && role !== 'unreachable' ? {version: old ?? image?.split(':')[1] ?? '3.8.0'} : {}),
      };
    });
    const servingVoters = members.filter((m) => m.role === 'leader' || m.role === 'follower').length;
    const needed = Math.floor(this.voters / 2) + 1;
    const sts = this.sts();
    const r: StatusReport = {
      name: 'zk',
      namespace: NS,
      time: new Date(this.t.clock.now()).toISOString(),
      image: templateOf(sts).image,
      replicas: {desired: this.voters, ready: pods.filter(isReadyPod).length},
      quorum: {has: Boolean(this.leader) && servingVoters >= needed, voters: this.voters, needed, servingVoters, tolerates: Math.max(0, servingVoters - needed), leader: this.leader},
      sync: this.leader ? {followers: servingVoters - 1, observers: 0, pendingSyncs: 0} : undefined,
      config: {version: '100000003', members: members.map((m) => ({id: m.serverId, host: `${m.pod}.zk-hs.ns.svc.cluster.local`, role: 'participant'}))},
      rollout: {updateRevision: sts.status?.updateRevision, updated: pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === sts.status?.updateRevision).length, pods: pods.length},
      members,
      health: 'healthy',
      warnings: [],
      errors: [],
    };
    r.warnings = warningsFor(r);
    r.health = healthOf(r);
    return r;
  }

  deps(extra: Partial<RollDeps> = {}): RollDeps & {progress: ReturnType<typeof recordingProgress>; questions: string[]} {
    const questions: string[] = [];
    return {
      kube: this.kube,
      status: () => this.status(),
      clock: this.t.clock,
      sleep: this.t.sleep,
      progress: recordingProgress(),
      confirm: async (q) => {
        questions.push(q);
        return true;
      },
      pollMs: 500,
      questions,
      ...extra,
    } as RollDeps & {progress: ReturnType<typeof recordingProgress>; questions: string[]};
  }
}

function isReadyPod(p: PodLike): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const req = (action: 'restart' | 'upgrade', extra: Partial<RollRequest> = {}): RollRequest => ({name: 'zk', namespace: NS, action, force: false, dryRun: false, timeoutMs: 120_000, ...extra});

// ---------------------------------------------------------------- pure

describe('roll: the ZooKeeper version a member reports (pure)', () => {
  it('versionAtLeast compares dotted numbers, not strings', () => {
    assert.ok(versionAtLeast('3.10.0', '3.9.5'));
    assert.ok(versionAtLeast('3.5.0', MIN_ZOOKEEPER_VERSION));
    assert.ok(!versionAtLeast('3.4.14', MIN_ZOOKEEPER_VERSION));
    assert.ok(versionAtLeast('3.9', '3.9.0'));
  });

  it('a member older than 3.5.0 is a problem naming its version and image; a newer one or no version yet is not', () => {
    assert.match(memberVersionProblem({pod: 'zk-2', version: '3.4.6'}, 'zookeeper:3.4')!, /^zk-2 runs ZooKeeper 3\.4\.6 \(image zookeeper:3\.4\): older than 3\.5\.0/);
    assert.equal(memberVersionProblem({pod: 'zk-2', version: '3.8.7'}, 'zookeeper:3.8.7'), undefined);
    assert.equal(memberVersionProblem({pod: 'zk-2', version: undefined}, 'busybox'), undefined);
    assert.equal(memberVersionProblem(undefined, 'busybox'), undefined);
  });
});

describe('roll: order (pure)', () => {
  const m = (pod: string, role: Role, extra: Partial<MemberState> = {}): MemberState => ({pod, ordinal: Number(pod.split('-')[1]), role, ready: role !== 'unreachable', revision: 'zk-a', ...extra});

  it('not serving first, then observers, then followers highest ordinal first, the leader last', () => {
    const order = rollOrder([m('zk-0', 'follower'), m('zk-1', 'leader'), m('zk-2', 'follower'), m('zk-3', 'unreachable'), m('zk-4', 'observer')], undefined);
    assert.deepEqual(
      order.pending.map((p) => `${p.pod} ${p.why}`),
      ['zk-3 not ready', 'zk-4 observer', 'zk-2 follower', 'zk-0 follower', 'zk-1 leader'],
    );
    assert.deepEqual(order.done, []);
  });

  it('a serving member whose pod is not Ready counts as not ready; a standalone member is the leader', () => {
    const order = rollOrder([m('zk-0', 'follower', {ready: false}), m('zk-1', 'leader'), m('zk-2', 'follower')], undefined);
    assert.deepEqual(
      order.pending.map((p) => p.pod),
      ['zk-0', 'zk-2', 'zk-1'],
    );
    assert.equal(rollOrder([m('zk-0', 'standalone')], undefined).pending[0]!.why, 'leader');
  });

  it('with a known target revision only the members not on it are pending (resume)', () => {
    const order = rollOrder([m('zk-0', 'follower', {revision: 'zk-b'}), m('zk-1', 'leader'), m('zk-2', 'follower', {revision: 'zk-b'})], 'zk-b');
    assert.deepEqual(
      order.pending.map((p) => p.pod),
      ['zk-1'],
    );
    assert.deepEqual(order.done, ['zk-0', 'zk-2']);
  });
});

describe('roll: template (pure)', () => {
  const w = new World();
  const from = templateOf(w.sts());

  it('reads image, pull policy, cpu, memory, heap from the zookeeper container', () => {
    assert.deepEqual(from, {image: IMAGE, imagePullPolicy: 'Never', cpu: '100m', memory: '512Mi', heapMb: 256, restartedAt: undefined});
  });

  it("validates with create's rules against the current values; --memory without --heap halves it", () => {
    assert.deepEqual(desiredTemplate({name: 'zk', namespace: NS}, from, {image: 'zookeeper:3.9.4'}).changes, ['image zookeeper:3.8.0 → zookeeper:3.9.4']);
    const mem = desiredTemplate({name: 'zk', namespace: NS}, from, {memory: '1Gi'});
    assert.equal(mem.to.heapMb, 512);
    assert.deepEqual(mem.changes, ['memory 512Mi → 1Gi', 'heap 256m → 512m (half of --memory, as create does; --heap chooses)']);
    assert.deepEqual(
      desiredTemplate({name: 'zk', namespace: NS}, from, {cpu: '0.1', memory: '0.5Gi'}).changes.filter((c) => !c.startsWith('heap')),
      [],
      'equal quantities are no change',
    );
    assert.throws(
      () => desiredTemplate({name: 'zk', namespace: NS}, from, {heap: '500m'}),
      (e: unknown) => e instanceof UsageError && /leaves too little of --memory 512Mi/.test(e.message),
    );
    assert.throws(() => desiredTemplate({name: 'zk', namespace: NS}, from, {image: 'Bad Image'}), UsageError);
    assert.throws(() => desiredTemplate({name: 'zk', namespace: NS}, from, {imagePullPolicy: 'Sometimes'}), UsageError);
    assert.deepEqual(desiredTemplate({name: 'zk', namespace: NS}, from, {image: IMAGE}).changes, []);
  });

  it("the patch changes only the zookeeper container's fields and the version label; never replicas", () => {
    const sts = w.sts();
    const patch = upgradePatch(sts, {...from, image: 'zookeeper:3.9.4', memory: '1Gi', heapMb: 512}) as any;
    assert.deepEqual(Object.keys(patch.spec), ['template']);
    assert.deepEqual(Object.keys(patch.spec.template.spec), ['containers']);
    assert.equal(patch.metadata.name, 'zk', 'the merge patch keeps the name (the client builds the URL from it)');
    assert.equal(patch.metadata.labels[LABEL.version], '3.9.4');
    const before = sts.spec!.template!.spec!.containers![0]!;
    const after = patch.spec.template.spec.containers[0];
    const changed = Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify((before as any)[k]));
    assert.deepEqual(changed.sort(), ['env', 'image', 'resources']);
    assert.equal(after.env.find((e: any) => e.name === 'ZK_HEAP_MB').value, '512');
    assert.deepEqual(
      after.env.map((e: any) => e.name),
      before.env!.map((e) => e.name),
      'the other variables (secret refs) are kept, in order',
    );
    assert.deepEqual(after.resources, {requests: {cpu: '100m', memory: '1Gi'}, limits: {memory: '1Gi'}});
  });
});

describe('roll: checks (pure)', () => {
  it('before a member: the others serve and every other voter is in sync; the member itself may be down', async () => {
    const w = new World();
    const r = await w.status();
    assert.deepEqual(readyToStop(r, 'zk-0', false), {ok: true});
    const lagging = {...r, sync: {followers: 1, pendingSyncs: 0}};
    assert.deepEqual(readyToStop(lagging, 'zk-0', false), {ok: false, why: 'leader zk-1: 1/2 followers in sync'});
    const pending = {...r, sync: {followers: 2, pendingSyncs: 1}};
    assert.match((readyToStop(pending, 'zk-0', false) as any).why, /1 syncs pending/);
    const down = {
      ...r,
      members: r.members.map((m) => (m.pod === 'zk-0' ? {...m, role: 'unreachable' as Role, ready: false} : m)),
      sync: {followers: 1, pendingSyncs: 0},
      quorum: {...r.quorum, servingVoters: 2},
    };
    assert.deepEqual(readyToStop(down, 'zk-0', false), {ok: true}, 'the member being replaced may be down');
    assert.match((readyToStop(down, 'zk-2', false) as any).why, /zk-0: unreachable/);
    // --force protects the quorum only
    assert.deepEqual(readyToStop(down, 'zk-0', true), {ok: true});
    assert.deepEqual(readyToStop(down, 'zk-2', true), {ok: false, why: 'stopping zk-2 would leave 1 of 3 voters serving, 2 needed for a quorum'});
  });

  it('after a member: it serves, its pod is Ready, the leader has every serving voter in sync', async () => {
    const w = new World();
    const r = await w.status();
    assert.deepEqual(memberBack(r, 'zk-0'), {ok: true});
    assert.match((memberBack({...r, sync: {followers: 1, pendingSyncs: 0}}, 'zk-0') as any).why, /1\/2 followers in sync/);
    assert.match((memberBack({...r, members: r.members.map((m) => (m.pod === 'zk-0' ? {...m, ready: false} : m))}, 'zk-0') as any).why, /not Ready/);
  });

  it('preconditions name what is wrong; a missing pod counts', async () => {
    const w = new World();
    await w.kube.delete({apiVersion: 'v1', kind: 'Pod', namespace: NS, name: 'zk-2'});
    const r = await w.status();
    const p = rollPreconditions(r, w.pods());
    assert.ok(p.includes('zk-2: no pod'), p.join('\n'));
    assert.ok(p.includes('member pod missing: zk-2'), p.join('\n'));
    assert.ok(
      p.some((x) => /1\/2 followers in sync/.test(x)),
      p.join('\n'),
    );
  });
});

// ---------------------------------------------------------------- the op

function checkAllOn(w: World, rev: string) {
  for (const p of w.pods()) assert.equal(p.metadata.labels?.[REVISION_LABEL], rev, `${p.metadata.name} on ${rev}`);
}

describe('roll: restart (simulated controller and ZooKeeper, fake time)', () => {
  it('followers highest ordinal first, the leader last; one election, reported; a new revision via the annotation', async () => {
    const w = new World();
    const deps = w.deps();
    const r = await rollEnsemble(req('restart'), deps);
    assert.equal(r.outcome, 'done');
    assert.equal(r.exitCode, ROLL_EXIT.done);
    assert.deepEqual(w.deletions, ['zk-2', 'zk-0', 'zk-1']);
    assert.deepEqual(
      r.plan.map((p) => `${p.pod} ${p.why}`),
      ['zk-2 follower', 'zk-0 follower', 'zk-1 leader'],
    );
    assert.deepEqual(
      r.members.map((m) => [m.pod, m.roleBefore, m.roleAfter, m.outcome]),
      [
        ['zk-2', 'follower', 'follower', 'done'],
        ['zk-0', 'follower', 'follower', 'done'],
        ['zk-1', 'leader', 'follower', 'done'],
      ],
    );
    assert.equal(r.elections.length, 1);
    const e = r.elections[0]!;
    assert.deepEqual([e.during, e.from, e.to, e.epochBefore, e.epochAfter, e.expected], ['zk-1', 'zk-1', 'zk-2', 1, 2, true]);
    assert.ok(e.ms > 0 && e.ms <= 3000, `election seen after ${e.ms} ms`);
    assert.equal(r.leaderBefore, 'zk-1');
    assert.equal(r.leaderAfter, 'zk-2');
    assert.equal(w.revisions.length, 2);
    assert.equal(r.revision.from, w.revisions[0]);
    assert.equal(r.revision.to, w.revisions[1]);
    checkAllOn(w, w.revisions[1]!);
    assert.ok(w.sts().spec?.template?.metadata?.annotations?.[RESTARTED_AT]);
    assert.equal(r.template.patched, true);
    for (const m of r.members) {
      assert.ok(m.durationMs > 0);
      assert.equal(m.revisionBefore, w.revisions[0]);
      assert.equal(m.revisionAfter, w.revisions[1]);
      assert.deepEqual(
        m.phases.map((p) => p.phase),
        ['evict the pod', 'wait for the new pod', 'wait until it serves', 'wait until it is in sync'].slice(0, m.phases.length),
      );
    }
    assert.match(deps.questions[0]!, /^Restart ensemble "zk" in namespace "ns": 3 member pod\(s\) evicted one at a time \(zk-2, zk-0, zk-1\), the leader last: one leader election\?$/);
    assert.equal(r.health, 'healthy');
    // every member was back and in sync before the next one's pod was deleted
    const lines = deps.progress.lines.join('\n');
    assert.match(lines, /\[1\/3\] zk-2 \(follower\) back as follower and in sync in/);
    assert.match(lines, /\[3\/3\] zk-1 \(leader\) back as follower and in sync in .*election zk-1 → zk-2 in/);
    const text = renderRoll(r, noPaint);
    assert.match(text, /^✓ restarted ensemble "zk" in namespace "ns": 3 members in /);
    assert.match(text, /election: zk-1 → zk-2 \(epoch 1 → 2\), new leader seen .* after zk-1's pod was deleted/);
    assert.match(text, /leader zk-1 → zk-2, healthy/);
  });

  it('with a direct leader probe (whoLeads) the election is timed at its finer interval, asking only the other members', async () => {
    const w = new World();
    const asked: string[][] = [];
    const deps = w.deps({
      electionPollMs: 100,
      whoLeads: async (pods) => {
        asked.push(pods);
        const l = w.leader && pods.includes(w.leader) ? w.leader : undefined;
        return l ? {leader: l, epoch: w.epoch} : {};
      },
    });
    const r = await rollEnsemble(req('restart'), deps);
    assert.equal(r.outcome, 'done');
    assert.deepEqual(asked[0], ['zk-0', 'zk-2']);
    assert.equal(r.elections.length, 1);
    assert.deepEqual([r.elections[0]!.from, r.elections[0]!.to, r.elections[0]!.epochAfter], ['zk-1', 'zk-2', 2]);
    assert.ok(w.t.slept.includes(100), 'polled at the election interval');
  });

  it('touches nothing but the pod template: no apply, no ConfigMap or replicas change', async () => {
    const w = new World();
    // as scale leaves it: a committed membership in the ConfigMap that create never wrote
    const cm = w.kube.all('ConfigMap')[0]!;
    w.kube.seed({...cm, data: {...(cm as any).data, 'zoo.cfg.dynamic': 'scaled\n', 'membership-version': '100000007'}});
    await rollEnsemble(req('upgrade', {change: {image: 'zookeeper:3.9.4'}}), w.deps());
    assert.deepEqual(
      w.kube.calls.filter((c) => /^(apply|patch|delete|evict)/.test(c)),
      ['patch StatefulSet/zk', 'evict Pod/zk-2', 'evict Pod/zk-0', 'evict Pod/zk-1'],
    );
    assert.equal((w.kube.all('ConfigMap')[0] as any).data['zoo.cfg.dynamic'], 'scaled\n');
    assert.equal((w.kube.all('ConfigMap')[0] as any).data['membership-version'], '100000007');
    assert.equal(w.sts().spec?.replicas, 3);
    assert.equal(w.sts().metadata.labels?.[LABEL.version], '3.9.4');
    assert.deepEqual(
      w.pods().map((p) => p.spec?.containers?.[0]?.image),
      ['zookeeper:3.9.4', 'zookeeper:3.9.4', 'zookeeper:3.9.4'],
    );
  });

  it('--dry-run: the plan with who leads now; nothing patched, deleted or asked', async () => {
    const w = new World();
    const deps = w.deps();
    const r = await rollEnsemble(req('restart', {dryRun: true}), deps);
    assert.equal(r.outcome, 'planned');
    assert.deepEqual(
      w.kube.calls.filter((c) => /^(apply|patch|delete|evict)/.test(c)),
      [],
    );
    assert.deepEqual(deps.questions, []);
    const text = renderRollPlan(r, noPaint);
    assert.match(text, /^Plan \(dry run, nothing changed\): restarting ensemble "zk" in namespace "ns", one member at a time \(leader now: zk-1, epoch 1\)$/m);
    assert.match(text, /^ {2}1\. +zk-2 +follower /m);
    assert.match(text, /^ {2}3\. +zk-1 +leader .*leader last: one election$/m);
    assert.match(renderRoll(r, noPaint), /Plan \(dry run/);
  });

  it('refuses an unhealthy ensemble (exit 3) with the reason; --force rolls the member that is down first', async () => {
    const w = new World();
    // zk-0 is down on the current revision (its process does not answer; the pod is not Ready)
    w.kube.seed(w.pod('zk-0', w.revisions[0]!, IMAGE, 'running'));
    await assert.rejects(
      rollEnsemble(req('restart'), w.deps()),
      (e: unknown) => e instanceof CliError && e.exitCode === ROLL_EXIT.refused && /refusing to restart "zk": zk-0: unreachable/.test(e.message) && /--force/.test(e.hint!),
    );
    assert.deepEqual(w.deletions, []);
    const dry = await rollEnsemble(req('restart', {dryRun: true}), w.deps());
    assert.match(dry.warnings.join('\n'), /would be refused without --force: zk-0: unreachable/);
    const r = await rollEnsemble(req('restart', {force: true}), w.deps());
    assert.equal(r.outcome, 'done');
    assert.deepEqual(w.deletions, ['zk-0', 'zk-2', 'zk-1'], 'the member that was down first, the leader last');
    assert.equal(r.members[0]!.why, 'not ready');
    assert.ok(r.forced.length > 0);
    assert.match(r.warnings.join('\n'), /--force despite: .*Risk: /);
  });

  it('a "no" at the prompt changes nothing', async () => {
    const w = new World();
    await assert.rejects(rollEnsemble(req('restart'), w.deps({confirm: async () => false})), AbortedError);
    assert.deepEqual(
      w.kube.calls.filter((c) => /^(apply|patch|delete|evict)/.test(c)),
      [],
    );
  });

  it('interrupted (Ctrl-C) while the second member is being replaced: says where; a second run resumes with the rest, same revision', async () => {
    const w = new World();
    const abort = new AbortController();
    w.t.onSleep(() => {
      if (w.deletions.length === 2 && !abort.signal.aborted) abort.abort(new Error('interrupted'));
    });
    await assert.rejects(rollEnsemble(req('restart'), w.deps({signal: abort.signal})), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(
        e.message,
        /^restart stopped while zk-0 was being replaced \(its pod was deleted; Kubernetes recreates it on revision zk-\w+\); done: zk-2; not started: zk-1; run the same command again to resume \(kubectl zk restart zk -n ns\): members already on revision zk-\w+ are skipped$/,
      );
      return true;
    });
    const target = w.revisions[1]!;
    assert.equal(w.revisionOf('zk-2'), target);
    assert.notEqual(w.revisionOf('zk-1'), target);
    const uid2 = w.uidOf('zk-2');
    // again, at once (zk-0 may still be starting): it waits for zk-0, then rolls only zk-1 (the leader)
    const deps = w.deps();
    const r = await rollEnsemble(req('restart'), deps);
    assert.equal(r.outcome, 'done');
    assert.equal(r.resumed, true);
    assert.equal(r.template.patched, false, 'no second annotation bump: the revision stays');
    assert.equal(w.revisions.length, 2);
    assert.deepEqual(
      r.members.map((m) => m.pod),
      ['zk-1'],
    );
    assert.deepEqual(r.alreadyDone.sort(), ['zk-0', 'zk-2']);
    assert.equal(w.uidOf('zk-2'), uid2, 'the member done in the first run was not restarted again');
    assert.deepEqual(w.deletions, ['zk-2', 'zk-0', 'zk-1']);
    assert.equal(r.elections.length, 1);
    checkAllOn(w, target);
    assert.match(r.notes.join('\n'), /an earlier restart or upgrade is incomplete: continuing with the 1 member\(s\) not on revision/);
    // and a third run is a fresh restart again (a new revision)
    const again = await rollEnsemble(req('restart', {dryRun: true}), w.deps());
    assert.equal(again.plan.length, 3);
  });

  it('an upgrade right after an interrupted restart waits for the member that is still starting instead of refusing', async () => {
    const w = new World();
    const abort = new AbortController();
    w.t.onSleep(() => {
      if (w.deletions.length === 2 && !abort.signal.aborted) abort.abort(new Error('interrupted'));
    });
    await assert.rejects(rollEnsemble(req('restart'), w.deps({signal: abort.signal})), CliError);
    const deps = w.deps();
    const r = await rollEnsemble(req('upgrade', {change: {image: 'zookeeper:3.9.4'}}), deps);
    assert.equal(r.outcome, 'done');
    assert.match(deps.progress.lines.join('\n'), /step waiting for zk-0 to start \(up to 1m\)/);
    assert.deepEqual(
      w.pods().map((p) => p.spec?.containers?.[0]?.image),
      ['zookeeper:3.9.4', 'zookeeper:3.9.4', 'zookeeper:3.9.4'],
    );
  });

  it('a member that does not come back within --timeout stops the roll there; the rest untouched', async () => {
    const w = new World();
    w.crashing.add('zk-2');
    const r = await rollEnsemble(req('restart', {timeoutMs: 30_000}), w.deps());
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.exitCode, ROLL_EXIT.stopped);
    assert.equal(r.stopped?.pod, 'zk-2');
    assert.match(r.stopped!.reason, /^zk-2 did not come back within 30\.0s \(wait until it serves: NotReady/);
    assert.deepEqual(w.deletions, ['zk-2']);
    assert.deepEqual(r.stopped!.remaining.sort(), ['zk-0', 'zk-1']);
    assert.match(r.stopped!.hint, /zk-1, zk-0 left untouched|zk-0, zk-1 left untouched/);
    assert.match(r.stopped!.hint, /the others keep a quorum \(2\/3 voters serving, leader zk-1\)/);
    assert.equal(r.members[0]!.outcome, 'failed');
  });
});

describe('roll: upgrade (simulated)', () => {
  it('an image that cannot be pulled stops after the first member with its reason; quorum intact; going back replaces only that member', async () => {
    const w = new World();
    w.broken.add('zookeeper:9.9.9');
    const uids = ['zk-0', 'zk-1'].map((p) => w.uidOf(p));
    const r = await rollEnsemble(req('upgrade', {change: {image: 'zookeeper:9.9.9'}}), w.deps());
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.exitCode, 4);
    assert.equal(r.stopped?.pod, 'zk-2');
    assert.match(r.stopped!.reason, /^zk-2 cannot start on revision zk-\w+ \(image zookeeper:9\.9\.9\): ImagePullBackOff \(Back-off pulling image "zookeeper:9\.9\.9"\)$/);
    assert.deepEqual(w.deletions, ['zk-2']);
    assert.deepEqual(
      ['zk-0', 'zk-1'].map((p) => w.uidOf(p)),
      uids,
      'the others untouched',
    );
    assert.equal(r.leaderAfter, 'zk-1');
    assert.match(r.stopped!.hint, /the others keep a quorum \(2\/3 voters serving/);
    assert.match(r.stopped!.hint, /kubectl zk upgrade zk -n ns --image zookeeper:3\.8\.0 replaces only the members on the new revision/);
    const text = renderRoll(r, noPaint);
    assert.match(text, /^✗ upgrade of ensemble "zk" in namespace "ns" stopped at zk-2 after .*: zk-2 cannot start/);
    assert.match(text, /elections: none/);

    // the same upgrade again: refused, the template's revision itself cannot start
    await assert.rejects(
      rollEnsemble(req('upgrade', {change: {image: 'zookeeper:9.9.9'}}), w.deps()),
      (e: unknown) => e instanceof CliError && e.exitCode === 3 && /zk-2 cannot start on the template's revision/.test(e.hint!),
    );

    // back to the old image: the controller reuses the old revision; only zk-2 is replaced, without --force
    const back = await rollEnsemble(req('upgrade', {change: {image: IMAGE}}), w.deps());
    assert.equal(back.outcome, 'done');
    assert.deepEqual(
      back.members.map((m) => `${m.pod} ${m.why}`),
      ['zk-2 not ready'],
    );
    assert.deepEqual(back.alreadyDone.sort(), ['zk-0', 'zk-1']);
    assert.equal(back.revision.to, w.revisions[0]);
    assert.deepEqual(back.elections, []);
    assert.deepEqual(w.deletions, ['zk-2', 'zk-2']);
  });

  it('a stuck member on an old revision goes first when the new template replaces it (no --force needed)', async () => {
    const w = new World();
    w.broken.add('zookeeper:9.9.9');
    await rollEnsemble(req('upgrade', {change: {image: 'zookeeper:9.9.9'}}), w.deps());
    const r = await rollEnsemble(req('upgrade', {change: {image: 'zookeeper:3.9.4'}}), w.deps());
    assert.equal(r.outcome, 'done');
    assert.deepEqual(
      r.members.map((m) => `${m.pod} ${m.why}`),
      ['zk-2 not ready', 'zk-0 follower', 'zk-1 leader'],
    );
    assert.match(r.notes.join('\n'), /zk-2 is down \(cannot start, or terminating\) and not on the target revision: replaced first/);
    assert.equal(r.elections.length, 1);
    assert.deepEqual(
      w.pods().map((p) => p.spec?.containers?.[0]?.image),
      ['zookeeper:3.9.4', 'zookeeper:3.9.4', 'zookeeper:3.9.4'],
    );
  });

  it('an image with a ZooKeeper older than 3.5.0 stops after the first member, naming the version it found; quorum intact', async () => {
    const w = new World();
    w.oldZookeeper.set('zookeeper:3.4.14', '3.4.14');
    const uids = ['zk-0', 'zk-1'].map((p) => w.uidOf(p));
    const r = await rollEnsemble(req('upgrade', {change: {image: 'zookeeper:3.4.14'}}), w.deps());
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.exitCode, ROLL_EXIT.stopped);
    assert.equal(r.stopped?.pod, 'zk-2');
    assert.equal(r.stopped!.reason, 'zk-2 runs ZooKeeper 3.4.14 (image zookeeper:3.4.14): older than 3.5.0, it has no dynamic reconfiguration and cannot join this ensemble');
    assert.ok(r.members[0]!.durationMs < req('upgrade').timeoutMs, 'stopped on what srvr said, not at the member timeout');
    assert.deepEqual(w.deletions, ['zk-2']);
    assert.deepEqual(
      ['zk-0', 'zk-1'].map((p) => w.uidOf(p)),
      uids,
      'the others untouched',
    );
    assert.match(r.stopped!.hint, /the others keep a quorum \(2\/3 voters serving, leader zk-1\)/);
    assert.match(r.stopped!.hint, /--image zookeeper:3\.8\.0 replaces only the members on the new revision/);
  });

  it('an image without ZooKeeper that runs: stops after the first member at its timeout, saying no ZooKeeper answered', async () => {
    const w = new World();
    w.notZookeeper.add('busybox:1.35');
    const r = await rollEnsemble(req('upgrade', {change: {image: 'busybox:1.35'}, timeoutMs: 30_000}), w.deps());
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.stopped?.pod, 'zk-2');
    assert.match(
      r.stopped!.reason,
      /^zk-2 did not come back within 30\.0s \(wait until it serves: NotReady .*\); it never served as a ZooKeeper member on image busybox:1\.35 \(no ZooKeeper answered on its client port\)$/,
    );
    assert.deepEqual(w.deletions, ['zk-2']);
    assert.match(r.stopped!.hint, /the others keep a quorum \(2\/3 voters serving/);
  });

  it("an image whose container cannot start: the stop carries the runtime's message (what the image lacks)", async () => {
    const w = new World();
    w.cannotExec.set('busybox:1.35', 'failed to create containerd task: exec: "bash": executable file not found in $PATH: unknown');
    const r = await rollEnsemble(req('upgrade', {change: {image: 'busybox:1.35'}}), w.deps());
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.stopped?.pod, 'zk-2');
    assert.match(r.stopped!.reason, /^zk-2 cannot start on revision zk-\w+ \(image busybox:1\.35\): CrashLoopBackOff/);
    assert.ok(
      r.stopped!.details.includes('zk-2 | last exit code 128 (StartError): failed to create containerd task: exec: "bash": executable file not found in $PATH: unknown'),
      r.stopped!.details.join('\n'),
    );
    assert.deepEqual(w.deletions, ['zk-2']);
  });

  it('nothing to do when every member already runs the requested template', async () => {
    const w = new World();
    const r = await rollEnsemble(req('upgrade', {change: {image: IMAGE, memory: '512Mi', heap: '256m'}}), w.deps());
    assert.equal(r.outcome, 'nothing-to-do');
    assert.equal(r.exitCode, 0);
    assert.deepEqual(
      w.kube.calls.filter((c) => /^(patch|delete|evict)/.test(c)),
      [],
    );
    assert.match(renderRoll(r, noPaint), /every member already runs the requested template \(image zookeeper:3\.8\.0, revision zk-\w+\): nothing to do/);
  });

  it("an ensemble that is not kubectl-zk's, or not there: not found", async () => {
    const w = new World();
    await assert.rejects(rollEnsemble({...req('restart'), name: 'other'}, w.deps()), /ensemble "other" not found in namespace "ns"/);
  });

  it('a single voter: warned that it is unavailable while it restarts; its restart is the one election', async () => {
    const w = new World(1);
    w.leader = 'zk-0';
    const r = await rollEnsemble(req('restart'), w.deps());
    assert.equal(r.outcome, 'done');
    assert.match(r.warnings.join('\n'), /1 voter: the ensemble has no quorum \(serves no requests\) while its only voter restarts/);
    assert.equal(r.elections.length, 1);
    assert.deepEqual([r.elections[0]!.from, r.elections[0]!.to, r.elections[0]!.epochAfter], ['zk-0', 'zk-0', 2]);
  });
});

describe('roll: two voters (simulated)', () => {
  it('ends when every member serves and is in sync again, not when the last member alone is back (a follower still syncing with the new leader)', async () => {
    const w = new World();
    let lagging = 0;
    const deps = w.deps({
      // after the leader's turn, zk-0 is still syncing with the new leader for a few looks
      status: async () => {
        const r = await w.status();
        const back = w.deletions.includes('zk-1') && r.members.find((m) => m.pod === 'zk-1')?.ready;
        if (!back || lagging >= 4) return r;
        lagging++;
        const row = r.members.find((m) => m.pod === 'zk-0')!;
        row.role = 'not serving';
        delete row.epoch;
        r.quorum.servingVoters = r.members.filter((m) => m.role === 'leader' || m.role === 'follower').length;
        r.sync = {followers: r.quorum.servingVoters - 1, observers: 0, pendingSyncs: 0};
        r.health = healthOf(r);
        return r;
      },
    });
    const r = await rollEnsemble(req('restart'), deps);
    assert.equal(r.outcome, 'done');
    assert.equal(r.health, 'healthy');
    assert.equal(lagging, 4, 'the lagging follower was seen');
    assert.match(deps.progress.lines.join('\n'), /every member serves and is in sync after/);
  });

  it("the leader's turn completes when it wins the election again after coming back (a new epoch, same pod)", async () => {
    const w = new World(2);
    const r = await rollEnsemble(req('restart'), w.deps());
    assert.equal(r.outcome, 'done');
    assert.deepEqual(
      r.members.map((m) => `${m.pod} ${m.why}`),
      ['zk-0 follower', 'zk-1 leader'],
    );
    assert.match(r.warnings.join('\n'), /2 voters: the ensemble has no quorum \(serves no requests\) while a voter restarts/);
    assert.deepEqual(
      r.elections.map((e) => `${e.from} → ${e.to} ${e.epochBefore}→${e.epochAfter}`),
      ['zk-1 → zk-1 1→2'],
    );
  });
});

export type {RollResult};
