import type {ExportResult, ImportResult} from '../ops/transfer.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function rate(n: number, ms: number): string {
  return ms > 0 ? `, ${Math.round((n * 1000) / ms)}/s` : '';
}

/** One line for `export`: what was written where (stderr when the data went to stdout). */
export function renderExport(r: ExportResult): string {
  const eph = r.ephemeral > 0 ? ` (${plural(r.ephemeral, 'ephemeral znode')} flagged, not in the checksum)` : '';
  const gone = r.vanished > 0 ? `; ${r.vanished} deleted while reading` : '';
  const where = r.output === '-' ? 'stdout' : r.output;
  const how = r.method === 'snapshot' ? ` (from the snapshot of ${r.member ?? '?'} at zxid ${r.lastZxid ?? '?'})` : r.snapshotUnavailable ? ` (read znode by znode: ${r.snapshotUnavailable})` : '';
  return `exported ${plural(r.znodes, 'znode')} under ${r.root} from ${r.namespace}/${r.ensemble}${how} to ${where}${eph}${gone}: ${r.bytes} bytes in ${(r.durationMs / 1000).toFixed(1)}s${rate(r.znodes, r.durationMs)}, checksum ${r.checksum.slice(0, 16)}\n`;
}

export function renderImport(r: ImportResult): string {
  const where = r.from === r.to ? r.to : `${r.from} → ${r.to}`;
  const over = r.overwritten > 0 ? `, ${r.overwritten} overwritten` : '';
  const eph = r.skippedEphemeral > 0 ? `, ${plural(r.skippedEphemeral, 'ephemeral znode')} skipped` : '';
  return `imported ${where} into ${r.namespace}/${r.ensemble}: ${r.created} created${over}${eph} in ${(r.durationMs / 1000).toFixed(1)}s${rate(r.created + r.overwritten, r.durationMs)}\n`;
}
