/**
 * The ACLs kubectl-zk keeps on ZooKeeper's own znodes, so that a client with
 * no credentials, or with made-up ones, gets nothing that needs ADMIN.
 *
 * Why this matters: ZooKeeper creates `/` with world:anyone:cdrwa. Any digest
 * identity (even `digest anyone:whatever`, never checked against anything)
 * matches world:anyone, and the 3.9 AdminServer's `snapshot` and `restore`
 * commands ask for ALL on `/`: with the default ACL anyone who reaches the
 * AdminServer can stream or replace the database, and any client can
 * `setAcl /` to lock everyone else out.
 *
 * The choice (README, "Security model"):
 * - `/`: world:anyone:cdrw. Applications still create, read, change and
 *   delete their own top-level znodes (with ACLs of their own choosing);
 *   nobody but the super user may change the ACL of `/`, snapshot or restore.
 * - `/zookeeper`: world:anyone:r. Its children are ZooKeeper's (config,
 *   quota); nobody but the super user may change its ACL.
 * - `/zookeeper/quota`: world:anyone:cdrw, as today without the ADMIN bit:
 *   setquota keeps working for applications.
 * - `/zookeeper/config` is left alone: ZooKeeper makes it world:anyone:r and
 *   only the super user may reconfigure.
 * The super user passes every ACL check, so kubectl-zk's own commands need no
 * entry here.
 */
import type {Acl, ZkClient} from '../zk/client.js';
import {permsToBits} from '../zk/client.js';

export interface SystemAcl {
  path: string;
  acl: readonly Acl[];
}

export const SYSTEM_ACLS: readonly SystemAcl[] = Object.freeze([
  {path: '/', acl: [{perms: 'cdrw', scheme: 'world', id: 'anyone'}]},
  {path: '/zookeeper', acl: [{perms: 'r', scheme: 'world', id: 'anyone'}]},
  {path: '/zookeeper/quota', acl: [{perms: 'cdrw', scheme: 'world', id: 'anyone'}]},
]);

const ADMIN = 16;

/** "cdrwa"-style letters of a permission mask, in zkCli's order. */
export function permLetters(perms: number | string): string {
  const bits = permsToBits(perms);
  return [
    ['c', 4],
    ['d', 8],
    ['r', 1],
    ['w', 2],
    ['a', 16],
  ]
    .filter(([, b]) => bits & (b as number))
    .map(([l]) => l)
    .join('');
}

/** `scheme:id:perms` entries, sorted: two ACLs are the same when these are. */
export function aclKey(acl: readonly Acl[]): string {
  return acl
    .map((a) => `${a.scheme}:${a.id}:${permLetters(a.perms)}`)
    .sort()
    .join(',');
}

/** Does this ACL let a client with no or made-up credentials administer the znode? */
export function grantsAnyoneAdmin(acl: readonly Acl[]): boolean {
  return acl.some((a) => a.scheme === 'world' && a.id === 'anyone' && (permsToBits(a.perms) & ADMIN) !== 0);
}

export interface AclChange {
  path: string;
  before: string;
  after: string;
}

/** The system znodes whose live ACL is not what kubectl-zk keeps. */
export async function systemAclDrift(client: ZkClient, wanted: readonly SystemAcl[] = SYSTEM_ACLS): Promise<AclChange[]> {
  const drift: AclChange[] = [];
  for (const {path, acl} of wanted) {
    const before = aclKey((await client.getAcl(path)).acl);
    const after = aclKey(acl);
    if (before !== after) drift.push({path, before, after});
  }
  return drift;
}

/**
 * Sets SYSTEM_ACLS where the live ACL differs; returns what it changed
 * (empty when everything already was as wanted). The client must be the
 * super user's: only it may change an ACL that withholds ADMIN, and it
 * overrides whatever anyone else set (version -1).
 */
export async function enforceSystemAcls(client: ZkClient, wanted: readonly SystemAcl[] = SYSTEM_ACLS): Promise<AclChange[]> {
  const drift = await systemAclDrift(client, wanted);
  for (const d of drift) await client.setAcl(d.path, wanted.find((w) => w.path === d.path)!.acl, -1);
  return drift;
}
