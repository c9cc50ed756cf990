import type {BackupResult} from '../ops/backup.js';
import type {ScheduleResult, UnscheduleResult} from '../ops/backup-schedule.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** The progress text: bytes so far (of the total when the server said), and the rate. */
export function progressText(bytes: number, total: number | undefined, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? `, ${formatBytes(Math.round((bytes * 1000) / elapsedMs))}/s` : '';
  return `${formatBytes(bytes)}${total ? ` of ${formatBytes(total)}` : ''}${rate}`;
}

export function renderBackup(r: BackupResult): string {
  const where = r.file === '-' ? 'stdout' : r.file;
  const eph = r.ephemeral > 0 ? ` (+${r.ephemeral} ephemeral, not restorable)` : '';
  const manifest = r.manifestFile ? `; manifest ${r.manifestFile}` : '';
  return `backed up ${r.namespace}/${r.ensemble} from ${r.member} at zxid ${r.lastZxid}: ${formatBytes(r.size)} to ${where} in ${(r.durationMs / 1000).toFixed(1)}s (${formatBytes(r.bytesPerSecond)}/s), ${r.znodes} znodes${eph}, sha256 ${r.sha256.slice(0, 16)}…${manifest}\n`;
}

export function renderSchedule(r: ScheduleResult | UnscheduleResult): string {
  if (r.action === 'unschedule') {
    const what = r.removed.length === 0 ? 'no scheduled backup was there' : `${r.dryRun ? 'would remove' : 'removed'} ${r.removed.join(', ')}`;
    return `${r.namespace}/${r.ensemble}: ${what}\n`;
  }
  const policy = r.networkPolicy === 'rule added' ? (r.dryRun ? '; the NetworkPolicy would get the rule for the backup pods' : '; the NetworkPolicy got the rule for the backup pods') : '';
  const head = r.dryRun ? 'would schedule' : 'scheduled';
  return (
    `${head} backups of ${r.namespace}/${r.ensemble} at "${r.schedule}" into PVC ${r.pvc}, keeping the newest ${r.keep} (CronJob ${r.cronJob}, image ${r.image})${policy}\n` +
    (r.dryRun ? '' : `run one now: kubectl create job -n ${r.namespace} --from=cronjob/${r.cronJob} ${r.cronJob}-manual\n`)
  );
}
