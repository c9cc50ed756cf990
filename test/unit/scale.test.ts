import assert from 'node:assert/strict';
import {AbortedError, CliError, UsageError} from '../../src/errors.js';
import type {KubeObject} from '../../src/kube/types.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble, serverLine} from '../../src/manifests/render.js';
import {replaceMember, scaleEnsemble} from '../../src/ops/scale.js';
import {explainReconfigError} from '../../src/ops/scale/errors.js';
import {clusterDomainOf, joinerMembership, kubeScaleMembers, LOST_NODE_GRACE_MS, membershipText, readSuperAuth} from '../../src/ops/scale/kube.js';
import {joinedAndSynced, planReplace, planScale, removalRisks, removedAndLed, shapeOf, validateShape, type PlanStep} from '../../src/ops/scale/plan.js';
import type {ScaleDeps, ScaleMembers, ScaleRequest, StepContext} from '../../src/ops/scale/types.js';
import type {MemberReport, Role, StatusReport} from '../../src/ops/status.js';
import {renderPlan, renderScale} from '../../src/render/scale.js';
import {noPaint} from '../../src/util/progress.js';
import {ZkError} from '../../src/zk/errors.js';
import {parseDynamicConfig} from '../../src/zk/parse.js';
import type {ConfigSnapshot} from '../../src/zk/reconfig.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {fakeTime} from '../support/time.js';

const plan = (v: number, o: number, to: [number, number], strays: number[] = []) =>
  planScale('zk', {voters: v, observers: o, strays}, {voters: to[0], observers: to[1]}).steps.map(
    (s) => `${s.action} ${s.ordinal}${s.role ? ` ${s.role[0]}` : ''} → ${s.after.voters}+${s.after.observers}`,
  );

describe('scale: the planner (pure)', () => {
  it('up and down one member at a time, at the tail; server id = ordinal + 1', () => {
    assert.deepEqual(plan(3, 0, [5, 0]), ['add 3 p → 4+0', 'add 4 p → 5+0']);
    assert.deepEqual(plan(5, 0, [3, 0]), ['remove 4 p → 4+0', 'remove 3 p → 3+0']);
    assert.deepEqual(plan(1, 0, [3, 0]), ['add 1 p → 2+0', 'add 2 p → 3+0']);
    assert.deepEqual(plan(3, 0, [1, 0]), ['remove 2 p → 2+0', 'remove 1 p → 1+0']);
    assert.deepEqual(plan(3, 0, [3, 0]), []);
    const p = planScale('zk', {voters: 3, observers: 0}, {voters: 4, observers: 0});
    assert.deepEqual(p.steps[0], {action: 'add', ordinal: 3, id: 4, pod: 'zk-3', role: 'participant', after: {voters: 4, observers: 0}});
  });

  it('observers: added after the voters, removed from the tail', () => {
    assert.deepEqual(plan(3, 0, [3, 2]), ['add 3 o → 3+1', 'add 4 o → 3+2']);
    assert.deepEqual(plan(3, 2, [3, 0]), ['remove 4 o → 3+1', 'remove 3 o → 3+0']);
    assert.deepEqual(plan(3, 2, [3, 1]), ['remove 4 o → 3+1']);
  });

  it('the voter count changes while observers exist: observers out, voters changed, observers back (and it says so)', () => {
    assert.deepEqual(plan(3, 1, [5, 1]), ['remove 3 o → 3+0', 'add 3 p → 4+0', 'add 4 p → 5+0', 'add 5 o → 5+1']);
    assert.deepEqual(plan(5, 2, [3, 2]), ['remove 6 o → 5+1', 'remove 5 o → 5+0', 'remove 4 p → 4+0', 'remove 3 p → 3+0', 'add 3 o → 3+1', 'add 4 o → 3+2']);
    assert.deepEqual(plan(5, 1, [3, 0]), ['remove 5 o → 5+0', 'remove 4 p → 4+0', 'remove 3 p → 3+0']);
    const p = planScale('zk', {voters: 3, observers: 1}, {voters: 5, observers: 1});
    assert.match(p.notes.join('\n'), /observers are removed first, the voters changed, then 1 observer added back/);
    assert.deepEqual(planScale('zk', {voters: 3, observers: 1}, {voters: 3, observers: 2}).notes, []);
  });

  it('pods beyond the membership (an interrupted scale) are retired first, highest first', () => {
    assert.deepEqual(plan(3, 0, [5, 0], [3, 4]), ['retire 4 → 3+0', 'retire 3 → 3+0', 'add 3 p → 4+0', 'add 4 p → 5+0']);
    assert.deepEqual(plan(3, 0, [3, 0], [3]), ['retire 3 → 3+0']);
    assert.match(planScale('zk', {voters: 3, observers: 0, strays: [3]}, {voters: 3, observers: 0}).notes[0]!, /zk-3 are not in the committed membership/);
  });

  it('1 → N says why it works', () => {
    assert.match(planScale('zk', {voters: 1, observers: 0}, {voters: 3, observers: 0}).notes.join(), /standaloneEnabled=false/);
  });
});

