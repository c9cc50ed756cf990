import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import http from 'node:http';
import {PassThrough, Writable} from 'node:stream';
import {CliError} from '../../src/errors.js';
import {adminError, askMembers, copySnapshot, hasSnapshotCommand, openSnapshot, pickMember, type MemberZxid} from '../../src/ops/backup.js';
import {checkBackupFile} from '../../src/ops/restore-core.js';
import {TreeChecksum} from '../../src/ops/treefile.js';
import {AdminCommandError} from '../../src/zk/admin-stream.js';
import {parseZxid, type SrvrStats} from '../../src/zk/parse.js';
import {hasSnapshotMagic, readSnapshot} from '../../src/zk/snapshot.js';
import {encodeSnapshot} from '../support/snapshot.js';
import {fakeTime} from '../support/time.js';
import {fixture} from './zk/fixtures.js';
import {createServer, type Socket} from 'node:net';

async function* chunks(b: Buffer, size = 7) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const srvr = (zxid: string, mode: SrvrStats['mode']): SrvrStats => ({
  status: 'ok',
  version: '3.9.5',
  versionNumber: '3.9.5',
  latency: {min: 0, avg: 0, max: 0},
  received: 0,
  sent: 0,
  connections: 0,
  outstanding: 0,
  zxid: parseZxid(zxid),
  mode,
  nodeCount: 5,
  proposalSizes: undefined,
  raw: {},
});

