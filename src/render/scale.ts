import type {Shape, StepAction} from '../ops/scale/plan.js';
import type {ScaleResult} from '../ops/scale/types.js';
import {formatDuration} from '../util/duration.js';
import type {Paint} from '../util/progress.js';
import {table} from './table.js';

function shape(s: Shape): string {
  return `${s.voters} voter${s.voters === 1 ? '' : 's'}${s.observers > 0 ? ` + ${s.observers} observer${s.observers === 1 ? '' : 's'}` : ''}`;
}

function hex(v: string | undefined): string {
  return v ? `0x${v}` : '-';
}

/** What one step of each kind does, in order (printed under the plan); `replace`: member replace's steps. */
export function stepMeaning(action: StepAction, keepVolumes: boolean, replace = false): string {
  if (replace && action === 'remove') return 'reconfig remove (a leader hands off); wait for the commit and a leader among the rest; ConfigMap ← committed membership';
  if (replace && action === 'add') {
    return 'ConfigMap ← committed membership + the joiner; delete its volume claim and pod (the StatefulSet makes both anew, on any node that can hold it); wait until it serves as a non-voting learner; reconfig add; wait until committed and the leader has it in sync; ConfigMap ← committed membership';
  }
  switch (action) {
    case 'add':
      return `ConfigMap ← committed membership + the joiner (membership-version = committed version); ${keepVolumes ? 'a kept volume of that ordinal is reused' : 'a stale volume of that ordinal is deleted'}; StatefulSet replicas + 1; wait until it serves as a non-voting learner; reconfig add; wait until committed and the leader has it in sync; ConfigMap ← committed membership`;
    case 'remove':
      return `reconfig remove (a leader hands off); wait for the commit and a leader among the rest; ConfigMap ← committed membership; StatefulSet replicas - 1; wait for the pod to go; ${keepVolumes ? 'keep its volume' : 'delete its volume'}`;
    case 'retire':
      return `(a pod that is not a member) StatefulSet replicas - 1; wait for the pod to go; ${keepVolumes ? 'keep its volume' : 'delete its volume'}`;
  }
}

/** The plan: printed on stdout by --dry-run, on stderr before a real run. */
export function renderPlan(r: ScaleResult, paint: Paint): string {
  const lines: string[] = [];
  const p = r.plan;
  lines.push(
    `${r.dryRun ? 'Plan (dry run, nothing changed)' : 'Plan'} for ensemble "${r.name}" in namespace "${r.namespace}": ${shape(p.from)} → ${shape(p.to)} (committed config ${hex(r.from.configVersion)})`,
  );
  if (p.steps.length === 0) {
    lines.push('  nothing to do');
    return lines.join('\n') + '\n';
  }
  const rows = p.steps.map((s, i) => [`${i + 1}.`, s.action, s.pod, `server.${s.id}`, s.role ?? '-', shape(s.after)]);
  lines.push(
    ...table(['STEP', 'ACTION', 'POD', 'SERVER', 'ROLE', 'MEMBERSHIP AFTER'], rows)
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
  );
  const actions = [...new Set(p.steps.map((s) => s.action))];
  for (const a of actions) lines.push(`  ${paint.dim(`each ${a}: ${stepMeaning(a, r.keepVolumes, r.replaced !== undefined)}`)}`);
  for (const n of p.notes) lines.push(`  note: ${n}`);
  for (const w of r.warnings) lines.push(`  ${paint.yellow('warning:')} ${w}`);
  return lines.join('\n') + '\n';
}

/** The outcome of a real run (or the plan, for --dry-run and no-ops). */
export function renderScale(r: ScaleResult, paint: Paint): string {
  if (r.dryRun) return renderPlan(r, paint);
  if (!r.changed) return `ensemble "${r.name}" in namespace "${r.namespace}" already has ${shape(r.from)}: nothing to do\n`;
  const lines: string[] = [];
  const what = r.replaced ? `${r.replaced} rebuilt on a new volume` : `${shape(r.from)} → ${shape(r.to)}`;
  lines.push(`${paint.green('✓')} ensemble "${r.name}" in namespace "${r.namespace}": ${what} in ${formatDuration(r.durationMs)} (config ${hex(r.from.configVersion)} → ${hex(r.to.configVersion)})`);
  const rows = r.steps.map((s) => [
    s.action,
    s.pod,
    `server.${s.id}`,
    s.role ?? '-',
    formatDuration(s.durationMs),
    hex(s.configVersion),
    s.volume ?? '-',
    [s.confirmedByReadBack ? 'reply lost, confirmed by read-back' : '', s.skipped ?? ''].filter(Boolean).join('; '),
  ]);
  lines.push(
    ...table(['ACTION', 'POD', 'SERVER', 'ROLE', 'TIME', 'CONFIG', 'VOLUME', 'NOTE'], rows)
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
  );
  lines.push(`members: ${r.to.members.map((m) => `${m.pod}${m.role === 'observer' ? ' (observer)' : ''}`).join(', ')}`);
  lines.push(`leader ${r.leader ?? '?'}, ${r.health === 'healthy' ? paint.green('healthy') : paint.yellow(r.health ?? 'unknown')}${r.waited ? '' : ' (not waited for)'}`);
  const kept = r.steps.filter((s) => s.volume === 'kept').map((s) => `data-${s.pod}`);
  if (kept.length > 0) lines.push(`kept volume(s) ${kept.join(', ')}: a later scale-up reuses them (start.sh discards their stale membership)`);
  for (const w of r.warnings) lines.push(`${paint.yellow('warning:')} ${w}`);
  return lines.join('\n') + '\n';
}
