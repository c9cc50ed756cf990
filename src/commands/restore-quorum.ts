import {randomBytes} from 'node:crypto';
import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {validateName} from '../manifests/options.js';
import type {RestoreQuorumResult} from '../ops/restore-quorum.js';
import {renderRestoreQuorum} from '../render/restore-quorum.js';
import {parseDuration} from '../util/duration.js';
import {withScaleDeps} from './scale.js';

export default class RestoreQuorum extends ZkCommand<RestoreQuorumResult> {
  static override summary = 'Bring back an ensemble whose majority of voters is lost for good, from the surviving voter with the most data.';
  static override description = `For when a quorum cannot come back (two of three members lost with their volumes): reconfig needs a quorum, so the surviving voter with the highest last logged zxid (the one ZooKeeper's own election would pick; read from its election log line) restarts as the only voter with its data, and the other members are rebuilt empty from it one at a time (member replace's add step: each syncs as a non-voting learner before reconfig adds it back).
Before the survivor restarts, the other members' pods and volume claims are deleted, so an old majority can never come back beside it. Transactions the lost members committed after the survivor's last zxid are lost: the result says how far behind anything recorded it was. Refused while a quorum serves (use member replace). Asks on a terminal; scripts pass --yes. --dry-run shows the survivor and what would be lost.`;
  static override examples = ['<%= config.bin %> restore-quorum zk --dry-run', '<%= config.bin %> restore-quorum zk', '<%= config.bin %> restore-quorum zk --yes -o json'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
    'dry-run': Flags.boolean({summary: 'Show the survivor and what may be lost; change nothing.'}),
    wait: Flags.boolean({summary: 'Afterwards, wait until every member serves and is in sync.', default: true, allowNo: true}),
    timeout: Flags.string({summary: 'Limit for each step (the survivor restart, each member rebuilt) and for the final wait, e.g. 10m.', default: '10m'}),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<RestoreQuorumResult> {
    const {args, flags} = await this.parse(RestoreQuorum);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const [{restoreQuorum}, {kubeQuorumMembers}] = await Promise.all([import('../ops/restore-quorum.js'), import('../ops/quorum/kube.js')]);
    const kube = await rt.kube();
    return withScaleDeps(rt, args.name, false, (deps, namespace) =>
      restoreQuorum(
        {name: args.name, namespace, dryRun: flags['dry-run'], wait: flags.wait, timeoutMs},
        {...deps, quorum: kubeQuorumMembers({kube, namespace, name: args.name, clock: rt.clock, sleep: rt.sleep, signal: rt.signal, token: randomBytes(6).toString('hex')})},
      ),
    );
  }

  override render(result: RestoreQuorumResult, rt: Runtime): string {
    return renderRestoreQuorum(result, rt.paint);
  }
}