describe('scale: guards (pure)', () => {
  it('--replicas outside 1..255 and --observers beyond the id space are usage errors (exit 2)', () => {
    for (const [v, o] of [
      [0, undefined],
      [256, undefined],
      [-1, undefined],
      [1.5, undefined],
      [3, -1],
      [250, 6],
    ] as [number, number | undefined][]) {
      assert.throws(
        () => validateShape(v, o),
        (e: unknown) => e instanceof UsageError && e.exitCode === 2,
        `${v}/${o}`,
      );
    }
    validateShape(1);
    validateShape(255);
    validateShape(250, 5);
  });

  it('the committed membership must follow the layout (participants 1..V, observers after)', () => {
    assert.deepEqual(
      shapeOf([
        {id: 1, role: 'participant'},
        {id: 2, role: 'participant'},
        {id: 3, role: 'participant'},
        {id: 4, role: 'observer'},
      ]),
      {voters: 3, observers: 1},
    );
    for (const bad of [
      [
        {id: 1, role: 'participant'},
        {id: 3, role: 'participant'},
      ],
      [
        {id: 1, role: 'participant'},
        {id: 2, role: 'observer'},
        {id: 3, role: 'participant'},
      ],
      [{id: 2, role: 'participant'}],
      [{id: 1, role: 'observer'}],
    ]) {
      assert.throws(
        () => shapeOf(bad),
        (e: unknown) => e instanceof CliError && /does not follow kubectl-zk's layout/.test(e.message),
        JSON.stringify(bad),
      );
    }
  });

  it('removal risk: the remaining voters need a serving majority; removing a dead member is fine', () => {
    const p53 = planScale('zk', {voters: 5, observers: 0}, {voters: 3, observers: 0});
    assert.deepEqual(removalRisks(p53, report(5, 0, {})), []);
    assert.deepEqual(removalRisks(p53, report(5, 0, {5: 'unreachable', 4: 'unreachable'})), [], 'the dead ones are the ones removed');
    assert.deepEqual(removalRisks(p53, report(5, 0, {1: 'unreachable'})), [], '2 of 3 remaining serve');
    const r = removalRisks(p53, report(5, 0, {1: 'unreachable', 2: 'not serving'}));
    assert.equal(r.length, 1);
    assert.equal(r[0], 'after removing zk-4, 2 of the 4 remaining voters serve and 3 are needed for a quorum; not serving: zk-0 (unreachable), zk-1 (not serving)');
    const p32 = planScale('zk', {voters: 3, observers: 0}, {voters: 2, observers: 0});
    assert.match(removalRisks(p32, report(3, 0, {1: 'unreachable'}))[0]!, /after removing zk-2, 1 of the 2 remaining voters serve and 2 are needed/);
    // observers never count
    assert.deepEqual(removalRisks(planScale('zk', {voters: 3, observers: 2}, {voters: 3, observers: 0}), report(3, 2, {4: 'unreachable', 5: 'unreachable', 1: 'unreachable'})), []);
  });

  it("joinedAndSynced / removedAndLed read the members' own answers", () => {
    const add: PlanStep = {action: 'add', ordinal: 3, id: 4, pod: 'zk-3', role: 'participant', after: {voters: 4, observers: 0}};
    const r = report(4, 0, {});
    assert.deepEqual(joinedAndSynced(r, add), {ok: true});
    assert.match((joinedAndSynced(report(3, 0, {}), add) as {why: string}).why, /server\.4 is not in the committed config yet/);
    assert.match((joinedAndSynced({...r, sync: {followers: 2, pendingSyncs: 0}}, add) as {why: string}).why, /2\/3 followers in sync/);
    assert.match((joinedAndSynced(report(4, 0, {4: 'not serving'}), add) as {why: string}).why, /zk-3 is not serving/);
    const obs: PlanStep = {action: 'add', ordinal: 3, id: 4, pod: 'zk-3', role: 'observer', after: {voters: 3, observers: 1}};
    assert.deepEqual(joinedAndSynced(report(3, 1, {}), obs), {ok: true});
    assert.match((joinedAndSynced({...report(3, 1, {}), sync: {followers: 2, observers: 0}}, obs) as {why: string}).why, /0\/1 observers in sync/);
    const rm: PlanStep = {action: 'remove', ordinal: 2, id: 3, pod: 'zk-2', role: 'participant', after: {voters: 2, observers: 0}};
    assert.deepEqual(removedAndLed(report(2, 0, {}), rm), {ok: true});
    assert.match((removedAndLed(report(3, 0, {}), rm) as {why: string}).why, /still in the committed config/);
    const stillLeads = report(2, 0, {});
    stillLeads.quorum.leader = 'zk-2';
    assert.match((removedAndLed(stillLeads, rm) as {why: string}).why, /zk-2 still leads/);
  });

  it("ZooKeeper refusals in the command's words, the server code kept", () => {
    const step: PlanStep = {action: 'add', ordinal: 3, id: 4, pod: 'zk-3', role: 'participant', after: {voters: 4, observers: 0}};
    const req = {name: 'zk', namespace: 'ns'};
    const msg = (code: any) => (explainReconfigError(new ZkError(code, code), step, req, '100000003') as CliError).message;
    assert.match(msg('ReconfigInProgress'), /^add zk-3 \(server\.4\): another membership change is still in progress on the ensemble \(ZooKeeper: ReconfigInProgress\)$/);
    assert.match(msg('NewConfigNoQuorum'), /a majority of the new voters is not connected and in sync with the leader \(NewConfigNoQuorum\)/);
    assert.match(msg('BadVersion'), /no longer version 100000003; ZooKeeper: BadVersion/);
    assert.match(msg('NoAuth'), /super-user password from Secret zk-auth \(NoAuth\)/);
    assert.match(msg('ReconfigDisabled'), /disabled/);
    assert.match((explainReconfigError(new ZkError('ReconfigInProgress', 'x'), step, req) as CliError).hint!, /kubectl zk status zk -n ns/);
    const other = new Error('boom');
    assert.equal(explainReconfigError(other, step, req), other);
  });
});

