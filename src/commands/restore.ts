// Node's built-in modules are imported statically (see create.ts)
import {randomBytes} from 'node:crypto';
import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {DEFAULT_IMAGE} from '../manifests/options.js';
import type {RestoreResult} from '../ops/restore.js';
import {renderRestore} from '../render/restore.js';
import {parseDuration} from '../util/duration.js';
import {memberFlags, memberOptions} from './create.js';

export default class Restore extends ZkCommand<RestoreResult> {
  static override summary = 'Restore a backup (kubectl zk backup) into a new ensemble, verified member by member (ZooKeeper 3.9+).';
  static override description = `Checks the file first (a ZooKeeper snapshot; sha256 and size as its manifest FILE.json says; reads to its end): a missing, foreign, corrupted or truncated file is refused with nothing made. When NAME does not exist it is created with one member, the snapshot restored on it as NAME's own super user, a snapshot taken at once (a restore alone is not durable), the member restarted, the tree verified (znode count and a checksum over path, data and ACL equal to the backup's), then grown to --replicas with the scale op (every new member syncs from the leader) and each member verified. Ephemeral znodes of the backup go when their sessions expire after that restart (no client holds them). An existing NAME must have exactly one member (a follower restored alone would be overwritten by its leader): with data it asks first (--yes for scripts; refuses without a terminal); with more members it refuses. ZooKeeper allows one restore per member per 5 minutes (admin.rateLimiterIntervalInMS): a second one sooner is refused with that explanation.`;
  static override examples = [
    '<%= config.bin %> restore zk-restored --from zk.snap',
    '<%= config.bin %> restore zk2 --from zk.snap --replicas 5 --storage 10Gi',
    '<%= config.bin %> restore dev --from zk.snap --replicas 1 --yes',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'The ensemble to restore into (created when it does not exist).'}),
  };
  static override flags = {
    ...lockFlags,
    from: Flags.string({summary: 'The snapshot file made by kubectl zk backup (its manifest FILE.json beside it).', required: true}),
    replicas: Flags.integer({summary: 'Members after the restore.', default: 3}),
    yes: Flags.boolean({char: 'y', summary: 'Replace the data of an existing one-member ensemble without asking.'}),
    ...memberFlags,
    image: Flags.string({summary: 'Container image for a new ensemble (ZooKeeper 3.9+).', default: DEFAULT_IMAGE}),
    timeout: Flags.string({summary: 'How long each wait may take (create, restart, each scale step), e.g. 5m.', default: '5m'}),
  };

  protected override lockTarget(args: Record<string, unknown>, _flags: Record<string, unknown>): string | undefined {
    return String(args.name);
  }

  async execute(rt: Runtime): Promise<RestoreResult> {
    const {args, flags} = await this.parse(Restore);
    const [{validateEnsembleOptions}, ops, {kubeRestoreDeps}, {checkSnapshotHead}, {validateShape}] = await Promise.all([
      import('../manifests/options.js'),
      import('../ops/restore.js'),
      import('../ops/restore-kube.js'),
      import('../ops/restore-core.js'),
      import('../ops/scale/plan.js'),
    ]);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    validateShape(flags.replicas);
    const member = (namespace: string) => validateEnsembleOptions({name: args.name, namespace, replicas: 1, ...memberOptions(flags)});
    member('default'); // usage errors (name, sizes, image) before the cluster is contacted (and the lock taken)
    await checkSnapshotHead(flags.from);
    const kube = await rt.kube();
    const {options, warnings} = member(kube.namespace);
    const deps = await kubeRestoreDeps({
      kube,
      namespace: kube.namespace,
      name: args.name,
      options,
      warnings,
      timeoutMs,
      clock: rt.clock,
      sleep: rt.sleep,
      progress: rt.progress,
      signal: rt.signal,
      confirm: (q) => rt.confirm(q),
      newPassword: () => randomBytes(24).toString('base64url'),
      debug: rt.debug,
    });
    try {
      return await ops.restore({name: args.name, namespace: kube.namespace, from: flags.from, replicas: flags.replicas}, deps);
    } finally {
      await deps.close();
    }
  }

  override render(result: RestoreResult): string {
    return renderRestore(result);
  }
}
