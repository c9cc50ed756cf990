import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {KubeObject} from '../kube/types.js';
import {UsageError} from '../errors.js';
import type {Runtime} from '../cli/runtime.js';
import type {BackupResult} from '../ops/backup.js';
import type {ScheduleResult, UnscheduleResult} from '../ops/backup-schedule.js';
import {progressText, renderBackup, renderSchedule} from '../render/backup.js';
import {renderObjectsYaml} from '../render/create.js';

type Result = BackupResult | ScheduleResult | UnscheduleResult | {apiVersion: 'v1'; kind: 'List'; items: KubeObject[]};

export default class Backup extends ZkCommand<Result> {
  static override summary = 'Stream a snapshot of the ensemble to a file (ZooKeeper 3.9+), with a manifest beside it.';
  static override description = `Asks every member for its zxid (srvr) and streams the AdminServer's snapshot from the one with the highest (the leader on a tie), as the super user (password from the Secret NAME-auth), through a port-forward to the pod's loopback. The bytes go to FILE.partial, which becomes FILE only when the whole snapshot arrived and reads as one (Ctrl-C, a dropped stream or a full disk leave no FILE). FILE.json, the manifest, records ensemble, member, server version, last zxid, time, size, sha256, and the znode counts of the snapshot itself. The tree checksum restore verifies against (path, data and ACL of every znode) is computed by restore from the file, whose sha256 the manifest holds. -f - writes the snapshot to stdout (no manifest; the summary goes to stderr). On ZooKeeper 3.8 (no snapshot command) it says so: use kubectl zk export there.

--schedule CRON --to-pvc PVC [--keep N] schedules backups instead: a CronJob NAME-backup in the ensemble's own image runs a small Java program (ConfigMap NAME-backup) that makes a logical export over the client port as the super user (the AdminServer stays on the members' loopback) and writes NAME-<UTC time>.jsonl into the PVC, keeping the newest N; kubectl zk import reads those files. The PVC must exist. The ensemble's NetworkPolicy gets a rule admitting the backup pods on the client port. --dry-run prints the objects; --unschedule removes them (the PVC and its files stay); teardown removes them too. docs/backup.md says why this design.`;
  static override examples = [
    '<%= config.bin %> backup zk -f zk.snap',
    '<%= config.bin %> backup zk -f - > zk.snap',
    '<%= config.bin %> backup zk -f /backups/zk.snap --force -o json',
    '<%= config.bin %> backup zk --schedule "0 3 * * *" --to-pvc zk-backups --keep 7',
    '<%= config.bin %> backup zk --unschedule',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    file: Flags.string({char: 'f', summary: 'The snapshot file ("-": stdout). Default NAME-<UTC time>.snap.'}),
    force: Flags.boolean({summary: 'Replace FILE and FILE.json when they exist.'}),
    schedule: Flags.string({summary: 'Schedule backups instead (cron, five fields, e.g. "0 3 * * *"): a CronJob writes logical exports into --to-pvc.', helpGroup: 'SCHEDULE'}),
    'to-pvc': Flags.string({summary: 'With --schedule: the PersistentVolumeClaim the backups go to (must exist).', helpGroup: 'SCHEDULE'}),
    keep: Flags.integer({summary: 'With --schedule: how many backups to keep in the PVC (the oldest go).', default: 7, helpGroup: 'SCHEDULE'}),
    unschedule: Flags.boolean({summary: 'Remove the scheduled backup (CronJob and ConfigMap NAME-backup; the PVC stays).', helpGroup: 'SCHEDULE'}),
    'dry-run': Flags.boolean({summary: 'With --schedule or --unschedule: print what would be applied or removed; change nothing.', helpGroup: 'SCHEDULE'}),
  };

  private toStdout = false;

