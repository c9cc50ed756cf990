import type {TeardownResult} from '../ops/teardown.js';
import type {Paint} from '../util/progress.js';

export function renderTeardown(r: TeardownResult, paint: Paint): string {
  const lines: string[] = [];
  const skipped = r.skipped.length > 0 ? [`left alone (labelled like "${r.name}" but not made by kubectl-zk for it): ${r.skipped.map((d) => `${d.kind}/${d.name}`).join(', ')}`] : [];
  if (!r.found) {
    if (skipped.length > 0) return [`ensemble "${r.name}" not found in namespace "${r.namespace}": nothing to delete`, ...skipped].join('\n') + '\n';
    return `ensemble "${r.name}" not found in namespace "${r.namespace}": nothing to delete\n`;
  }
  if (r.dryRun) {
    lines.push(`would delete (dry run):`);
    for (const d of r.deleted) lines.push(`  ${d.kind}/${d.name}`);
    for (const v of r.deletedVolumes) lines.push(`  PersistentVolumeClaim/${v}`);
    if (r.keptVolumes.length > 0) lines.push(`would keep ${r.keptVolumes.length} volume claim(s): ${r.keptVolumes.join(', ')}`);
    lines.push(...skipped);
    return lines.join('\n') + '\n';
  }
  if (r.deleted.length > 0) lines.push(`${paint.green('✓')} deleted ${r.deleted.map((d) => `${d.kind}/${d.name}`).join(', ')}`);
  if (r.deletedVolumes.length > 0) lines.push(`${paint.green('✓')} deleted volume claim(s) ${r.deletedVolumes.join(', ')}`);
  if (r.keptVolumes.length > 0) {
    lines.push(`kept ${r.keptVolumes.length} volume claim(s) with the data: ${r.keptVolumes.join(', ')}`);
    lines.push(`  (delete them with: kubectl zk teardown ${r.name} -n ${r.namespace} --delete-data)`);
  }
  lines.push(...skipped);
  return lines.join('\n') + '\n';
}
