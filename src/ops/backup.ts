/**
 * `kubectl zk backup`: a snapshot streamed from the member with the highest
 * zxid (3.9's AdminServer `snapshot` command, as the super user, through a
 * port-forward to the pod's loopback), written to FILE.partial and renamed
 * only when complete and readable, with a sidecar manifest FILE.json.
 *
 * While the bytes go to the file they are also hashed and read as a
 * snapshot (src/zk/snapshot.ts): a stream that is not a snapshot or is cut
 * short fails the backup, and the manifest records the sha256 and the znode
 * counts. The tree checksum (path, data, ACL: what restore verifies the
 * restored tree against) is not computed here: it is a SHA-256 per znode,
 * the largest part of the plugin's work per byte, and restore computes it
 * from the file it checks anyway (the sha256 ties the file to the backup).
 */
import {createHash} from 'node:crypto';
import {basename} from 'node:path';
import {Transform, type Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {CliError, errorMessage} from '../errors.js';
import {poll} from '../util/poll.js';
import type {Clock, Sleep} from '../util/time.js';
import {checkTarget, openAtomic, writeJsonAtomic} from '../util/atomic-file.js';
import {AdminCommandError, streamSnapshot, type SnapshotStream} from '../zk/admin-stream.js';
import type {Endpoint} from '../zk/endpoint.js';
import {fourLetterWord} from '../zk/fourletter.js';
import {parseSrvr, srvrComplete, type SrvrStats} from '../zk/parse.js';
import {SnapshotScanner} from '../zk/snapshot.js';
import {isSystemPath, znodeKind} from '../zk/tree.js';
import type {AuthInfo} from '../zk/wire.js';
import {PROBE_TIMEOUT_MS} from './ensemble/probe.js';

export const BACKUP_FORMAT = 'kubectl-zk/backup';

/** The sidecar FILE.json. */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  /** 2: no tree checksum (restore computes it from the file); version 1 manifests had one */
  version: 2;
  ensemble: string;
  namespace: string;
  /** the member the snapshot came from */
  member: string;
  /** srvr's version line of that member */
  serverVersion: string;
  /** the snapshot's last_zxid header */
  lastZxid: string;
  /** ISO 8601, when the transfer started */
  time: string;
  /** bytes of the snapshot file */
  size: number;
  sha256: string;
  /** the snapshot file's name, beside the manifest */
  snapshot: string;
  /** persistent znodes outside /zookeeper, from the snapshot itself */
  znodes: number;
  /** ephemeral znodes in the snapshot (they do not come back on restore) */
  ephemeral: number;
  /** srvr's "Node count" of the member just before the snapshot (every znode, ZooKeeper's own included) */
  memberNodeCount: number;
}

/** A manifest as restore reads it: version 1 also carried the tree checksum of the znodes counted. */
export type StoredManifest = Omit<BackupManifest, 'version'> & {version: 1 | 2; checksum?: string};

export interface BackupResult extends BackupManifest {
  /** the snapshot file, or "-" for stdout */
  file: string;
  /** the manifest file, absent with -f - */
  manifestFile?: string;
  durationMs: number;
  bytesPerSecond: number;
}

export interface BackupRequest {
  ensemble: string;
  namespace: string;
  /** a path, or "-" for stdout */
  file: string;
  force: boolean;
}

export interface BackupDeps {
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  /** the running member pods */
  members: () => Promise<string[]>;
  /** a member's client port (srvr) */
  clientEndpoint: (pod: string) => Promise<Endpoint>;
  /** a member's AdminServer */
  adminEndpoint: (pod: string) => Promise<Endpoint>;
  superAuth: () => Promise<AuthInfo>;
  /** where -f - writes */
  stdout: NodeJS.WritableStream;
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** how often a rate-limited (429) snapshot is retried; default 10, 500 ms apart */
  retries?: number;
}

export interface MemberZxid {
  pod: string;
  srvr?: SrvrStats;
  error?: string;
}