describe('scale: membership text and hosts (pure)', () => {
  const o = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas: 3, clusterDomain: 'corp.example'}).options;
  const committed = parseDynamicConfig(`${[0, 1, 2].map((i) => serverLine(o, i).replace(';2181', ';0.0.0.0:2181')).join('\n')}\nversion=100000003\n`);

  it("the joiner's membership = committed + the joiner; the published text carries no version line", () => {
    const text = joinerMembership(committed, serverLine(o, 3));
    assert.equal(text.split('\n').filter(Boolean).length, 4);
    assert.match(text, /^server\.4=zk-3\.zk-hs\.ns\.svc\.corp\.example:2888:3888:participant;2181$/m);
    assert.doesNotMatch(text, /version=/);
    assert.equal(membershipText(committed.servers), `${[0, 1, 2].map((i) => serverLine(o, i).replace(';2181', ';0.0.0.0:2181')).join('\n')}\n`);
    // a stale line of the joiner's id is replaced, not duplicated
    assert.equal(joinerMembership(parseDynamicConfig(`${serverLine(o, 0)}\n${serverLine(o, 1, 'observer')}\n`), serverLine(o, 1)).match(/^server\.2=/gm)!.length, 1);
  });

  it('the cluster domain comes from the committed hosts', () => {
    assert.equal(clusterDomainOf(committed, 'zk', 'ns'), 'corp.example');
    assert.throws(() => clusterDomainOf(parseDynamicConfig('server.1=10.0.0.1:2888:3888:participant;2181\n'), 'zk', 'ns'), /not kubectl-zk's/);
  });
});

// ---------------------------------------------------------------- fakes for the op

function report(voters: number, observers: number, roles: Record<number, Role>, extra: Partial<StatusReport> = {}): StatusReport {
  const ids = Array.from({length: voters + observers}, (_, i) => i + 1);
  const leaderId = ids.find((id) => id <= voters && roles[id] === undefined); // the first voter with no role given leads
  const members: MemberReport[] = ids.map((id) => ({
    pod: `zk-${id - 1}`,
    serverId: id,
    role: roles[id] ?? (id > voters ? 'observer' : id === leaderId ? 'leader' : 'follower'),
    ready: true,
    restarts: 0,
  }));
  const serving = members.filter((m) => m.serverId <= voters && ['leader', 'follower'].includes(m.role)).length;
  const needed = Math.floor(voters / 2) + 1;
  const leader = members.find((m) => m.role === 'leader')?.pod;
  const healthy = members.every((m) => ['leader', 'follower', 'observer'].includes(m.role));
  return {
    name: 'zk',
    namespace: 'ns',
    time: new Date(0).toISOString(),
    replicas: {desired: ids.length, ready: ids.length},
    quorum: {has: serving >= needed && leader !== undefined, voters, needed, servingVoters: serving, tolerates: Math.max(0, serving - needed), leader},
    sync: {followers: voters - 1, observers, pendingSyncs: 0},
    config: {version: '100000003', members: ids.map((id) => ({id, host: `zk-${id - 1}.zk-hs.ns.svc.cluster.local`, role: id > voters ? 'observer' : 'participant'}))},
    members,
    health: healthy ? 'healthy' : 'degraded',
    warnings: [],
    errors: [],
    ...extra,
  };
}

