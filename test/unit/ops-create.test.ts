import assert from 'node:assert/strict';
import type {KeptVolume} from '../../src/manifests/inspector.js';
import {staleMajority} from '../../src/ops/kept-volumes.js';
import {CliError} from '../../src/errors.js';
import {KubeError} from '../../src/kube/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {createEnsemble, type CreateDeps} from '../../src/ops/create.js';
import type {MemberProbe} from '../../src/ops/wait.js';
import type {Acl, ZkClient} from '../../src/zk/client.js';
import type {AuthInfo} from '../../src/zk/wire.js';
import type {KubeObject} from '../../src/kube/types.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {fakeTime} from '../support/time.js';

const assets = loadAssets();
const labels = ensembleLabels('zk', 'zookeeper:3.9.4');

/** A ZooKeeper whose system znodes carry the defaults a new server gives them; records who connected and what was set. */
function fakeZk() {
  const open: Acl[] = [{perms: 31, scheme: 'world', id: 'anyone'}];
  const acls = new Map<string, Acl[]>([
    ['/', open],
    ['/zookeeper', open],
    ['/zookeeper/quota', open],
  ]);
  const zk = {acls, sessions: [] as AuthInfo[][], closed: 0, failConnect: undefined as Error | undefined};
  const connect = async (auth: readonly AuthInfo[]): Promise<ZkClient> => {
    if (zk.failConnect) throw zk.failConnect;
    zk.sessions.push([...auth]);
    return {
      getAcl: async (path: string) => ({acl: acls.get(path)!, stat: {aversion: 0}}),
      setAcl: async (path: string, acl: readonly Acl[]) => void acls.set(path, [...acl]),
      getConfig: async () => ({version: '100000000'}),
      close: async () => void zk.closed++,
    } as unknown as ZkClient;
  };
  return {zk, connect};
}

function setup(replicas = 3) {
  const kube = new FakeKube('prod');
  const time = fakeTime();
  const progress = recordingProgress();
  let probes: MemberProbe[] = [];
  const {zk, connect} = fakeZk();
  const deps: CreateDeps = {
    connect,
    kube,
    clock: time.clock,
    sleep: time.sleep,
    progress,
    probe: async () => probes,
    assets,
    newPassword: () => 'pw',
  };
  const req = {options: validateEnsembleOptions({name: 'zk', namespace: 'prod', replicas}).options, wait: true, timeoutMs: 60_000, warnings: []};
  return {kube, time, progress, deps, req, zk, setProbes: (p: MemberProbe[]) => (probes = p)};
}

/** The world moves on while the op sleeps: pods appear, run, become ready, a leader is elected with every follower synced. */
function healthyStart(t: ReturnType<typeof setup>): void {
  t.time.onSleep((now) => {
    const elapsed = now - 1_000_000;
    const state = elapsed < 2000 ? 'pending' : 'ready';
    for (let i = 0; i < 3; i++) t.kube.seed(fakePod('prod', `zk-${i}`, labels, state));
    if (elapsed >= 2000)
      t.setProbes([
        {pod: 'zk-0', mode: 'follower'},
        {pod: 'zk-1', mode: 'leader', syncedFollowers: 2},
        {pod: 'zk-2', mode: 'follower'},
      ]);
  });
}

