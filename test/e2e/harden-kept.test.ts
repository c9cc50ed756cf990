/**
 * Issue 17 item 1 on the real cluster: create over volumes kept by an earlier
 * teardown reads what they hold first (a read-only inspector pod per PVC,
 * removed afterwards), refuses when they do not hold the members it would
 * make, adopts matching ones only with --reuse-data, and --delete-data
 * deletes them (confirmation: refused without a terminal unless --yes).
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {kubectlJson, kzk, smallEnsembleFlags} from './lib/zk.js';

useCluster();

describe('e2e: create over kept volumes (issue 17 item 1)', function () {
  this.timeout(1_200_000);
  let ns: string;
  const create = (extra: string[]) => kzk(['create', 'kv', '-n', ns, '--timeout', '4m', ...smallEnsembleFlags(), ...extra]);
  const teardown = () => kzk(['teardown', 'kv', '-n', ns, '--yes', '--timeout', '4m']);
  const leftovers = async () => {
    const pods = await kubectlJson<{items: {metadata: {name: string}}[]}>(['get', 'pods', '-n', ns, '-l', 'kubectl-zk.io/inspect', '-o', 'json']);
    const sts = await kubectlJson<{items: unknown[]}>(['get', 'statefulsets', '-n', ns, '-o', 'json']);
    return {inspectors: pods.items.map((p) => p.metadata.name), statefulSets: sts.items.length};
  };

  before(async () => {
    ns = await createNamespace('kzk-e2e-kept');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => deleteNamespace(ns));

  it('refuses kept volumes of another size, asks for a choice on matching ones, --reuse-data keeps the data, --delete-data needs --yes', async () => {
    const first = await create(['--replicas', '1']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await kzk(['znode', 'create', '/kept', 'from the first life', '--ensemble', 'kv', '-n', ns])).code, 0);
    assert.equal((await teardown()).code, 0);

    // a 3-member ensemble over a volume that holds a 1-member membership (refused with or without --reuse-data)
    const bigger = await create(['--replicas', '3']);
    assert.equal(bigger.code, 1, bigger.stderr);
    assert.match(
      bigger.stderr,
      /^error: volumes kept from an earlier "kv" do not match the 3-member ensemble this would make: data-kv-0: myid 1, config version \w+ with voters 1, epoch \d+, newest zxid 0x[0-9a-f]+ \(its membership \(1 servers\) differs/m,
    );
    assert.deepEqual(await leftovers(), {inspectors: [], statefulSets: 0});

    // matching, no flag: a choice is needed
    const plain = await create(['--replicas', '1']);
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stderr, /^error: found volumes kept from an earlier "kv": data-kv-0: myid 1.*--reuse-data/m);
    assert.deepEqual(await leftovers(), {inspectors: [], statefulSets: 0});

    const reuse = await create(['--replicas', '1', '--reuse-data']);
    assert.equal(reuse.code, 0, reuse.stderr);
    assert.match(reuse.stderr, /reusing 1 kept volume\(s\): data-kv-0: myid 1/);
    const got = await kzk(['znode', 'get', '/kept', '--ensemble', 'kv', '-n', ns]);
    assert.equal(got.stdout, 'from the first life');
    assert.equal((await teardown()).code, 0);

    const noTty = await create(['--replicas', '1', '--delete-data']);
    assert.equal(noTty.code, 2, noTty.stderr);
    assert.match(noTty.stderr, /refusing without confirmation/);
    assert.equal((await kubectlJson<{items: unknown[]}>(['get', 'pvc', '-n', ns, '-o', 'json'])).items.length, 1, 'nothing deleted');

    const fresh = await create(['--replicas', '1', '--delete-data', '--yes']);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.notEqual((await kzk(['znode', 'stat', '/kept', '--ensemble', 'kv', '-n', ns])).code, 0, 'a fresh tree');
    assert.deepEqual((await leftovers()).inspectors, []);
  });
});
