/**
 * A minimal native ZooKeeper session over the client protocol (jute over
 * TCP): handshake, auth, getData, getACL, getChildren, multiRead, sync,
 * reconfig, ping, close. It exists
 * because node-zookeeper-client has no reconfig call; it is also a small
 * second client for reading /zookeeper/config. One TCP connection, no
 * reconnects: when the connection drops, pending requests fail with
 * ConnectionLoss and the session is unusable (open a new one).
 */
import {EventEmitter} from 'node:events';
import {Socket} from 'node:net';
import {ZkError} from './errors.js';
import {formatEndpoint, type Endpoint} from './endpoint.js';
import {validatePath} from './paths.js';
import {
  FrameDecoder,
  JuteReader,
  Xid,
  decodeChildren,
  decodeConnectResponse,
  decodeGetACLResponse,
  decodeGetDataResponse,
  decodeMultiReadResponse,
  decodeReplyHeader,
  encodeAuth,
  encodeCloseSession,
  encodeNewSession,
  encodeGetACL,
  encodeGetChildren,
  encodeGetData,
  encodeMultiRead,
  encodePing,
  encodeReconfig,
  encodeSync,
  type GetDataResponse,
  type JuteAcl,
  type ReadOp,
  type ReadResult,
  type ReconfigRequest,
  type Stat,
} from './jute.js';

export interface AuthInfo {
  scheme: string;
  /** For "digest": "user:password". */
  auth: Buffer | string;
}

/** `addauth <scheme> <auth>` as a packet. */
export function encodeAuthInfo(a: AuthInfo): Buffer {
  return encodeAuth({type: 0, scheme: a.scheme, auth: typeof a.auth === 'string' ? Buffer.from(a.auth, 'utf8') : a.auth});
}

/** A client socket's error as a ZkError: refused, or the connection lost. */
export function socketError(e: NodeJS.ErrnoException): ZkError {
  return new ZkError(e.code === 'ECONNREFUSED' ? 'ConnectionRefused' : 'ConnectionLoss', e.code ?? e.message, {cause: e});
}

export interface NativeSessionOptions {
  /** Requested session timeout (the server clamps it to min/maxSessionTimeout). Default 10000. */
  sessionTimeoutMs?: number;
  /** Per endpoint: TCP connect + handshake. Default 3000. */
  connectTimeoutMs?: number;
  /** Default per-request timeout. Default 10000. */
  requestTimeoutMs?: number;
  auth?: readonly AuthInfo[];
  /** Accept a read-only server. Default false. */
  canBeReadOnly?: boolean;
}

interface Pending {
  xid: number;
  path: string | undefined;
  resolve: (body: JuteReader) => void;
  reject: (e: ZkError) => void;
  timer: NodeJS.Timeout | undefined;
}

export class NativeSession extends EventEmitter<{close: [ZkError | undefined]}> {
  private nextXid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly authWaiters: {resolve: () => void; reject: (e: ZkError) => void}[] = [];
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closeError: ZkError | undefined;
  private corked = false;

