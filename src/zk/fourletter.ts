import { Socket } from 'node:net';
import { ZkError } from './errors.js';
import { formatEndpoint, type Endpoint } from './endpoint.js';

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
   * replies with no recognisable end (mntr, conf). The server writes a reply in
   * one go, so a short quiet period is the reply's end, not a pause within it.
   */
  quietMs?: number;
}

export const FOUR_LETTER_WORDS = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr',
  'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
] as const;
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
    const finish = (err: ZkError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onAbort = (): void =>
      finish(new ZkError('Timeout', `${cmd} to ${where}: aborted`, { cause: opts.signal?.reason }));
    const timer = setTimeout(
      () => finish(new ZkError('Timeout', `${cmd} to ${where}: no complete reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      if (opts.complete?.(Buffer.concat(chunks).toString('utf8'))) finish(null);
      else if (opts.quietMs !== undefined) {
        clearTimeout(quiet);
        quiet = setTimeout(() => finish(null), opts.quietMs);
      }
    });
    socket.on('close', () => clearTimeout(quiet));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') {
        finish(new ZkError('ConnectionRefused', `${cmd} to ${where}: connection refused`, { cause: e }));
      } else if (e.code === 'ECONNRESET' && chunks.length > 0) {
        finish(null); // some servers reset right after writing; keep what arrived
      } else {
        finish(new ZkError('ConnectionClosed', `${cmd} to ${where}: ${e.code ?? e.message}`, { cause: e }));
      }
    });
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