/** The member to take the snapshot from: the highest zxid among the serving ones, the leader on a tie. Pure. */
export function pickMember(members: MemberZxid[]): {pod: string; srvr: SrvrStats} {
  const serving = members.filter((m): m is {pod: string; srvr: SrvrStats} => m.srvr !== undefined);
  if (serving.length === 0) {
    throw new CliError(`no member answers srvr (${members.map((m) => `${m.pod}: ${m.error ?? 'not serving'}`).join('; ')})`, {hint: 'is the ensemble up? kubectl zk status NAME'});
  }
  const rank = (m: {srvr: SrvrStats}) => (m.srvr.mode === 'leader' || m.srvr.mode === 'standalone' ? 1 : 0);
  return [...serving].sort((a, b) => (a.srvr.zxid.value === b.srvr.zxid.value ? rank(b) - rank(a) : a.srvr.zxid.value > b.srvr.zxid.value ? -1 : 1))[0]!;
}

/** 3.9 and later have the snapshot command. */
export function hasSnapshotCommand(versionNumber: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(versionNumber ?? '');
  return Boolean(m && (Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 9)));
}

function noSnapshotCommand(ensemble: string, version: string): CliError {
  return new CliError(`ZooKeeper ${version} has no snapshot command (the AdminServer's snapshot and restore came in 3.9)`, {
    hint: `make a logical copy instead: kubectl zk export ${ensemble} -f ${ensemble}.jsonl (restore it with kubectl zk import)`,
  });
}

/** An AdminServer refusal as what the user can do about it. */
export function adminError(err: unknown, o: {ensemble: string; pod: string; version: string; command: 'snapshot' | 'restore'}): unknown {
  if (!(err instanceof AdminCommandError)) return err;
  if (err.unknownCommand) return noSnapshotCommand(o.ensemble, o.version);
  switch (err.status) {
    case 401:
    case 403:
      return new CliError(`the AdminServer of ${o.pod} refused the super user's credentials for ${o.command} (HTTP ${err.status})`, {
        hint: `the Secret ${o.ensemble}-auth must hold the password the members were started with; the identity needs ALL on /`,
        cause: err,
      });
    case 429:
      return new CliError(
        o.command === 'restore'
          ? `${o.pod} took a restore less than the rate-limit interval ago (HTTP 429): ZooKeeper allows one restore per admin.rateLimiterIntervalInMS, 5 minutes by default`
          : `${o.pod} is rate-limiting snapshots (HTTP 429)`,
        {hint: 'wait for the interval to pass and run the command again; nothing was changed by this attempt', cause: err},
      );
    case 503:
      return new CliError(`${o.command} is disabled on ${o.pod} (admin.${o.command}.enabled=false)`, {cause: err});
    default:
      return new CliError(`the AdminServer of ${o.pod} answered ${o.command} with HTTP ${err.status}${err.serverError ? `: ${err.serverError}` : ''}`, {cause: err});
  }
}

export async function askMembers(deps: Pick<BackupDeps, 'members' | 'clientEndpoint'>): Promise<MemberZxid[]> {
  const pods = await deps.members();
  return Promise.all(
    pods.map(async (pod): Promise<MemberZxid> => {
      try {
        // done once the reply is whole: through a port-forward the member's close comes ~1 s later
        const r = parseSrvr(await fourLetterWord(await deps.clientEndpoint(pod), 'srvr', {timeoutMs: PROBE_TIMEOUT_MS, complete: srvrComplete}));
        return r.status === 'ok' ? {pod, srvr: r} : {pod, error: r.status};
      } catch (e) {
        return {pod, error: errorMessage(e)};
      }
    }),
  );
}

/**
 * The member to take the snapshot from (pickMember over askMembers), with the super user's
 * credentials read meanwhile; with one member its AdminServer's forward starts during the probe too.
 */
export async function snapshotMember(deps: Pick<BackupDeps, 'members' | 'clientEndpoint' | 'adminEndpoint' | 'superAuth'>): Promise<{pod: string; srvr: SrvrStats; auth: Promise<AuthInfo>}> {
  const auth = deps.superAuth();
  auth.catch(() => undefined); // awaited by the caller once a member is picked
  const pods = await deps.members();
  if (pods.length === 1) deps.adminEndpoint(pods[0]!).catch(() => undefined); // the caller asks for it again (a forwarder per pod)
  return {...pickMember(await askMembers({...deps, members: async () => pods})), auth};
}