function opDeps(r: StatusReport | (() => Promise<StatusReport>), answer = true) {
  const calls: string[] = [];
  const questions: string[] = [];
  const t = fakeTime();
  const members: ScaleMembers = {
    replicas: async () => (r instanceof Function ? 3 : r.members.length),
    endpoints: async (o) => {
      calls.push(`endpoints ${o.join(',')}`);
      return [];
    },
    launch: async (o) => {
      calls.push(`launch ${o}`);
      throw new Error('not in unit tests');
    },
    publish: async () => {
      calls.push('publish');
    },
    retire: async (o) => {
      calls.push(`retire ${o}`);
      return {volume: 'none'};
    },
    rebuild: async (o) => {
      calls.push(`rebuild ${o}`);
      throw new Error('not in unit tests');
    },
  };
  const deps: ScaleDeps = {
    members,
    status: r instanceof Function ? r : async () => r,
    auth: async () => {
      calls.push('auth');
      return [];
    },
    clock: t.clock,
    sleep: t.sleep,
    progress: recordingProgress(),
    confirm: async (q) => {
      questions.push(q);
      return answer;
    },
  };
  return {deps, calls, questions};
}

const req = (voters: number, extra: Partial<ScaleRequest> = {}): ScaleRequest => ({
  name: 'zk',
  namespace: 'ns',
  voters,
  keepVolumes: false,
  force: false,
  dryRun: false,
  wait: true,
  timeoutMs: 60_000,
  ...extra,
});

