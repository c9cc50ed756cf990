/**
 * Required spreading (issue 19 item 3): create --spread decides per node and
 * per zone against the schedulable nodes (src/ops/ensemble/spread.ts
 * decideSpread), the StatefulSet renders it (src/manifests/spread.ts), and
 * scale / member replace refuse, before anything changes, what it leaves no
 * room for.
 */
import assert from 'node:assert/strict';
import {CliError} from '../../src/errors.js';
import type {KubeObject} from '../../src/kube/types.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {formatSpread, parseSpread, SPREAD_ANNOTATION, spreadOfTemplate, spreadPodSpec, type Spread} from '../../src/manifests/spread.js';
import {decideSpread, spreadRoom, ZONE_LABEL, type SpreadNode} from '../../src/ops/ensemble/spread.js';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {fakeMembers, type FakeMembers} from '../support/fake-members.js';
import {runInProcess} from '../support/inprocess.js';

const nodes = (spec: Record<string, string | undefined>, unschedulable: string[] = []): SpreadNode[] =>
  Object.entries(spec).map(([name, zone]) => ({name, zone, schedulable: !unschedulable.includes(name)}));
const bare = nodes({n1: undefined, n2: undefined, n3: undefined});
const zoned = nodes({n1: 'a', n2: 'b', n3: 'c'});
const REQUIRED: Spread = {node: 'required', zone: 'required'};

const thrown = (f: () => unknown): CliError => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    return e;
  }
  assert.fail('did not throw');
};

describe('required spreading: the decision (pure)', () => {
  it('auto requires one member per node when the schedulable nodes suffice, and an even zone spread when every node has a zone', () => {
    assert.deepEqual(decideSpread('auto', 3, bare), {spread: {node: 'required', zone: 'preferred'}, notes: []});
    assert.deepEqual(decideSpread('auto', 3, zoned), {spread: REQUIRED, notes: []});
    // a 1-member ensemble: both trivially met
    assert.deepEqual(decideSpread('auto', 1, zoned), {spread: REQUIRED, notes: []});
    // fewer zones than members: maxSkew 1 still places 5 over 3 zones (2, 2, 1), but not with one member per node on 3 nodes
    const five = decideSpread('auto', 5, zoned);
    assert.deepEqual(five.spread, {node: 'preferred', zone: 'required'});
    assert.deepEqual(five.notes, [
      'spreading per node is preferred, not required: one member per node is required (spread node=required) and 5 members need 5 schedulable nodes; there are 3: n1, n2, n3',
    ]);
    assert.deepEqual(decideSpread('auto', 5, nodes({n1: 'a', n2: 'a', n3: 'b', n4: 'b', n5: 'c'})).spread, REQUIRED);
  });

  it('auto: cordoned or NotReady nodes do not count; an unlabelled schedulable node or a single zone leaves zones preferred; zones that cannot hold an even spread with one member per node leave them preferred', () => {
    const d = decideSpread('auto', 3, nodes({n1: 'a', n2: 'b', n3: 'c'}, ['n3']));
    assert.deepEqual(d.spread, {node: 'preferred', zone: 'required'});
    assert.match(d.notes[0]!, /there are 2: n1, n2 \(not schedulable: n3\)$/);
    assert.deepEqual(decideSpread('auto', 3, nodes({n1: 'a', n2: 'b', n3: undefined})).spread, {node: 'required', zone: 'preferred'});
    assert.deepEqual(decideSpread('auto', 3, nodes({n1: 'a', n2: 'a', n3: 'a'})).spread, {node: 'required', zone: 'preferred'});
    // 5 members, one per node, zone a has 4 nodes and zone b one: an even spread needs 3 + 2
    const lopsided = nodes({n1: 'a', n2: 'a', n3: 'a', n4: 'a', n5: 'b'});
    const d2 = decideSpread('auto', 5, lopsided);
    assert.deepEqual(d2.spread, {node: 'required', zone: 'preferred'});
    assert.match(
      d2.notes[0]!,
      /^spreading over zones is preferred, not required: members must spread evenly over zones \(spread zone=required, maxSkew 1\) with one per node and 5 members do not fit the schedulable nodes \(a: n1, n2, n3, n4; b: n5\)$/,
    );
    assert.equal(spreadRoom({node: 'required', zone: 'required'}, 3, lopsided), undefined, '2 + 1 fits');
  });

  it('required refuses what cannot be met (exit 3, naming the nodes); preferred and none are taken as they are; without the nodes auto is preferred, with a note', () => {
    const e = thrown(() => decideSpread('required', 5, zoned));
    assert.equal(e.exitCode, 3);
    assert.match(e.message, /^--spread required: one member per node is required \(spread node=required\) and 5 members need 5 schedulable nodes; there are 3: n1, n2, n3$/);
    assert.match(thrown(() => decideSpread('required', 5, nodes({n1: 'a', n2: 'a', n3: 'a', n4: 'a', n5: 'b'}))).message, /^--spread required: members must spread evenly over zones/);
    assert.deepEqual(decideSpread('required', 3, zoned), {spread: REQUIRED, notes: []});
    assert.deepEqual(decideSpread('preferred', 5, zoned), {spread: {node: 'preferred', zone: 'preferred'}, notes: []});
    assert.deepEqual(decideSpread('none', 3, zoned), {spread: {node: 'none', zone: 'none'}, notes: []});
    const offline = decideSpread('auto', 3, undefined, '--dry-run contacts nothing');
    assert.deepEqual(offline.spread, {node: 'preferred', zone: 'preferred'});
    assert.match(offline.notes[0]!, /^--dry-run contacts nothing: spreading is preferred/);
    assert.deepEqual(decideSpread('required', 3, undefined).spread, {node: 'required', zone: 'preferred'});
  });
});

