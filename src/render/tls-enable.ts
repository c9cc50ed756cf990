import type {TlsEnableResult} from '../ops/tls/enable.js';
import {formatDuration} from '../util/duration.js';

const MARK = {'done-before': 'done before', done: 'done', planned: 'to do', stopped: 'STOPPED'} as const;

/** tls enable: one line per phase. */
export function renderTlsEnable(r: TlsEnableResult): string {
  const head = r.dryRun
    ? `tls enable "${r.name}" in namespace "${r.namespace}" (dry run: nothing changed)${r.resumedAfter ? `; resumes after ${r.resumedAfter}` : ''}`
    : `tls enable "${r.name}" in namespace "${r.namespace}": ${r.outcome} in ${formatDuration(r.durationMs)}`;
  const lines = r.phases.map((p) => {
    const roll = p.roll ? ` (rolled ${p.roll.members.join(', ') || 'none'} in ${formatDuration(p.roll.durationMs)}, ${p.roll.elections} election${p.roll.elections === 1 ? '' : 's'})` : '';
    return `  ${MARK[p.state].padEnd(11)} ${p.phase.padEnd(14)} ${p.what}${roll}`;
  });
  return [head, ...lines].join('\n') + '\n';
}