describe("scale: the op's guards (fake members and status, no ZooKeeper)", () => {
  it('same size: a no-op, nothing touched', async () => {
    const {deps, calls, questions} = opDeps(report(3, 0, {}));
    const r = await scaleEnsemble(req(3), deps);
    assert.equal(r.changed, false);
    assert.deepEqual(r.plan.steps, []);
    assert.deepEqual(calls, []);
    assert.deepEqual(questions, []);
    assert.match(renderScale(r, noPaint), /already has 3 voters: nothing to do/);
  });

  it('an ensemble that is not there: the status error surfaces', async () => {
    const {deps} = opDeps(async () => {
      throw new CliError('ensemble "zk" not found in namespace "ns"');
    });
    await assert.rejects(scaleEnsemble(req(5), deps), /ensemble "zk" not found in namespace "ns"/);
  });

  it('bad --replicas before anything is asked', async () => {
    const {deps, calls} = opDeps(report(3, 0, {}));
    await assert.rejects(scaleEnsemble(req(0), deps), UsageError);
    await assert.rejects(scaleEnsemble(req(300), deps), UsageError);
    assert.deepEqual(calls, []);
  });

  it('no quorum: refused even with --force (a reconfig needs a leader)', async () => {
    const {deps, calls} = opDeps(report(3, 0, {1: 'unreachable', 2: 'not serving'}));
    await assert.rejects(scaleEnsemble(req(5, {force: true}), deps), /has no quorum \(1\/3 voters serving, 2 needed\): a membership change needs a serving leader/);
    assert.deepEqual(calls, []);
  });

  it('no committed config readable: a clear error', async () => {
    const {deps} = opDeps(report(3, 0, {}, {config: undefined, errors: ['zk-0: connect ECONNREFUSED']}));
    await assert.rejects(scaleEnsemble(req(5), deps), /cannot read the committed membership of "zk": no member answered with it \(zk-0: connect ECONNREFUSED\)/);
  });

  it('a scale-down that would lose the quorum is refused before asking; the dry run shows it as a warning', async () => {
    const {deps, calls, questions} = opDeps(report(3, 0, {1: 'unreachable'}));
    await assert.rejects(scaleEnsemble(req(2), deps), (e: unknown) => e instanceof CliError && /^refusing to scale down: after removing zk-2/.test(e.message) && /--force/.test(e.hint!));
    assert.deepEqual(questions, []);
    assert.deepEqual(calls, []);
    const dry = await scaleEnsemble(req(2, {dryRun: true}), deps);
    assert.ok(dry.warnings.some((w) => /^would be refused without --force/.test(w)));
  });

  it('a declined confirmation changes nothing; scale-up never asks', async () => {
    const {deps, calls, questions} = opDeps(report(5, 0, {}), false);
    await assert.rejects(scaleEnsemble(req(3), deps), (e: unknown) => e instanceof AbortedError && /nothing was changed/.test(e.message));
    assert.deepEqual(questions, ['Remove 2 member pod(s) (zk-4, zk-3) from ensemble "zk" in namespace "ns"; their volumes are deleted?']);
    assert.deepEqual(calls, [], 'not even the password was read');
  });

  it('--dry-run: the plan and the predicted members, nothing touched, no confirmation, no password', async () => {
    const {deps, calls, questions} = opDeps(report(3, 0, {}));
    const r = await scaleEnsemble(req(4, {dryRun: true, observers: 1}), deps);
    assert.equal(r.dryRun, true);
    assert.equal(r.changed, false);
    assert.deepEqual(
      r.plan.steps.map((s) => `${s.action} ${s.pod}`),
      ['add zk-3', 'add zk-4'],
    );
    assert.deepEqual(
      r.to.members.map((m) => `${m.id}:${m.role}`),
      ['1:participant', '2:participant', '3:participant', '4:participant', '5:observer'],
    );
    assert.ok(r.warnings.some((w) => /4 voters tolerate no more failures than 3/.test(w)));
    assert.deepEqual(calls, []);
    assert.deepEqual(questions, []);
    const text = renderPlan(r, noPaint);
    assert.match(text, /^Plan \(dry run, nothing changed\) for ensemble "zk" in namespace "ns": 3 voters → 4 voters \+ 1 observer \(committed config 0x100000003\)$/m);
    assert.match(text, /^ {2}STEP\s+ACTION\s+POD\s+SERVER\s+ROLE\s+MEMBERSHIP AFTER$/m);
    assert.match(text, /^ {2}1\.\s+add\s+zk-3\s+server\.4\s+participant\s+4 voters$/m);
    assert.match(text, /^ {2}2\.\s+add\s+zk-4\s+server\.5\s+observer\s+4 voters \+ 1 observer$/m);
    assert.match(text, /each add: ConfigMap ← committed membership \+ the joiner .*reconfig add/);
    assert.match(text, /warning: 4 voters tolerate/);
    assert.equal(renderScale(r, noPaint), text);
  });

  it('the plan is announced before the confirmation, warnings with it', async () => {
    const {deps} = opDeps(report(5, 0, {}), false);
    const seen: string[] = [];
    deps.announce = (p) => seen.push(renderPlan(p, noPaint));
    await assert.rejects(scaleEnsemble(req(4), deps), AbortedError);
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /^Plan for ensemble "zk".*5 voters → 4 voters/);
    assert.match(seen[0]!, /each remove: reconfig remove .*delete its volume/);
    assert.match(seen[0]!, /warning: 4 voters tolerate/);
  });

  it('the outcome of a real run: one row per step, members, leader and health', () => {
    const r: any = {
      name: 'zk',
      namespace: 'ns',
      dryRun: false,
      changed: true,
      keepVolumes: false,
      waited: true,
      health: 'healthy',
      leader: 'zk-0',
      warnings: [],
      durationMs: 61_000,
      from: {voters: 5, observers: 0, configVersion: '100000003', members: []},
      to: {
        voters: 3,
        observers: 1,
        configVersion: '10000000a',
        members: [
          {id: 1, pod: 'zk-0', role: 'participant'},
          {id: 2, pod: 'zk-1', role: 'participant'},
          {id: 3, pod: 'zk-2', role: 'participant'},
          {id: 4, pod: 'zk-3', role: 'observer'},
        ],
      },
      plan: {from: {voters: 5, observers: 0}, to: {voters: 3, observers: 1}, steps: [], notes: []},
      steps: [
        {
          action: 'remove',
          ordinal: 4,
          id: 5,
          pod: 'zk-4',
          role: 'participant',
          after: {voters: 4, observers: 0},
          durationMs: 1500,
          phases: [],
          configVersion: '100000007',
          volume: 'deleted',
          confirmedByReadBack: true,
        },
        {action: 'add', ordinal: 3, id: 4, pod: 'zk-3', role: 'observer', after: {voters: 3, observers: 1}, durationMs: 30_000, phases: [], configVersion: '10000000a', volume: 'fresh'},
      ],
    };
    const text = renderScale(r, noPaint);
    assert.match(text, /^✓ ensemble "zk" in namespace "ns": 5 voters → 3 voters \+ 1 observer in 1m1s \(config 0x100000003 → 0x10000000a\)$/m);
    assert.match(text, /^ {2}remove\s+zk-4\s+server\.5\s+participant\s+1\.50s\s+0x100000007\s+deleted\s+reply lost, confirmed by read-back$/m);
    assert.match(text, /^ {2}add\s+zk-3\s+server\.4\s+observer\s+30\.0s\s+0x10000000a\s+fresh$/m);
    assert.match(text, /^members: zk-0, zk-1, zk-2, zk-3 \(observer\)$/m);
    assert.match(text, /^leader zk-0, healthy$/m);
  });

  it('a membership changed by hand is refused with a hint', async () => {
    const r = report(3, 0, {});
    r.config!.members[2]!.id = 7;
    const {deps} = opDeps(r);
    await assert.rejects(scaleEnsemble(req(5), deps), /does not follow kubectl-zk's layout/);
  });
});

// ---------------------------------------------------------------- the Kubernetes members collaborator

