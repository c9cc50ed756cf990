/**
 * export's snapshot source: the member with the highest zxid streams its
 * snapshot (3.9's AdminServer, as the super user, as backup does), which
 * holds every znode with its data, ACL and stat. When the member cannot give
 * one (3.8, the command disabled, the credentials refused, rate-limited) the
 * error is SnapshotUnavailable and `export --method auto` reads the tree
 * instead.
 */
import {errorMessage} from '../errors.js';
import {adminError, hasSnapshotCommand, openSnapshot, snapshotMember, type BackupDeps} from './backup.js';
import {SnapshotUnavailable, type ExportSnapshot} from './transfer.js';

export type ExportSnapshotDeps = Pick<BackupDeps, 'members' | 'clientEndpoint' | 'adminEndpoint' | 'superAuth' | 'clock' | 'sleep' | 'signal' | 'retries'>;

export async function openExportSnapshot(ensemble: string, deps: ExportSnapshotDeps): Promise<ExportSnapshot> {
  const {pod, srvr, auth: authing} = await snapshotMember(deps);
  const version = srvr.versionNumber ?? srvr.version;
  if (!hasSnapshotCommand(srvr.versionNumber)) throw new SnapshotUnavailable(`ZooKeeper ${version} has no snapshot command`);
  const [auth, ep] = await Promise.all([authing, deps.adminEndpoint(pod)]);
  try {
    const s = await openSnapshot(ep, auth, {...deps, retries: deps.retries ?? 2});
    return {body: s.body, lastZxid: s.lastZxid, member: pod, server: srvr.version};
  } catch (e) {
    if (deps.signal?.aborted) throw e;
    throw new SnapshotUnavailable(errorMessage(adminError(e, {ensemble, pod, version, command: 'snapshot'})), {cause: e});
  }
}
