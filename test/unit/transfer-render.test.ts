import assert from 'node:assert/strict';
import {formatBytes, progressText, renderBackup} from '../../src/render/backup.js';
import {renderRestore} from '../../src/render/restore.js';
import {renderExport, renderImport} from '../../src/render/transfer.js';

describe('backup/restore/export/import: the one-line summaries', () => {
  it('progress: bytes of the total and the rate', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
    assert.equal(progressText(2 * 1024 * 1024, 4 * 1024 * 1024, 1000), '2.0 MiB of 4.0 MiB, 2.0 MiB/s');
    assert.equal(progressText(100, undefined, 0), '100 B');
  });

  it('backup: member, zxid, size, where, rate, count, sha256 prefix, manifest', () => {
    const line = renderBackup({
      format: 'kubectl-zk/backup',
      version: 2,
      ensemble: 'zk',
      namespace: 'prod',
      member: 'zk-2',
      serverVersion: '3.9.5',
      lastZxid: '0x10000002a',
      time: '',
      size: 2048,
      sha256: 'ab'.repeat(32),
      snapshot: 'zk.snap',
      znodes: 12,
      ephemeral: 1,
      memberNodeCount: 17,
      file: 'zk.snap',
      manifestFile: 'zk.snap.json',
      durationMs: 500,
      bytesPerSecond: 4096,
    });
    assert.equal(
      line,
      'backed up prod/zk from zk-2 at zxid 0x10000002a: 2.0 KiB to zk.snap in 0.5s (4.0 KiB/s), 12 znodes (+1 ephemeral, not restorable), sha256 abababababababab…; manifest zk.snap.json\n',
    );
  });

  it('export and import', () => {
    assert.equal(
      renderExport({ensemble: 'zk', namespace: 'prod', root: '/app', method: 'reads', znodes: 3, ephemeral: 1, vanished: 0, bytes: 900, checksum: 'f'.repeat(64), output: '-', durationMs: 1000}),
      'exported 3 znodes under /app from prod/zk to stdout (1 ephemeral znode flagged, not in the checksum): 900 bytes in 1.0s, 3/s, checksum ffffffffffffffff\n',
    );
    assert.equal(
      renderExport({
        ensemble: 'zk',
        namespace: 'prod',
        root: '/',
        method: 'snapshot',
        member: 'zk-1',
        lastZxid: '0x10000002a',
        znodes: 3,
        ephemeral: 0,
        vanished: 0,
        bytes: 900,
        checksum: 'f'.repeat(64),
        output: 'a.jsonl',
        durationMs: 1000,
      }),
      'exported 3 znodes under / from prod/zk (from the snapshot of zk-1 at zxid 0x10000002a) to a.jsonl: 900 bytes in 1.0s, 3/s, checksum ffffffffffffffff\n',
    );
    assert.equal(
      renderExport({
        ensemble: 'zk',
        namespace: 'prod',
        root: '/',
        method: 'reads',
        snapshotUnavailable: 'ZooKeeper 3.8.7 has no snapshot command',
        znodes: 3,
        ephemeral: 0,
        vanished: 0,
        bytes: 900,
        checksum: 'f'.repeat(64),
        output: '-',
        durationMs: 1000,
      }),
      'exported 3 znodes under / from prod/zk (read znode by znode: ZooKeeper 3.8.7 has no snapshot command) to stdout: 900 bytes in 1.0s, 3/s, checksum ffffffffffffffff\n',
    );
    assert.equal(
      renderImport({ensemble: 'zk2', namespace: 'prod', from: '/app', to: '/copy', created: 2, overwritten: 0, skippedEphemeral: 1, checksum: '', durationMs: 2000}),
      'imported /app → /copy into prod/zk2: 2 created, 1 ephemeral znode skipped in 2.0s, 1/s\n',
    );
  });

  it('restore: verified members counted', () => {
    const line = renderRestore({
      name: 'zk2',
      namespace: 'prod',
      from: 'zk.snap',
      created: true,
      replicas: 3,
      backup: {ensemble: 'zk', lastZxid: '0x2a', sha256: '', size: 1, znodes: 10, ephemeral: 0, checksum: 'a'.repeat(64)},
      verified: [
        {where: 'zk2-0', znodes: 10, checksum: '', ok: true},
        {where: 'zk2-1', znodes: 10, checksum: '', ok: true},
        {where: 'zk2-2', znodes: 10, checksum: '', ok: true},
      ],
      durationMs: 60_000,
    });
    assert.equal(line, 'restored zk.snap of "zk" at zxid 0x2a into new ensemble prod/zk2 (3 members): 10 znodes, checksum aaaaaaaaaaaaaaaa… verified on 3/3 members in 60.0s\n');
  });
});