  /** --schedule/--unschedule change the ensemble's objects (CronJob, ConfigMap, NetworkPolicy rule): they take its lock; a one-off backup only reads. */
  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return !flags['dry-run'] && (flags.schedule !== undefined || flags.unschedule) ? String(args.name) : undefined;
  }

  async execute(rt: Runtime): Promise<Result> {
    const {args, flags} = await this.parse(Backup);
    if (flags.schedule !== undefined || flags.unschedule || flags['to-pvc'] !== undefined) return this.scheduled(rt, args.name, flags);
    if (flags['dry-run']) throw new UsageError('--dry-run goes with --schedule or --unschedule');
    const [ops, {validateName}, {checkTarget}] = await Promise.all([import('../ops/backup.js'), import('../manifests/options.js'), import('../util/atomic-file.js')]);
    validateName(args.name);
    const file =
      flags.file ??
      `${args.name}-${new Date(rt.clock.now())
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}.snap`;
    this.toStdout = file === '-';
    if (!this.toStdout) {
      await checkTarget(file, flags.force);
      await checkTarget(ops.manifestPath(file), flags.force);
    }
    const kube = await rt.kube();
    const members = await ops.forwardedMemberDeps(kube, kube.namespace, args.name);
    const tty = Boolean(rt.streams.stderr.isTTY) && rt.output === 'human';
    const step = tty ? rt.progress.step(`backing up ${args.name}`) : undefined;
    const started = rt.clock.now();
    let last = 0;
    try {
      const r = await ops.backup(
        {ensemble: args.name, namespace: kube.namespace, file, force: flags.force},
        {
          ...members,
          clock: rt.clock,
          sleep: rt.sleep,
          signal: rt.signal,
          stdout: rt.streams.stdout,
          onProgress: (bytes, total) => {
            const now = rt.clock.now();
            if (!step || now - last < 250) return;
            last = now;
            step.update(progressText(bytes, total, now - started));
          },
        },
      );
      step?.succeed(`backed up ${args.name}`);
      return r;
    } catch (err) {
      step?.fail();
      throw err;
    } finally {
      await members.close();
    }
  }

  private async scheduled(
    rt: Runtime,
    name: string,
    flags: {schedule?: string; 'to-pvc'?: string; keep: number; unschedule: boolean; 'dry-run': boolean; file?: string; force: boolean},
  ): Promise<Result> {
    const [ops, {validateName}, {loadAssets}, {objectList}] = await Promise.all([
      import('../ops/backup-schedule.js'),
      import('../manifests/options.js'),
      import('../manifests/assets.js'),
      import('../render/create.js'),
    ]);
    validateName(name);
    if (flags.file !== undefined || flags.force) throw new UsageError('-f/--force write one backup now; they do not go with --schedule or --unschedule');
    if (flags.unschedule) {
      if (flags.schedule !== undefined || flags['to-pvc'] !== undefined) throw new UsageError('--unschedule takes neither --schedule nor --to-pvc');
      const kube = await rt.kube();
      return ops.unscheduleBackup({name, namespace: kube.namespace, dryRun: flags['dry-run']}, {kube});
    }
    if (flags.schedule === undefined || flags['to-pvc'] === undefined) throw new UsageError('--schedule and --to-pvc go together', 'e.g. --schedule "0 3 * * *" --to-pvc zk-backups');
    const req = {schedule: flags.schedule, pvc: flags['to-pvc'], keep: flags.keep};
    ops.checkScheduleRequest(req);
    const kube = await rt.kube();
    const r = await ops.scheduleBackup({...req, name, namespace: kube.namespace, dryRun: flags['dry-run']}, {kube, assets: loadAssets()});
    return r.dryRun && r.objects ? objectList(r.objects) : r;
  }

  override async serialize(result: Result, format: 'json' | 'yaml'): Promise<string> {
    if ('kind' in result && format === 'yaml') return renderObjectsYaml(result.items);
    return super.serialize(result, format);
  }

  protected override async emit(result: Result): Promise<void> {
    if (!this.toStdout || !('sha256' in result)) return super.emit(result);
    const err = this.rt.streams.stderr;
    if (this.rt.output === 'json' || this.rt.output === 'yaml') err.write(await this.serialize(result, this.rt.output));
    else err.write(renderBackup(result));
  }

  override render(result: Result): string {
    if ('kind' in result) return renderObjectsYaml(result.items);
    if ('action' in result) return renderSchedule(result);
    return renderBackup(result);
  }
}
