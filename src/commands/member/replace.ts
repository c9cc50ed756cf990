import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import {UsageError} from '../../errors.js';
import {MAX_REPLICAS, validateName} from '../../manifests/options.js';
import type {ScaleResult} from '../../ops/scale/types.js';
import {renderScale} from '../../render/scale.js';
import {withScaleDeps} from '../scale.js';
import {parseDuration} from '../../util/duration.js';

export default class MemberReplace extends ZkCommand<ScaleResult> {
  static override summary = "Rebuild one member on an empty volume (its node or disk is lost): out of the membership, new volume, back in once it holds the leader's data.";
  static override description = `For a member that cannot come back with its data: its volume was on a node that is gone (the pod stays Pending on the volume, see kubectl zk status), or its disk is damaged. ORDINAL is the pod's number (zk-1: 1; server id = ordinal + 1).
Steps, while the other members keep a quorum: reconfig remove (the member no longer votes); the ConfigMap gets the membership plus the member as a joiner; its PersistentVolumeClaim data-NAME-<ordinal> and its pod are deleted (a pod still Terminating past its grace period, on a lost node, is deleted without grace) and the StatefulSet makes both anew on a node that can hold them; the new member starts empty and serves as a non-voting learner while it takes the data from the leader; then reconfig add, and the op waits until it is committed and in sync. An empty disk never votes before it holds the data.
Refused without a quorum, for the only voter, when taking the member out would leave the others without a serving majority, for a member that serves and is Ready unless --force, and when the ensemble requires one member per node (create --spread) and no schedulable node is free of another member. Asks on a terminal; scripts pass --yes. Running it again after an interruption finishes it.`;
  static override examples = ['<%= config.bin %> member replace zk 1', '<%= config.bin %> member replace zk 2 --yes -o json', '<%= config.bin %> member replace zk 0 --dry-run'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
    ordinal: Args.string({required: true, ignoreStdin: true, description: 'The member pod’s ordinal (zk-1: 1).'}),
  };
  static override flags = {
    ...lockFlags,
    force: Flags.boolean({summary: 'Rebuild a member that serves and is Ready (its data is taken from the leader again).'}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
    'dry-run': Flags.boolean({summary: 'Print the plan; change nothing.'}),
    wait: Flags.boolean({summary: 'Afterwards, wait until every member serves and is in sync.', default: true, allowNo: true}),
    timeout: Flags.string({summary: 'Limit for each step and for the final wait, e.g. 10m.', default: '10m'}),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<ScaleResult> {
    const {args, flags} = await this.parse(MemberReplace);
    validateName(args.name);
    const ordinal = Number(args.ordinal);
    if (!/^\d+$/.test(args.ordinal) || ordinal >= MAX_REPLICAS) {
      throw new UsageError(`ORDINAL must be a member pod's number from 0 to ${MAX_REPLICAS - 1}, got "${args.ordinal}"`, `for pod ${args.name}-1, ORDINAL is 1`);
    }
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const {replaceMember} = await import('../../ops/scale.js');
    return withScaleDeps(rt, args.name, false, (deps, namespace) =>
      replaceMember({name: args.name, namespace, ordinal, force: flags.force, dryRun: flags['dry-run'], wait: flags.wait, timeoutMs}, deps),
    );
  }

  override render(result: ScaleResult, rt: Runtime): string {
    return renderScale(result, rt.paint);
  }
}
