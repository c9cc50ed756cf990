import assert from 'node:assert/strict';
import {CliError} from '../../src/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {SECURE_ZOO_CFG, secureZooCfg, zooCfgValues} from '../../src/manifests/security.js';
import type {RollResult} from '../../src/ops/roll/types.js';
import {secureEnsemble, type SecureDeps} from '../../src/ops/secure.js';
import {securityPosture} from '../../src/ops/posture.js';
import type {Acl, ZkClient} from '../../src/zk/client.js';
import type {AuthInfo} from '../../src/zk/wire.js';
import {makeEnsembleTls} from '../../src/tls/ensemble.js';
import {FakeKube} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';

const assets = loadAssets();
const OPEN: Acl[] = [{perms: 31, scheme: 'world', id: 'anyone'}];

/** An ensemble as an earlier kubectl-zk made it: no NetworkPolicy, the AdminServer on every address, a token mounted, ZooKeeper's open ACLs. */
function oldEnsemble(kube: FakeKube): void {
  const o = validateEnsembleOptions({name: 'zk', namespace: 'prod'}).options;
  const objs = renderEnsemble(o, {superPassword: 'pw'}, assets).filter((x) => x.kind !== 'NetworkPolicy') as any[];
  const cm = objs.find((x) => x.kind === 'ConfigMap');
  cm.data['zoo.cfg'] = cm.data['zoo.cfg'].replace(/^admin\.serverAddress=.*\n/m, '');
  const sts = objs.find((x) => x.kind === 'StatefulSet');
  delete sts.spec.template.spec.automountServiceAccountToken;
  const secret = objs.find((x) => x.kind === 'Secret');
  secret.data = {username: Buffer.from('super').toString('base64'), password: Buffer.from('pw').toString('base64')};
  delete secret.stringData;
  kube.seed(...objs);
}

function setup(rollResult: Partial<RollResult> = {outcome: 'done', exitCode: 0, members: [{}, {}, {}] as never}) {
  const kube = new FakeKube('prod');
  const progress = recordingProgress();
  const acls = new Map<string, Acl[]>([
    ['/', OPEN],
    ['/zookeeper', OPEN],
    ['/zookeeper/quota', OPEN],
  ]);
  const events: string[] = [];
  const sessions: AuthInfo[][] = [];
  const deps: SecureDeps = {
    kube,
    progress,
    assets,
    connect: async (auth) => {
      sessions.push([...auth]);
      events.push('session');
      return {
        getAcl: async (p: string) => ({acl: acls.get(p)!, stat: {aversion: 0}}),
        setAcl: async (p: string, a: readonly Acl[]) => {
          events.push(`setAcl ${p}`);
          acls.set(p, [...a]);
        },
        close: async () => undefined,
      } as unknown as ZkClient;
    },
    roll: async () => {
      events.push(`roll (zoo.cfg has serverAddress: ${/admin\.serverAddress=127\.0\.0\.1/.test((kube.all('ConfigMap')[0] as any).data['zoo.cfg'])}, policy: ${kube.all('NetworkPolicy').length})`);
      return rollResult as RollResult;
    },
    confirm: async (q) => {
      events.push(`confirm ${q}`);
      return true;
    },
  };
  return {kube, progress, deps, acls, events, sessions};
}

const req = {name: 'zk', namespace: 'prod', dryRun: false};

