/**
 * One read in a session of its own, in one round trip. The handshake
 * (ConnectRequest), the auth packets, the request and closeSession leave in
 * one write, before the server has answered anything: the server reads a
 * connection's packets in order and holds the ones behind ConnectRequest
 * until the session exists (ZooKeeperServer.processConnectRequest stops
 * reading the connection until then; ZooKeeper's Java client relies on it
 * when it sends its auth packets right behind ConnectRequest).
 *
 * The answer to the request ends it. The answer to closeSession is not
 * awaited: it comes only after the quorum has committed the close (a
 * proposal and a log sync on the members, the slowest step of a one-shot
 * read). The server closes the session when it reads closeSession, which
 * arrived with the request; if the connection were cut before that, the
 * session (a read creates no ephemeral nodes) expires after its timeout.
 *
 * A transport failure (refused, closed, silent) before the answer moves on
 * to the next endpoint, round after round, until connectTimeoutMs: safe
 * because the request is a read. A server's error (NoNode, NoAuth,
 * AuthFailed) ends it at once.
 */
import {Socket} from 'node:net';
import {fromJuteStat, type ZnodeStat} from './client.js';
import {connectString, formatEndpoint, type Endpoint} from './endpoint.js';
import {ZkError} from './errors.js';
import {
  FrameDecoder,
  JuteReader,
  Xid,
  decodeChildren,
  decodeConnectResponse,
  decodeGetDataResponse,
  decodeReplyHeader,
  decodeStat,
  encodeCloseSession,
  encodeNewSession,
  encodeExists,
  encodeGetChildren,
  encodeGetData,
} from './jute.js';
import {validatePath} from './paths.js';
import {encodeAuthInfo, socketError, type AuthInfo} from './wire.js';

/** What to ask: the request's frame for an xid, and how to read its answer. */
export interface OnceRequest<T> {
  path: string;
  frame(xid: number): Buffer;
  decode(r: JuteReader): T;
}

export function onceGet(path: string): OnceRequest<{data: Buffer; stat: ZnodeStat}> {
  validatePath(path);
  return {
    path,
    frame: (xid) => encodeGetData(xid, path),
    decode: (r) => {
      const {data, stat} = decodeGetDataResponse(r);
      return {data, stat: fromJuteStat(stat)};
    },
  };
}

/** exists: the stat, or ZkError NoNode (as `stat` in zkCli). */
export function onceStat(path: string): OnceRequest<ZnodeStat> {
  validatePath(path);
  return {path, frame: (xid) => encodeExists(xid, path), decode: (r) => fromJuteStat(decodeStat(r))};
}

/** getChildren, sorted. */
export function onceLs(path: string): OnceRequest<string[]> {
  validatePath(path);
  return {path, frame: (xid) => encodeGetChildren(xid, path), decode: (r) => decodeChildren(r).sort()};
}