/** The in-memory API plus what the StatefulSet controller and kubelet would do when replicas change. */
function cluster(replicas = 3) {
  const kube = new FakeKube('ns');
  const o = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas}).options;
  kube.seed(...renderEnsemble(o, {superPassword: 's3cret'}, loadAssets()));
  const labels = ensembleLabels('zk', o.image);
  const claim = (i: number): KubeObject => ({apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: `data-zk-${i}`, namespace: 'ns', labels}});
  for (let i = 0; i < replicas; i++) kube.seed(fakePod('ns', `zk-${i}`, labels, 'ready'), claim(i));
  let podState: Parameters<typeof fakePod>[3] = 'running';
  const controller = async () => {
    const sts = (await kube.get<any>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ns', name: 'zk'}))!;
    const want = sts.spec.replicas as number;
    for (const p of kube.all('Pod')) {
      const i = Number(p.metadata.name.split('-')[1]);
      if (i >= want) await kube.delete({apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: p.metadata.name});
    }
    for (let i = 0; i < want; i++) {
      if (!kube.all('Pod').some((p) => p.metadata.name === `zk-${i}`)) {
        kube.seed(fakePod('ns', `zk-${i}`, labels, podState));
        if (!kube.all('PersistentVolumeClaim').some((c) => c.metadata.name === `data-zk-${i}`)) kube.seed(claim(i));
      }
    }
  };
  const t = fakeTime();
  t.onSleep(controller);
  const cm = async () => (await kube.get<any>({apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'zk-config'}))!.data as Record<string, string>;
  const committed: ConfigSnapshot = (() => {
    const text = `${[0, 1, 2].map((i) => serverLine(o, i).replace(';2181', ';0.0.0.0:2181')).join('\n')}\nversion=100000003\n`;
    const config = parseDynamicConfig(text);
    return {raw: text, config, version: config.version, stat: {} as any};
  })();
  const phases: string[] = [];
  const ctx = (deadline = Infinity): StepContext => ({phase: (n) => phases.push(n), note: () => undefined, deadline});
  const members = (keepVolumes = false) =>
    kubeScaleMembers({kube, namespace: 'ns', name: 'zk', keepVolumes, endpoint: async (_ns, pod) => ({host: '127.0.0.1', port: Number(pod.split('-')[1]) + 10_000}), clock: t.clock, sleep: t.sleep});
  return {kube, t, cm, committed, ctx, phases, members, claim, o, setPodState: (s: typeof podState) => (podState = s)};
}

