/**
 * The pieces of `kubectl zk restore` that do not depend on Kubernetes:
 * checking a backup file before anything is made, restoring it on one
 * member's AdminServer and making that durable, and verifying a restored
 * tree against the backup.
 */
import {PassThrough} from 'node:stream';
import {createReadStream} from 'node:fs';
import {open, readFile} from 'node:fs/promises';
import {createHash} from 'node:crypto';
import {CliError, UsageError, errorMessage} from '../errors.js';
import {checkReadable} from '../util/line-input.js';
import type {Clock, Sleep} from '../util/time.js';
import {postRestore} from '../zk/admin-stream.js';
import type {ZkClient} from '../zk/client.js';
import type {Endpoint} from '../zk/endpoint.js';
import {hasSnapshotMagic, readSnapshot} from '../zk/snapshot.js';
import {isSystemPath, znodeKind} from '../zk/tree.js';
import type {AuthInfo} from '../zk/wire.js';
import {BACKUP_FORMAT, adminError, copySnapshot, manifestPath, openSnapshot, type StoredManifest} from './backup.js';
import {TreeChecksum} from './treefile.js';
import {treeChecksum} from './transfer.js';

export interface CheckedBackup {
  file: string;
  size: number;
  sha256: string;
  /** persistent znodes outside /zookeeper, read from the file */
  znodes: number;
  ephemeral: number;
  checksum: string;
  /** FILE.json, when it is beside the file */
  manifest?: StoredManifest;
}

/** Readable, and starts with the snapshot magic: the checks that need no parse (usage errors). */
export async function checkSnapshotHead(file: string): Promise<void> {
  await checkReadable(file, '--from');
  const head = Buffer.alloc(4);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (!hasSnapshotMagic(head)) {
    const text = head.toString('latin1');
    throw new UsageError(
      `${file} is not a ZooKeeper snapshot (it does not start with ZKSN)`,
      text.startsWith('{') ? 'an export file (JSON lines)? load it with kubectl zk import' : 'pass a file made by kubectl zk backup',
    );
  }
}

/**
 * Everything about a backup file that can be refused before anything is
 * made: missing or unreadable, not a ZooKeeper snapshot (no ZKSN magic), a
 * sha256 or size that differs from its manifest (corrupted, truncated), a
 * snapshot that does not read to its end.
 */
export async function checkBackupFile(file: string): Promise<CheckedBackup> {
  await checkSnapshotHead(file);
  let manifest: StoredManifest | undefined;
  try {
    manifest = JSON.parse(await readFile(manifestPath(file), 'utf8')) as StoredManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`cannot read the manifest ${manifestPath(file)}: ${errorMessage(e)}`);
  }
  if (manifest && manifest.format !== BACKUP_FORMAT) throw new UsageError(`${manifestPath(file)} is not a kubectl zk backup manifest`);
  const hash = createHash('sha256');
  const sum = new TreeChecksum();
  let ephemeral = 0;
  let size = 0;
  const chunks = createReadStream(file);
  chunks.on('data', (c) => {
    hash.update(c);
    size += c.length;
  });
  try {
    await readSnapshot(chunks, (n) => {
      if (isSystemPath(n.path)) return;
      if (znodeKind(n.ephemeralOwner) === 'ephemeral') ephemeral++;
      else sum.add(n.path, n.data, n.acl);
    });
  } catch (e) {
    throw new CliError(`${file} is damaged: ${errorMessage(e)}`, {hint: 'nothing was made; restore from another backup'});
  }
  const sha256 = hash.digest('hex');
  if (manifest && (manifest.sha256 !== sha256 || manifest.size !== size)) {
    throw new CliError(
      `${file} does not match its manifest: sha256 ${sha256.slice(0, 16)}…, ${size} bytes; the manifest says ${String(manifest.sha256).slice(0, 16)}…, ${manifest.size} bytes (corrupted or truncated)`,
      {
        hint: 'nothing was made; restore from another backup',
      },
    );
  }
  // version 1 manifests carry the tree checksum too
  if (manifest && ((manifest.checksum !== undefined && manifest.checksum !== sum.hex) || manifest.znodes !== sum.count)) {
    const said = `${manifest.znodes} znodes${manifest.checksum === undefined ? '' : `, checksum ${String(manifest.checksum).slice(0, 16)}…`}`;
    throw new CliError(`${file}: the tree in the file differs from its manifest (${sum.count} znodes, checksum ${sum.hex.slice(0, 16)}…; the manifest says ${said})`, {hint: 'nothing was made'});
  }
  return {file, size, sha256, znodes: sum.count, ephemeral, checksum: sum.hex, manifest};
}

export interface RestoreOnMemberDeps {
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
}

/**
 * POSTs the snapshot to one member's /commands/restore, then takes a
 * snapshot at once: a restore alone is not durable (transactions after the
 * restored zxid stay in the log and a restart replays them).
 */
export async function restoreOnMember(
  ep: Endpoint,
  backup: Pick<CheckedBackup, 'file' | 'size'>,
  auth: AuthInfo,
  o: {ensemble: string; pod: string; version: string},
  deps: RestoreOnMemberDeps,
): Promise<{lastZxid: string | undefined; snapshotZxid: string | undefined}> {
  let answer;
  try {
    answer = await postRestore(ep, createReadStream(backup.file), {auth, size: backup.size, signal: deps.signal});
  } catch (e) {
    throw adminError(e, {...o, command: 'restore'});
  }
  let snapshotZxid: string | undefined;
  try {
    const snap = await openSnapshot(ep, auth, deps);
    snapshotZxid = snap.lastZxid;
    const sink = new PassThrough();
    sink.resume();
    await copySnapshot(snap.body, sink, {end: true, signal: deps.signal});
  } catch (e) {
    throw new CliError(`restored on ${o.pod}, but the snapshot that makes it durable failed: ${errorMessage(adminError(e, {...o, command: 'snapshot'}))}`, {
      hint: `do not restart ${o.pod} before a snapshot is taken (a restart would replay the transaction log over the restored tree): run kubectl zk backup ${o.ensemble} -f /dev/null --force`,
      cause: e,
    });
  }
  return {lastZxid: answer.lastZxid, snapshotZxid};
}

export interface TreeCheck {
  /** what was read */
  where: string;
  znodes: number;
  checksum: string;
  ok: boolean;
}

/** The restored tree (everything but /zookeeper and ephemeral znodes) against the backup's count and checksum. */
export async function verifyTree(client: ZkClient, expected: Pick<CheckedBackup, 'znodes' | 'checksum'>, where: string, signal?: AbortSignal): Promise<TreeCheck> {
  const got = await treeChecksum(client, '/', {signal});
  return {where, znodes: got.znodes, checksum: got.checksum, ok: got.znodes === expected.znodes && got.checksum === expected.checksum};
}
