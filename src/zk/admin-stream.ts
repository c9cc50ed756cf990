/**
 * The AdminServer's streaming commands (ZooKeeper 3.9): `snapshot`
 * (GET /commands/snapshot?streaming=true → the snapshot file's bytes, headers
 * last_zxid and snapshot_size) and `restore` (POST /commands/restore with the
 * snapshot as application/octet-stream). Both need an identity with ALL on
 * "/" (the super user): `Authorization: digest user:password`.
 */
import {request, type IncomingMessage} from 'node:http';
import type {Readable} from 'node:stream';
import {formatEndpoint, type Endpoint} from './endpoint.js';
import type {AuthInfo} from './wire.js';

/**
 * What the AdminServer answered instead of doing the command: `status` is
 * the HTTP status; `unknownCommand` is set when the server has no such
 * command (3.8 answers 200 with {"error": "Unknown command: snapshot"}, or 405
 * for a POST).
 */
export class AdminCommandError extends Error {
  constructor(
    readonly command: string,
    readonly status: number,
    readonly serverError: string | null,
    readonly unknownCommand: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'AdminCommandError';
  }
}

export interface StreamOptions {
  auth: AuthInfo;
  /** until the response headers arrive (the body then has its own idle limit) */
  timeoutMs?: number;
  /** no byte for this long while the body streams: the transfer is cut */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface SnapshotStream {
  /** last_zxid header, "0x…" */
  lastZxid: string | undefined;
  /** snapshot_size header */
  size: number | undefined;
  body: IncomingMessage;
}

function authHeader(a: AuthInfo): string {
  return `${a.scheme} ${typeof a.auth === 'string' ? a.auth : a.auth.toString('utf8')}`;
}

async function readSmall(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    if (n < 64 * 1024) chunks.push(c);
    n += c.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonError(text: string): {error: string | null; json: boolean} {
  try {
    const o = JSON.parse(text) as {error?: unknown};
    return {error: typeof o.error === 'string' ? o.error : null, json: true};
  } catch {
    return {error: null, json: false};
  }
}

async function refusal(command: string, where: string, res: IncomingMessage): Promise<AdminCommandError> {
  const text = await readSmall(res).catch(() => '');
  const {error} = jsonError(text);
  const status = res.statusCode ?? 0;
  const unknown = (error !== null && /^Unknown command/i.test(error)) || status === 404 || status === 405;
  return new AdminCommandError(command, status, error, unknown, `${where}: HTTP ${status}${error ? `: ${error}` : ''}`);
}

function send(ep: Endpoint, path: string, method: 'GET' | 'POST', opts: StreamOptions, body?: {stream: Readable; size?: number}): Promise<IncomingMessage> {
  const where = `${formatEndpoint(ep)}${path.replace(/\?.*$/, '')}`;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {authorization: authHeader(opts.auth)};
    if (body) {
      headers['content-type'] = 'application/octet-stream';
      if (body.size !== undefined) headers['content-length'] = String(body.size);
    }
    const req = request({host: ep.host, port: ep.port, path, method, headers, signal: opts.signal}, (res) => {
      clearTimeout(timer);
      const idle = opts.idleTimeoutMs ?? 60_000;
      res.setTimeout(idle, () => res.destroy(new Error(`${where}: no data for ${Math.round(idle / 1000)}s`)));
      resolve(res);
    });
    const limit = opts.timeoutMs ?? (body ? 600_000 : 60_000);
    const timer = setTimeout(() => req.destroy(new Error(`${where}: no answer within ${Math.round(limit / 1000)}s`)), limit);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ECONNREFUSED' ? new Error(`${where}: connection refused (is the AdminServer on?)`, {cause: e}) : e);
    });
    if (body) {
      body.stream.on('error', (e) => req.destroy(e));
      body.stream.pipe(req);
    } else req.end();
  });
}

/** Starts a snapshot transfer; the caller reads `body`. Refusals are AdminCommandError. */
export async function streamSnapshot(ep: Endpoint, opts: StreamOptions): Promise<SnapshotStream> {
  const path = '/commands/snapshot?streaming=true';
  const res = await send(ep, path, 'GET', opts);
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode !== 200 || !type.startsWith('application/octet-stream')) throw await refusal('snapshot', `${formatEndpoint(ep)}/commands/snapshot`, res);
  const size = res.headers['snapshot_size'];
  return {
    lastZxid: typeof res.headers['last_zxid'] === 'string' ? res.headers['last_zxid'] : undefined,
    size: typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : undefined,
    body: res,
  };
}

export interface RestoreAnswer {
  /** last_zxid of the restored database, when the server says */
  lastZxid: string | undefined;
}

/** Uploads a snapshot (the bytes only, no HTTP headers inside) to /commands/restore. */
export async function postRestore(ep: Endpoint, snapshot: Readable, opts: StreamOptions & {size?: number}): Promise<RestoreAnswer> {
  const res = await send(ep, '/commands/restore', 'POST', opts, {stream: snapshot, size: opts.size});
  if (res.statusCode !== 200) throw await refusal('restore', `${formatEndpoint(ep)}/commands/restore`, res);
  const text = await readSmall(res);
  const {error} = jsonError(text);
  if (error) throw new AdminCommandError('restore', 200, error, /^Unknown command/i.test(error), `${formatEndpoint(ep)}/commands/restore: ${error}`);
  let lastZxid = typeof res.headers['last_zxid'] === 'string' ? res.headers['last_zxid'] : undefined;
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o['last_zxid'] === 'string' || typeof o['last_zxid'] === 'number') lastZxid ??= String(o['last_zxid']);
  } catch {
    // not JSON: the status said enough
  }
  return {lastZxid};
}
