import type {ReportResult} from '../ops/report.js';
import type {Paint} from '../util/progress.js';

/** Where the report went, how big, and what could not be gathered. */
export function renderReport(r: ReportResult, paint: Paint): string {
  const lines = [`wrote ${r.file}: ${r.files.length} files, ${(r.bytes / 1024).toFixed(1)} KiB, report of ${r.namespace}/${r.name}`];
  if (r.redactions > 0) lines.push(`${r.redactions} secret value${r.redactions === 1 ? '' : 's'} found in gathered text and redacted`);
  if (r.errors.length > 0) {
    lines.push(`${paint.yellow('!')} not gathered (${r.errors.length}, listed in errors.txt):`);
    for (const e of r.errors.slice(0, 10)) lines.push(`  ${e}`);
    if (r.errors.length > 10) lines.push(`  … ${r.errors.length - 10} more`);
  }
  lines.push('nothing secret is in it (Secret values redacted); review it before you attach it');
  return `${lines.join('\n')}\n`;
}
