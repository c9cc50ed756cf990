import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CliError, UsageError} from '../../src/errors.js';
import {enforceSystemAcls} from '../../src/ops/acl.js';
import {backup, openSnapshot, type BackupDeps, type StoredManifest} from '../../src/ops/backup.js';
import {SnapshotUnavailable, exportTree, treeChecksum, type TransferDeps} from '../../src/ops/transfer.js';
import {checkBackupFile} from '../../src/ops/restore-core.js';
import {openExportSnapshot} from '../../src/ops/transfer-snapshot.js';
import {parseTreeLine, type TreeRecord} from '../../src/ops/treefile.js';
import {PassThrough} from 'node:stream';
import {realSleep, systemClock} from '../../src/util/time.js';
import {AdminCommandError} from '../../src/zk/admin-stream.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {startEnsemble, zkRuntime, type Ensemble} from './lib/ensemble.js';

/**
 * backup against real servers on loopback: 3.9.5 (three members, a writer
 * running) and 3.8.7 (no snapshot command). The members stand for pods
 * zk-0…; the AdminServer is bound to 127.0.0.1 as create configures it.
 */
const clock = {now: () => Date.now()};

function depsFor(ens: Ensemble, o: {password?: string; signal?: AbortSignal; onProgress?: BackupDeps['onProgress']} = {}): BackupDeps {
  const byPod = (pod: string) => ens.servers[Number(pod.slice('zk-'.length))]!;
  return {
    clock,
    sleep: realSleep,
    signal: o.signal,
    members: async () => ens.servers.map((_s, i) => `zk-${i}`),
    clientEndpoint: async (pod) => byPod(pod).endpoint,
    adminEndpoint: async (pod) => byPod(pod).adminEndpoint,
    superAuth: async () => ({scheme: 'digest', auth: `super:${o.password ?? ens.superPassword}`}),
    stdout: process.stdout,
    onProgress: o.onProgress,
  };
}

/** export of / by `method` (the snapshot through openExportSnapshot, reads as the super user): the result and the records by path. */
async function exportLines(ens: Ensemble, method: 'auto' | 'snapshot' | 'reads') {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  const deps: TransferDeps = {
    clock,
    connect: () => connectZk({endpoints: ens.endpoints, auth: ens.superAuth}),
    snapshot: () => openExportSnapshot('zk', depsFor(ens)),
  };
  const result = await exportTree({ensemble: 'zk', namespace: 'test', root: '/', method}, out, deps);
  const records = new Map<string, TreeRecord>();
  const order: string[] = [];
  Buffer.concat(chunks)
    .toString()
    .trim()
    .split('\n')
    .forEach((l, i) => {
      const p = parseTreeLine(l, i + 1);
      if (p.type !== 'record') return;
      records.set(p.record.path, p.record);
      order.push(p.record.path);
    });
  return {result, records, order};
}