describe('scale: the Kubernetes members collaborator (in-memory API)', () => {
  it('launch: ConfigMap = committed + joiner with membership-version, stale volume deleted, replicas + 1, waits for the pod to run', async () => {
    const c = cluster();
    c.kube.seed(c.claim(3)); // a stale volume of ordinal 3
    const m = c.members();
    assert.equal(await m.replicas(), 3);
    const r = await m.launch(3, 'participant', c.committed, c.ctx());
    assert.equal(r.serverLine, 'server.4=zk-3.zk-hs.ns.svc.cluster.local:2888:3888:participant;2181');
    assert.equal(r.volume, 'deleted-stale');
    const data = await c.cm();
    assert.equal(data['membership-version'], '100000003');
    assert.deepEqual(
      data['zoo.cfg.dynamic']!.trimEnd()
        .split('\n')
        .map((l) => l.split('=')[0]),
      ['server.1', 'server.2', 'server.3', 'server.4'],
    );
    assert.match(data['zoo.cfg.dynamic']!, /^server\.4=zk-3\.zk-hs\.ns\.svc\.cluster\.local:2888:3888:participant;2181$/m);
    assert.ok(data['start.sh'], 'the other keys stay');
    assert.equal(await m.replicas(), 4);
    const calls = c.kube.calls.filter((x) => /^(patch|delete)/.test(x));
    assert.deepEqual(calls, ['patch ConfigMap/zk-config', 'delete PersistentVolumeClaim/data-zk-3', 'patch StatefulSet/zk'], 'the volume is gone before the pod may claim it');
    assert.ok(c.kube.all('Pod').some((p) => p.metadata.name === 'zk-3'));
    assert.deepEqual(c.phases.slice(0, 4), ["write the joiner's membership to the ConfigMap", 'delete the stale volume data-zk-3', 'StatefulSet replicas 3 → 4', 'wait for pod zk-3 to run']);
  });

  it('launch with --keep-volumes: a kept volume is reused, never deleted; an observer joins as observer', async () => {
    const c = cluster();
    c.kube.seed(c.claim(3));
    const r = await c.members(true).launch(3, 'observer', c.committed, c.ctx());
    assert.equal(r.volume, 'reused');
    assert.match(r.serverLine, /:observer;2181$/);
    assert.ok(!c.kube.calls.includes('delete PersistentVolumeClaim/data-zk-3'));
    assert.ok(c.kube.all('PersistentVolumeClaim').some((x) => x.metadata.name === 'data-zk-3'));
  });

  it('launch without a stale volume: fresh', async () => {
    const c = cluster();
    assert.equal((await c.members().launch(3, 'participant', c.committed, c.ctx())).volume, 'fresh');
  });

  it('launch: a pod that cannot start fails at once with its reason; one that never runs times out with its state', async () => {
    const c = cluster();
    c.setPodState({waiting: 'InvalidImageName', message: 'bad ref'});
    await assert.rejects(c.members().launch(3, 'participant', c.committed, c.ctx()), /zk-3 cannot start: InvalidImageName \(bad ref\)/);
    const d = cluster();
    d.setPodState('pending');
    await assert.rejects(d.members().launch(3, 'participant', d.committed, d.ctx(d.t.clock.now() + 10_000)), /timed out waiting for zk-3 to run \(Pending: containers are being created\)/);
  });

  it('retire: replicas - 1, waits for the pod to go, deletes its volume (kept with --keep-volumes)', async () => {
    const c = cluster(5);
    const m = c.members();
    assert.deepEqual(await m.retire(4, c.ctx()), {volume: 'deleted'});
    assert.equal(await m.replicas(), 4);
    assert.ok(!c.kube.all('Pod').some((p) => p.metadata.name === 'zk-4'));
    assert.ok(!c.kube.all('PersistentVolumeClaim').some((p) => p.metadata.name === 'data-zk-4'));
    const pvcDelete = c.kube.calls.indexOf('delete PersistentVolumeClaim/data-zk-4');
    assert.ok(pvcDelete > c.kube.calls.indexOf('patch StatefulSet/zk'));
    assert.deepEqual(await c.members(true).retire(3, c.ctx()), {volume: 'kept'});
    assert.ok(c.kube.all('PersistentVolumeClaim').some((p) => p.metadata.name === 'data-zk-3'));
    assert.equal(await m.replicas(), 3);
  });

  it('publish: the committed membership without a version line, and membership-version', async () => {
    const c = cluster();
    await c.members().publish(c.committed);
    const data = await c.cm();
    assert.equal(data['membership-version'], '100000003');
    assert.doesNotMatch(data['zoo.cfg.dynamic']!, /version=/);
    assert.equal(data['zoo.cfg.dynamic']!.split('\n').filter(Boolean).length, 3);
  });

  it('endpoints: one per ordinal, in the order asked; replicas of a missing ensemble is a clear error', async () => {
    const c = cluster();
    assert.deepEqual(await c.members().endpoints([2, 0]), [
      {host: '127.0.0.1', port: 10_002},
      {host: '127.0.0.1', port: 10_000},
    ]);
    await c.kube.delete({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ns', name: 'zk'});
    await assert.rejects(c.members().replicas(), /ensemble "zk" not found in namespace "ns"/);
  });

  it('the super-user password comes from Secret NAME-auth (.data.password, base64)', async () => {
    const kube = new FakeKube('ns');
    kube.seed({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-auth', namespace: 'ns'}, data: {password: Buffer.from('pa:ss').toString('base64')}});
    assert.deepEqual(await readSuperAuth(kube, 'ns', 'zk'), [{scheme: 'digest', auth: 'super:pa:ss'}]);
    await assert.rejects(readSuperAuth(kube, 'ns', 'other'), /Secret other-auth not found in namespace "ns": the super-user password is needed/);
  });
});

// ---------------------------------------------------------------- member replace

describe('member replace: the plan and its refusals (pure)', () => {
  it('a listed member: remove then add at its ordinal, same role, the membership back to its shape', () => {
    const r = report(3, 1, {2: 'unreachable'});
    const p = planReplace(r, 1, false);
    assert.equal(p.refusal, undefined);
    assert.equal(p.role, 'participant');
    assert.deepEqual(
      p.plan.steps.map((s) => `${s.action} ${s.pod} server.${s.id} ${s.role} → ${s.after.voters}+${s.after.observers}`),
      ['remove zk-1 server.2 participant → 2+1', 'add zk-1 server.2 participant → 3+1'],
    );
    assert.match(p.plan.notes[0]!, /never votes before it holds the data/);
    const obs = planReplace(report(3, 1, {4: 'unreachable'}), 3, false);
    assert.equal(obs.role, 'observer');
    assert.deepEqual(
      obs.plan.steps.map((s) => `${s.action} ${s.after.voters}+${s.after.observers}`),
      ['remove 3+0', 'add 3+1'],
    );
  });

  it('a member already out of the membership (an interrupted replace): only the add, in the role its ordinal has', () => {
    const r = report(3, 0, {2: 'unreachable'});
    r.config!.members = r.config!.members.filter((m) => m.id !== 2);
    const p = planReplace(r, 1, false);
    assert.deepEqual(
      p.plan.steps.map((s) => `${s.action} ${s.pod} ${s.role}`),
      ['add zk-1 participant'],
    );
    assert.match(p.plan.notes[0]!, /already out of the membership/);
  });

  it('refuses: no quorum; the only voter; others without a majority; a healthy member without --force (and warns about the leader with it)', () => {
    assert.match(planReplace(report(3, 0, {1: 'unreachable', 2: 'unreachable'}), 2, true).refusal!.message, /has no quorum \(1\/3 voters serving, 2 needed\)/);
    const one = report(1, 0, {});
    assert.match(planReplace(one, 0, true).refusal!.message, /zk-0 is the only voter/);
    const five = report(5, 0, {2: 'unreachable', 3: 'unreachable'});
    assert.equal(planReplace(five, 1, false).refusal, undefined, 'without zk-1: 3 of the other 4 serve, 3 needed');
    assert.match(planReplace(five, 4, true).refusal!.message, /without zk-4, 2 of the other 4 voters serve and 3 are needed/);
    const healthy = report(3, 0, {});
    const refused = planReplace(healthy, 1, false).refusal!;
    assert.match(refused.message, /zk-1 serves as follower and its pod is Ready: there is nothing to repair/);
    assert.match(refused.hint, /--force/);
    const forced = planReplace(healthy, 0, true);
    assert.equal(forced.refusal, undefined);
    assert.match(forced.warnings.join('\n'), /zk-0 leads: taking it out of the membership hands leadership to another voter/);
    // a serving member whose pod is not Ready may be rebuilt without --force
    const notReady = report(3, 0, {});
    notReady.members[1]!.ready = false;
    assert.equal(planReplace(notReady, 1, false).refusal, undefined);
  });

  it('the op: refusal before anything is asked or changed (exit 3); an ordinal beyond the members (exit 2); --dry-run prints the plan', async () => {
    const {deps, calls, questions} = opDeps(report(3, 0, {}));
    const base = {name: 'zk', namespace: 'ns', ordinal: 1, force: false, dryRun: false, wait: true, timeoutMs: 60_000};
    await assert.rejects(replaceMember(base, deps), (e: unknown) => e instanceof CliError && e.exitCode === 3 && /^refusing to replace zk-1: /.test(e.message));
    await assert.rejects(
      replaceMember({...base, ordinal: 3}, deps),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && /zk-3 is not a member of "zk": its members are zk-0\.\.zk-2/.test(e.message),
    );
    const dry = await replaceMember({...base, dryRun: true}, deps);
    assert.equal(dry.replaced, 'zk-1');
    assert.deepEqual(questions, []);
    assert.deepEqual(calls, []);
    const text = renderPlan(dry, noPaint);
    assert.match(text, /each add: ConfigMap ← committed membership \+ the joiner; delete its volume claim and pod/);
    assert.doesNotMatch(text, /replicas/);
  });
});

describe('member replace: the Kubernetes side (in-memory API)', () => {
  const withUid = (o: KubeObject, uid: string): KubeObject => ({...o, metadata: {...o.metadata, uid}});

  it('rebuild: joiner membership first, then the claim and the pod deleted; done when a new pod runs on a new claim', async () => {
    const c = cluster();
    const pod = (await c.kube.get<KubeObject>({apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'zk-1'}))!;
    c.kube.seed(withUid(pod, 'old-pod'), withUid(c.claim(1), 'old-claim'));
    const committed: ConfigSnapshot = {...c.committed, config: {...c.committed.config, servers: c.committed.config.servers.filter((s) => s.id !== 2)}};
    const r = await c.members().rebuild!(1, 'participant', committed, c.ctx());
    assert.equal(r.serverLine, 'server.2=zk-1.zk-hs.ns.svc.cluster.local:2888:3888:participant;2181');
    assert.equal(r.volume, 'deleted-stale');
    const data = await c.cm();
    assert.deepEqual(
      data['zoo.cfg.dynamic']!.trimEnd()
        .split('\n')
        .map((l) => l.split('=')[0]),
      ['server.1', 'server.2', 'server.3'],
    );
    const order = c.kube.calls.filter((x) => /^(patch ConfigMap|delete (Pod|PersistentVolumeClaim))/.test(x));
    assert.deepEqual(order.slice(0, 3), ['patch ConfigMap/zk-config', 'delete PersistentVolumeClaim/data-zk-1', 'delete Pod/zk-1']);
    const now = await c.kube.get<KubeObject>({apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'zk-1'});
    assert.notEqual(now?.metadata.uid, 'old-pod');
    assert.equal(await c.members().replicas(), 3, 'the slots are unchanged');
  });

  it('a pod left Terminating on a lost node is deleted without grace once its grace period and 30 s more are over', async () => {
    const c = cluster();
    const deletes: string[] = [];
    const kube = c.kube;
    const plain = kube.delete.bind(kube);
    kube.delete = async (ref, opts) => {
      deletes.push(`${ref.kind} ${ref.name}${opts?.gracePeriodSeconds === 0 ? ' grace=0' : ''}`);
      if (ref.kind === 'Pod' && ref.name === 'zk-1' && opts?.gracePeriodSeconds !== 0) {
        // no kubelet confirms: the pod stays, Terminating
        const p = (await kube.get<KubeObject>(ref))!;
        kube.seed({...p, metadata: {...p.metadata, deletionTimestamp: new Date(0).toISOString()}});
        return true;
      }
      return plain(ref, opts);
    };
    const pod = (await kube.get<KubeObject>({apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'zk-1'}))!;
    kube.seed(withUid(pod, 'old-pod'));
    const started = c.t.clock.now();
    await c.members().rebuild!(1, 'participant', c.committed, c.ctx());
    assert.deepEqual(deletes, ['PersistentVolumeClaim data-zk-1', 'Pod zk-1', 'Pod zk-1 grace=0']);
    assert.ok(c.t.clock.now() - started >= (30 + LOST_NODE_GRACE_MS / 1000) * 1000, 'not before the grace period and the margin');
  });
});