describe('secure (ops, against the in-memory API)', () => {
  it('zoo.cfg: the security setting is added, or replaced in place; a secured text is left alone', () => {
    const added = secureZooCfg('tickTime=2000\nadmin.serverPort=8080\n');
    assert.equal(added.text, 'tickTime=2000\nadmin.serverPort=8080\nadmin.serverAddress=127.0.0.1\n');
    assert.deepEqual(added.changes, [{key: 'admin.serverAddress', from: undefined, to: '127.0.0.1'}]);
    const replaced = secureZooCfg('a=1\nadmin.serverAddress = 0.0.0.0\nb=2');
    assert.equal(replaced.text, 'a=1\nadmin.serverAddress=127.0.0.1\nb=2\n');
    assert.equal(replaced.changes[0]!.from, '0.0.0.0');
    assert.deepEqual(secureZooCfg(replaced.text).changes, []);
  });

  it('the zoo.cfg template renders every security setting with the value secure and status expect', () => {
    const tpl = zooCfgValues(assets['zoo.cfg']);
    for (const [k, v] of Object.entries(SECURE_ZOO_CFG)) assert.equal(tpl.get(k), v, k);
    assert.deepEqual(secureZooCfg(assets['zoo.cfg']).changes, []);
  });

  it('an old ensemble: confirm once, the policy first, then zoo.cfg and the template, a restart roll, then the ACLs as the super user', async () => {
    const t = setup();
    oldEnsemble(t.kube);
    const r = await secureEnsemble(req, t.deps);
    assert.equal(t.events.length, 6, t.events.join('\n'));
    assert.match(
      t.events[0]!,
      /^confirm Secure ensemble "zk" in namespace "prod": create NetworkPolicy zk \(clients from: same-namespace; clients elsewhere are refused\); set admin\.serverAddress=127\.0\.0\.1 in zoo\.cfg; set automountServiceAccountToken: false in the pod template; restart every member/,
    );
    assert.equal(t.events[1], 'roll (zoo.cfg has serverAddress: true, policy: 1)');
    assert.deepEqual(t.events.slice(2), ['session', 'setAcl /', 'setAcl /zookeeper', 'setAcl /zookeeper/quota']);
    assert.deepEqual(t.sessions, [[{scheme: 'digest', auth: 'super:pw'}]], 'the password from the Secret');
    const sts = t.kube.all('StatefulSet')[0] as any;
    assert.equal(sts.spec.template.spec.automountServiceAccountToken, false);
    assert.equal(r.plan.networkPolicy.action, 'create');
    assert.equal(r.roll?.members, 3);
    assert.equal(r.unchanged, false);
    const calls = t.kube.calls.filter((c) => /^(apply|patch)/.test(c));
    assert.deepEqual(calls, ['apply NetworkPolicy/zk', 'patch ConfigMap/zk-config', 'patch StatefulSet/zk']);
  });

  it('a TLS ensemble: the policy admits clients on 2281 only, as create --tls renders it (a plain 2181 rule would open what TLS closed)', async () => {
    const t = setup();
    const o = validateEnsembleOptions({name: 'zk', namespace: 'prod', tls: true} as never).options;
    const objs = renderEnsemble(o, {superPassword: 'pw', tls: makeEnsembleTls(o, new Date())}, assets) as any[];
    const created = objs.find((x) => x.kind === 'NetworkPolicy');
    const secret = objs.find((x) => x.kind === 'Secret' && x.metadata.name === 'zk-auth');
    secret.data = {username: Buffer.from('super').toString('base64'), password: Buffer.from('pw').toString('base64')};
    delete secret.stringData;
    t.kube.seed(...objs.filter((x) => x.kind !== 'NetworkPolicy'));
    await secureEnsemble(req, t.deps);
    const policy = t.kube.all('NetworkPolicy')[0] as any;
    const clientPorts = (p: any) => p.spec.ingress.flatMap((r: any) => (r.ports ?? []).map((x: any) => x.port)).filter((x: any) => x === 2181 || x === 2281 || x === 'client' || x === 'secure-client');
    assert.deepEqual(clientPorts(policy), clientPorts(created));
    assert.ok(!clientPorts(policy).includes(2181), JSON.stringify(policy.spec.ingress));
  });

  it('a tls enable part-way: refused (exit 3) before anything changes', async () => {
    const t = setup();
    oldEnsemble(t.kube);
    const cm = t.kube.all('ConfigMap')[0] as any;
    cm.metadata.annotations = {...cm.metadata.annotations, 'kubectl-zk/tls-enable': 'quorum-unified'};
    const before = t.kube.calls.length;
    await assert.rejects(secureEnsemble(req, t.deps), (e: unknown) => e instanceof CliError && e.exitCode === 3 && /tls enable .* part-way/.test(e.message));
    assert.deepEqual(
      t.kube.calls.slice(before).filter((c) => /^(apply|patch|create)/.test(c)),
      [],
    );
  });

  it('a second run changes nothing, asks nothing and restarts nothing', async () => {
    const t = setup();
    oldEnsemble(t.kube);
    await secureEnsemble(req, t.deps);
    t.events.length = 0;
    const before = t.kube.calls.length;
    const r = await secureEnsemble(req, t.deps);
    assert.equal(r.unchanged, true);
    assert.deepEqual(t.events, ['session'], 'only the ACL check');
    assert.deepEqual(
      t.kube.calls.slice(before).filter((c) => /^(apply|patch)/.test(c)),
      [],
    );
  });

  it('a live policy the API server returned with its keys in another order is kept, not updated', async () => {
    const t = setup();
    oldEnsemble(t.kube);
    await secureEnsemble(req, t.deps);
    const np = t.kube.all('NetworkPolicy')[0] as any;
    const reorder = (o: any): any =>
      Array.isArray(o)
        ? o.map(reorder)
        : o && typeof o === 'object'
          ? Object.fromEntries(
              Object.keys(o)
                .sort()
                .reverse()
                .map((k) => [k, reorder(o[k])]),
            )
          : o;
    t.kube.seed({...np, spec: reorder(np.spec)});
    const before = t.kube.calls.length;
    const r = await secureEnsemble(req, t.deps);
    assert.equal(r.plan.networkPolicy.action, 'keep');
    assert.equal(r.unchanged, true);
    assert.deepEqual(
      t.kube.calls.slice(before).filter((c) => c.startsWith('apply')),
      [],
    );
  });

  it("--allow-clients-from replaces the live policy's sources; without it they are kept", async () => {
    const t = setup();
    oldEnsemble(t.kube);
    t.kube.seed({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'kafka'}});
    await secureEnsemble({...req, clientSources: [{kind: 'namespace', namespace: 'kafka'}]}, t.deps);
    const r = await secureEnsemble(req, t.deps);
    assert.equal(r.plan.networkPolicy.action, 'keep');
    assert.deepEqual(r.plan.networkPolicy.clientsFrom, ['namespace=kafka']);
    const np = t.kube.all('NetworkPolicy')[0] as any;
    assert.deepEqual(np.spec.ingress[1].from, [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kafka'}}}]);
  });

  it('--dry-run changes nothing and reports the ACL drift it found', async () => {
    const t = setup();
    oldEnsemble(t.kube);
    const before = structuredClone(t.kube.all());
    const r = await secureEnsemble({...req, dryRun: true}, t.deps);
    assert.deepEqual(t.kube.all(), before);
    assert.deepEqual(
      r.acls.map((a) => a.path),
      ['/', '/zookeeper', '/zookeeper/quota'],
    );
    assert.ok(!t.events.some((e) => /^(confirm|roll|setAcl)/.test(e)), t.events.join('\n'));
    assert.equal(r.plan.restart, true);
  });

  it('a refused confirmation changes nothing', async () => {
    const t = setup();
    oldEnsemble(t.kube);
    t.deps.confirm = async () => false;
    const before = structuredClone(t.kube.all());
    await assert.rejects(secureEnsemble(req, t.deps), /secure cancelled; nothing was changed/);
    assert.deepEqual(t.kube.all(), before);
  });

  it('a stopped restart is an error that says to run secure again; the ACLs are not touched yet', async () => {
    const t = setup({outcome: 'stopped', exitCode: 4, members: [], stopped: {pod: 'zk-1', reason: 'did not come back', hint: 'h', details: []} as never});
    oldEnsemble(t.kube);
    await assert.rejects(
      secureEnsemble(req, t.deps),
      (e: unknown) => e instanceof CliError && e.exitCode === 4 && /stopped at zk-1: did not come back/.test(e.message) && /secure zk -n prod again/.test(e.hint!),
    );
    assert.ok(!t.events.some((e) => e.startsWith('setAcl')));
  });

  it('a missing ensemble, and a named namespace that does not exist, are errors before anything changes', async () => {
    const t = setup();
    await assert.rejects(secureEnsemble(req, t.deps), /ensemble "zk" not found in namespace "prod"/);
    oldEnsemble(t.kube);
    await assert.rejects(secureEnsemble({...req, clientSources: [{kind: 'namespace', namespace: 'nope'}]}, t.deps), /does not exist: nope/);
    assert.deepEqual(
      t.kube.calls.filter((c) => /^(apply|patch)/.test(c)),
      [],
    );
  });

  it("status's posture: an old ensemble lists every hole secure closes; a new one none", () => {
    const t = setup();
    oldEnsemble(t.kube);
    const live = () => ({
      sts: t.kube.all('StatefulSet')[0]!,
      zooCfg: (t.kube.all('ConfigMap')[0] as any).data['zoo.cfg'],
      policy: t.kube.all('NetworkPolicy')[0] ?? null,
    });
    const before = securityPosture(live());
    assert.deepEqual(before.clientsFrom, ['all (no NetworkPolicy)']);
    assert.equal(before.open.length, 3, before.open.join('\n'));
    const fresh = renderEnsemble(validateEnsembleOptions({name: 'zk', namespace: 'prod'}).options, {superPassword: 'pw'}, assets) as any[];
    const after = securityPosture({
      sts: fresh.find((x) => x.kind === 'StatefulSet'),
      zooCfg: fresh.find((x) => x.kind === 'ConfigMap').data['zoo.cfg'],
      policy: fresh.find((x) => x.kind === 'NetworkPolicy'),
    });
    assert.deepEqual(after, {clientsFrom: ['same-namespace'], networkPolicy: true, adminOnLoopback: true, serviceAccountToken: false, open: []});
  });
});