  private constructor(
    private readonly socket: Socket,
    readonly endpoint: Endpoint,
    readonly sessionId: bigint,
    readonly negotiatedTimeoutMs: number,
    readonly readOnly: boolean,
    private readonly requestTimeoutMs: number,
    decoder: FrameDecoder,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        this.teardown(e instanceof ZkError ? e : ZkError.of('ConnectionLoss'));
        return;
      }
      for (const f of frames) this.onFrame(f);
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.teardown(new ZkError('ConnectionLoss', `Connection lost to ${formatEndpoint(endpoint)}`)));
    const every = Math.max(200, Math.floor(negotiatedTimeoutMs / 3));
    this.pingTimer = setInterval(() => {
      if (!this.closed) socket.write(encodePing());
    }, every);
    this.pingTimer.unref();
  }

  /** Session id as 0x-prefixed hex (zkCli style). */
  get sessionIdHex(): string {
    return '0x' + BigInt.asUintN(64, this.sessionId).toString(16);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Open a session to the first endpoint (in the given order) that completes
   * the handshake, then send the auth packets and wait for their replies.
   * All endpoints failing → ZkError ConnectionLoss listing the reasons.
   * A rejected credential → ZkError AuthFailed.
   */
  static async connect(endpoints: readonly Endpoint[], opts: NativeSessionOptions = {}): Promise<NativeSession> {
    if (endpoints.length === 0) throw new ZkError('BadArguments', 'no endpoints to connect to');
    const reasons: string[] = [];
    for (const ep of endpoints) {
      let session: NativeSession;
      try {
        session = await NativeSession.handshake(ep, opts);
      } catch (e) {
        reasons.push(`${formatEndpoint(ep)}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      try {
        for (const a of opts.auth ?? []) await session.addAuth(a);
      } catch (e) {
        await session.close().catch(() => undefined);
        throw e;
      }
      return session;
    }
    throw new ZkError('ConnectionLoss', `could not open a session to any of ${endpoints.length} endpoint(s): ${reasons.join('; ')}`);
  }

  private static handshake(ep: Endpoint, opts: NativeSessionOptions): Promise<NativeSession> {
    const timeoutMs = opts.connectTimeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const decoder = new FrameDecoder();
      let done = false;
      const fail = (e: ZkError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new ZkError('Timeout', `handshake with ${formatEndpoint(ep)} took over ${timeoutMs} ms`)), timeoutMs);
      socket.on('error', (e: NodeJS.ErrnoException) => fail(socketError(e)));
      socket.on('close', () => fail(new ZkError('ConnectionLoss', 'closed during handshake (server not serving?)')));
      const onData = (chunk: Buffer): void => {
        let frames: Buffer[];
        try {
          frames = decoder.push(chunk);
        } catch (e) {
          fail(e instanceof ZkError ? e : ZkError.of('ProtocolError'));
          return;
        }
        const first = frames[0];
        if (first === undefined || done) return;
        let resp;
        try {
          resp = decodeConnectResponse(first);
        } catch (e) {
          fail(e instanceof ZkError ? e : ZkError.of('ProtocolError'));
          return;
        }
        if (resp.timeOut <= 0) {
          fail(ZkError.of('SessionExpired'));
          return;
        }
        done = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        const session = new NativeSession(socket, ep, resp.sessionId, resp.timeOut, resp.readOnly, opts.requestTimeoutMs ?? 10_000, decoder);
        // frames after the handshake in the same chunk (unlikely) are replies
        for (const f of frames.slice(1)) session.onFrame(f);
        resolve(session);
      };
      socket.on('data', onData);
      socket.setNoDelay(true);
      socket.connect(ep.port, ep.host, () => {
        socket.write(encodeNewSession(opts.sessionTimeoutMs ?? 10_000, opts.canBeReadOnly ?? false));
      });
    });
  }

  private onFrame(frame: Buffer): void {
    let r: JuteReader;
    let h;
    try {
      r = new JuteReader(frame);
      h = decodeReplyHeader(r);
    } catch {
      this.teardown(new ZkError('ProtocolError', 'undecodable reply'));
      return;
    }
    if (h.xid === Xid.ping || h.xid === Xid.notification || h.xid === Xid.setWatches) return;
    if (h.xid === Xid.auth) {
      const w = this.authWaiters.shift();
      if (!w) return;
      if (h.err === 0) w.resolve();
      else w.reject(ZkError.fromServerCode(h.err));
      return;
    }
    const p = this.pending.get(h.xid);
    if (!p) return; // reply to a request that already timed out
    this.pending.delete(h.xid);
    if (p.timer) clearTimeout(p.timer);
    if (h.err !== 0) p.reject(ZkError.fromServerCode(h.err, p.path));
    else p.resolve(r);
  }

  private teardown(err: ZkError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    if (this.pingTimer) clearInterval(this.pingTimer);
    const e = err ?? ZkError.of('ConnectionLoss');
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ZkError(e.code, e.message, {path: p.path, zkCode: e.zkCode, cause: e}));
    }
    this.pending.clear();
    for (const w of this.authWaiters.splice(0)) w.reject(ZkError.of('AuthFailed'));
    this.socket.destroy();
    this.emit('close', err);
  }

  private send<T>(frameFor: (xid: number) => Buffer, decode: (r: JuteReader) => T, path: string | undefined, timeoutMs?: number): Promise<T> {
    if (this.closed) return Promise.reject(this.closeError ?? ZkError.of('ConnectionLoss', path));
    const xid = this.nextXid++;
    return new Promise<T>((resolve, reject) => {
      const ms = timeoutMs ?? this.requestTimeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new ZkError('Timeout', `no reply from ${formatEndpoint(this.endpoint)} within ${ms} ms`, {path}));
      }, ms);
      this.pending.set(xid, {
        xid,
        path,
        timer,
        resolve: (r) => {
          try {
            resolve(decode(r));
          } catch (e) {
            reject(e instanceof ZkError ? e : new ZkError('ProtocolError', String(e)));
          }
        },
        reject,
      });
      this.write(frameFor(xid));
    });
  }

  /**
   * Requests sent in the same tick leave in one write (a pipelined walk sends
   * hundreds at once; one syscall each would cost more than the reads).
   */
  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  /** Send `addauth <scheme> <auth>` and wait for the server's verdict. */
  addAuth(a: AuthInfo): Promise<void> {
    if (this.closed) return Promise.reject(this.closeError ?? ZkError.of('ConnectionLoss'));
    return new Promise<void>((resolve, reject) => {
      this.authWaiters.push({resolve, reject});
      this.socket.write(encodeAuthInfo(a));
    });
  }

  getData(path: string, timeoutMs?: number): Promise<GetDataResponse> {
    validatePath(path);
    return this.send((xid) => encodeGetData(xid, path), decodeGetDataResponse, path, timeoutMs);
  }

  getAcl(path: string, timeoutMs?: number): Promise<{acl: JuteAcl[]; stat: Stat}> {
    validatePath(path);
    return this.send((xid) => encodeGetACL(xid, path), decodeGetACLResponse, path, timeoutMs);
  }

  /** The children's names, in the server's order. */
  getChildren(path: string, timeoutMs?: number): Promise<string[]> {
    validatePath(path);
    return this.send((xid) => encodeGetChildren(xid, path), decodeChildren, path, timeoutMs);
  }

  /**
   * getData and getChildren of many znodes in one request (ZooKeeper 3.6+):
   * one answer per op, in order, each with its own result or error code.
   * The server pays its per-request cost (a selector round, the request
   * pipeline, the request metrics) once for the batch.
   */
  multiRead(ops: readonly ReadOp[], timeoutMs?: number): Promise<ReadResult[]> {
    for (const op of ops) validatePath(op.path);
    return this.send((xid) => encodeMultiRead(xid, ops), decodeMultiReadResponse, ops[0]?.path, timeoutMs);
  }

  /** Make the connected server catch up with the leader (before a read). */
  sync(path = '/', timeoutMs?: number): Promise<void> {
    validatePath(path);
    return this.send(
      (xid) => encodeSync(xid, path),
      () => undefined,
      path,
      timeoutMs,
    );
  }

  /** Opcode 16. The reply carries the new config (data) and its stat. */
  reconfig(req: ReconfigRequest, timeoutMs?: number): Promise<GetDataResponse> {
    return this.send((xid) => encodeReconfig(xid, req), decodeGetDataResponse, undefined, timeoutMs);
  }

  /** Close the session on the server (closeSession), then the socket. Never throws. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    try {
      await this.send(
        (xid) => encodeCloseSession(xid),
        () => undefined,
        undefined,
        timeoutMs,
      );
    } catch {
      // the session will expire on its own
    }
    this.teardown(undefined);
  }
}
