import type {RestoreQuorumResult} from '../ops/restore-quorum.js';
import {formatDuration} from '../util/duration.js';
import type {Paint} from '../util/progress.js';
import {table} from './table.js';

/** restore-quorum's outcome (or, with --dry-run, its plan). */
export function renderRestoreQuorum(r: RestoreQuorumResult, paint: Paint): string {
  const lines: string[] = [];
  lines.push(
    r.dryRun
      ? `Plan (dry run, nothing changed) for ensemble "${r.name}" in namespace "${r.namespace}": restore the quorum from ${r.survivor.pod}`
      : `Restored the quorum of "${r.name}" in namespace "${r.namespace}" from ${r.survivor.pod} in ${formatDuration(r.durationMs)}`,
  );
  lines.push('');
  lines.push(
    table(
      ['VOTER', 'LAST ZXID', ''],
      r.voters.map((v) => [v.pod, v.zxid ?? '?', v.pod === r.survivor.pod ? 'survivor (the highest zxid)' : (v.why ?? 'rebuilt from the survivor')]),
    ),
  );
  lines.push('');
  lines.push(`${paint.yellow('may be lost:')} ${r.loss}`);
  if (r.dryRun) {
    lines.push(
      `steps: ConfigMap ← ${r.survivor.pod} alone (+ a reset marker start.sh reads); delete ${r.rebuild.map((b) => b.pod).join(', ') || 'no other member'} with their volume claims; restart ${r.survivor.pod} (it starts as the only voter with its data); then rebuild each other member empty from it (member replace's add step: synced as a non-voting learner, then reconfig add)`,
    );
  } else {
    for (const s of r.rebuilt) lines.push(`rebuilt ${s.replaced ?? '?'} in ${formatDuration(s.durationMs)}`);
    lines.push(`health: ${r.health ?? '?'}${r.leader ? `, leader ${r.leader}` : ''}`);
  }
  for (const w of r.warnings) lines.push(`${paint.yellow('warning:')} ${w}`);
  return lines.join('\n') + '\n';
}