export interface OnceOptions {
  auth?: readonly AuthInfo[];
  /** Requested session timeout. Default 10000 ms. */
  sessionTimeoutMs?: number;
  /** How long to keep trying for a session, over all endpoints and rounds. Default 15000 ms. */
  connectTimeoutMs?: number;
  /** One attempt's limit for the server's first answer. Default: the session timeout shared among the endpoints, at least 2000 ms (ClientCnxn's connect timeout). */
  attemptTimeoutMs?: number;
  /** How long the answer may take once the session exists. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Pause between full rounds over the endpoints. Default 1000 ms. */
  spinDelayMs?: number;
  /** Try the endpoints in a random order (spreads one-shot reads over the members). Default true. */
  shuffle?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

const REQUEST_XID = 1;
const CLOSE_XID = 2;

type Attempt<T> = {ok: true; value: T} | {ok: false; error: ZkError; retry: boolean};

/** Runs `req` in a session of its own on the first endpoint that answers (see the file's comment). */
export async function once<T>(endpoints: readonly Endpoint[], req: OnceRequest<T>, opts: OnceOptions = {}): Promise<T> {
  if (endpoints.length === 0) throw new ZkError('BadArguments', 'no endpoints to connect to');
  const order = opts.shuffle === false ? [...endpoints] : shuffled(endpoints);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 15_000;
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
  const deadline = performance.now() + connectTimeoutMs;
  const packets = Buffer.concat([encodeNewSession(sessionTimeoutMs), ...(opts.auth ?? []).map(encodeAuthInfo), req.frame(REQUEST_XID), encodeCloseSession(CLOSE_XID)]);
  const attemptMs = opts.attemptTimeoutMs ?? Math.max(2000, Math.floor(sessionTimeoutMs / endpoints.length));
  for (;;) {
    for (const ep of order) {
      opts.signal?.throwIfAborted();
      const left = deadline - performance.now();
      if (left <= 0) break;
      const r = await attempt(ep, packets, req, {...opts, attemptMs: Math.min(attemptMs, left)});
      if (r.ok) return r.value;
      opts.signal?.throwIfAborted(); // Ctrl-C: its reason, as connectZk
      if (!r.retry) throw r.error;
      opts.log?.(`${formatEndpoint(ep)}: ${r.error.message}`);
    }
    const left = deadline - performance.now();
    if (left <= 0) break;
    await pause(Math.min(opts.spinDelayMs ?? 1000, left), opts.signal);
  }
  throw new ZkError('Timeout', `no ZooKeeper session within ${connectTimeoutMs} ms from ${connectString(endpoints)}`, {path: req.path});
}

function attempt<T>(ep: Endpoint, packets: Buffer, req: OnceRequest<T>, opts: OnceOptions & {attemptMs: number}): Promise<Attempt<T>> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const decoder = new FrameDecoder();
    let session = false;
    let done = false;
    const finish = (r: Attempt<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (r.ok) {
        // closeSession is on its way (same write as the request); the server closes the
        // socket once it has closed the session, nobody waits for that
        socket.end();
        socket.unref();
      } else {
        socket.destroy();
      }
      resolve(r);
    };
    const retry = (error: ZkError): void => finish({ok: false, error, retry: true});
    const fail = (error: ZkError): void => finish({ok: false, error, retry: false});
    let timer = setTimeout(() => retry(new ZkError('Timeout', `no answer to the handshake within ${opts.attemptMs} ms`)), opts.attemptMs);
    const onAbort = (): void => fail(new ZkError('ConnectionLoss', 'interrupted'));
    opts.signal?.addEventListener('abort', onAbort, {once: true});
    socket.on('error', (e: NodeJS.ErrnoException) => retry(socketError(e)));
    socket.on('close', () => retry(new ZkError('ConnectionLoss', session ? 'connection closed before the answer' : 'closed during the handshake (server not serving?)')));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          if (done) return;
          if (!session) {
            const resp = decodeConnectResponse(frame);
            if (resp.timeOut <= 0) return retry(ZkError.of('SessionExpired'));
            session = true;
            opts.log?.(`ZooKeeper session 0x${BigInt.asUintN(64, resp.sessionId).toString(16)} on ${formatEndpoint(ep)} (one request, closed behind it)`);
            clearTimeout(timer);
            const ms = opts.requestTimeoutMs ?? 30_000;
            timer = setTimeout(() => fail(new ZkError('Timeout', `no answer from ${formatEndpoint(ep)} within ${ms} ms`, {path: req.path})), ms);
            continue;
          }
          const r = new JuteReader(frame);
          const h = decodeReplyHeader(r);
          if (h.xid === Xid.auth && h.err !== 0) return fail(ZkError.fromServerCode(h.err));
          if (h.xid !== REQUEST_XID) continue; // auth OK, ping, a late closeSession answer
          if (h.err !== 0) return fail(ZkError.fromServerCode(h.err, req.path));
          return finish({ok: true, value: req.decode(r)});
        }
      } catch (e) {
        fail(e instanceof ZkError ? e : new ZkError('ProtocolError', `undecodable answer from ${formatEndpoint(ep)}: ${String(e)}`));
      }
    });
    socket.setNoDelay(true);
    socket.connect(ep.port, ep.host, () => socket.write(packets));
    if (opts.signal?.aborted) onAbort();
  });
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, {once: true});
  });
}