describe('required spreading: the StatefulSet (pure rendering)', () => {
  const sel = {'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'zk'};
  const render = (spread?: Spread) => {
    const o = validateEnsembleOptions({name: 'zk', namespace: 'team-a', replicas: 3, spread}).options;
    return renderEnsemble(o, {superPassword: 'pw'}, loadAssets()).find((x) => x.kind === 'StatefulSet') as KubeObject & Record<string, any>;
  };

  it('required: anti-affinity required per node, a zone spread with maxSkew 1 that does not schedule otherwise and honours taints; recorded on the StatefulSet', () => {
    const sts = render(REQUIRED);
    assert.equal(sts.metadata.annotations![SPREAD_ANNOTATION], 'node=required,zone=required');
    const spec = sts.spec.template.spec;
    assert.deepEqual(spec.affinity, {
      podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: 'kubernetes.io/hostname', labelSelector: {matchLabels: sts.spec.selector.matchLabels}}]},
    });
    assert.deepEqual(spec.topologySpreadConstraints, [
      {maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor', labelSelector: {matchLabels: sts.spec.selector.matchLabels}},
    ]);
    assert.deepEqual(Object.keys(spec).slice(-3), ['affinity', 'topologySpreadConstraints', 'containers'], 'placement before the containers');
  });

  it('preferred (the default of callers that do not choose) is the template kubectl-zk always had; none has neither field', () => {
    const spec = render().spec.template.spec;
    assert.equal(render().metadata.annotations![SPREAD_ANNOTATION], 'node=preferred,zone=preferred');
    assert.deepEqual(
      spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.map((t: any) => [t.podAffinityTerm.topologyKey, t.weight]),
      [
        ['kubernetes.io/hostname', 100],
        [ZONE_LABEL, 100],
      ],
    );
    assert.deepEqual(
      spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable]),
      [['kubernetes.io/hostname', 'ScheduleAnyway']],
    );
    const none = render({node: 'none', zone: 'none'}).spec.template.spec;
    assert.equal(none.affinity, undefined);
    assert.equal(none.topologySpreadConstraints, undefined);
    assert.deepEqual(spreadPodSpec({node: 'required', zone: 'preferred'}, sel).affinity!.podAntiAffinity, {
      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: 'kubernetes.io/hostname', labelSelector: {matchLabels: sel}}],
      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {topologyKey: ZONE_LABEL, labelSelector: {matchLabels: sel}}}],
    });
  });

  it('read back: the annotation, else the fields (an ensemble made before --spread is preferred)', () => {
    for (const s of [REQUIRED, {node: 'preferred', zone: 'required'} as Spread, {node: 'none', zone: 'none'} as Spread]) {
      assert.deepEqual(parseSpread(formatSpread(s)), s);
      const sts = render(s);
      assert.deepEqual(spreadOfTemplate(sts.metadata.annotations, sts.spec.template.spec), s);
      assert.deepEqual(spreadOfTemplate({}, sts.spec.template.spec), s, `${formatSpread(s)} from the fields alone`);
    }
    assert.equal(parseSpread('node=always,zone=none'), undefined);
  });
});

