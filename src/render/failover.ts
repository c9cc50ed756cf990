import type {FigureKey, RoundFigures, Stats} from '../ops/failover/figures.js';
import type {FailoverReport, FailoverRound, Outcome} from '../ops/failover/types.js';
import {formatDuration} from '../util/duration.js';
import type {Paint} from '../util/progress.js';
import {table} from './table.js';

const OUTCOME_TEXT: Record<Outcome, string> = {
  pass: 'PASS',
  'data-loss': 'FAIL: DATA LOSS',
  'no-new-leader': 'FAIL: no new leader',
  'not-recovered': 'FAIL: not fully recovered',
  precondition: 'NOT RUN: precondition failed',
  interrupted: 'INTERRUPTED',
};

export const FIGURE_LABELS: Record<FigureKey, string> = {
  leaderLossMs: 'leader loss seen',
  electionMs: 'election (new leader seen)',
  firstAckMs: 'first acknowledged write',
  unavailabilityMs: 'unavailability (longest ack gap)',
  memberBackMs: 'disrupted member back',
  syncedMs: 'followers synced',
  recoveryMs: 'full recovery',
  acked: 'writes acknowledged',
  failed: 'writes failed',
  lost: 'writes lost',
  committedUnacked: 'committed, not acknowledged',
};

const isCount = (k: FigureKey) => k === 'acked' || k === 'failed' || k === 'lost' || k === 'committedUnacked';

function outcomeText(o: Outcome, p: Paint): string {
  const t = OUTCOME_TEXT[o];
  return o === 'pass' ? p.green(t) : o === 'interrupted' || o === 'precondition' ? p.yellow(t) : p.red(p.bold(t));
}

const ms = (v: number | undefined) => (v === undefined ? '-' : formatDuration(v));

/** "+412ms", "-1.52s" */
export function offset(tMs: number): string {
  return `${tMs < 0 ? '-' : '+'}${formatDuration(Math.abs(tMs))}`;
}

function figureLines(f: RoundFigures, r: FailoverRound, p: Paint): string[] {
  const out: string[] = [];
  const gap = r.unavailability;
  out.push(`  Election:        ${ms(f.electionMs)}${f.leaderLossMs !== undefined ? `   (leader loss seen after ${ms(f.leaderLossMs)})` : ''}`);
  if (r.writes.ratePerSec > 0) {
    out.push(
      `  Unavailability:  ${ms(f.unavailabilityMs)}${gap ? `   (longest gap between acknowledged writes, ${offset(gap.fromMs)} → ${offset(gap.toMs)}${gap.open ? ', still open when the writer stopped' : ''})` : ''}`,
    );
    out.push(`  First write ack: ${f.firstAckMs === undefined ? p.yellow('none after the disruption') : `${ms(f.firstAckMs)} after the disruption`}`);
  }
  out.push(`  Member back:     ${ms(f.memberBackMs)}`);
  out.push(`  Synced again:    ${ms(f.syncedMs)}`);
  out.push(`  Full recovery:   ${ms(f.recoveryMs)}`);
  if (r.writes.ratePerSec > 0) {
    const lost = f.lost > 0 ? p.red(p.bold(`lost ${f.lost}`)) : `lost ${f.lost}`;
    out.push(
      `  Writes:          ${r.writes.attempted} issued at ${r.writes.ratePerSec}/s: acknowledged ${f.acked}, failed ${f.failed} (unavailability, not loss), ${lost}${f.committedUnacked > 0 ? `, ${f.committedUnacked} failed but committed` : ''}`,
    );
  } else {
    out.push('  Writes:          none (--no-load)');
  }
  return out;
}

