import type {SecureResult} from '../ops/secure.js';
import type {Paint} from '../util/progress.js';

export function renderSecure(r: SecureResult, paint: Paint): string {
  const p = r.plan;
  const lines: string[] = [];
  const head = r.dryRun ? 'would' : 'did';
  if (r.unchanged) {
    lines.push(`${paint.green('✓')} ensemble "${r.name}" in namespace "${r.namespace}" is already closed by default: nothing to change`);
  } else if (r.dryRun) {
    lines.push(`ensemble "${r.name}" in namespace "${r.namespace}": secure would`);
  } else {
    lines.push(`${paint.green('✓')} ensemble "${r.name}" in namespace "${r.namespace}" is closed by default`);
  }
  const np = p.networkPolicy;
  lines.push(
    `  NetworkPolicy: ${np.action === 'keep' ? 'kept' : `${head === 'would' ? '' : ''}${np.action === 'create' ? 'created' : 'updated'}`}; clients from ${np.clientsFrom.join(', ')}${np.before && np.action !== 'keep' ? ` (was ${np.before.join(', ')})` : ''}`,
  );
  lines.push(`  zoo.cfg:       ${p.zooCfg.length === 0 ? 'as wanted' : p.zooCfg.map((c) => `${c.key}=${c.to}${c.from !== undefined ? ` (was ${c.from})` : ''}`).join(', ')}`);
  lines.push(`  pod template:  ${p.template.length === 0 ? 'as wanted' : p.template.join(', ')}`);
  lines.push(`  restart:       ${p.restart ? (r.roll ? `${r.roll.members} member(s) restarted, the leader last` : 'every member, one at a time, the leader last') : 'not needed'}`);
  lines.push(`  system ACLs:   ${r.acls.length === 0 ? 'as wanted' : r.acls.map((a) => `${a.path} ${a.before} -> ${a.after}`).join('; ')}`);
  if (r.dryRun && !r.unchanged) lines.push(paint.dim('  (dry run: nothing was changed)'));
  return lines.join('\n') + '\n';
}