describe('create (ops, against the in-memory API)', () => {
  it('applies the objects in order and waits through every phase to a synced quorum', async () => {
    const t = setup();
    // the world moves on while the op sleeps: pods appear, run, become ready, a leader is elected
    t.time.onSleep((now) => {
      const elapsed = now - 1_000_000;
      const state = elapsed < 2000 ? 'pending' : elapsed < 4000 ? 'running' : 'ready';
      for (let i = 0; i < 3; i++) t.kube.seed(fakePod('prod', `zk-${i}`, labels, state));
      if (elapsed >= 6000)
        t.setProbes([
          {pod: 'zk-0', mode: 'follower'},
          {pod: 'zk-1', mode: 'leader', syncedFollowers: 2},
          {pod: 'zk-2', mode: 'follower'},
        ]);
      else if (elapsed >= 4000)
        t.setProbes([
          {pod: 'zk-0', mode: 'follower'},
          {pod: 'zk-1', mode: 'leader', syncedFollowers: 1},
          {pod: 'zk-2', mode: 'follower'},
        ]);
    });
    const r = await createEnsemble(t.req, t.deps);
    assert.deepEqual(
      t.kube.calls.filter((c) => c.startsWith('apply')),
      ['apply Secret/zk-auth', 'apply ConfigMap/zk-config', 'apply NetworkPolicy/zk', 'apply Service/zk-hs', 'apply Service/zk', 'apply PodDisruptionBudget/zk', 'apply StatefulSet/zk'],
    );
    assert.equal(r.ready, true);
    assert.equal(r.leader, 'zk-1');
    assert.deepEqual(
      r.phases.map((p) => p.phase),
      ['objects applied', 'pods scheduled', 'containers running', 'members serving', 'leader elected, followers synced', 'system ACLs set'],
    );
    const times = r.phases.map((p) => p.atMs);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'phases are in time order',
    );
    assert.ok(r.phases.at(-1)!.atMs >= 6000, 'not done before every follower is synced');
    assert.equal(r.connectString, 'zk.prod.svc.cluster.local:2181');
    assert.ok(
      t.progress.lines.some((l) => l.includes('1/2 followers in sync')),
      t.progress.lines.join('\n'),
    );
  });

  it('--monitor: the PodMonitor applied after the StatefulSet and owned by it; without the CRD a warning and the ensemble all the same', async () => {
    const withCrd = setup();
    healthyStart(withCrd);
    withCrd.kube.servedKinds.add('monitoring.coreos.com/v1|PodMonitor');
    const apply = withCrd.kube.apply.bind(withCrd.kube);
    withCrd.kube.apply = async (obj) => apply(obj.kind === 'StatefulSet' ? {...obj, metadata: {...obj.metadata, uid: 'sts-uid'}} : obj);
    const r = await createEnsemble({...withCrd.req, monitor: true}, withCrd.deps);
    assert.deepEqual(withCrd.kube.calls.filter((c) => c.startsWith('apply')).slice(-2), ['apply StatefulSet/zk', 'apply PodMonitor/zk']);
    assert.deepEqual(
      (withCrd.kube.all('PodMonitor')[0]!.metadata.ownerReferences as {uid: string}[]).map((o) => o.uid),
      ['sts-uid'],
    );
    assert.ok(r.objects.some((o) => o.kind === 'PodMonitor'));

    const without = setup();
    healthyStart(without);
    const r2 = await createEnsemble({...without.req, monitor: true}, without.deps);
    assert.equal(r2.ready, true);
    assert.deepEqual(without.kube.all('PodMonitor'), []);
    assert.ok(!r2.objects.some((o) => o.kind === 'PodMonitor'));
    assert.ok(
      r2.warnings.some((w) => /--monitor: the API server does not serve PodMonitor/.test(w)),
      r2.warnings.join('\n'),
    );
  });

  it('refuses to overwrite an existing ensemble and applies nothing', async () => {
    const t = setup();
    t.kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', namespace: 'prod', labels}});
    await assert.rejects(createEnsemble(t.req, t.deps), (e: unknown) => e instanceof CliError && /already exists in namespace "prod"/.test(e.message) && /teardown zk -n prod/.test(e.hint!));
    assert.equal(t.kube.calls.filter((c) => c.startsWith('apply')).length, 0);
  });

  it('refuses when leftovers of the instance exist (e.g. a ConfigMap without its StatefulSet)', async () => {
    const t = setup();
    t.kube.seed({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'zk-config', namespace: 'prod', labels}});
    await assert.rejects(createEnsemble(t.req, t.deps), /already exists.*ConfigMap\/zk-config/);
  });

  it('an apply that fails half-way removes what this run applied: nothing is left half-made', async () => {
    const t = setup();
    t.kube.fail('apply', 'PodDisruptionBudget', 403, {message: 'poddisruptionbudgets.policy is forbidden'});
    await assert.rejects(createEnsemble(t.req, t.deps), (e: unknown) => e instanceof KubeError && e.status === 403);
    assert.deepEqual(t.kube.all(), []);
    assert.ok(t.progress.lines.some((l) => /removed the 5 object/.test(l)));
  });

  it("fails fast with the pod's own reason when retrying cannot help (ErrImageNeverPull)", async () => {
    const t = setup();
    t.time.onSleep(() => {
      for (let i = 0; i < 3; i++) t.kube.seed(fakePod('prod', `zk-${i}`, labels, {waiting: 'ErrImageNeverPull', message: 'Container image "nope:1" is not present with pull policy of Never'}));
    });
    const started = t.time.clock.now();
    await assert.rejects(createEnsemble(t.req, t.deps), (e: unknown) => e instanceof CliError && /zk-0 cannot start: ErrImageNeverPull \(Container image "nope:1"/.test(e.message));
    assert.ok(t.time.clock.now() - started < 5000, 'did not wait for the timeout');
  });

  it("on timeout says what is stuck, with the scheduler's message and a crashed pod's logs", async () => {
    const t = setup();
    t.time.onSleep(() => {
      t.kube.seed(fakePod('prod', 'zk-0', labels, 'unschedulable'));
      t.kube.seed(fakePod('prod', 'zk-1', labels, {waiting: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container'}));
      t.kube.seed(fakePod('prod', 'zk-2', labels, 'ready'));
    });
    await assert.rejects(createEnsemble({...t.req, timeoutMs: 30_000}, t.deps), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(e.message, /timed out after 30\.0s waiting for pods scheduled/);
      assert.match(e.message, /zk-0: Unschedulable \(0\/1 nodes are available: 1 Insufficient memory\.\)/);
      assert.ok(e.details.some((d) => /zk-1: CrashLoopBackOff/.test(d)));
      assert.ok(
        e.details.some((d) => /zk-1 \| log line of zk-1/.test(d)),
        e.details.join('\n'),
      );
      return true;
    });
  });

  it('after placement, warns when members share a node or a zone (ensemble/spread.ts); before it (--no-wait), when too few nodes or zones exist', async () => {
    const node = (name: string, zone?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {name, labels: zone ? {'topology.kubernetes.io/zone': zone} : {}},
      status: {conditions: [{type: 'Ready', status: 'True'}]},
    });
    const t = setup();
    t.kube.seed(node('n1', 'a'), node('n2', 'a'), node('n3', 'b'), node('n4', 'c'));
    healthyStart(t);
    // the scheduler put each member on its own node, but zk-0 and zk-1 both in zone a
    t.time.onSleep(() => {
      for (const [i, n] of ['n1', 'n2', 'n3'].entries()) {
        const pod = t.kube.all('Pod').find((p) => p.metadata.name === `zk-${i}`) as {spec: {nodeName?: string}} | undefined;
        if (pod) pod.spec.nodeName = n;
      }
    });
    const r = await createEnsemble(t.req, t.deps);
    assert.equal(r.ready, true);
    assert.deepEqual(r.warnings, [
      'a zone holds more voters than the ensemble can lose: a: zk-0, zk-1 (of 3 voters; losing that zone loses the quorum; 3 schedulable zones could hold them so that no single zone takes the quorum)',
    ]);
    assert.ok(
      t.progress.lines.some((l) => l.startsWith('warn a zone holds more voters')),
      'on stderr too',
    );

    const before = setup();
    before.kube.seed(node('n1'), node('n2'));
    const unplaced = await createEnsemble({...before.req, wait: false}, before.deps);
    assert.equal(unplaced.warnings[0], 'only 2 schedulable nodes for 3 members: some will share a node (one node failure takes several)');
    const zones = setup();
    zones.kube.seed(node('n1', 'a'), node('n2', 'a'), node('n3', 'b'));
    assert.equal((await createEnsemble({...zones.req, wait: false}, zones.deps)).warnings[0], "only 2 schedulable zones for 3 voters: one zone's loss can take the quorum");
    const fine = setup();
    fine.kube.seed(node('n1', 'a'), node('n2', 'b'), node('n3', 'c'));
    assert.deepEqual(
      (await createEnsemble({...fine.req, wait: false}, fine.deps)).warnings.filter((w) => !/^not waited for/.test(w)),
      [],
    );
  });

  it('--no-wait returns after applying', async () => {
    const t = setup();
    const r = await createEnsemble({...t.req, wait: false}, t.deps);
    assert.equal(r.ready, false);
    assert.equal(r.waited, false);
    assert.equal(t.kube.all().length, 7);
    assert.equal(r.aclsSet, false);
    assert.equal(t.zk.sessions.length, 0, 'no quorum was waited for: no session');
    assert.ok(
      t.progress.lines.some((l) => /warn not waited for: the root ACL stays .*kubectl zk secure zk -n prod/.test(l)),
      t.progress.lines.join('\n'),
    );
  });

  it("once the quorum serves, withholds ADMIN from world:anyone on /, /zookeeper and /zookeeper/quota, as the super user with the Secret's password", async () => {
    const t = setup();
    healthyStart(t);
    const r = await createEnsemble(t.req, t.deps);
    assert.deepEqual(t.zk.sessions, [[{scheme: 'digest', auth: 'super:pw'}]]);
    const secret = t.kube.all('Secret')[0]!;
    assert.equal((secret['stringData'] as Record<string, string>)['password'], 'pw', 'the session used the password the Secret holds');
    assert.deepEqual(Object.fromEntries([...t.zk.acls].map(([p, a]) => [p, a.map((x) => `${x.scheme}:${x.id}:${x.perms}`)])), {
      '/': ['world:anyone:cdrw'],
      '/zookeeper': ['world:anyone:r'],
      '/zookeeper/quota': ['world:anyone:cdrw'],
    });
    assert.equal(r.aclsSet, true);
    assert.deepEqual(
      r.aclChanges.map((c) => `${c.path} ${c.before} -> ${c.after}`),
      ['/ world:anyone:cdrwa -> world:anyone:cdrw', '/zookeeper world:anyone:cdrwa -> world:anyone:r', '/zookeeper/quota world:anyone:cdrwa -> world:anyone:cdrw'],
    );
    assert.equal(t.zk.closed, 1, 'the session is closed');
    assert.deepEqual(r.clientsFrom, ['same-namespace']);
    // the committed config version is recorded: start.sh's empty-disk guard is on from now
    const cm = t.kube.all('ConfigMap')[0]!;
    assert.equal((cm['data'] as Record<string, string>)['membership-version'], '100000000');
  });

  it('a failure to set the ACLs is an error that names the open root and the command that finishes the job', async () => {
    const t = setup();
    healthyStart(t);
    t.zk.failConnect = new Error('no session');
    await assert.rejects(
      createEnsemble(t.req, t.deps),
      (e: unknown) => e instanceof CliError && /serves, but its root ACL is still ZooKeeper's open default: no session/.test(e.message) && /kubectl zk secure zk -n prod/.test(e.hint!),
    );
  });

  it('--allow-clients-from namespace=NAME: a namespace that does not exist stops create before anything is applied', async () => {
    const t = setup();
    t.kube.seed({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'kafka'}});
    const options = validateEnsembleOptions({name: 'zk', namespace: 'prod', allowClientsFrom: ['namespace=kafka', 'namespace=billing']}).options;
    await assert.rejects(createEnsemble({...t.req, options}, t.deps), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /names namespace that does not exist: billing/.test(e.message));
    assert.equal(t.kube.calls.filter((c) => c.startsWith('apply')).length, 0);
  });

  it('--allow-clients-from namespace=NAME: an existing namespace is admitted by name; a check we may not make is a warning', async () => {
    const t = setup();
    t.kube.seed({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'kafka'}});
    t.kube.fail('get', 'Namespace', 403, {name: 'billing'});
    const options = validateEnsembleOptions({name: 'zk', namespace: 'prod', allowClientsFrom: ['namespace=kafka', 'namespace=billing']}).options;
    const r = await createEnsemble({...t.req, options, wait: false}, t.deps);
    assert.deepEqual(r.clientsFrom, ['namespace=kafka', 'namespace=billing']);
    assert.ok(
      r.warnings.some((w) => /could not check that namespace "billing" exists/.test(w)),
      r.warnings.join('\n'),
    );
    const policy = t.kube.all('NetworkPolicy')[0] as any;
    assert.deepEqual(policy.spec.ingress[1].from, [
      {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kafka'}}},
      {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'billing'}}},
    ]);
  });

  it('refuses when a NetworkPolicy of the instance is left over', async () => {
    const t = setup();
    t.kube.seed({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'zk', namespace: 'prod', labels}});
    await assert.rejects(createEnsemble(t.req, t.deps), /already exists.*NetworkPolicy\/zk/);
  });

  describe('volumes kept by an earlier teardown: read first (inspector pod), then refused, reused or deleted', () => {
    const line = (i: number, host = 'prod') => `server.${i + 1}=zk-${i}.zk-hs.${host}.svc.cluster.local:2888:3888:participant;0.0.0.0:2181`;
    /** A kept data-zk-0 whose inspector pod succeeds and prints `text`; records the inspector pods made. */
    function kept(t: ReturnType<typeof setup>, text: string) {
      t.kube.seed({apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'data-zk-0', namespace: 'prod', labels, annotations: {'kubectl-zk.io/ensemble': 'zk'}}});
      const made: string[] = [];
      const apply = t.kube.apply.bind(t.kube);
      t.kube.apply = async (obj) => {
        if (obj.kind === 'Pod') {
          made.push(obj.metadata.name);
          return apply({...obj, status: {phase: 'Succeeded'}} as typeof obj);
        }
        return apply(obj);
      };
      t.kube.logs = async () => text;
      return made;
    }
    const holds = (lines: string[], myid = 1) =>
      `myid=${myid}\ndynamic_file=zoo.cfg.dynamic.100000000\n${lines.map((l) => `server=${l}`).join('\n')}\ncurrent_epoch=1\nnewest_zxid=100000007\nend=ok\n`;

    it('matching, no flag: refuses, naming the volume and what it holds; nothing applied; the inspector pod is gone', async () => {
      const t = setup();
      const made = kept(t, holds([0, 1, 2].map((i) => line(i))));
      await assert.rejects(
        createEnsemble({...t.req, wait: false}, t.deps),
        (e: unknown) =>
          e instanceof CliError &&
          /found volumes kept from an earlier "zk": data-zk-0: myid 1, config version 100000000 with voters 1,2,3, epoch 1, newest zxid 0x100000007/.test(e.message) &&
          /--reuse-data/.test(e.hint!),
      );
      assert.deepEqual(made, ['data-zk-0-inspect']);
      assert.deepEqual(
        t.kube
          .all()
          .filter((o) => o.kind !== 'PersistentVolumeClaim')
          .map((o) => o.kind),
        [],
        'no inspector pod left, nothing applied',
      );
    });

    it('--reuse-data adopts matching volumes', async () => {
      const t = setup();
      kept(t, holds([0, 1, 2].map((i) => line(i))));
      const r = await createEnsemble({...t.req, wait: false, keptData: 'reuse'}, t.deps);
      assert.deepEqual(r.reusedVolumes, ['data-zk-0']);
      assert.equal(r.keptVolumes[0]!.myid, 1);
      assert.ok(t.progress.lines.some((l) => /reusing 1 kept volume\(s\): data-zk-0: myid 1/.test(l)));
    });

    it('a 5-voter membership (or another myid) is refused even with --reuse-data', async () => {
      for (const text of [
        holds([0, 1, 2, 3, 4].map((i) => line(i))),
        holds(
          [0, 1, 2].map((i) => line(i)),
          3,
        ),
      ]) {
        const t = setup();
        kept(t, text);
        await assert.rejects(
          createEnsemble({...t.req, wait: false, keptData: 'reuse'}, t.deps),
          (e: unknown) => e instanceof CliError && /do not match the 3-member ensemble/.test(e.message) && /--delete-data/.test(e.hint!),
        );
        assert.equal(t.kube.all('StatefulSet').length, 0);
      }
    });

    it('--delete-data deletes them after confirmation (a refusal deletes nothing)', async () => {
      const t = setup();
      kept(t, holds([0, 1, 2, 3, 4].map((i) => line(i))));
      await assert.rejects(createEnsemble({...t.req, wait: false, keptData: 'delete'}, {...t.deps, confirm: async () => false}), /cancelled/);
      assert.equal(t.kube.all('PersistentVolumeClaim').length, 1);
      const r = await createEnsemble({...t.req, wait: false, keptData: 'delete'}, {...t.deps, confirm: async () => true});
      assert.deepEqual(r.reusedVolumes, []);
      assert.equal(t.kube.all('PersistentVolumeClaim').length, 0);
    });
  });

  it('an unreachable API server fails before anything is applied', async () => {
    const t = setup();
    t.kube.unreachable();
    await assert.rejects(createEnsemble(t.req, t.deps), (e: unknown) => e instanceof KubeError && /cannot reach the Kubernetes API server/.test(e.message));
  });
});

