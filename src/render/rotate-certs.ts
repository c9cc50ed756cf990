import {stringify} from 'yaml';
import type {RotateResult} from '../ops/tls/rotate.js';
import {formatDuration} from '../util/duration.js';
import type {Paint} from '../util/progress.js';
import {table} from './table.js';

const short = (fp?: string) => (fp ? fp.slice(0, 23) : '-');

/** rotate-certs' human output: per stage the kubelet's sync, the roll, and what each member serves. */
export function renderRotateCerts(r: RotateResult, p: Paint): string {
  const out: string[] = [];
  const head = r.dryRun
    ? `Plan for rotate-certs ${r.name}${r.mode === 'renew' ? '' : ` --${r.mode}`} (nothing changed):`
    : `rotate-certs ${r.name}${r.mode === 'renew' ? '' : ` --${r.mode}`}: ${r.outcome} in ${formatDuration(r.durationMs)}`;
  out.push(r.outcome === 'stopped' ? p.red(head) : head);
  for (const [i, s] of r.stages.entries()) {
    out.push('', `${i + 1}. ${s.name}: ${s.summary}; then every member restarts, the leader last`);
    if (r.dryRun) continue;
    out.push(`   new files in use by every member ${s.syncMs !== undefined ? `${formatDuration(s.syncMs)} after the Secret update` : 'after the restart'}`);
    if (s.roll) out.push(`   restart: ${s.roll.outcome} in ${formatDuration(s.roll.durationMs)}, leader ${s.roll.leaderBefore ?? '-'} → ${s.roll.leaderAfter ?? '-'}`);
    const rows = s.members.map((m) => [
      m.pod,
      short(m.before),
      short(m.after),
      m.after === m.expected ? 'yes' : 'no',
      m.accepts === undefined ? '' : m.accepts ? 'yes' : 'no',
      m.refuses === undefined ? '' : m.refuses ? 'yes' : 'no',
    ]);
    out.push(
      table(['MEMBER', 'SERVED BEFORE', 'SERVED AFTER', 'NEW', 'ACCEPTS NEW CA', 'REFUSES OLD CA'], rows)
        .split('\n')
        .map((l) => `   ${l}`)
        .join('\n'),
    );
  }
  if (r.secrets) out.push('', 'Secrets patched (values redacted):', stringify(r.secrets.length === 1 ? r.secrets[0] : r.secrets).trimEnd());
  if (r.stopped) out.push('', p.red(`stopped: ${r.stopped}`));
  if (r.next) out.push('', `next: ${r.next}`);
  return `${out.join('\n')}\n`;
}
