import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import type {BackupResult} from '../ops/backup.js';
import {progressText, renderBackup} from '../render/backup.js';

export default class Backup extends ZkCommand<BackupResult> {
  static override summary = 'Stream a snapshot of the ensemble to a file (ZooKeeper 3.9+), with a manifest beside it.';
  static override description = `Asks every member for its zxid (srvr) and streams the AdminServer's snapshot from the one with the highest (the leader on a tie), as the super user (password from the Secret NAME-auth), through a port-forward to the pod's loopback. The bytes go to FILE.partial, which becomes FILE only when the whole snapshot arrived and reads as one (Ctrl-C, a dropped stream or a full disk leave no FILE). FILE.json, the manifest, records ensemble, member, server version, last zxid, time, size, sha256, and the znode count and tree checksum of the snapshot itself (what restore verifies against). -f - writes the snapshot to stdout (no manifest; the summary goes to stderr). On ZooKeeper 3.8 (no snapshot command) it says so: use kubectl zk export there.`;
  static override examples = [
    '<%= config.bin %> backup zk -f zk.snap',
    '<%= config.bin %> backup zk -f - > zk.snap',
    '<%= config.bin %> backup zk -f /backups/zk.snap --force -o json',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    file: Flags.string({char: 'f', summary: 'The snapshot file ("-": stdout). Default NAME-<UTC time>.snap.'}),
    force: Flags.boolean({summary: 'Replace FILE and FILE.json when they exist.'}),
  };

  private toStdout = false;

  async execute(rt: Runtime): Promise<BackupResult> {
    const {args, flags} = await this.parse(Backup);
    const [ops, {validateName}, {checkTarget}] = await Promise.all([import('../ops/backup.js'), import('../manifests/options.js'), import('../util/atomic-file.js')]);
    validateName(args.name);
    const file = flags.file ?? `${args.name}-${new Date(rt.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.snap`;
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

  protected override async emit(result: BackupResult): Promise<void> {
    if (!this.toStdout) return super.emit(result);
    const err = this.rt.streams.stderr;
    if (this.rt.output === 'json' || this.rt.output === 'yaml') err.write(await this.serialize(result, this.rt.output));
    else err.write(renderBackup(result));
  }

  override render(result: BackupResult): string {
    return renderBackup(result);
  }
}