describe('kept volumes from different lives: an older epoch on a majority is refused (pure)', () => {
  const vol = (i: number, epoch?: number): KeptVolume => ({claim: `data-zk-${i}`, ordinal: i, myid: i + 1, servers: [], ...(epoch !== undefined ? {currentEpoch: epoch} : {})});
  it('one life: the newest epoch on a majority, a member behind or empty: no risk', () => {
    assert.equal(staleMajority([vol(0, 5), vol(1, 5), vol(2, 4)], 3), undefined);
    assert.equal(staleMajority([vol(0, 5), vol(1, 4)], 3), undefined, 'the third starts empty and waits for a leader');
    assert.equal(staleMajority([vol(0, 3), vol(1, 3), vol(2, 3)], 3), undefined);
    assert.equal(staleMajority([vol(0), vol(1)], 3), undefined);
  });
  it('older data on a majority: refused, naming the volumes and epochs', () => {
    const why = staleMajority([vol(0, 5), vol(1, 4), vol(2, 4)], 3);
    assert.match(why!, /^data-zk-1 \(epoch 4\), data-zk-2 \(epoch 4\) hold data of an older epoch than data-zk-0 \(epoch 5\), and they are a majority of 3 members/);
    assert.match(staleMajority([vol(0, 7), vol(1, 2), vol(2, 2), vol(3, 7), vol(4, 2)], 5)!, /majority of 5/);
  });
});