/** Starts the snapshot, retrying the rate limiter's 429 (snapshot's window is short). */
export async function openSnapshot(ep: Endpoint, auth: AuthInfo, deps: Pick<BackupDeps, 'clock' | 'sleep' | 'signal' | 'retries'>): Promise<SnapshotStream> {
  const retries = deps.retries ?? 10;
  let attempt = 0;
  return poll<SnapshotStream>(
    async () => {
      try {
        return {ok: await streamSnapshot(ep, {auth, signal: deps.signal})};
      } catch (e) {
        if (!(e instanceof AdminCommandError) || e.status !== 429 || attempt++ >= retries) throw e;
        return {why: 'rate-limited (HTTP 429)'};
      }
    },
    {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 500, timeoutMs: Infinity},
  );
}

export interface SnapshotDigest {
  size: number;
  sha256: string;
  znodes: number;
  ephemeral: number;
}

/** pipeline(body, tap) with tap's output piped into `out`, which stays open (stdout, or a file committed after); fails when `out` does (a full disk). */
async function copyInto(body: NodeJS.ReadableStream, tap: Transform, out: NodeJS.WritableStream, signal: AbortSignal | undefined): Promise<void> {
  let outFailed!: (e: Error) => void;
  const failed = new Promise<never>((_resolve, reject) => (outFailed = reject));
  out.once('error', outFailed);
  const piped = pipeline(body, tap, {signal});
  tap.pipe(out as NodeJS.WritableStream, {end: false});
  const ended = piped.then(() => (tap.readableEnded ? undefined : new Promise<void>((resolve) => tap.once('end', () => resolve()))));
  ended.catch(() => undefined); // raced below
  try {
    await Promise.race([ended, failed]);
  } catch (e) {
    // stop the transfer; no error given to destroy (nothing would listen for it any more)
    tap.unpipe(out as NodeJS.WritableStream);
    (body as Partial<Readable>).destroy?.();
    tap.destroy();
    throw e;
  } finally {
    out.off('error', outFailed);
  }
}

/**
 * Sends a snapshot stream to `out` while hashing it and reading it as a
 * snapshot (synchronously, chunk by chunk, as it passes); rejects when the
 * stream breaks or is not a whole snapshot.
 */
