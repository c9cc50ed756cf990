/** AdminServer (Jetty, HTTP) commands: GET /commands/<name> → JSON (snake_case). */
import {request} from 'node:http';
import {ZkError} from '../../src/zk/errors.js';
import {formatEndpoint, type Endpoint} from '../../src/zk/endpoint.js';

export interface AdminResponse {
  command: string;
  /** null on success; the server's message otherwise. */
  error: string | null;
  [key: string]: unknown;
}

export interface AdminOptions {
  timeoutMs?: number;
  /** Default "/commands". */
  urlPrefix?: string;
}

/**
 * Fetch one AdminServer command. Errors (ZkError): ConnectionRefused,
 * Timeout, ProtocolError (non-JSON or unexpected status). A reply whose
 * `error` field is set is returned as is — callers decide (e.g. `leader`
 * answers "server is not initialized" before the ensemble is up).
 */
export function adminCommand(ep: Endpoint, name: string, opts: AdminOptions = {}): Promise<AdminResponse> {
  if (!/^[a-z_]+$/.test(name)) return Promise.reject(new ZkError('BadArguments', `bad admin command name ${JSON.stringify(name)}`));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const path = `${opts.urlPrefix ?? '/commands'}/${name}`;
  const where = `${formatEndpoint(ep)}${path}`;
  return new Promise((resolve, reject) => {
    const req = request({host: ep.host, port: ep.port, path, method: 'GET', timeout: timeoutMs, headers: {accept: 'application/json'}}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          reject(new ZkError('ProtocolError', `${where}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`));
          return;
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          reject(new ZkError('ProtocolError', `${where}: HTTP ${res.statusCode}, unexpected JSON`));
          return;
        }
        const o = body as Record<string, unknown>;
        resolve({...o, command: typeof o['command'] === 'string' ? o['command'] : name, error: typeof o['error'] === 'string' ? o['error'] : null});
      });
      res.on('error', (e) => reject(new ZkError('ConnectionClosed', `${where}: ${e.message}`, {cause: e})));
    });
    const timer = setTimeout(() => req.destroy(new ZkError('Timeout', `${where}: no reply within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new ZkError('Timeout', `${where}: no reply within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e instanceof ZkError) reject(e);
      else if (e.code === 'ECONNREFUSED') reject(new ZkError('ConnectionRefused', `${where}: connection refused`, {cause: e}));
      else reject(new ZkError('ConnectionClosed', `${where}: ${e.code ?? e.message}`, {cause: e}));
    });
    req.end();
  });
}
