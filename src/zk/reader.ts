/**
 * A read-only session for whole-tree walks (export, checksums) over the
 * project's own wire client (wire.ts) instead of node-zookeeper-client: the
 * walk keeps hundreds of getData/getACL/getChildren requests in flight on one
 * connection, and this client sends a tick's requests in one write and decodes
 * the answers without per-request callbacks through a library's queue. One
 * connection, no reconnects: a dropped connection fails the walk with
 * ConnectionLoss (a walk is re-run, not resumed).
 */
import {fromJuteStat, type Acl, type ZnodeStat} from './client.js';
import type {Endpoint} from './endpoint.js';
import {NativeSession, type AuthInfo} from './wire.js';

/** What walkTree needs (the same shapes as ZkClient's get, getAcl, ls), plus close. */
export interface TreeReader {
  readonly sessionId: string | undefined;
  get(path: string): Promise<{data: Buffer; stat: ZnodeStat}>;
  getAcl(path: string): Promise<{acl: Acl[]; stat: ZnodeStat}>;
  /** sorted, as ZkClient.ls */
  ls(path: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface TreeReaderOptions {
  endpoints: readonly Endpoint[];
  auth?: readonly AuthInfo[];
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Each request's limit. Default 30000 ms. */
  requestTimeoutMs?: number;
}

class NativeTreeReader implements TreeReader {
  constructor(private readonly s: NativeSession) {}

  get sessionId(): string {
    return this.s.sessionIdHex;
  }

  async get(path: string): Promise<{data: Buffer; stat: ZnodeStat}> {
    const {data, stat} = await this.s.getData(path);
    return {data, stat: fromJuteStat(stat)};
  }

  async getAcl(path: string): Promise<{acl: Acl[]; stat: ZnodeStat}> {
    const {acl, stat} = await this.s.getAcl(path);
    return {acl, stat: fromJuteStat(stat)};
  }

  async ls(path: string): Promise<string[]> {
    return (await this.s.getChildren(path)).sort();
  }

  close(): Promise<void> {
    return this.s.close();
  }
}

/** Opens a session on the first endpoint that answers (in the given order). */
export async function openTreeReader(o: TreeReaderOptions): Promise<TreeReader> {
  const s = await NativeSession.connect(o.endpoints, {
    auth: o.auth,
    sessionTimeoutMs: o.sessionTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
  });
  return new NativeTreeReader(s);
}
