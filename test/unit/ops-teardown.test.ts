import assert from 'node:assert/strict';
import {UsageError} from '../../src/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels, ownerAnnotations} from '../../src/manifests/labels.js';
import {DEFAULT_IMAGE, validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {teardownEnsemble, type TeardownDeps} from '../../src/ops/teardown.js';
import {listEnsembles} from '../../src/ops/list.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {fakeTime} from '../support/time.js';

const assets = loadAssets();

/** An ensemble as create makes it; legacy: as a kubectl-zk before the ownership annotation made it. */
function ensemble(kube: FakeKube, name: string, ns: string, replicas = 3, legacy = false): void {
  const o = validateEnsembleOptions({name, namespace: ns, replicas}).options;
  const objects = renderEnsemble(o, {superPassword: 'pw'}, assets);
  if (legacy) for (const x of objects) delete x.metadata.annotations;
  kube.seed(...objects);
  for (let i = 0; i < replicas; i++) {
    kube.seed(fakePod(ns, `${name}-${i}`, ensembleLabels(name, o.image), 'ready'));
    // the StatefulSet controller copies the claim template's labels and annotations onto each PVC
    kube.seed({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {name: `data-${name}-${i}`, namespace: ns, labels: ensembleLabels(name, o.image), ...(legacy ? {} : {annotations: ownerAnnotations(name)})},
    });
  }
}

/** Objects with exactly the ensemble's labels, made by someone else (no ownership annotation). */
function lookAlikes(kube: FakeKube, name: string, ns: string): string[] {
  const labels = ensembleLabels(name, DEFAULT_IMAGE);
  const made = [
    {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `${name}-extra`, namespace: ns, labels}},
    {apiVersion: 'v1', kind: 'Secret', metadata: {name: `${name}-app-creds`, namespace: ns, labels}},
    {apiVersion: 'v1', kind: 'Service', metadata: {name: `${name}-metrics`, namespace: ns, labels}},
    {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: `${name}-scratch`, namespace: ns, labels}},
  ];
  kube.seed(...made);
  return made.map((x) => `${x.kind}/${x.metadata.name}`);
}

function deps(kube: FakeKube, answer: boolean | 'refuse' = true): TeardownDeps & {asked: string[]} {
  const t = fakeTime();
  const asked: string[] = [];
  return {
    kube,
    clock: t.clock,
    sleep: t.sleep,
    progress: recordingProgress(),
    asked,
    confirm: async (q) => {
      asked.push(q);
      if (answer === 'refuse') throw new UsageError(`${q}: refusing without confirmation`, 'pass --yes');
      return answer;
    },
  };
}

const req = {name: 'zk', namespace: 'a', deleteData: false, dryRun: false, wait: true, timeoutMs: 60_000};