describe('backup against real ZooKeeper 3.9 (and 3.8: refused with the way out)', function () {
  this.timeout(240_000);
  let ens: Ensemble;
  let sup: ZkClient;
  let holder: ZkClient;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzk-backup-'));
    ens = await startEnsemble({size: 3, runtime: zkRuntime('3.9')});
    sup = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth});
    holder = await connectZk({endpoints: ens.endpoints});
    await enforceSystemAcls(sup); // as create leaves an ensemble: no ADMIN on / for anyone but the super user
    await sup.create('/app', 'x');
    const w: Promise<unknown>[] = [];
    for (let i = 0; i < 2000; i++) w.push(sup.create(`/app/n${i}`, Buffer.alloc(512, i % 256)));
    await Promise.all(w);
    await sup.create('/private', 'secret', {acl: [{scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 'cdrwa'}]});
    await holder.create('/app/lock', '', {ephemeral: true});
  });

  after(async () => {
    await Promise.all([sup, holder].map((c) => c?.close()));
    await ens?.stopAll();
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  it("under a concurrent writer: a whole snapshot under the final name, its manifest's sha256 is the file's", async () => {
    let writing = true;
    let acked = 0;
    const writer = (async () => {
      const c = await connectZk({endpoints: ens.endpoints});
      try {
        for (let i = 0; writing; i++) {
          await c.create(`/w${i}`, `${i}`);
          acked++;
        }
      } finally {
        await c.close();
      }
    })();
    const file = join(dir, 'busy.snap');
    const r = await backup({ensemble: 'zk', namespace: 'test', file, force: false}, depsFor(ens));
    writing = false;
    await writer;
    assert.ok(acked > 0, 'the writer wrote while the backup ran');
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'ZKSN');
    const m = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as StoredManifest;
    assert.equal(m.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(m.size, bytes.length);
    assert.equal(m.format, 'kubectl-zk/backup');
    assert.match(m.lastZxid, /^0x[0-9a-f]+$/);
    assert.match(m.serverVersion, /^3\.9\./);
    assert.equal(m.ephemeral, 1);
    assert.ok(m.znodes >= 2003, `${m.znodes} znodes`);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.partial')),
      [],
    );
    assert.equal(r.sha256, m.sha256);
    assert.equal(r.znodes, m.znodes);
    assert.equal(m.checksum, undefined, 'a version 2 manifest has no tree checksum (restore computes it from the file)');
  });

  it("when quiet: the member with the highest zxid (the leader on a tie); the snapshot's count and checksum are the live tree's", async () => {
    const file = join(dir, 'quiet.snap');
    const r = await backup({ensemble: 'zk', namespace: 'test', file, force: false}, depsFor(ens));
    const leader = await ens.leader();
    assert.equal(r.member, `zk-${ens.servers.indexOf(leader)}`);
    const live = await treeChecksum(sup, '/');
    assert.equal(r.znodes, live.znodes);
    const checked = await checkBackupFile(file);
    assert.equal(checked.znodes, live.znodes);
    assert.equal(checked.checksum, live.checksum, "the checksum restore computes from the snapshot file equals the export walk's");
  });

  it('export from the snapshot writes what export by reads writes: the same records (stat included), checksum and ephemeral flags', async () => {
    const snap = await exportLines(ens, 'snapshot');
    const reads = await exportLines(ens, 'reads');
    assert.equal(snap.result.method, 'snapshot');
    assert.match(snap.result.lastZxid ?? '', /^0x[0-9a-f]+$/);
    assert.equal(reads.result.method, 'reads');
    assert.equal(snap.result.checksum, reads.result.checksum);
    assert.equal(snap.result.znodes, reads.result.znodes);
    assert.ok(snap.result.znodes > 2000);
    assert.equal(snap.result.ephemeral, 1);
    assert.equal(reads.result.ephemeral, 1);
    assert.deepEqual(snap.records.get('/app/lock'), reads.records.get('/app/lock'));
    assert.equal(snap.records.get('/app/lock')!.kind, 'ephemeral');
    assert.deepEqual([...snap.records.keys()].sort(), [...reads.records.keys()].sort());
    for (const [path, rec] of reads.records) assert.deepEqual(snap.records.get(path), rec, path);
    assert.ok(snap.order.indexOf('/app') < snap.order.indexOf('/app/n1'), 'a parent before its children');
    // auto takes the snapshot for the whole tree
    assert.equal((await exportLines(ens, 'auto')).result.method, 'snapshot');
  });

  it('-f to an existing path refuses without --force and leaves the file as it was; --force replaces it', async () => {
    const file = join(dir, 'exists.snap');
    writeFileSync(file, 'keep me');
    await assert.rejects(
      backup({ensemble: 'zk', namespace: 'test', file, force: false}, depsFor(ens)),
      (e: unknown) => e instanceof UsageError && /exists/.test(e.message) && /--force/.test(e.hint ?? ''),
    );
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
    assert.equal(existsSync(`${file}.json`), false);
    await backup({ensemble: 'zk', namespace: 'test', file, force: true}, depsFor(ens));
    assert.equal(readFileSync(file).subarray(0, 4).toString('latin1'), 'ZKSN');
  });

  it('Ctrl-C during the transfer: no file under the final name, no .partial left', async () => {
    const file = join(dir, 'aborted.snap');
    const ac = new AbortController();
    await assert.rejects(backup({ensemble: 'zk', namespace: 'test', file, force: false}, depsFor(ens, {signal: ac.signal, onProgress: () => ac.abort(new Error('interrupted'))})));
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(`${file}.partial`), false);
    assert.equal(existsSync(`${file}.json`), false);
  });

  it('a wrong super password: 403, explained, nothing written', async () => {
    const file = join(dir, 'denied.snap');
    await assert.rejects(
      backup({ensemble: 'zk', namespace: 'test', file, force: false}, depsFor(ens, {password: 'wrong'})),
      (e: unknown) => e instanceof CliError && /refused the super user's credentials for snapshot \(HTTP 403\)/.test(e.message),
    );
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(`${file}.partial`), false);
  });

  it('3.8.7: refused before any transfer, pointing to export; the AdminServer itself answers "Unknown command"', async () => {
    const old = await startEnsemble({size: 1, runtime: zkRuntime('3.8')});
    try {
      const file = join(dir, 'old.snap');
      await assert.rejects(
        backup({ensemble: 'zk', namespace: 'test', file, force: false}, depsFor(old)),
        (e: unknown) => e instanceof CliError && /ZooKeeper 3\.8\.\d+ has no snapshot command/.test(e.message) && /kubectl zk export zk/.test(e.hint ?? ''),
      );
      assert.equal(existsSync(file), false);
      await assert.rejects(
        openSnapshot(old.servers[0]!.adminEndpoint, old.superAuth[0]!, {clock: systemClock, sleep: realSleep}),
        (e: unknown) => e instanceof AdminCommandError && e.unknownCommand && e.status === 200,
      );
      // export: auto reads znode by znode and says why; --method snapshot refuses
      await assert.rejects(openExportSnapshot('zk', depsFor(old)), (e: unknown) => e instanceof SnapshotUnavailable && /3\.8\.\d+ has no snapshot command/.test(e.message));
      const auto = await exportLines(old, 'auto');
      assert.equal(auto.result.method, 'reads');
      assert.match(auto.result.snapshotUnavailable ?? '', /no snapshot command/);
      await assert.rejects(exportLines(old, 'snapshot'), /has no snapshot command/);
    } finally {
      await old.stopAll();
    }
  });
});
