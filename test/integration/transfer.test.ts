import assert from 'node:assert/strict';
import {createReadStream, createWriteStream, readFileSync, writeFileSync} from 'node:fs';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {exportTree, importTree, treeChecksum, type LineSource} from '../../src/ops/transfer.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {isZkError} from '../../src/zk/errors.js';
import {startEnsemble, zkRuntime, type Ensemble} from './lib/ensemble.js';
import {CliError} from '../../src/errors.js';
import {inFlight} from '../support/in-flight.js';

/**
 * export → import between a real 3.8 and a real 3.9 server: the copy's
 * checksum (path, data, ACL of every persistent znode) equals the export's,
 * ACL-protected znodes come along (export reads as the super user), an
 * ephemeral znode is flagged and not imported, and the refusals (existing
 * znodes, a truncated or changed file) write nothing.
 */
const clock = {now: () => Date.now()};
const fileLines =
  (path: string): LineSource =>
  () =>
    createInterface({input: createReadStream(path), crlfDelay: Infinity});

/** A client that counts its requests in flight, to show that the walk pipelines. */
function counting(c: ZkClient): {client: ZkClient; maxInFlight: () => number} {
  const {wrap, max} = inFlight();
  const client: ZkClient = Object.create(c);
  Object.assign(client, {get: wrap(c.get.bind(c)), getAcl: wrap(c.getAcl.bind(c)), ls: wrap(c.ls.bind(c)), close: () => c.close()});
  return {client, maxInFlight: max};
}

async function exportTo(ens: Ensemble, root: string, file: string, opts: {auth?: boolean; window?: number} = {}) {
  const out = createWriteStream(file);
  let counted: ReturnType<typeof counting> | undefined;
  const r = await exportTree({ensemble: 'zk', namespace: 'test', root, window: opts.window}, out, {
    clock,
    connect: async () => {
      counted = counting(await connectZk({endpoints: ens.endpoints, auth: opts.auth === false ? [] : ens.superAuth}));
      return counted.client;
    },
  });
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return {...r, maxInFlight: counted!.maxInFlight()};
}

