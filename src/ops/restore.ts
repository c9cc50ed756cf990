/**
 * `kubectl zk restore NAME --from FILE`.
 *
 * Restore always runs on an ensemble of ONE member: a follower restored on
 * its own is overwritten by its leader, and restoring every member of a
 * running quorum consistently needs clients stopped and every member
 * replaced at the same zxid. So:
 *
 * - NAME does not exist: it is created with one member (the create op), the
 *   snapshot restored there, a snapshot taken at once (restore alone is not
 *   durable), the member restarted (that rewrites /zookeeper/config, which the
 *   restore brought from the backed-up ensemble, and proves the restored tree
 *   survives a restart), verified, then grown to --replicas with the scale op
 *   (reconfig: every new member syncs from the leader), every member verified.
 * - NAME exists with one member: the same from the restore on, after a
 *   confirmation when it holds data (--yes; no terminal and no --yes refuses).
 * - NAME exists with more members: refused, nothing changed (restore into a
 *   new ensemble, or scale this one to 1 first).
 *
 * Verification: count and checksum (path, data, ACL of every persistent
 * znode outside /zookeeper) equal to the ones read from the backup file
 * itself. Ephemeral znodes of the backup go once their restored sessions expire after the restart.
 */
import {AbortedError, CliError, errorMessage} from '../errors.js';
import type {Kube, StatefulSetObject} from '../kube/types.js';
import {poll} from '../util/poll.js';
import type {Clock, Sleep} from '../util/time.js';
import type {ZkClient} from '../zk/client.js';
import type {Endpoint} from '../zk/endpoint.js';
import type {AuthInfo} from '../zk/wire.js';
import {checkBackupFile, restoreOnMember, verifyTree, type CheckedBackup, type TreeCheck} from './restore-core.js';

export interface RestoreRequest {
  name: string;
  namespace: string;
  from: string;
  /** members after the restore */
  replicas: number;
}

export interface RestoreDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  /** rt.confirm */
  confirm: (question: string) => Promise<boolean>;
  /** progress lines (stderr) */
  note: (text: string) => void;
  /** the create op for NAME with one member (waits for it to serve, sets the system ACLs) */
  create: () => Promise<unknown>;
  /** the scale op for NAME to `replicas` voters */
  scale: (replicas: number) => Promise<unknown>;
  /** NAME's super user (its own Secret) */
  superAuth: () => Promise<AuthInfo>;
  adminEndpoint: (pod: string) => Promise<Endpoint>;
  /** a session as `auth`, to the whole ensemble or only to `pod` */
  connect: (auth: AuthInfo, pod?: string) => Promise<ZkClient>;
  /** deletes the pod and waits until the ensemble serves again */
  restartMember: (pod: string) => Promise<void>;
  /** the ZooKeeper version a member runs (srvr) */
  serverVersion: (pod: string) => Promise<string>;
}

export interface RestoreResult {
  name: string;
  namespace: string;
  from: string;
  created: boolean;
  replicas: number;
  backup: {ensemble?: string; lastZxid?: string; time?: string; sha256: string; size: number; znodes: number; ephemeral: number; checksum: string};
  restoredZxid?: string;
  /** per member: what was read back */
  verified: TreeCheck[];
  durationMs: number;
}

async function withSession<T>(deps: RestoreDeps, auth: AuthInfo, pod: string | undefined, fn: (c: ZkClient) => Promise<T>): Promise<T> {
  const c = await deps.connect(auth, pod);
  try {
    return await fn(c);
  } finally {
    await c.close().catch(() => undefined);
  }
}

async function verifyOn(deps: RestoreDeps, auth: AuthInfo, pod: string, checked: CheckedBackup): Promise<TreeCheck> {
  // a member that has just synced may still be applying: a few tries (1 s apart) before it counts as different
  let tries = 0;
  return poll<TreeCheck>(
    async () => {
      const check = await withSession(deps, auth, pod, (c) => verifyTree(c, checked, pod, deps.signal));
      return check.ok || ++tries >= 5 ? {ok: check} : {why: 'the tree differs'};
    },
    {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 1000, timeoutMs: Infinity},
  );
}