export async function copySnapshot(body: NodeJS.ReadableStream, out: NodeJS.WritableStream, opts: {end: boolean; signal?: AbortSignal; onBytes?: (n: number) => void}): Promise<SnapshotDigest> {
  const hash = createHash('sha256');
  let znodes = 0;
  let ephemeral = 0;
  let size = 0;
  const scan = new SnapshotScanner((n) => {
    if (isSystemPath(n.path)) return;
    if (znodeKind(n.ephemeralOwner) === 'ephemeral') ephemeral++;
    else znodes++;
  });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        scan.push(chunk); // a stream that is not a snapshot stops the transfer at once
      } catch (e) {
        cb(e as Error);
        return;
      }
      hash.update(chunk);
      size += chunk.length;
      opts.onBytes?.(size);
      cb(null, chunk);
    },
    flush(cb) {
      try {
        scan.end();
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  if (opts.end) await pipeline(body, tap, out, {signal: opts.signal});
  else await copyInto(body, tap, out, opts.signal);
  return {size, sha256: hash.digest('hex'), znodes, ephemeral};
}

export function manifestPath(file: string): string {
  return `${file}.json`;
}

export async function backup(req: BackupRequest, deps: BackupDeps): Promise<BackupResult> {
  const toStdout = req.file === '-';
  if (!toStdout) {
    await checkTarget(req.file, req.force);
    await checkTarget(manifestPath(req.file), req.force);
  }
  const {pod, srvr, auth: authing} = await snapshotMember(deps);
  const version = srvr.versionNumber ?? srvr.version;
  if (!hasSnapshotCommand(srvr.versionNumber)) throw noSnapshotCommand(req.ensemble, version);
  const [auth, ep] = await Promise.all([authing, deps.adminEndpoint(pod)]);
  const started = deps.clock.now();
  const time = new Date(started).toISOString();
  let snap: SnapshotStream;
  try {
    snap = await openSnapshot(ep, auth, deps);
  } catch (e) {
    throw adminError(e, {ensemble: req.ensemble, pod, version, command: 'snapshot'});
  }
  const onBytes = (n: number) => deps.onProgress?.(n, snap.size);
  let digest: SnapshotDigest;
  let file: Awaited<ReturnType<typeof openAtomic>> | undefined;
  try {
    if (toStdout) {
      digest = await copySnapshot(snap.body, deps.stdout, {end: false, signal: deps.signal, onBytes});
    } else {
      file = await openAtomic(req.file, {force: req.force});
      digest = await copySnapshot(snap.body, file.stream, {end: false, signal: deps.signal, onBytes});
      if (snap.size !== undefined && snap.size !== digest.size) throw new CliError(`the snapshot stream ended after ${digest.size} of ${snap.size} bytes`);
    }
  } catch (e) {
    snap.body.destroy();
    await file?.abort();
    if (deps.signal?.aborted) throw e;
    throw new CliError(`backup failed while streaming from ${pod}: ${errorMessage(e)}`, {hint: toStdout ? 'what was written to stdout is incomplete' : `nothing was left under ${req.file}`, cause: e});
  }
  const durationMs = Math.max(1, deps.clock.now() - started);
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: 2,
    ensemble: req.ensemble,
    namespace: req.namespace,
    member: pod,
    serverVersion: srvr.version,
    lastZxid: snap.lastZxid ?? 'unknown',
    time,
    size: digest.size,
    sha256: digest.sha256,
    snapshot: toStdout ? '-' : basename(req.file),
    znodes: digest.znodes,
    ephemeral: digest.ephemeral,
    memberNodeCount: srvr.nodeCount,
  };
  let manifestFile: string | undefined;
  if (file) {
    try {
      await file.commit();
      manifestFile = manifestPath(req.file);
      await writeJsonAtomic(manifestFile, manifest);
    } catch (e) {
      await file.abort();
      throw new CliError(`cannot write the backup: ${errorMessage(e)}`, {cause: e});
    }
  }
  return {...manifest, file: req.file, manifestFile, durationMs, bytesPerSecond: Math.round((digest.size * 1000) / durationMs)};
}

/** BackupDeps over Kubernetes: the member pods, port-forwards to 2181 and 8080, the super password from NAME-auth. */
export async function forwardedMemberDeps(
  kube: import('../kube/types.js').Kube,
  namespace: string,
  ensemble: string,
): Promise<Pick<BackupDeps, 'members' | 'clientEndpoint' | 'adminEndpoint' | 'superAuth'> & {close: () => Promise<void>}> {
  const [{MemberForwarders}, {resolveEnsemble, superAuth}, {listMemberPods}, {PORTS}] = await Promise.all([
    import('./members.js'),
    import('./znode.js'),
    import('./wait.js'),
    import('../manifests/names.js'),
  ]);
  await resolveEnsemble(kube, namespace, ensemble);
  const client = new MemberForwarders(kube, PORTS.client);
  // the snapshot is the bulk of the bytes: its forward is a bulk one (kubectl port-forward when there is one)
  const admin = new Map<string, Promise<import('../kube/types.js').Forwarder>>();
  const adminEndpoint = (pod: string) => {
    let f = admin.get(pod);
    if (!f) {
      f = kube.portForward(namespace, pod, PORTS.admin, {bulk: true});
      f.catch(() => admin.delete(pod));
      admin.set(pod, f);
    }
    return f;
  };
  return {
    members: async () => (await listMemberPods(kube, namespace, ensemble)).filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running').map((p) => p.metadata.name),
    clientEndpoint: (pod) => client.endpoint(namespace, pod),
    adminEndpoint,
    superAuth: () => superAuth(kube, namespace, ensemble),
    close: async () => {
      const forwards = await Promise.allSettled([...admin.values()]);
      await Promise.all([client.close(), ...forwards.map((f) => (f.status === 'fulfilled' ? f.value.close() : undefined))]);
    },
  };
}
