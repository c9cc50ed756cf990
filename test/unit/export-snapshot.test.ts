import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough, Readable} from 'node:stream';
import {copySnapshot} from '../../src/ops/backup.js';
import {checkBackupFile} from '../../src/ops/restore-core.js';
import {exportTree, recordText, SnapshotUnavailable, toRecord, type ExportSnapshot, type TransferDeps} from '../../src/ops/transfer.js';
import {TreeChecksum, parseTreeLine, recordLine, type TreeRecord} from '../../src/ops/treefile.js';
import type {ZkClient, ZnodeStat} from '../../src/zk/client.js';
import {ZkError} from '../../src/zk/errors.js';
import {encodeSnapshot} from '../support/snapshot.js';

/**
 * export from a member's snapshot (src/ops/transfer.ts, --method snapshot /
 * auto): the snapshot's znodes become the same lines a walk writes; the
 * checksum equals backup's for the same snapshot; auto falls back to reads
 * when the snapshot cannot be had, and reads a subtree znode by znode.
 */
const clock = {now: () => 0};
const PRIV: {perms: number; scheme: string; id: string}[] = [{perms: 31, scheme: 'digest', id: 'app:xyz'}];
const OPEN = [{perms: 31, scheme: 'world', id: 'anyone'}];
const NODES = [
  {path: '/'},
  {path: '/zookeeper'},
  {path: '/zookeeper/quota'},
  {path: '/app', data: Buffer.from('x')},
  {path: '/app/p', data: Buffer.from([0, 1, 255]), acl: 1n},
  {path: '/app/lock', ephemeralOwner: 0x1000n},
  {path: '/app/c', ephemeralOwner: -0x8000000000000000n},
];
const SNAP = encodeSnapshot(NODES, [[1n, PRIV]]);

function snapshotOf(bytes: Buffer, chunk = 5): ExportSnapshot {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return {body: Readable.from(parts), lastZxid: '0x2a', member: 'zk-1', server: '3.9.5-abc'};
}

/** A client over the same znodes (the stat as the snapshot encodes it: czxid 1, mzxid 2, ctime 3, mtime 4). */
function fakeClient(): ZkClient & {requests: number} {
  const nodes = new Map(NODES.map((n) => [n.path, n]));
  const stat = (p: string): ZnodeStat => {
    const n = nodes.get(p)!;
    const kids = [...nodes.keys()].filter((k) => k !== p && k.startsWith(p === '/' ? '/' : `${p}/`) && !k.slice(p === '/' ? 1 : p.length + 1).includes('/'));
    return {
      czxid: 1n,
      mzxid: 2n,
      pzxid: 7n,
      ctime: 3,
      mtime: 4,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: n.ephemeralOwner ?? 0n,
      dataLength: n.data?.length ?? 0,
      numChildren: kids.length,
    };
  };
  const need = (p: string) => {
    if (!nodes.has(p)) throw new ZkError('NoNode', p);
  };
  const c = {
    requests: 0,
    get: async (p: string) => (c.requests++, need(p), {data: nodes.get(p)!.data ?? Buffer.alloc(0), stat: stat(p)}),
    getAcl: async (p: string) => (c.requests++, need(p), {acl: nodes.get(p)!.acl === 1n ? PRIV : OPEN, stat: stat(p)}),
    ls: async (p: string) => {
      c.requests++;
      need(p);
      return [...nodes.keys()].filter((k) => k !== p && k.startsWith(p === '/' ? '/' : `${p}/`) && !k.slice(p === '/' ? 1 : p.length + 1).includes('/')).map((k) => k.slice(k.lastIndexOf('/') + 1));
    },
    close: async () => undefined,
  };
  return c as unknown as ZkClient & {requests: number};
}

