/**
 * Issue 17 item 7 on the real cluster: znode data bounded by the servers'
 * jute.maxbuffer (a clear error before sending), the heap rule (at most 75%
 * of the memory limit), and teardown deleting only what kubectl-zk made for
 * the ensemble (look-alikes with the same labels survive; an ensemble made
 * before the ownership annotation is still torn down by its rendered names).
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, kubectl, kzk, labelled, smallEnsembleFlags, waitFor} from './lib/zk.js';

useCluster();

/** The largest data a create of `path` with the default ACL can carry under jute.maxbuffer 0xfffff: 0xfffff − (8 + 4+len + 4 + 27 + 4). */
const mostFor = (path: string) => 0xfffff - (8 + 4 + path.length + 4 + 27 + 4);

/** Objects with exactly the ensemble's labels that kubectl-zk did not make. */
function lookAlikes(name: string): {manifest: string; names: string[]} {
  const labels = `{app.kubernetes.io/name: zookeeper, app.kubernetes.io/instance: ${name}, app.kubernetes.io/managed-by: kubectl-zk}`;
  const docs = [
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}-extra, labels: ${labels}}\ndata: {owner: someone-else}`,
    `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}-app-creds, labels: ${labels}}\nstringData: {password: not-the-plugins}`,
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}-metrics, labels: ${labels}}\nspec: {ports: [{port: 9000}], selector: {app: metrics}}`,
    `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: ${name}-scratch, labels: ${labels}}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}`,
  ];
  return {manifest: docs.join('\n---\n'), names: [`ConfigMap/${name}-extra`, `PersistentVolumeClaim/${name}-scratch`, `Secret/${name}-app-creds`, `Service/${name}-metrics`]};
}

describe('e2e: bounds (issue 17 item 7)', function () {
  this.timeout(900_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-bounds');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => deleteNamespace(ns));

  it('create refuses a heap above 75% of the memory limit, and makes nothing', async () => {
    const r = await kzk(['create', 'heavy', '-n', ns, '--replicas', '1', '--no-wait', '--image-pull-policy', 'Never', '--cpu', '100m', '--storage', '128Mi', '--memory', '1Gi', '--heap', '800m']);
    assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^error: --heap 800m leaves too little of --memory 1Gi outside the heap \(the heap may take at most 75% of the memory limit \(768m here\)/m);
    assert.deepEqual(await labelled(ns, 'heavy'), []);
  });

  it('znode data: the largest request under jute.maxbuffer is stored; one byte more is a clear error before sending', async () => {
    await createEnsemble(ns, 'zk', 3);
    const most = mostFor('/big');
    const ok = await kzk(['znode', 'create', '/big', '-', '--ensemble', 'zk', '-n', ns], {input: Buffer.alloc(most, 0x61)});
    assert.equal(ok.code, 0, ok.stderr);
    const got = await kzk(['znode', 'get', '/big', '--ensemble', 'zk', '-n', ns]);
    assert.equal(got.stdoutBytes.length, most);
    const started = Date.now();
    const over = await kzk(['znode', 'create', '/big2', '-', '--ensemble', 'zk', '-n', ns], {input: Buffer.alloc(most + 3, 0x61), timeoutMs: 120_000});
    console.log(`      [measure] over-size create answered in ${Date.now() - started} ms, exit ${over.code}: ${over.stderr.trim().split('\n').pop()}`);
    assert.equal(over.code, 2, over.stderr);
    assert.match(over.stderr, /^error: the data is \d+ bytes: the create request for \/big2 would be 1048579 bytes, above the server's jute\.maxbuffer of 1048575/m);
    const stat = await kzk(['znode', 'stat', '/big2', '--ensemble', 'zk', '-n', ns]);
    assert.notEqual(stat.code, 0, 'nothing was created');
  });

  it('teardown deletes only what kubectl-zk made for the ensemble: look-alikes with the same labels survive', async () => {
    const alike = lookAlikes('zk');
    await kubectl(['apply', '-n', ns, '-f', '-'], {input: alike.manifest});
    const r = await kzk(['teardown', 'zk', '-n', ns, '--delete-data', '--yes', '--timeout', '4m']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /left alone .*ConfigMap\/zk-extra/);
    assert.deepEqual(await labelled(ns, 'zk'), alike.names);
  });

  it('an ensemble made before the ownership annotation: torn down by the exact names create renders, look-alikes survive', async () => {
    const made = await kzk(['create', 'old', '-n', ns, '--replicas', '1', '--no-wait', ...smallEnsembleFlags()]);
    assert.equal(made.code, 0, made.stderr);
    await waitFor('the PVC of old-0', async () => (await kubectl(['get', 'pvc', 'data-old-0', '-n', ns], {allowFail: true})).code === 0, {timeoutMs: 120_000});
    // what an earlier kubectl-zk made: the same objects, no ownership annotation
    for (const what of ['statefulset/old', 'service/old', 'service/old-hs', 'configmap/old-config', 'secret/old-auth', 'pdb/old', 'networkpolicy/old', 'pvc/data-old-0']) {
      await kubectl(['annotate', '-n', ns, what, 'kubectl-zk.io/ensemble-']);
    }
    const alike = lookAlikes('old');
    await kubectl(['apply', '-n', ns, '-f', '-'], {input: alike.manifest});
    const r = await kzk(['teardown', 'old', '-n', ns, '--delete-data', '--yes', '--timeout', '4m']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await labelled(ns, 'old'), alike.names);
  });
});
