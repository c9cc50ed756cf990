import {Socket} from 'node:net';
import {ZkError} from './errors.js';
import {formatEndpoint, type Endpoint} from './endpoint.js';

export interface FourLetterOptions {
  /** Whole exchange (connect + reply). Default 5000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Done as soon as the text so far is a whole reply (e.g. srvrComplete), instead
   * of at the server's close: through a port-forward the close reaches us about a
   * second after the reply.
   */
  complete?: (text: string) => boolean;
  /**
   * Done when nothing more has arrived for this long after the last byte, for
   * replies with no recognisable end (mntr, conf), provided the text so far
   * ends a line. The server writes a reply in one go, but on the way it may be
   * split (a TLS record holds 16 KiB, a 3.9 mntr is larger) and a part may
   * come late: a reply cut mid-line is waited on (until more comes, the server
   * closes, or timeoutMs).
   */
  quietMs?: number;
  /**
   * Called once the server is done with the request: it answered or closed, or
   * lingerMs passed. After a local timeout the connection is kept open (unref'd)
   * to see when the server finishes, since its worker thread may still be busy
   * with the request (see FourLetterGate). Without this, the socket is closed at once.
   */
  onServerDone?: () => void;
  /** How long to keep watching after a local timeout. Default 60000 ms. */
  lingerMs?: number;
}

export const FOUR_LETTER_WORDS = ['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr', 'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs'] as const;
export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

/**
 * Send a four-letter word and read until the server closes the connection.
 * Returns the raw text (whitelist refusals come back as text too; see parse.ts).
 *
 * Errors (ZkError): Timeout (nothing complete within timeoutMs),
 * ConnectionRefused (nothing listens), ConnectionClosed (reset, or closed
 * without a byte — what a port-forward to a dead pod looks like).
 */
export function fourLetterWord(ep: Endpoint, cmd: FourLetterWord | string, opts: FourLetterOptions = {}): Promise<string> {
  if (!/^[a-z]{4}$/.test(cmd)) {
    return Promise.reject(new ZkError('BadArguments', `not a four-letter word: ${JSON.stringify(cmd)}`));
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  const where = formatEndpoint(ep);
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = new Socket();
    let settled = false;
    let quiet: NodeJS.Timeout | undefined;
    let serverDone = false;
    const markServerDone = (): void => {
      if (serverDone) return;
      serverDone = true;
      opts.onServerDone?.();
    };
    const finish = (err: ZkError | null, serverBusy = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      opts.signal?.removeEventListener('abort', onAbort);
      if (serverBusy && opts.onServerDone) {
        lingerUntilServerDone(socket, opts.lingerMs ?? 60_000, markServerDone);
      } else {
        socket.destroy();
        markServerDone();
      }
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onAbort = (): void => finish(new ZkError('Timeout', `${cmd} to ${where}: aborted`, {cause: opts.signal?.reason}));
    const timer = setTimeout(() => finish(new ZkError('Timeout', `${cmd} to ${where}: no complete reply within ${timeoutMs} ms`), chunks.length === 0 && socket.readyState === 'open'), timeoutMs);
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, {once: true});
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      if (opts.complete?.(Buffer.concat(chunks).toString('utf8'))) finish(null);
      else if (opts.quietMs !== undefined) {
        clearTimeout(quiet);
        if (b[b.length - 1] === 0x0a) quiet = setTimeout(() => finish(null), opts.quietMs);
      }
    });
    socket.on('close', () => clearTimeout(quiet));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(socketError(e, `${cmd} to ${where}`, chunks.length > 0)));
    socket.on('end', () => {
      if (chunks.length === 0) finish(new ZkError('ConnectionClosed', `${cmd} to ${where}: closed without a reply`));
      else finish(null);
    });
    socket.on('close', () => {
      if (chunks.length === 0) finish(new ZkError('ConnectionClosed', `${cmd} to ${where}: closed without a reply`));
      else finish(null);
    });
    socket.connect(ep.port, ep.host, () => {
      socket.write(cmd);
    });
  });
}

/**
 * The request may still hold one of the server's worker threads: watch the
 * connection (without keeping the process alive) until the server answers or
 * closes, or lingerMs passes.
 */
function lingerUntilServerDone(socket: Socket, lingerMs: number, markServerDone: () => void): void {
  const linger = setTimeout(() => {
    socket.destroy();
    markServerDone();
  }, lingerMs);
  linger.unref();
  const done = (): void => {
    clearTimeout(linger);
    socket.destroy();
    markServerDone();
  };
  socket.unref();
  socket.once('data', done);
  socket.once('close', done);
}

/** A socket error as the request's outcome: null keeps a reply that arrived before a reset. */
function socketError(e: NodeJS.ErrnoException, what: string, gotBytes: boolean): ZkError | null {
  if (e.code === 'ECONNREFUSED') return new ZkError('ConnectionRefused', `${what}: connection refused`, {cause: e});
  if (e.code === 'ECONNRESET' && gotBytes) return null; // some servers reset right after writing; keep what arrived
  return new ZkError('ConnectionClosed', `${what}: ${e.code ?? e.message}`, {cause: e});
}

/**
 * The four-letter words whose server side can wait on a lock that leader election
 * holds: ZooKeeper 3.8's `mntr` reads QuorumPeer.getPeerState() (synchronized on
 * the peer, which FastLeaderElection's WorkerReceiver holds while it parses a
 * received config, resolving every member's host name), and `conf` reads the
 * quorum verifier under QV_LOCK. While stuck, each request occupies one of the
 * server's few NIO worker threads (4 on 2 cores), which also serve the clients.
 */
export const LOCKING_WORDS: ReadonlySet<string> = new Set(['mntr', 'conf']);

/**
 * Keeps at most one request of each locking word in flight per server, so that a
 * tool polling a member in the middle of an election cannot take all of the
 * server's worker threads and with them its clients (seen in a failover test:
 * timed-out mntr polls held every NIOWorkerThread of a member until the failover
 * writer's session expired; docs/benchmarks.md). A request is in flight until the server answers or
 * closes, not just until the local timeout. Other words pass straight through.
 * One gate per polling loop (status --watch, failover-test, scale).
 */
export class FourLetterGate {
  private readonly inFlight = new Set<string>();

  ask(ep: Endpoint, cmd: FourLetterWord | string, opts: FourLetterOptions = {}): Promise<string> {
    if (!LOCKING_WORDS.has(cmd)) return fourLetterWord(ep, cmd, opts);
    const key = `${formatEndpoint(ep)} ${cmd}`;
    if (this.inFlight.has(key)) {
      return Promise.reject(new ZkError('Timeout', `${cmd} to ${formatEndpoint(ep)}: the previous ${cmd} is still unanswered, not sending another (the member is busy, e.g. in leader election)`));
    }
    this.inFlight.add(key);
    return fourLetterWord(ep, cmd, {
      ...opts,
      onServerDone: () => {
        this.inFlight.delete(key);
        opts.onServerDone?.();
      },
    });
  }

  /** Requests still held by a server. */
  get pending(): number {
    return this.inFlight.size;
  }
}
