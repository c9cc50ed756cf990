/**
 * One AdminServer command that needs no credentials (GET /commands/<name>),
 * answered as its JSON text: what `report` asks for the four-letter words the
 * whitelist refuses (cons is `connections`).
 */
import {request} from 'node:http';
import {formatEndpoint, type Endpoint} from './endpoint.js';

/** The commands a report may ask: none of them shows system properties (the super digest is one). */
export const REPORT_ADMIN_COMMANDS = ['connections', 'watch_summary', 'last_snapshot', 'voting_view'] as const;
export type ReportAdminCommand = (typeof REPORT_ADMIN_COMMANDS)[number];

export function adminGet(ep: Endpoint, command: ReportAdminCommand, opts: {timeoutMs?: number} = {}): Promise<string> {
  const where = `${formatEndpoint(ep)}/commands/${command}`;
  const limit = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = request({host: ep.host, port: ep.port, path: `/commands/${command}`, method: 'GET'}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`${where}: HTTP ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`));
        else resolve(text);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${where}: no answer within ${limit}ms`)), limit);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}
