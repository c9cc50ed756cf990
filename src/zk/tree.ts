/**
 * Walking and writing whole subtrees with many requests in flight on one
 * session. ZooKeeper answers a session's requests in the order it sent them,
 * so pipelining keeps per-session order: a parent's create sent before its
 * child's is applied first, and the walk never waits one round trip per
 * znode. Memory stays bounded by the window (and by the widest child list
 * the server sends), not by the size of the tree.
 */
import {ZkError, isZkError} from './errors.js';
import type {Acl, ZkClient, ZnodeStat} from './client.js';
import {joinPath} from './paths.js';

export interface TreeNode {
  path: string;
  data: Buffer;
  stat: ZnodeStat;
  acl: Acl[];
}

/** What kind of znode the ephemeralOwner field encodes (ZooKeeper's EphemeralType). */
export type ZnodeKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

const CONTAINER_OWNER = -0x8000000000000000n; // Long.MIN_VALUE
const TTL_MASK = 0xff00000000000000n;

export function znodeKind(ephemeralOwner: bigint): ZnodeKind {
  if (ephemeralOwner === 0n) return 'persistent';
  const signed = BigInt.asIntN(64, ephemeralOwner);
  if (signed === CONTAINER_OWNER) return 'container';
  if ((BigInt.asUintN(64, ephemeralOwner) & TTL_MASK) === TTL_MASK) return 'ttl';
  return 'ephemeral';
}

/** True for ZooKeeper's own znodes (/zookeeper and below): never exported, imported or compared. */
export function isSystemPath(path: string): boolean {
  return path === '/zookeeper' || path.startsWith('/zookeeper/');
}

/** The abort reason (Ctrl-C), as an Error. */
function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('interrupted');
}

export interface WalkOptions {
  /**
   * Znodes read at once (each is a getData and a getACL, and getChildren when it has children).
   * Default 256, 512 with a batching reader (its reads take two round trips: the ACL, then the rest).
   */
  window?: number;
  /** Subtrees not to read (default: ZooKeeper's own /zookeeper). */
  skip?: (path: string) => boolean;
  signal?: AbortSignal;
}

export interface WalkResult {
  /** znodes handed to onNode */
  visited: number;
  /** znodes listed by their parent but gone by the time they were read */
  vanished: number;
}

type Reader = Pick<ZkClient, 'get' | 'getAcl' | 'ls'> & {
  /** zk/reader.ts's TreeReader: get and ls of a tick go out as one request, sized by the hints */
  readonly batched?: boolean;
  get(path: string, sizeHint?: number): Promise<{data: Buffer; stat: ZnodeStat}>;
  ls(path: string, sizeHint?: number): Promise<string[]>;
};

/**
 * A znode's data, stat and ACL, and its children's names when it has any
 * (undefined: none, or gone by then). A batching reader is asked for the ACL
 * first: its stat gives the data's size and the number of children, which
 * bound the batched answers, and the children are read along with the data.
 * Otherwise data and ACL are read together, the children after.
 */
async function readNode(client: Reader, path: string): Promise<{node: TreeNode; children: () => Promise<string[] | undefined>}> {
  const listed = (p: Promise<string[]>) => () =>
    p.catch((e: unknown) => {
      if (isZkError(e, 'NoNode')) return undefined;
      throw e;
    });
  if (client.batched) {
    const {acl, stat: aStat} = await client.getAcl(path);
    const kids = aStat.numChildren > 0 ? client.ls(path, aStat.numChildren) : undefined;
    kids?.catch(() => undefined); // awaited (or dropped with the walk) below
    const {data, stat} = await client.get(path, aStat.dataLength);
    return {node: {path, data, stat, acl}, children: kids ? listed(kids) : async () => undefined};
  }
  const [{data, stat}, {acl}] = await Promise.all([client.get(path), client.getAcl(path)]);
  return {node: {path, data, stat, acl}, children: async () => (stat.numChildren === 0 ? undefined : listed(client.ls(path))())};
}

