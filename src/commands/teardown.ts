import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {validateName} from '../manifests/options.js';
import type {TeardownResult} from '../ops/teardown.js';
import {renderTeardown} from '../render/teardown.js';
import {parseDuration} from '../util/duration.js';

export default class Teardown extends ZkCommand<TeardownResult> {
  static override summary = 'Delete an ensemble created by kubectl zk, keeping its data unless told otherwise.';
  static override description = `Deletes the StatefulSet, Services, PodDisruptionBudget, ConfigMap, Secret and NetworkPolicy labelled for the ensemble and managed by kubectl-zk (nothing else), waits until its pods are gone, and keeps the data volumes (PersistentVolumeClaims) unless --delete-data. Asks for confirmation on a terminal; scripts pass --yes. Removing an ensemble that does not exist is not an error.`;
  static override examples = [
    '<%= config.bin %> teardown zk',
    '<%= config.bin %> teardown zk --namespace prod --yes',
    '<%= config.bin %> teardown zk --delete-data --yes',
    '<%= config.bin %> teardown zk --dry-run',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    'delete-data': Flags.boolean({summary: 'Also delete the data volumes (PersistentVolumeClaims). Irreversible.'}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
    'dry-run': Flags.boolean({summary: 'List what would be deleted.'}),
    wait: Flags.boolean({summary: 'Wait until the pods (and, with --delete-data, the volumes) are gone.', default: true, allowNo: true}),
    timeout: Flags.string({summary: 'How long to wait.', default: '5m'}),
  };

  protected override removesLock(): boolean {
    return true;
  }

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<TeardownResult> {
    const {args, flags} = await this.parse(Teardown);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const kube = await rt.kube();
    const {teardownEnsemble} = await import('../ops/teardown.js');
    return teardownEnsemble(
      {name: args.name, namespace: kube.namespace, deleteData: flags['delete-data'], dryRun: flags['dry-run'], wait: flags.wait, timeoutMs},
      {kube, clock: rt.clock, sleep: rt.sleep, progress: rt.progress, confirm: (q) => rt.confirm(q), signal: rt.signal},
    );
  }

  override render(result: TeardownResult, rt: Runtime): string {
    return renderTeardown(result, rt.paint);
  }
}