export async function restore(req: RestoreRequest, deps: RestoreDeps): Promise<RestoreResult> {
  const started = deps.clock.now();
  if (!Number.isInteger(req.replicas) || req.replicas < 1 || req.replicas > 255) throw new CliError(`--replicas must be between 1 and 255, got ${req.replicas}`);
  // everything about the file, before anything is made
  const checked = await checkBackupFile(req.from);
  const m = checked.manifest;
  if (!m) deps.note(`no manifest ${req.from}.json beside the file: checking against the snapshot's own content only`);
  const sts = await deps.kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: req.name});
  const pod = `${req.name}-0`;
  let created = false;
  if (sts) {
    const n = sts.spec?.replicas ?? 0;
    if (n !== 1) {
      throw new CliError(`ensemble "${req.name}" has ${n} members: restore runs on a one-member ensemble only (a follower restored on its own is overwritten by its leader)`, {
        hint: `restore into a new ensemble: kubectl zk restore NEWNAME --from ${req.from} --replicas ${n}; or, to replace this one's data, first kubectl zk scale ${req.name} --replicas 1`,
      });
    }
    const auth = await deps.superAuth();
    const holds = await withSession(deps, auth, undefined, (c) => verifyTree(c, checked, pod, deps.signal));
    if (holds.znodes > 1) {
      const ok = await deps.confirm(
        `ensemble "${req.name}" holds ${holds.znodes} znodes; replace ALL of them with the backup${m ? ` of "${m.ensemble}" at zxid ${m.lastZxid} (${m.time})` : ''}? Clients see the tree change under them, and their ephemeral znodes vanish`,
      );
      if (!ok) throw new AbortedError(`not restored: ensemble "${req.name}" is unchanged`);
    }
  } else {
    deps.note(`creating ensemble "${req.name}" with 1 member`);
    await deps.create();
    created = true;
  }
  try {
    return await restoreInto(req, deps, checked, pod, created, started);
  } catch (e) {
    if (!created || deps.signal?.aborted) throw e;
    // what was made for this restore stays, and the user is told how to remove or reuse it
    const inner = e instanceof CliError ? e : undefined;
    throw new CliError(errorMessage(e), {
      hint: inner?.hint ?? `ensemble "${req.name}" was created for this restore and is left as it is; remove it with: kubectl zk teardown ${req.name} --delete-data --yes`,
      details: [...(inner?.details ?? []), `ensemble "${req.name}" was created for this restore (kubectl zk teardown ${req.name} --delete-data --yes removes it)`],
      exitCode: inner?.exitCode,
      cause: e,
    });
  }
}

async function restoreInto(req: RestoreRequest, deps: RestoreDeps, checked: CheckedBackup, pod: string, created: boolean, started: number): Promise<RestoreResult> {
  const m = checked.manifest;
  const auth = await deps.superAuth();
  const version = await deps.serverVersion(pod);
  deps.note(`restoring ${checked.size} bytes on ${pod}`);
  const restored = await restoreOnMember(await deps.adminEndpoint(pod), checked, auth, {ensemble: req.name, pod, version}, deps);
  deps.note(`restarting ${pod} (the restored tree must survive a restart; it also renews /zookeeper/config)`);
  await deps.restartMember(pod);
  const verified: TreeCheck[] = [];
  const first = await verifyOn(deps, auth, pod, checked);
  verified.push(first);
  const mismatch = (v: TreeCheck) =>
    new CliError(`${v.where} holds ${v.znodes} znodes, checksum ${v.checksum.slice(0, 16)}…; the backup ${checked.znodes}, ${checked.checksum.slice(0, 16)}…`, {
      hint: `the restored tree differs from the backup; do not send clients to "${req.name}"`,
    });
  if (!first.ok) throw mismatch(first);
  if (req.replicas > 1) {
    deps.note(`growing "${req.name}" to ${req.replicas} members`);
    try {
      await deps.scale(req.replicas);
    } catch (e) {
      throw new CliError(`restored and verified on ${pod}, but growing to ${req.replicas} members failed: ${errorMessage(e)}`, {
        hint: `the data is in place; retry with: kubectl zk scale ${req.name} --replicas ${req.replicas}`,
        cause: e,
      });
    }
    for (let i = 1; i < req.replicas; i++) {
      const v = await verifyOn(deps, auth, `${req.name}-${i}`, checked);
      verified.push(v);
      if (!v.ok) throw mismatch(v);
    }
  }
  return {
    name: req.name,
    namespace: req.namespace,
    from: req.from,
    created,
    replicas: req.replicas,
    backup: {ensemble: m?.ensemble, lastZxid: m?.lastZxid, time: m?.time, sha256: checked.sha256, size: checked.size, znodes: checked.znodes, ephemeral: checked.ephemeral, checksum: checked.checksum},
    restoredZxid: restored.lastZxid ?? restored.snapshotZxid,
    verified,
    durationMs: deps.clock.now() - started,
  };
}