/**
 * Reads the subtree at `root` and hands every znode to `onNode`, a parent
 * always before its children (the order among siblings and cousins is not
 * fixed). `onNode` may return a promise (backpressure: the walk waits for
 * it before reading that node's children). A znode deleted while the walk
 * runs is skipped; the root missing is NoNode.
 */
export function walkTree(client: Reader, root: string, onNode: (n: TreeNode) => void | Promise<void>, opts: WalkOptions = {}): Promise<WalkResult> {
  const window = Math.max(1, opts.window ?? (client.batched ? 512 : 256));
  const skip = opts.skip ?? isSystemPath;
  const stack: string[] = [root];
  let active = 0;
  let visited = 0;
  let vanished = 0;
  let emitting: Promise<void> = Promise.resolve();
  return new Promise<WalkResult>((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    const visit = async (path: string): Promise<void> => {
      let read: Awaited<ReturnType<typeof readNode>>;
      try {
        read = await readNode(client, path);
      } catch (e) {
        if (isZkError(e, 'NoNode') && path !== root) {
          vanished++;
          return;
        }
        throw e;
      }
      const {node} = read;
      // one emission at a time, in the order the reads completed: a parent is emitted before
      // its children are pushed
      const emitted = emitting.then(() => {
        if (failed) return;
        visited++;
        return onNode(node);
      });
      emitting = emitted.catch(() => undefined);
      await emitted;
      const children = await read.children();
      if (!children) return;
      // reverse so that pop() takes them in sorted order
      for (let i = children.length - 1; i >= 0; i--) {
        const p = joinPath(path, children[i]!);
        if (!skip(p)) stack.push(p);
      }
    };
    const pump = () => {
      if (failed) return;
      if (opts.signal?.aborted) {
        fail(aborted(opts.signal));
        return;
      }
      while (active < window && stack.length > 0) {
        const p = stack.pop()!;
        active++;
        visit(p).then(() => {
          active--;
          pump();
        }, fail);
      }
      if (active === 0 && stack.length === 0) resolve({visited, vanished});
    };
    if (skip(root)) {
      resolve({visited: 0, vanished: 0});
      return;
    }
    pump();
  });
}

export interface WriteOp {
  path: string;
  data: Buffer;
  acl: readonly Acl[];
  /** when the znode exists, set its data and ACL instead of failing with NodeExists */
  overwrite?: boolean;
}

/**
 * Applies creates with up to `window` in flight on one session, in the
 * order given: ZooKeeper applies a session's requests in order, so a parent
 * listed before its child is there when the child's create arrives. With
 * `overwrite`, a create refused with NodeExists becomes setData + setACL.
 * Stops at the first failure (the requests already sent may still apply).
 */
export async function applyWrites(
  client: Pick<ZkClient, 'create' | 'set' | 'setAcl'>,
  ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
  opts: {window?: number; signal?: AbortSignal; onApplied?: (op: WriteOp, how: 'created' | 'overwritten') => void} = {},
): Promise<number> {
  const window = Math.max(1, opts.window ?? 256);
  const inFlight = new Set<Promise<void>>();
  let applied = 0;
  let error: unknown;
  const one = async (op: WriteOp) => {
    let how: 'created' | 'overwritten' = 'created';
    try {
      if (op.path === '/') throw new ZkError('NodeExists', 'the root always exists', {path: op.path});
      await client.create(op.path, op.data, {acl: op.acl});
    } catch (e) {
      if (!op.overwrite || !isZkError(e, 'NodeExists')) throw e;
      await Promise.all([client.set(op.path, op.data), client.setAcl(op.path, op.acl)]);
      how = 'overwritten';
    }
    applied++;
    opts.onApplied?.(op, how);
  };
  for await (const op of ops) {
    if (error !== undefined) break;
    if (opts.signal?.aborted) {
      error = aborted(opts.signal);
      break;
    }
    const p: Promise<void> = one(op).then(
      () => {
        inFlight.delete(p);
      },
      (e: unknown) => {
        inFlight.delete(p);
        error ??= e;
      },
    );
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (error !== undefined) throw error;
  return applied;
}