describe('required spreading: create, scale and member replace in process (fake API server)', function () {
  this.timeout(60_000);
  let members: FakeMembers | undefined;
  afterEach(async () => {
    await members?.close();
    members = undefined;
  });
  const node = (name: string, zone?: string, ready = true): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {name, labels: zone ? {[ZONE_LABEL]: zone} : {}},
    status: {conditions: [{type: 'Ready', status: ready ? 'True' : 'Unknown'}]},
  });
  const appliedSts = (kube: FakeKube) => kube.all('StatefulSet')[0] as KubeObject & Record<string, any>;

  it('create on three zoned nodes requires both (shown in its output); --spread required on two nodes is refused before anything is applied; --dry-run shows the choice, or says auto is not decided offline', async () => {
    const kube = new FakeKube('team-a');
    kube.seed(node('n1', 'a'), node('n2', 'b'), node('n3', 'c'));
    const r = await runInProcess('create', ['zk', '--no-wait', '-o', 'json'], {kube});
    assert.equal(r.exit, 0, r.stderrAsCli);
    assert.deepEqual(JSON.parse(r.stdout).spread, REQUIRED);
    assert.equal(appliedSts(kube).metadata.annotations![SPREAD_ANNOTATION], 'node=required,zone=required');
    assert.ok(appliedSts(kube).spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution);

    const two = new FakeKube('team-a');
    two.seed(node('n1', 'a'), node('n2', 'b'), node('n3', 'c', false));
    const refused = await runInProcess('create', ['zk', '--spread', 'required'], {kube: two});
    assert.equal(refused.exit, 3, refused.stderrAsCli);
    assert.match(
      refused.stderrAsCli,
      /^error: --spread required: one member per node is required \(spread node=required\) and 3 members need 3 schedulable nodes; there are 2: n1, n2 \(not schedulable: n3\) \(add nodes, or pass --spread preferred/m,
    );
    assert.deepEqual(
      two.calls.filter((c) => /^apply /.test(c)),
      [],
    );
    const auto = await runInProcess('create', ['zk', '--no-wait'], {kube: two});
    assert.equal(auto.exit, 0, auto.stderrAsCli);
    assert.match(auto.stderr, /^spread: node=preferred,zone=required \(spreading per node is preferred, not required: /m);
    assert.match(auto.stdout, /^spread: {2}node=preferred,zone=required \(--spread\)$/m);

    const dry = await runInProcess('create', ['zk', '--dry-run', '--spread', 'required'], {kube: new FakeKube('team-a')});
    assert.equal(dry.exit, 0, dry.stderrAsCli);
    assert.match(dry.stdout, /kubectl-zk\/spread: node=required,zone=preferred/);
    assert.match(dry.stdout, /requiredDuringSchedulingIgnoredDuringExecution/);
    const dryAuto = await runInProcess('create', ['zk', '--dry-run'], {kube: new FakeKube('team-a')});
    assert.match(dryAuto.stdout, /kubectl-zk\/spread: node=preferred,zone=preferred/);
    assert.match(dryAuto.stderr, /--dry-run contacts nothing, so the nodes were not counted: spreading is preferred/);
  });

  it('scale past the schedulable nodes of an ensemble that requires one member per node: refused before anything changes (exit 3, naming the nodes); --dry-run says it would be', async () => {
    const kube = new FakeKube('team-a');
    await seedEnsemble(kube, 'zk', 'team-a', 3, REQUIRED);
    kube.seed(node('n1', 'a'), node('n2', 'b'), node('n3', 'c'), node('n4', 'c', false));
    members = await fakeMembers(kube, 'zk', 'team-a', ['follower', 'follower', 'leader']);
    const r = await runInProcess('scale', ['zk', '--replicas', '5', '--yes'], {kube, lock: true});
    assert.equal(r.exit, 3, r.stderrAsCli);
    assert.match(
      r.stderrAsCli,
      /^error: refusing to scale "zk" to 5 members: one member per node is required \(spread node=required\) and 5 members need 5 schedulable nodes; there are 3: n1, n2, n3 \(not schedulable: n4\) \(add schedulable nodes/m,
    );
    assert.deepEqual(
      kube.calls.filter((c) => /^(apply|create|patch|delete) /.test(c) && !/ Lease\//.test(c)),
      [],
      'nothing changed',
    );
    const dry = await runInProcess('scale', ['zk', '--replicas', '5', '--dry-run', '-o', 'json'], {kube, lock: true});
    assert.equal(dry.exit, 0, dry.stderrAsCli);
    assert.ok((JSON.parse(dry.stdout).warnings as string[]).some((w) => w.startsWith('would be refused: one member per node is required')));
  });

  it('member replace when every schedulable node holds another member: refused before the member leaves the voting config (exit 3)', async () => {
    const kube = new FakeKube('team-a');
    await seedEnsemble(kube, 'zk', 'team-a', 3, REQUIRED);
    kube.seed(node('n1', 'a', false), node('n2', 'b'), node('n3', 'c'));
    for (const [i, p] of kube.all('Pod').entries()) (p as any).spec = {...(p as any).spec, nodeName: `n${i + 1}`};
    members = await fakeMembers(kube, 'zk', 'team-a', ['follower', 'follower', 'leader']);
    const r = await runInProcess('member:replace', ['zk', '0', '--yes', '--force'], {kube, lock: true});
    assert.equal(r.exit, 3, r.stderrAsCli);
    assert.match(
      r.stderrAsCli,
      /^error: refusing to replace zk-0: one member per node is required \(spread node=required\) and no schedulable node is free for zk-0: n2 holds zk-1, n3 holds zk-2; not schedulable: n1 \(add schedulable nodes/m,
    );
    assert.deepEqual(
      kube.calls.filter((c) => /^(apply|create|patch|delete) /.test(c) && !/ Lease\//.test(c)),
      [],
      'nothing changed',
    );
  });

  it('scale --spread: decided for the new count as create decides (dry run: the change and its warning); refused while the running pods still require one per node; applied alone it patches only the template (no pod touched) and leaves no required term behind', async () => {
    const kube = new FakeKube('team-a');
    await seedEnsemble(kube, 'zk', 'team-a', 3, REQUIRED);
    kube.seed(node('n1', 'a'), node('n2', 'b'), node('n3', 'c'));
    members = await fakeMembers(kube, 'zk', 'team-a', ['follower', 'follower', 'leader']);
    const dry = await runInProcess('scale', ['zk', '--replicas', '5', '--spread', 'auto', '--dry-run', '-o', 'json'], {kube, lock: true});
    assert.equal(dry.exit, 0, dry.stderrAsCli);
    const plan = JSON.parse(dry.stdout) as {spread: {from: string; to: string}; warnings: string[]};
    assert.deepEqual(plan.spread, {from: 'node=required,zone=required', to: 'node=preferred,zone=required'});
    assert.ok(!plan.warnings.some((w) => w.startsWith('would be refused')), plan.warnings.join('\n'));
    assert.ok(
      plan.warnings.some((w) =>
        /^the pod template's spreading changes from node=required,zone=required to node=preferred,zone=required: new members get it at once; the running members keep their pods \(no restart\)/.test(
          w,
        ),
      ),
    );
    // the pods made from the required template keep its anti-affinity (it binds new pods too) until they restart
    for (const p of kube.all('Pod')) (p as any).spec = {...(p as any).spec, affinity: structuredClone(appliedSts(kube).spec.template.spec.affinity)};
    const stale = await runInProcess('scale', ['zk', '--replicas', '5', '--spread', 'auto', '--yes'], {kube, lock: true});
    assert.equal(stale.exit, 3, stale.stderrAsCli);
    assert.match(
      stale.stderrAsCli,
      /^error: refusing to scale "zk" to 5 members: one member per node is required \(spread node=required\) and 5 members need 5 schedulable nodes; there are 3: n1, n2, n3 \(the template no longer requires it, but the running members zk-0, zk-1, zk-2 were made when it did and keep it until they restart: roll them onto the template with kubectl zk restart zk -n team-a first\)/m,
    );
    assert.deepEqual(
      kube.calls.filter((c) => /^(apply|create|patch|delete) /.test(c) && !/ Lease\//.test(c)),
      [],
      'nothing changed',
    );
    const refused = await runInProcess('scale', ['zk', '--replicas', '5', '--spread', 'required', '--yes'], {kube, lock: true});
    assert.equal(refused.exit, 3, refused.stderrAsCli);
    assert.match(refused.stderrAsCli, /^error: --spread required: one member per node is required/m);

    const r = await runInProcess('scale', ['zk', '--replicas', '3', '--spread', 'preferred', '--yes', '-o', 'json'], {kube, lock: true});
    assert.equal(r.exit, 0, r.stderrAsCli);
    assert.deepEqual(
      kube.calls.filter((c) => /^(apply|create|patch|delete) /.test(c) && !/ Lease\//.test(c)),
      ['patch StatefulSet/zk'],
    );
    const sts = appliedSts(kube);
    assert.equal(sts.metadata.annotations![SPREAD_ANNOTATION], 'node=preferred,zone=preferred');
    assert.equal(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, undefined);
    assert.deepEqual(spreadOfTemplate({}, sts.spec.template.spec), {node: 'preferred', zone: 'preferred'});
  });
});
