import type {PlannedMember} from '../ops/roll/plan.js';
import type {Election, MemberStep, RollResult} from '../ops/roll/types.js';
import {formatDuration} from '../util/duration.js';
import type {Paint} from '../util/progress.js';
import {table} from './table.js';

const dash = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));

/** "zk-7b9c5d8f6d" → "7b9c5d8f6d" (the pod names already say which ensemble). */
export function shortRevision(name: string, rev: string | undefined): string {
  if (!rev) return '-';
  return rev.startsWith(`${name}-`) ? rev.slice(name.length + 1) : rev;
}

function gerund(r: RollResult): string {
  return r.action === 'restart' ? 'Restarting' : 'Upgrading';
}

export function electionText(e: Election): string {
  const epochs = e.epochBefore !== undefined || e.epochAfter !== undefined ? ` (epoch ${dash(e.epochBefore)} → ${dash(e.epochAfter)})` : '';
  return `${e.from ?? 'none'} → ${e.to}${epochs}, new leader seen ${formatDuration(e.ms)} after ${e.during}'s pod was deleted${e.expected ? '' : ' (not caused on purpose)'}`;
}

function planRows(r: RollResult, plan: PlannedMember[]): string[][] {
  return plan.map((m, i) => [
    `${i + 1}.`,
    m.pod,
    m.role,
    shortRevision(r.name, m.revision),
    dash(m.image),
    m.why === 'leader' ? 'leader last: one election' : m.why === 'not ready' ? `not serving${m.problem ? `: ${m.problem}` : ''}` : m.why,
  ]);
}

/** The plan: on stdout for --dry-run, on stderr before a real run. */
export function renderRollPlan(r: RollResult, p: Paint): string {
  const out: string[] = [];
  const epoch = r.epochBefore !== undefined ? `, epoch ${r.epochBefore}` : '';
  out.push(
    `${r.dryRun ? 'Plan (dry run, nothing changed)' : 'Plan'}: ${gerund(r).toLowerCase()} ensemble "${r.name}" in namespace "${r.namespace}", one member at a time (leader now: ${r.leaderBefore ?? 'none'}${epoch})`,
  );
  if (r.action === 'upgrade') out.push(`  template: ${r.template.changes.length > 0 ? r.template.changes.join(', ') : `unchanged (revision ${shortRevision(r.name, r.revision.to)})`}`);
  else if (r.revision.to === undefined) out.push(`  template: annotation kubectl-zk/restartedAt (a new revision)`);
  if (r.plan.length > 0) {
    out.push(
      ...table(['ORDER', 'POD', 'ROLE', 'REVISION', 'IMAGE', 'WHY THIS ORDER'], planRows(r, r.plan))
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
    out.push(
      `  ${p.dim('each member: wait until the others serve and every voter is in sync with the leader; delete its pod; wait until the new pod is on the new revision and image, serves and is in sync')}`,
    );
  }
  if (r.alreadyDone.length > 0) out.push(`  already on revision ${shortRevision(r.name, r.revision.to)}: ${r.alreadyDone.join(', ')}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  for (const w of r.warnings) out.push(`  ${p.yellow('warning:')} ${w}`);
  return out.join('\n') + '\n';
}

function memberRow(r: RollResult, m: MemberStep, p: Paint): string[] {
  const outcome = m.outcome === 'done' ? p.green('done') : m.outcome === 'failed' ? p.red('FAILED') : p.yellow('interrupted');
  const revision =
    m.revisionAfter && m.revisionAfter !== m.revisionBefore
      ? `${shortRevision(r.name, m.revisionBefore)} → ${shortRevision(r.name, m.revisionAfter)}`
      : shortRevision(r.name, m.revisionAfter ?? m.revisionBefore);
  return [m.pod, `${m.roleBefore} → ${m.roleAfter ?? '?'}`, revision, dash(m.imageAfter ?? m.imageBefore), formatDuration(m.durationMs), m.waitedMs > 0 ? formatDuration(m.waitedMs) : '-', outcome];
}

/** The outcome of a run (or the plan for --dry-run). */
export function renderRoll(r: RollResult, p: Paint): string {
  if (r.dryRun) return renderRollPlan(r, p);
  if (r.outcome === 'nothing-to-do') return `ensemble "${r.name}" in namespace "${r.namespace}": ${r.notes[0] ?? 'nothing to do'}: nothing to do\n`;
  const out: string[] = [];
  const did = r.action === 'restart' ? 'restarted' : 'upgraded';
  if (r.outcome === 'done') {
    const rev = r.revision.from && r.revision.to && r.revision.from !== r.revision.to ? `, revision ${shortRevision(r.name, r.revision.from)} → ${shortRevision(r.name, r.revision.to)}` : '';
    out.push(
      `${p.green('✓')} ${did} ensemble "${r.name}" in namespace "${r.namespace}": ${r.members.length} member${r.members.length === 1 ? '' : 's'} in ${formatDuration(r.durationMs)}${rev}${r.resumed ? ' (resumed)' : ''}`,
    );
  } else {
    out.push(
      `${p.red('✗')} ${r.action} of ensemble "${r.name}" in namespace "${r.namespace}" ${p.red('stopped')}${r.stopped?.pod ? ` at ${r.stopped.pod}` : ''} after ${formatDuration(r.durationMs)}: ${r.stopped?.reason ?? '?'}`,
    );
  }
  if (r.template.changes.length > 0) out.push(`  template: ${r.template.changes.join(', ')}`);
  if (r.members.length > 0) {
    out.push(
      ...table(
        ['POD', 'ROLE', 'REVISION', 'IMAGE', 'TIME', 'WAITED', 'OUTCOME'],
        r.members.map((m) => memberRow(r, m, p)),
      )
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  if (r.alreadyDone.length > 0) out.push(`  already on the target revision: ${r.alreadyDone.join(', ')}`);
  if (r.elections.length === 0) out.push(`  elections: none${r.outcome === 'done' && !r.members.some((m) => m.why === 'leader') ? ' (the leader was already on the target revision)' : ''}`);
  for (const e of r.elections) out.push(`  election: ${electionText(e)}`);
  out.push(`  leader ${r.leaderBefore ?? 'none'} → ${r.leaderAfter ?? 'none'}, ${r.health === 'healthy' ? p.green('healthy') : p.yellow(r.health ?? 'unknown')}`);
  if (r.stopped) {
    if (r.stopped.remaining.length > 0) out.push(`  not on revision ${shortRevision(r.name, r.revision.to)}: ${r.stopped.remaining.join(', ')}`);
    out.push(`  ${r.stopped.hint}`);
  }
  for (const f of r.forced) out.push(`  ${p.yellow('forced despite:')} ${f}`);
  for (const w of r.warnings.filter((x) => !x.startsWith('--force despite'))) out.push(`  ${p.yellow('warning:')} ${w}`);
  return out.join('\n') + '\n';
}