describe('teardown (ops, against the in-memory API)', () => {
  it('look-alikes (same labels, no ownership annotation) are left alone and reported; --delete-data waits only for its own claims', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    const alike = lookAlikes(kube, 'zk', 'a');
    const r = await teardownEnsemble({...req, deleteData: true}, deps(kube));
    assert.deepEqual(r.deleted.map((d) => `${d.kind}/${d.name}`).sort(), [
      'ConfigMap/zk-config',
      'NetworkPolicy/zk',
      'PodDisruptionBudget/zk',
      'Secret/zk-auth',
      'Service/zk',
      'Service/zk-hs',
      'StatefulSet/zk',
    ]);
    assert.deepEqual(r.deletedVolumes, ['data-zk-0', 'data-zk-1', 'data-zk-2']);
    assert.equal(r.legacy, false);
    assert.deepEqual(r.skipped.map((d) => `${d.kind}/${d.name}`).sort(), [...alike].sort());
    assert.deepEqual(
      kube
        .all()
        .filter((o) => o.metadata.namespace === 'a')
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
      [...alike].sort(),
    );
  });

  it('an ensemble made before the annotation: adopted by the exact names create renders, look-alikes with other names stay', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a', 3, true);
    const alike = lookAlikes(kube, 'zk', 'a');
    const r = await teardownEnsemble({...req, deleteData: true}, deps(kube));
    assert.equal(r.legacy, true);
    assert.equal(r.deleted.length, 7);
    assert.deepEqual(r.deletedVolumes, ['data-zk-0', 'data-zk-1', 'data-zk-2']);
    assert.deepEqual(
      kube
        .all()
        .filter((o) => o.metadata.namespace === 'a')
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
      [...alike].sort(),
    );
  });

  it('deletes only what is labelled for the instance and managed by kubectl-zk, keeps the volumes', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    ensemble(kube, 'zk', 'b'); // same name, other namespace
    ensemble(kube, 'other', 'a'); // other instance, same namespace
    // same instance label but not ours: never touched
    kube.seed({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'zk-notes', namespace: 'a', labels: {'app.kubernetes.io/instance': 'zk'}}});
    const before = kube.all().length;
    const r = await teardownEnsemble(req, deps(kube));
    assert.equal(r.found, true);
    assert.deepEqual(r.deleted.map((d) => `${d.kind}/${d.name}`).sort(), [
      'ConfigMap/zk-config',
      'NetworkPolicy/zk',
      'PodDisruptionBudget/zk',
      'Secret/zk-auth',
      'Service/zk',
      'Service/zk-hs',
      'StatefulSet/zk',
    ]);
    assert.deepEqual(r.keptVolumes, ['data-zk-0', 'data-zk-1', 'data-zk-2']);
    const left = kube.all().filter((o) => o.metadata.namespace === 'a' && /(^|-)zk(-|$)/.test(o.metadata.name));
    assert.deepEqual(left.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ConfigMap/zk-notes',
      'PersistentVolumeClaim/data-zk-0',
      'PersistentVolumeClaim/data-zk-1',
      'PersistentVolumeClaim/data-zk-2',
    ]);
    assert.equal(kube.all().length, before - 7 - 3, 'seven objects and three pods went, nothing else');
    assert.equal(kube.all().filter((o) => o.metadata.namespace === 'b').length, 7 + 3 + 3);
  });

  it('--delete-data deletes the claims after the pods are gone', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    const d = deps(kube);
    const r = await teardownEnsemble({...req, deleteData: true}, d);
    assert.deepEqual(r.deletedVolumes, ['data-zk-0', 'data-zk-1', 'data-zk-2']);
    assert.deepEqual(r.keptVolumes, []);
    assert.equal(kube.all().length, 0);
    assert.match(d.asked[0]!, /AND its data \(3 volume\(s\)/);
    const firstPvcDelete = kube.calls.findIndex((c) => c.startsWith('delete PersistentVolumeClaim'));
    const lastPodList = kube.calls.lastIndexOf('list Pod');
    assert.ok(lastPodList < firstPvcDelete, 'claims are deleted only once the pods are gone');
  });

  it('a missing ensemble is reported, not an error, and asks nothing', async () => {
    const kube = new FakeKube('a');
    const d = deps(kube);
    const r = await teardownEnsemble(req, d);
    assert.equal(r.found, false);
    assert.deepEqual(d.asked, []);
  });

  it('without confirmation (no TTY, no --yes) nothing is deleted', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    const n = kube.all().length;
    await assert.rejects(teardownEnsemble(req, deps(kube, 'refuse')), UsageError);
    await assert.rejects(teardownEnsemble(req, deps(kube, false)), /cancelled; nothing was deleted/);
    assert.equal(kube.all().length, n);
    assert.equal(kube.calls.filter((c) => c.startsWith('delete')).length, 0);
  });

  it('--dry-run lists and deletes nothing', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    const n = kube.all().length;
    const r = await teardownEnsemble({...req, dryRun: true, deleteData: true}, deps(kube));
    assert.equal(r.dryRun, true);
    assert.equal(r.deleted.length, 7);
    assert.equal(r.deletedVolumes.length, 3);
    assert.equal(kube.all().length, n);
  });

  it('times out with what is left when pods do not go', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    kube.gcPods = false;
    await assert.rejects(teardownEnsemble(req, deps(kube)), /timed out waiting for pods to go \(3 left\)/);
  });

  it('a Forbidden delete surfaces as the API error', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    kube.fail('delete', 'StatefulSet', 403, {message: 'statefulsets.apps "zk" is forbidden: User "dev" cannot delete'});
    await assert.rejects(teardownEnsemble(req, deps(kube)), /forbidden: statefulsets.apps "zk" is forbidden/);
  });
});

describe('list (ops)', () => {
  it('lists managed ensembles in one namespace or all', async () => {
    const kube = new FakeKube('a');
    ensemble(kube, 'zk', 'a');
    ensemble(kube, 'zk', 'b', 1);
    kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'not-ours', namespace: 'a', labels: {'app.kubernetes.io/name': 'zookeeper'}}});
    const t = fakeTime(Date.parse('1970-01-01T00:10:00Z'));
    const one = await listEnsembles({namespace: 'a', allNamespaces: false}, {kube, clock: t.clock});
    assert.deepEqual(
      one.ensembles.map((e) => `${e.namespace}/${e.name} ${e.replicas} ${e.image}`),
      [`a/zk 3 ${DEFAULT_IMAGE}`],
    );
    assert.equal(one.ensembles[0]!.ageMs, 600_000);
    const all = await listEnsembles({namespace: 'a', allNamespaces: true}, {kube, clock: t.clock});
    assert.deepEqual(
      all.ensembles.map((e) => `${e.namespace}/${e.name}`),
      ['a/zk', 'b/zk'],
    );
  });
});