async function run(root: string, deps: Partial<TransferDeps>, method?: 'auto' | 'snapshot' | 'reads') {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  const client = fakeClient();
  const r = await exportTree({ensemble: 'zk', namespace: 'ns', root, method}, out, {clock, connect: async () => client, ...deps});
  const lines = Buffer.concat(chunks).toString().trim().split('\n');
  const parsed = lines.map((l, i) => parseTreeLine(l, i + 1));
  const records = parsed.flatMap((p) => (p.type === 'record' ? [p.record] : []));
  return {r, lines, parsed, records, requests: client.requests};
}

const byPath = (rs: TreeRecord[]) => [...rs].sort((a, b) => a.path.localeCompare(b.path));

describe('export from a snapshot', () => {
  it('writes the lines a walk writes (same records, same checksum), and the header carries the last_zxid', async () => {
    let opened = 0;
    const snap = await run('/', {snapshot: async () => (opened++, snapshotOf(SNAP))});
    const walk = await run('/', {}, 'reads');
    assert.equal(opened, 1);
    assert.equal(snap.r.method, 'snapshot');
    assert.equal(snap.r.lastZxid, '0x2a');
    assert.equal(snap.r.member, 'zk-1');
    assert.equal(snap.requests, 0, 'no znode read through a session');
    assert.equal(walk.r.method, 'reads');
    assert.deepEqual(byPath(snap.records), byPath(walk.records));
    assert.deepEqual(
      snap.records.map((r) => r.path),
      ['/', '/app', '/app/p', '/app/lock', '/app/c'],
    );
    assert.equal(snap.r.checksum, walk.r.checksum);
    assert.equal(snap.r.znodes, 5);
    assert.equal(snap.r.ephemeral, 1);
    const header = snap.parsed[0]!;
    assert.ok(header.type === 'header' && header.header.lastZxid === '0x2a' && header.header.server === '3.9.5-abc');
    const lock = snap.records.find((r) => r.path === '/app/lock')!;
    assert.equal(lock.kind, 'ephemeral');
    assert.equal(lock.stat.ephemeralOwner, '0x1000');
    assert.equal(snap.records.find((r) => r.path === '/app/c')!.kind, 'container');
    assert.deepEqual(snap.records.find((r) => r.path === '/app/p')!.acl, [{scheme: 'digest', id: 'app:xyz', perms: 'cdrwa'}]);
    assert.equal(snap.r.bytes, Buffer.byteLength(snap.lines.join('\n') + '\n'));
  });

  it("its checksum is the one restore computes from a backup of the same snapshot, and its count backup's", async () => {
    const snap = await run('/', {snapshot: async () => snapshotOf(SNAP)});
    const digest = await copySnapshot(Readable.from([SNAP]), new PassThrough().resume(), {end: true});
    assert.equal(snap.r.znodes - snap.r.ephemeral, digest.znodes);
    const dir = mkdtempSync(join(tmpdir(), 'kzk-snap-'));
    try {
      writeFileSync(join(dir, 's.snap'), SNAP);
      const checked = await checkBackupFile(join(dir, 's.snap'));
      assert.equal(snap.r.checksum, checked.checksum);
      assert.equal(checked.znodes, digest.znodes);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('toRecord: a read stat (ms numbers) and a snapshot node (bigint times) give the same record', () => {
    const base = {path: '/a', data: Buffer.from('hi'), acl: OPEN, czxid: 0x100000001n, mzxid: 0x100000002n, version: 3, aversion: 1, ephemeralOwner: 0n};
    const a = toRecord({...base, ctime: 1_700_000_000_000, mtime: 1_700_000_000_001}, 'aGk=');
    const b = toRecord({...base, ctime: 1_700_000_000_000n, mtime: 1_700_000_000_001n}, 'aGk=');
    assert.deepEqual(a, b);
    assert.deepEqual(a, {
      path: '/a',
      data: 'aGk=',
      acl: [{scheme: 'world', id: 'anyone', perms: 'cdrwa'}],
      stat: {cZxid: '0x100000001', mZxid: '0x100000002', ctime: '2023-11-14T22:13:20.000Z', mtime: '2023-11-14T22:13:20.001Z', dataVersion: 3, aclVersion: 1},
    });
  });

  it('recordText is recordLine(toRecord()) byte for byte (paths needing escapes, every kind, several ACLs, a shared ACL list)', () => {
    const acls = [OPEN, PRIV, [...PRIV, {perms: 1, scheme: 'ip', id: '10.0.0.0/8'}], [{perms: 3, scheme: 'digest', id: 'u:"q\\'}]];
    const owners = [0n, 0x1000n, -0x8000000000000000n, 0xff00000000000001n];
    for (const path of ['/', '/a', '/ü/😀', '/q"uote\\', '/\u0001'])
      for (const acl of acls)
        for (const ephemeralOwner of owners) {
          const n = {path, data: Buffer.from([1, 2, 3]), acl, czxid: 5n, mzxid: 0x100000006n, ctime: 7n, mtime: 8, version: 9, aversion: 10, ephemeralOwner};
          const b64 = n.data.toString('base64');
          assert.equal(recordText(n, b64), recordLine(toRecord(n, b64)));
          assert.equal(recordText(n, b64), recordLine(toRecord(n, b64)), 'again, with the ACL list cached');
        }
  });

  it('--method snapshot of a subtree: only that subtree, checksummed relative to it; a missing root is an error', async () => {
    const sub = await run('/app', {snapshot: async () => snapshotOf(SNAP)}, 'snapshot');
    const walk = await run('/app', {}, 'reads');
    assert.deepEqual(byPath(sub.records), byPath(walk.records));
    assert.equal(sub.r.checksum, walk.r.checksum);
    const sum = new TreeChecksum();
    sum.add('/', Buffer.from('x'), OPEN);
    sum.add('/p', Buffer.from([0, 1, 255]), PRIV);
    sum.add('/c', Buffer.alloc(0), OPEN);
    assert.equal(sub.r.checksum, sum.hex);
    await assert.rejects(run('/nope', {snapshot: async () => snapshotOf(SNAP)}, 'snapshot'), /\/nope does not exist in ensemble "zk"/);
  });

  it('auto: a subtree is read znode by znode; an unavailable snapshot falls back to reads and says why; --method snapshot fails instead', async () => {
    let opened = 0;
    const sub = await run('/app', {snapshot: async () => (opened++, snapshotOf(SNAP))});
    assert.equal(opened, 0);
    assert.equal(sub.r.method, 'reads');
    const unavailable = async (): Promise<ExportSnapshot> => {
      throw new SnapshotUnavailable('ZooKeeper 3.8.7 has no snapshot command');
    };
    const fell = await run('/', {snapshot: unavailable});
    assert.equal(fell.r.method, 'reads');
    assert.equal(fell.r.snapshotUnavailable, 'ZooKeeper 3.8.7 has no snapshot command');
    assert.equal(fell.records.length, 5);
    await assert.rejects(run('/', {snapshot: unavailable}, 'snapshot'), /3\.8\.7 has no snapshot command/);
    await assert.rejects(run('/', {}, 'snapshot'), /--method snapshot needs the super user/);
    // another failure (the stream breaks) is not a reason to read instead
    await assert.rejects(
      run('/', {
        snapshot: async () => {
          throw new Error('connection reset');
        },
      }),
      /connection reset/,
    );
  });

  it('a snapshot cut short fails the export (no end line written)', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    await assert.rejects(
      exportTree({ensemble: 'zk', namespace: 'ns', root: '/'}, out, {clock, connect: async () => fakeClient(), snapshot: async () => snapshotOf(SNAP.subarray(0, SNAP.length - 40))}),
      /export failed while reading the snapshot of zk-1: .*truncated/,
    );
    assert.ok(!Buffer.concat(chunks).toString().includes('"end":true'));
  });
});