describe('backup: pure pieces', () => {
  const PRIV = [{perms: 31, scheme: 'digest', id: 'app:xyz'}];
  const snap = encodeSnapshot(
    [
      {path: '/'},
      {path: '/zookeeper'},
      {path: '/zookeeper/quota'},
      {path: '/app', data: Buffer.from('x')},
      {path: '/app/p', data: Buffer.from([0, 1]), acl: 1n},
      {path: '/app/lock', ephemeralOwner: 0x1000n},
    ],
    [[1n, PRIV]],
  );

  it('reads a snapshot in small chunks: every node, the ACL cache resolved, "" as the root', async () => {
    const seen: string[] = [];
    let privAcl: unknown;
    const s = await readSnapshot(chunks(snap), (n) => {
      seen.push(n.path);
      if (n.path === '/app/p') privAcl = n.acl;
    });
    assert.deepEqual(seen, ['/', '/zookeeper', '/zookeeper/quota', '/app', '/app/p', '/app/lock']);
    assert.equal(s.nodes, 6);
    assert.equal(s.sessions, 1);
    assert.deepEqual(privAcl, PRIV);
    assert.ok(hasSnapshotMagic(snap));
  });

  it('reads the znodes a chunk holds without yielding between them, and any split of the stream gives the same nodes', async () => {
    const many = encodeSnapshot([{path: '/'}, ...Array.from({length: 50}, (_, i) => ({path: `/n${i}`, data: Buffer.alloc(100, i)}))]);
    // one chunk: the 51 znodes come one after another, before a microtask queued at the first can run
    // (a parse that awaits each field yields ~14 times per znode: 120k znodes took ~1 s of CPU)
    let yielded = -1;
    let calls = 0;
    await readSnapshot(chunks(many, many.length), () => {
      if (calls++ === 0) queueMicrotask(() => (yielded = calls));
    });
    assert.equal(yielded, 51, `the parse yielded after ${yielded} znodes`);
    const want: string[] = [];
    await readSnapshot(chunks(many, many.length), (n) => void want.push(`${n.path}:${n.data.toString('hex')}`));
    for (const size of [1, 2, 3, 5, 13, 64, 333]) {
      const got: string[] = [];
      await readSnapshot(chunks(many, size), (n) => void got.push(`${n.path}:${n.data.toString('hex')}`));
      assert.deepEqual(got, want, `chunks of ${size}`);
    }
  });

  it("askMembers takes srvr's reply once it is whole, not at the close (through a port-forward the close comes ~1 s later)", async () => {
    const open = new Set<Socket>();
    const server = createServer((sock) => {
      open.add(sock);
      sock.on('error', () => undefined);
      sock.once('data', () => sock.write(fixture('srvr-leader.txt'))); // and never closes
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const ep = {host: '127.0.0.1', port: (server.address() as {port: number}).port};
      const [m] = await askMembers({members: async () => ['zk-0'], clientEndpoint: async () => ep});
      assert.ok(m && 'srvr' in m, `no srvr: ${m && 'error' in m ? m.error : 'no answer'}`);
      assert.equal(m.srvr?.mode, 'leader');
    } finally {
      for (const sock of open) sock.destroy();
      server.close();
    }
  });

  it('refuses what is not a snapshot, a gzip one, a truncated one, an unknown ACL reference', async () => {
    await assert.rejects(
      readSnapshot(chunks(Buffer.from('{"format":"kubectl-zk/tree"}')), () => undefined),
      /not a ZooKeeper snapshot \(no ZKSN magic/,
    );
    await assert.rejects(
      readSnapshot(chunks(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])), () => undefined),
      /gzip-compressed/,
    );
    await assert.rejects(
      readSnapshot(chunks(Buffer.alloc(0)), () => undefined),
      /no ZKSN magic/,
    );
    for (const cut of [10, 60, snap.length - 30])
      await assert.rejects(
        readSnapshot(chunks(snap.subarray(0, cut)), () => undefined),
        /truncated/,
        `cut at ${cut}`,
      );
    await assert.rejects(
      readSnapshot(chunks(encodeSnapshot([{path: '/', acl: 5n}])), () => undefined),
      /names ACL 5/,
    );
  });

  it('copySnapshot: the bytes pass unchanged; sha256, size, and the counts leave out /zookeeper; ephemeral znodes counted apart', async () => {
    const out = new PassThrough();
    const got: Buffer[] = [];
    out.on('data', (c: Buffer) => got.push(c));
    const body = new PassThrough();
    const copying = copySnapshot(body, out, {end: false});
    body.end(snap);
    const d = await copying;
    assert.deepEqual(Buffer.concat(got), snap);
    assert.equal(d.size, snap.length);
    assert.equal(d.sha256, createHash('sha256').update(snap).digest('hex'));
    assert.equal(d.znodes, 3);
    assert.equal(d.ephemeral, 1);
  });

  it("restore's check of the file: the tree checksum over path, data and ACL leaves out /zookeeper and ephemeral znodes; a version 1 manifest's checksum is checked too", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzk-backup-'));
    try {
      const file = join(dir, 's.snap');
      writeFileSync(file, snap);
      const c = await checkBackupFile(file);
      const sum = new TreeChecksum();
      sum.add('/', Buffer.alloc(0), [{perms: 31, scheme: 'world', id: 'anyone'}]);
      sum.add('/app', Buffer.from('x'), [{perms: 31, scheme: 'world', id: 'anyone'}]);
      sum.add('/app/p', Buffer.from([0, 1]), PRIV);
      assert.equal(c.checksum, sum.hex);
      assert.equal(c.znodes, 3);
      assert.equal(c.ephemeral, 1);
      const manifest = {format: 'kubectl-zk/backup', version: 1, sha256: c.sha256, size: c.size, znodes: 3, checksum: sum.hex};
      writeFileSync(`${file}.json`, JSON.stringify(manifest));
      assert.equal((await checkBackupFile(file)).checksum, sum.hex);
      writeFileSync(`${file}.json`, JSON.stringify({...manifest, checksum: '0'.repeat(64)}));
      await assert.rejects(checkBackupFile(file), /differs from its manifest \(3 znodes, checksum [0-9a-f]{16}…; the manifest says 3 znodes, checksum 0{16}…\)/);
      writeFileSync(`${file}.json`, JSON.stringify({...manifest, version: 2, checksum: undefined, znodes: 4}));
      await assert.rejects(checkBackupFile(file), /differs from its manifest \(3 znodes, .*; the manifest says 4 znodes\)/);
      writeFileSync(`${file}.json`, JSON.stringify({...manifest, version: 2, checksum: undefined}));
      assert.equal((await checkBackupFile(file)).checksum, sum.hex);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('copySnapshot fails on a stream that is not a snapshot or is cut', async () => {
    const body = new PassThrough();
    const copying = copySnapshot(body, new PassThrough().resume(), {end: false});
    body.end(Buffer.from('<html>error</html>'));
    await assert.rejects(copying, /no ZKSN magic/);
    const cut = new PassThrough();
    const c2 = copySnapshot(cut, new PassThrough().resume(), {end: false});
    cut.end(snap.subarray(0, 50));
    await assert.rejects(c2, /truncated/);
  });

  it('copySnapshot fails, not hangs, when the file cannot be written (a full disk)', async () => {
    for (const end of [false, true]) {
      const full = new Writable({
        write(_c, _e, cb) {
          cb(Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'}));
        },
      });
      const body = new PassThrough();
      const copying = copySnapshot(body, full, {end});
      body.end(snap);
      await assert.rejects(copying, /ENOSPC/, `end: ${end}`);
    }
  });

  it('pickMember: the highest zxid; the leader on a tie; no serving member is an error naming each', () => {
    const ms: MemberZxid[] = [
      {pod: 'zk-0', srvr: srvr('0x100000005', 'follower')},
      {pod: 'zk-1', srvr: srvr('0x100000007', 'follower')},
      {pod: 'zk-2', srvr: srvr('0x100000006', 'leader')},
    ];
    assert.equal(pickMember(ms).pod, 'zk-1');
    assert.equal(
      pickMember([
        {pod: 'zk-0', srvr: srvr('0x100000007', 'follower')},
        {pod: 'zk-1', srvr: srvr('0x100000007', 'leader')},
      ]).pod,
      'zk-1',
    );
    assert.throws(
      () => pickMember([{pod: 'zk-0', error: 'connection refused'}]),
      (e: unknown) => e instanceof CliError && /zk-0: connection refused/.test(e.message),
    );
  });

  it('which versions have the snapshot command', () => {
    assert.equal(hasSnapshotCommand('3.9.5'), true);
    assert.equal(hasSnapshotCommand('3.10.0'), true);
    assert.equal(hasSnapshotCommand('3.8.7'), false);
    assert.equal(hasSnapshotCommand(undefined), false);
  });

  it('openSnapshot retries a 429 `retries` times, 500 ms apart, then gives the 429 up', async () => {
    let asked = 0;
    const server = http.createServer((req, res) => {
      asked++;
      req.resume();
      res.writeHead(429, {'content-type': 'application/json'});
      res.end('{"error":null}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as {port: number}).port;
    try {
      const t = fakeTime();
      await assert.rejects(
        openSnapshot({host: '127.0.0.1', port}, {scheme: 'digest', auth: 'super:pw'}, {clock: t.clock, sleep: t.sleep, retries: 2}),
        (e: unknown) => e instanceof AdminCommandError && e.status === 429,
      );
      assert.equal(asked, 3);
      assert.deepEqual(t.slept, [500, 500]);
    } finally {
      server.close();
    }
  });

  it('AdminServer refusals become one clear error each; a 429 on restore explains the rate limit', () => {
    const o = {ensemble: 'zk', pod: 'zk-0', version: '3.9.5', command: 'restore' as const};
    const msg = (status: number, unknown = false) => (adminError(new AdminCommandError('restore', status, null, unknown, 'x'), o) as CliError).message;
    assert.match(msg(429), /less than the rate-limit interval ago.*5 minutes by default/);
    assert.match((adminError(new AdminCommandError('restore', 429, null, false, 'x'), o) as CliError).hint!, /wait/);
    assert.match(msg(403), /refused the super user's credentials/);
    assert.match(msg(503), /disabled on zk-0 \(admin\.restore\.enabled=false\)/);
    assert.match(msg(200, true), /has no snapshot command/);
    assert.match(msg(500), /HTTP 500/);
    const other = new Error('boom');
    assert.equal(adminError(other, o), other);
  });
});