/** One round: header, timeline, key figures, per-member verification, problems. */
export function renderRound(r: FailoverRound, p: Paint, rounds: number): string {
  const out: string[] = [];
  const title = rounds > 1 ? `Round ${r.round}` : 'Result';
  const who = r.before ? `leader ${r.before.leader} (epoch ${r.before.epoch ?? '?'})${r.newLeader ? ` → new leader ${r.newLeader.pod} (epoch ${r.newLeader.epoch ?? '?'})` : ''}` : '';
  out.push(`${p.bold(title)}: ${outcomeText(r.outcome, p)}${who ? `   ${who}` : ''}`);
  if (r.disruption) out.push(`  Disruption:      ${r.disruption.detail}`);
  if (r.timeline.length > 0) {
    out.push('');
    const rows = r.timeline.map((e) => [offset(e.tMs), e.event, e.detail]);
    out.push(
      table(['T', 'EVENT', 'DETAIL'], rows)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    out.push('');
  }
  if (r.figures) out.push(...figureLines(r.figures, r, p));
  if (r.polling.polls > 0) out.push(`  Resolution:      membership polled every ${formatDuration(r.polling.intervalMs)}, ${r.polling.polls} polls, longest ${formatDuration(r.polling.longestMs)}`);
  if (r.audit) {
    if (r.audit.skipped) out.push(`  Verified:        ${p.yellow(`not verified: ${r.audit.skipped}`)}`);
    else {
      out.push(`  Verified:        each member read alone${r.audit.barrier ? ', after it applied a barrier write' : p.yellow(' (no barrier write could be made)')}`);
      for (const m of r.audit.members) {
        const ok = m.reachable && m.caughtUp && m.marker === 'ok' && m.missing.length === 0 && !m.error;
        const writes = m.present === undefined ? '' : `, ${m.present} writes present${m.missing.length > 0 ? p.red(`, ${m.missing.length} acknowledged missing`) : ''}`;
        out.push(`    ${ok ? p.green('✓') : p.red('✗')} ${m.pod}: marker ${m.marker === 'ok' ? 'ok' : p.red(m.marker)}${writes}${m.error ? p.red(` (${m.error})`) : ''}`);
      }
    }
  }
  if (r.writes.lost.length > 0) {
    out.push(p.red(p.bold(`  ACKNOWLEDGED BUT LOST (${r.writes.lost.length}):`)));
    for (const w of r.writes.lost) out.push(p.red(`    ${w.name}  issued ${new Date(w.startedAt).toISOString()}, acknowledged ${w.ackedAt === undefined ? '?' : new Date(w.ackedAt).toISOString()}`));
  }
  for (const pr of r.problems) out.push(`  ${p.red('problem:')} ${pr}`);
  if (r.ensemble && r.outcome !== 'pass') {
    out.push(`  Ensemble now:    ${r.ensemble.health}, leader ${r.ensemble.leader ?? 'none'}: ${r.ensemble.members.map((m) => `${m.pod} ${m.role}`).join(', ')}`);
  }
  if (r.cleanup.kept) out.push(`  Data kept:       ${r.path}`);
  else if (!r.cleanup.removed && r.cleanup.error) out.push(`  ${p.yellow('not cleaned up:')} ${r.path} (${r.cleanup.error})`);
  return out.join('\n') + '\n';
}

/** min/median/max per figure over the rounds. */
export function renderSummary(summary: Partial<Record<FigureKey, Stats>>, rounds: number): string {
  const rows: string[][] = [];
  for (const [k, st] of Object.entries(summary) as [FigureKey, Stats][]) {
    const f = (v: number) => (isCount(k) ? String(Math.round(v * 10) / 10) : formatDuration(v));
    rows.push([FIGURE_LABELS[k], f(st.min), f(st.median), f(st.max), `${st.n}/${rounds}`]);
  }
  return table(['FIGURE', 'MIN', 'MEDIAN', 'MAX', 'ROUNDS'], rows);
}

export function renderFailover(r: FailoverReport, p: Paint): string {
  const out: string[] = [];
  out.push(`${p.bold(`Failover test of ensemble ${r.name}`)} (namespace ${r.namespace}), mode ${r.mode}, run ${r.runId}`);
  if (r.forced.length > 0) out.push(p.yellow(`  forced despite: ${r.forced.join('; ')}`));
  out.push('');
  for (const round of r.rounds) out.push(renderRound(round, p, r.roundsRequested));
  if (r.rounds.length > 1) {
    out.push(p.bold(`Summary over ${r.rounds.length} rounds`));
    out.push(renderSummary(r.summary, r.rounds.length));
  }
  out.push(`${r.rounds.length > 1 ? 'Overall' : 'Outcome'}: ${outcomeText(r.outcome, p)} (exit ${r.exitCode})`);
  return out.join('\n') + '\n';
}