describe('export and import against real ZooKeeper (3.8 → 3.9)', function () {
  this.timeout(240_000);
  let old: Ensemble;
  let cur: Ensemble;
  let src: ZkClient;
  let dst: ZkClient;
  let holder: ZkClient;
  let dir: string;
  const N = 1500;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzk-transfer-'));
    [old, cur] = await Promise.all([startEnsemble({size: 1, runtime: zkRuntime('3.8')}), startEnsemble({size: 1, runtime: zkRuntime('3.9')})]);
    src = await connectZk({endpoints: old.endpoints, auth: old.superAuth});
    dst = await connectZk({endpoints: cur.endpoints, auth: cur.superAuth});
    holder = await connectZk({endpoints: old.endpoints});
    await src.create('/app', 'root of the app');
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) writes.push(src.create(`/app/d${i}`, Buffer.from([i, 0, 255, 10])));
    await Promise.all(writes);
    writes.length = 0;
    for (let i = 0; i < N - 30; i++) writes.push(src.create(`/app/d${i % 30}/n${i}`, `value ${i} ${'x'.repeat(i % 200)}`));
    await Promise.all(writes);
    await src.create('/app/private', 'secret', {acl: [{scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 'cdrwa'}]});
    await src.create('/app/empty');
    await holder.create('/app/lock', 'held', {ephemeral: true});
  });

  after(async () => {
    await Promise.all([src, dst, holder].map((c) => c?.close()));
    await Promise.all([old?.stopAll(), cur?.stopAll()]);
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  it('exports every znode with many reads in flight; protected znodes come along as the super user; the ephemeral one is flagged', async () => {
    const file = join(dir, 'app.jsonl');
    const r = await exportTo(old, '/app', file);
    assert.equal(r.znodes, N + 4, 'the root, the tree, private, empty and the ephemeral lock');
    assert.equal(r.ephemeral, 1);
    assert.ok(r.maxInFlight > 50, `requests in flight at most ${r.maxInFlight}: the walk does not pipeline`);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].format, 'kubectl-zk/tree');
    assert.equal(lines[0].root, '/app');
    const recs = lines.slice(1, -1);
    const seen = new Set<string>();
    for (const rec of recs) {
      if (rec.path !== '/app') assert.ok(seen.has(rec.path.slice(0, rec.path.lastIndexOf('/'))), `${rec.path} before its parent`);
      seen.add(rec.path);
    }
    const priv = recs.find((x) => x.path === '/app/private');
    assert.equal(Buffer.from(priv.data, 'base64').toString(), 'secret');
    assert.deepEqual(priv.acl, [{scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 'cdrwa'}]);
    assert.equal(recs.find((x) => x.path === '/app/lock').kind, 'ephemeral');
    assert.deepEqual(Buffer.from(recs.find((x) => x.path === '/app/d3').data, 'base64'), Buffer.from([3, 0, 255, 10]));
    assert.equal(lines.at(-1).end, true);
    assert.equal(lines.at(-1).checksum, r.checksum);
    const live = await treeChecksum(src, '/app');
    assert.equal(live.checksum, r.checksum, "the export checksum is the live tree's");
    assert.equal(live.znodes, N + 3);
  });

  it('without the super user, a znode the ACL closes fails the export (NoAuth, with the hint)', async () => {
    await assert.rejects(exportTo(old, '/app', join(dir, 'anon.jsonl'), {auth: false}), (e: unknown) => e instanceof CliError && isZkError(e.cause, 'NoAuth') && /--as-super/.test(e.hint ?? ''));
  });

  it('imports into 3.9: the copy has the same checksum, the ephemeral znode is not imported', async () => {
    const file = join(dir, 'app.jsonl');
    const r = await importTree({ensemble: 'zk2', namespace: 'test', overwrite: false}, fileLines(file), {clock, connect: () => connectZk({endpoints: cur.endpoints, auth: cur.superAuth})});
    assert.equal(r.created, N + 3);
    assert.equal(r.skippedEphemeral, 1);
    const copy = await treeChecksum(dst, '/app');
    const orig = await treeChecksum(src, '/app');
    assert.equal(copy.checksum, orig.checksum);
    assert.equal(copy.znodes, orig.znodes);
    assert.equal(await dst.exists('/app/lock'), null);
    assert.equal((await dst.get('/app/private')).data.toString(), 'secret');
    assert.deepEqual((await dst.getAcl('/app/private')).acl, [{scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 31}]);
  });

  it('a second import refuses (the znodes exist) and changes nothing; --overwrite replaces data and ACL', async () => {
    const file = join(dir, 'app.jsonl');
    const connect = () => connectZk({endpoints: cur.endpoints, auth: cur.superAuth});
    await dst.set('/app/d1', 'changed on the target');
    const before = await treeChecksum(dst, '/app');
    await assert.rejects(
      importTree({ensemble: 'zk2', namespace: 'test', overwrite: false}, fileLines(file), {clock, connect}),
      (e: unknown) => e instanceof CliError && /already exist/.test(e.message) && /nothing was imported/.test(e.hint ?? ''),
    );
    assert.equal((await treeChecksum(dst, '/app')).checksum, before.checksum);
    const r = await importTree({ensemble: 'zk2', namespace: 'test', overwrite: true}, fileLines(file), {clock, connect});
    assert.equal(r.overwritten, N + 3);
    assert.equal((await treeChecksum(dst, '/app')).checksum, (await treeChecksum(src, '/app')).checksum);
  });

  it("--to another root, and a PATH of the file only: the copy's checksum relative to its root is the source's", async () => {
    const file = join(dir, 'app.jsonl');
    const connect = () => connectZk({endpoints: cur.endpoints, auth: cur.superAuth});
    await dst.create('/copies');
    const r = await importTree({ensemble: 'zk2', namespace: 'test', overwrite: false, to: '/copies/app'}, fileLines(file), {clock, connect});
    assert.equal(r.to, '/copies/app');
    assert.equal((await treeChecksum(dst, '/copies/app')).checksum, (await treeChecksum(src, '/app')).checksum);
    const sub = await importTree({ensemble: 'zk2', namespace: 'test', overwrite: false, path: '/app/d7', to: '/copies/d7'}, fileLines(file), {clock, connect});
    assert.equal(sub.created, 1 + (await src.ls('/app/d7')).length);
    assert.equal((await treeChecksum(dst, '/copies/d7')).checksum, (await treeChecksum(src, '/app/d7')).checksum);
    await assert.rejects(
      importTree({ensemble: 'zk2', namespace: 'test', overwrite: false, to: '/nowhere/app'}, fileLines(file), {clock, connect}),
      (e: unknown) => e instanceof CliError && /parent of \/nowhere\/app/.test(e.message),
    );
    assert.equal(await dst.exists('/nowhere'), null);
  });

  it('a truncated file and a changed file are refused before anything is written', async () => {
    const text = readFileSync(join(dir, 'app.jsonl'), 'utf8');
    const connect = () => connectZk({endpoints: cur.endpoints, auth: cur.superAuth});
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, text.slice(0, Math.floor(text.length / 2)).replace(/\n[^\n]*$/, '\n'));
    await assert.rejects(
      importTree({ensemble: 'zk2', namespace: 'test', overwrite: false, to: '/cut'}, fileLines(cut), {clock, connect}),
      (e: unknown) => e instanceof CliError && /truncated/.test(e.message),
    );
    const changed = join(dir, 'changed.jsonl');
    writeFileSync(changed, text.replace(Buffer.from('secret').toString('base64'), Buffer.from('public').toString('base64')));
    await assert.rejects(
      importTree({ensemble: 'zk2', namespace: 'test', overwrite: false, to: '/changed'}, fileLines(changed), {clock, connect}),
      (e: unknown) => e instanceof CliError && /does not match its end line/.test(e.message),
    );
    const notOurs = join(dir, 'snapshot.bin');
    writeFileSync(notOurs, Buffer.from('ZKSN\u0000\u0000\u0000\u0002binary'));
    await assert.rejects(
      importTree({ensemble: 'zk2', namespace: 'test', overwrite: false, to: '/bin'}, fileLines(notOurs), {clock, connect}),
      (e: unknown) => e instanceof CliError && /line 1: not JSON/.test(e.message),
    );
    for (const p of ['/cut', '/changed', '/bin']) assert.equal(await dst.exists(p), null, p);
  });

  it('export of / leaves /zookeeper out; import of it into 3.9 brings the same tree (the root kept unless --overwrite)', async () => {
    const file = join(dir, 'all.jsonl');
    const r = await exportTo(old, '/', file, {window: 16});
    const paths = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1, -1)
      .map((l) => JSON.parse(l).path as string);
    assert.ok(!paths.some((p) => p === '/zookeeper' || p.startsWith('/zookeeper/')));
    assert.equal(r.znodes, N + 5);
    assert.ok(r.maxInFlight <= 2 * 16 + 1, `window 16 but ${r.maxInFlight} in flight`);
    const fresh = await startEnsemble({size: 1, runtime: zkRuntime('3.9')});
    try {
      const connect = () => connectZk({endpoints: fresh.endpoints, auth: fresh.superAuth});
      const imp = await importTree({ensemble: 'zk3', namespace: 'test', overwrite: false}, fileLines(file), {clock, connect});
      assert.equal(imp.created, N + 3);
      const c = await connect();
      try {
        assert.equal((await treeChecksum(c, '/app')).checksum, (await treeChecksum(src, '/app')).checksum);
      } finally {
        await c.close();
      }
    } finally {
      await fresh.stopAll();
    }
  });
});
