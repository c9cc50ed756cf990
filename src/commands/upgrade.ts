import {Args, Flags} from '@oclif/core';
import type {Runtime} from '../cli/runtime.js';
import {UsageError} from '../errors.js';
import {DEFAULT_IMAGE, DEFAULT_ZOOKEEPER_VERSION, validateEnsembleOptions, validateImage, validateName} from '../manifests/options.js';
import type {RollResult} from '../ops/roll/types.js';
import {parseDuration} from '../util/duration.js';
import {parseHeapMb, parseQuantity} from '../util/quantity.js';
import {lockFlags} from '../base.js';
import {ROLL_DESCRIPTION_TAIL, RollCommand, rollFlags, runRoll} from './restart.js';

export default class Upgrade extends RollCommand {
  static override summary = 'Change the image (or cpu, memory, heap) and roll it out one member at a time, the leader last.';
  static override description = `Patches only the fields it changes in the StatefulSet's pod template (the zookeeper container's image, imagePullPolicy, cpu request, memory request/limit and ZK_HEAP_MB, and the version label), validated with create's rules, then evicts the member pods one at a time (the Eviction API: PodDisruptionBudgets are respected). The replicas and the ConfigMap's membership are never touched (kubectl zk scale owns them). --memory without --heap sets the heap to half the memory, as create does. Upgrading back to the previous image after a stopped upgrade replaces only the members on the broken revision (the StatefulSet reuses the old revision).
${ROLL_DESCRIPTION_TAIL}`;
  static override examples = [
    `<%= config.bin %> upgrade zk --image ${DEFAULT_IMAGE}`,
    `<%= config.bin %> upgrade zk --image ${DEFAULT_IMAGE} --dry-run`,
    '<%= config.bin %> upgrade zk --memory 2Gi --heap 1g --yes',
    `<%= config.bin %> upgrade zk --image registry.example.com/zookeeper:${DEFAULT_ZOOKEEPER_VERSION} --image-pull-policy IfNotPresent -o json --yes`,
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    image: Flags.string({summary: 'The new container image (bash and zkServer.sh on PATH).'}),
    'image-pull-policy': Flags.string({summary: 'Always, IfNotPresent or Never.', options: ['Always', 'IfNotPresent', 'Never']}),
    cpu: Flags.string({summary: 'CPU request per member.'}),
    memory: Flags.string({summary: 'Memory request and limit per member (the heap follows: half, unless --heap).'}),
    heap: Flags.string({summary: 'JVM heap, e.g. 512m (at most 75% of the memory limit; default half).'}),
    ...rollFlags,
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<RollResult> {
    const {args, flags} = await this.parse(Upgrade);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const pollMs = parseDuration(flags.poll, '--poll');
    const change = {image: flags.image, imagePullPolicy: flags['image-pull-policy'], cpu: flags.cpu, memory: flags.memory, heap: flags.heap};
    if (Object.values(change).every((v) => v === undefined)) {
      throw new UsageError('nothing to upgrade', 'pass --image, --cpu, --memory, --heap or --image-pull-policy (kubectl zk restart restarts without a change)');
    }
    // usage errors before the cluster is contacted; the rules that need the current values run in the op
    if (change.image !== undefined) validateImage(change.image);
    if (change.cpu !== undefined && parseQuantity(change.cpu, 'cpu') <= 0) throw new UsageError('--cpu must be positive');
    if (change.memory !== undefined && parseQuantity(change.memory, 'memory') < 128 * 2 ** 20) throw new UsageError(`--memory ${change.memory} is too small`, 'ZooKeeper needs at least 128Mi');
    if (change.heap !== undefined) parseHeapMb(change.heap);
    if (change.memory !== undefined && change.heap !== undefined) validateEnsembleOptions({name: args.name, namespace: 'default', memory: change.memory, heap: change.heap});
    const settleMs = parseDuration(flags.settle, '--settle');
    return runRoll(rt, {name: args.name, action: 'upgrade', change, force: flags.force, dryRun: flags['dry-run'], timeoutMs, settleMs}, pollMs);
  }
}
