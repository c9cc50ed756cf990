import type {RestoreResult} from '../ops/restore.js';

export function renderRestore(r: RestoreResult): string {
  const src = r.backup.ensemble ? ` of "${r.backup.ensemble}"${r.backup.lastZxid ? ` at zxid ${r.backup.lastZxid}` : ''}` : '';
  const ok = r.verified.filter((v) => v.ok).length;
  const eph = r.backup.ephemeral > 0 ? `; ${r.backup.ephemeral} ephemeral znode${r.backup.ephemeral === 1 ? '' : 's'} of the backup not restored (their sessions are gone)` : '';
  return `restored ${r.from}${src} into ${r.created ? 'new ' : ''}ensemble ${r.namespace}/${r.name} (${r.replicas} member${r.replicas === 1 ? '' : 's'}): ${r.backup.znodes} znodes, checksum ${r.backup.checksum.slice(0, 16)}… verified on ${ok}/${r.verified.length} members${eph} in ${(r.durationMs / 1000).toFixed(1)}s\n`;
}
