/**
 * Backup, restore and export/import on the real cluster, as a user runs them
 * (`kubectl zk …` through kubectl's plugin discovery): a backup taken during
 * a concurrent writer restored into a NEW ensemble (its own password), the
 * checksums equal, every write acknowledged before the backup's zxid present;
 * an export → import round trip equal; a 3.8 export imported into 3.9; a
 * corrupted file refused with nothing made; a second restore inside the
 * rate-limit window explained; restore into an ensemble that holds data
 * refused without --yes; -f to an existing path refused without --force.
 *
 * Written without a cluster to run it on (another engineer owned it then):
 * UNRUN so far.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, holdSession, kzk, labelled, smallEnsembleFlags} from './lib/zk.js';

useCluster();

describe('e2e: backup, restore, export and import', function () {
  this.timeout(2_400_000);
  let ns: string;
  let dir: string;
  const SRC = 'zkb';

  before(async () => {
    ns = await createNamespace('kzk-e2e-bk');
    dir = mkdtempSync(join(tmpdir(), 'kzk-e2e-backup-'));
    await createEnsemble(ns, SRC, 3);
    for (let i = 0; i < 50; i++) {
      const r = await kzk(['znode', 'create', `/data-${i}`, `value ${i}`, '--ensemble', SRC, '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    for (const n of [SRC, 'zkr', 'zki', 'zk38']) await kzk(['teardown', n, '-n', ns, '--yes', '--delete-data']).catch(() => undefined);
    await deleteNamespace(ns);
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  it('backup during a concurrent writer; restore into a new ensemble; checksums equal, every write acknowledged before the backup present', async () => {
    const writer = await holdSession(
      ns,
      SRC,
      [0, 1, 2].map((i) => `${SRC}-${i}`),
      50,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const file = join(dir, 'busy.snap');
    const b = await kzk(['backup', SRC, '-n', ns, '-f', file, '-o', 'json']);
    assert.equal(b.code, 0, b.stderr);
    // the source as it is now (the writer's znodes; finish() deletes them)
    const src = await kzk(['export', SRC, '-n', ns]);
    assert.equal(src.code, 0, src.stderr);
    const w = await writer.finish();
    assert.deepEqual(w.lost, []);
    const manifest = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
    assert.equal(manifest.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
    const result = JSON.parse(b.stdout);
    assert.equal(result.sha256, manifest.sha256);
    assert.equal(result.znodes, manifest.znodes);
    console.log(`      [measure] backup ${result.size} bytes at ${result.bytesPerSecond} B/s from ${result.member}, zxid ${result.lastZxid}, ${result.znodes} znodes`);

    const r = await kzk(['restore', 'zkr', '-n', ns, '--from', file, '--replicas', '3', '--timeout', '4m', ...smallEnsembleFlags(), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const restored = JSON.parse(r.stdout);
    assert.equal(restored.created, true);
    assert.equal(restored.verified.length, 3);
    for (const v of restored.verified) assert.ok(v.ok, JSON.stringify(v));
    assert.equal(restored.backup.sha256, manifest.sha256);
    assert.equal(restored.backup.znodes, manifest.znodes);
    // every write the writer had acknowledged before the snapshot's zxid is in the restored tree
    const exported = await kzk(['export', 'zkr', '-n', ns]);
    assert.equal(exported.code, 0, exported.stderr);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // the backup's tree checksum (restore computes it from the file) is the restored tree's, as export reads it
    assert.equal(lines.at(-1).checksum, restored.backup.checksum);
    const zxid = BigInt(manifest.lastZxid);
    const srcLines = src.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const restoredPaths = new Set(lines.map((l) => l.path));
    const expected = srcLines.filter((l) => l.path?.startsWith('/e2e-writer-') && l.stat && BigInt(l.stat.cZxid) <= zxid).map((l) => l.path);
    assert.ok(expected.length > 0, 'the writer wrote before the backup');
    assert.deepEqual(
      expected.filter((p: string) => !restoredPaths.has(p)),
      [],
      "writes acknowledged up to the backup's zxid are restored",
    );
    // the new ensemble keeps its own password (its Secret), and it passes the restored ACLs
    const g = await kzk(['znode', 'get', '/data-7', '--ensemble', 'zkr', '-n', ns, '--as-super']);
    assert.equal(g.stdout, 'value 7');
  });

  it('a second restore inside the rate-limit window is explained, not a raw 429', async () => {
    // zkr has 3 members now: scale it to 1 so that restore accepts it, then restore twice
    const s = await kzk(['scale', 'zkr', '-n', ns, '--replicas', '1', '--yes', '--timeout', '4m']);
    assert.equal(s.code, 0, s.stderr);
    const file = join(dir, 'busy.snap');
    const first = await kzk(['restore', 'zkr', '-n', ns, '--from', file, '--replicas', '1', '--yes']);
    // the restart after a restore resets the member's limiter, so the first may pass; the one right after must be explained
    const second = first.code === 0 ? await kzk(['restore', 'zkr', '-n', ns, '--from', file, '--replicas', '1', '--yes']) : first;
    if (second.code !== 0) assert.match(second.stderr, /rate-limit interval|429/);
    assert.doesNotMatch(second.stderr, /^error: .*\{"error":null\}/m);
  });

  it('restore into an ensemble of three members: refused (even with data it would not ask), nothing changed', async () => {
    const before = await kzk(['export', SRC, '-n', ns]);
    const r = await kzk(['restore', SRC, '-n', ns, '--from', join(dir, 'busy.snap')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: ensemble "zkb" has 3 members: restore runs on a one-member ensemble only/m);
    const after = await kzk(['export', SRC, '-n', ns]);
    assert.equal(after.stdout.split('\n').slice(1, -2).sort().join('\n'), before.stdout.split('\n').slice(1, -2).sort().join('\n'));
  });

  it('a corrupted file and a file that is not a snapshot are refused, nothing made', async () => {
    const good = readFileSync(join(dir, 'busy.snap'));
    const bad = join(dir, 'bad.snap');
    const copy = Buffer.from(good);
    copy[Math.floor(copy.length / 2)]! ^= 0xff;
    writeFileSync(bad, copy);
    writeFileSync(`${bad}.json`, readFileSync(join(dir, 'busy.snap.json')));
    const r = await kzk(['restore', 'zkbad', '-n', ns, '--from', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /does not match its manifest|damaged/);
    const notSnap = join(dir, 'tree.jsonl');
    writeFileSync(notSnap, '{"format":"kubectl-zk/tree"}\n');
    const n = await kzk(['restore', 'zkbad', '-n', ns, '--from', notSnap]);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /not a ZooKeeper snapshot/);
    assert.deepEqual(await labelled(ns, 'zkbad'), []);
  });

  it('-f to an existing path is refused without --force; the file is unchanged', async () => {
    const p = join(dir, 'exists.snap');
    writeFileSync(p, 'mine');
    const r = await kzk(['backup', SRC, '-n', ns, '-f', p]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists.*--force/);
    assert.equal(readFileSync(p, 'utf8'), 'mine');
    const e = await kzk(['export', SRC, '-n', ns, '-f', p]);
    assert.equal(e.code, 2);
    assert.equal(readFileSync(p, 'utf8'), 'mine');
  });

  it('export → import round trip into another ensemble: the same checksum', async () => {
    await createEnsemble(ns, 'zki', 1);
    const file = join(dir, 'tree.jsonl.out');
    const e = await kzk(['export', SRC, '/', '-n', ns, '-f', file, '-o', 'json']);
    assert.equal(e.code, 0, e.stderr);
    const exported = JSON.parse(e.stdout);
    // the whole tree came from a member's snapshot; read znode by znode it is the same
    assert.equal(exported.method, 'snapshot', e.stdout);
    assert.match(exported.lastZxid, /^0x[0-9a-f]+$/);
    const byReads = await kzk(['export', SRC, '/', '-n', ns, '--method', 'reads', '-o', 'json']);
    assert.equal(byReads.code, 0, byReads.stderr);
    const readsSum = JSON.parse(byReads.stderr.slice(byReads.stderr.indexOf('{')));
    assert.equal(readsSum.method, 'reads');
    assert.equal(readsSum.checksum, exported.checksum);
    assert.equal(readsSum.znodes, exported.znodes);
    const records = (text: string) => text.split('\n').slice(1, -2).sort().join('\n');
    assert.equal(records(byReads.stdout), records(readFileSync(file, 'utf8')));
    const i = await kzk(['import', 'zki', '-n', ns, '-f', file, '-o', 'json']);
    assert.equal(i.code, 0, i.stderr);
    const again = await kzk(['export', 'zki', '/', '-n', ns, '-o', 'json']);
    const sum = JSON.parse(again.stderr.slice(again.stderr.indexOf('{')));
    // the root's ACL is the same on both (create sets it); the trees are equal
    assert.equal(sum.checksum, exported.checksum);
    const twice = await kzk(['import', 'zki', '-n', ns, '-f', file]);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /already exist.*nothing was imported/s);
    console.log(`      [measure] export ${exported.znodes} znodes in ${exported.durationMs} ms through port-forward`);
    // zki has one member and holds data now: restore asks, and without a terminal or --yes refuses
    const before = await kzk(['export', 'zki', '-n', ns]);
    const refused = await kzk(['restore', 'zki', '-n', ns, '--from', join(dir, 'busy.snap'), '--replicas', '1']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^error: ensemble "zki" holds \d+ znodes; replace ALL of them .*refusing without confirmation/m);
    assert.match(refused.stderr, /--yes/);
    const after = await kzk(['export', 'zki', '-n', ns]);
    assert.equal(after.stdout.split('\n').slice(1, -2).sort().join('\n'), before.stdout.split('\n').slice(1, -2).sort().join('\n'));
  });

  it('a 3.8 export imported into 3.9; backup on 3.8 says there is no snapshot command and points to export', async () => {
    const image38 = clusterEnv()['KZK_ZK_IMAGE_38'];
    assert.ok(image38, 'the cluster carries a 3.8 image (test/cluster/up.sh)');
    await createEnsemble(ns, 'zk38', 1, ['--image', `zookeeper:${image38.slice(image38.lastIndexOf(':') + 1)}`]);
    for (const p of ['/old', '/old/a', '/old/b']) assert.equal((await kzk(['znode', 'create', p, `on 3.8 ${p}`, '--ensemble', 'zk38', '-n', ns])).code, 0);
    const b = await kzk(['backup', 'zk38', '-n', ns, '-f', join(dir, 'old.snap')]);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /has no snapshot command/);
    assert.match(b.stderr, /kubectl zk export zk38/);
    assert.equal(existsSync(join(dir, 'old.snap')), false);
    const e = await kzk(['export', 'zk38', '/old', '-n', ns]);
    assert.equal(e.code, 0, e.stderr);
    // the whole tree of a 3.8 ensemble: read znode by znode, saying why
    const whole = await kzk(['export', 'zk38', '-n', ns, '-o', 'json']);
    assert.equal(whole.code, 0, whole.stderr);
    const wholeSum = JSON.parse(whole.stderr.slice(whole.stderr.indexOf('{')));
    assert.equal(wholeSum.method, 'reads');
    assert.match(wholeSum.snapshotUnavailable, /ZooKeeper 3\.8\.\d+ has no snapshot command/);
    assert.match(whole.stdout, /"path":"\/old\/a"/);
    const i = await kzk(['import', 'zki', '-n', ns, '--to', '/from-38'], {input: e.stdout});
    assert.equal(i.code, 0, i.stderr);
    const g = await kzk(['znode', 'get', '/from-38/a', '--ensemble', 'zki', '-n', ns]);
    assert.equal(g.stdout, 'on 3.8 /old/a');
  });
});
