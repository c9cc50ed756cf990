import {Args, Flags} from '@oclif/core';
import type {SpreadChoice} from '../ops/ensemble/spread.js';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {validateName} from '../manifests/options.js';
import type {ScaleDeps, ScaleResult} from '../ops/scale/types.js';
import {renderPlan, renderScale} from '../render/scale.js';
import {parseDuration} from '../util/duration.js';

export default class Scale extends ZkCommand<ScaleResult> {
  static override summary = 'Change the number of voting members (and observers) through ZooKeeper dynamic reconfiguration, one member at a time.';
  static override description = `Voting members are the lowest ordinals, observers the ordinals after them (server id = ordinal + 1). Existing members are never restarted.
Scale up, per new member: the ConfigMap's membership becomes the committed one plus the joiner (with membership-version = the committed version), a stale volume of that ordinal is deleted (--keep-volumes reuses it), StatefulSet replicas + 1, the op waits until the new server serves as a non-voting learner, adds it with an incremental reconfig, waits until the change is committed and the leader has it in sync, and records the new committed membership in the ConfigMap.
Scale down, per removed member (highest ordinal first): reconfig remove (also when it leads: the hand-off is confirmed by reading the config back), wait for the commit and a leader among the rest, record the membership, StatefulSet replicas - 1, wait for the pod to go, and delete its volume (data-NAME-<ordinal>) unless --keep-volumes. Refused when the remaining voters would not have a serving majority (--force tries anyway); asks for confirmation on a terminal, scripts pass --yes.
--observers M adds or removes observers at the tail; when the voter count changes while observers exist, the observers are removed first, the voters changed, and the observers added back (printed in the plan).
The plan is printed first (--dry-run prints only the plan), progress per step on stderr. --timeout limits each member step and the final health wait.`;
  static override examples = [
    '<%= config.bin %> scale zk --replicas 5',
    '<%= config.bin %> scale zk --replicas 3 --yes -o json',
    '<%= config.bin %> scale zk --replicas 3 --observers 2',
    '<%= config.bin %> scale zk --replicas 1 --keep-volumes --yes',
    '<%= config.bin %> scale zk --replicas 5 --dry-run',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    replicas: Flags.integer({summary: 'Voting members wanted (1-255; odd counts tolerate failures best).', required: true}),
    observers: Flags.integer({summary: 'Observers wanted (non-voting members after the voters; default: keep the current number).'}),
    'keep-volumes': Flags.boolean({summary: 'Keep the data volumes of removed members, and reuse a kept volume when that ordinal is added again (default: delete them).'}),
    force: Flags.boolean({summary: 'Scale down although the remaining voters would lack a serving majority (risky: see the description).'}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation before removing members.'}),
    'dry-run': Flags.boolean({summary: 'Print the plan; change nothing.'}),
    wait: Flags.boolean({summary: 'After the last step, wait until every member serves and is in sync.', default: true, allowNo: true}),
    timeout: Flags.string({summary: 'Limit for each member step and for the final wait, e.g. 5m.', default: '5m'}),
    spread: Flags.string({
      summary:
        "Change the pod template's spreading, decided for the new member count as create --spread decides it (auto, required, preferred, none). Without it, growing past what a required spread allows is refused. Running members are not restarted; they take it at their next restart.",
      options: ['auto', 'required', 'preferred', 'none'],
    }),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<ScaleResult> {
    const {args, flags} = await this.parse(Scale);
    validateName(args.name);
    const [{scaleEnsemble}, {validateShape}] = await Promise.all([import('../ops/scale.js'), import('../ops/scale/plan.js')]);
    validateShape(flags.replicas, flags.observers);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    return withScaleDeps(rt, args.name, flags['keep-volumes'], (deps, namespace) =>
      scaleEnsemble(
        {
          name: args.name,
          namespace,
          voters: flags.replicas,
          observers: flags.observers,
          keepVolumes: flags['keep-volumes'],
          force: flags.force,
          dryRun: flags['dry-run'],
          wait: flags.wait,
          timeoutMs,
          spread: flags.spread as SpreadChoice | undefined,
        },
        deps,
      ),
    );
  }

  override render(result: ScaleResult, rt: Runtime): string {
    return renderScale(result, rt.paint);
  }
}

/** scale's collaborators over the cluster (members, the status probe, the super user, progress), closed after `run`; member replace uses them too. */
export async function withScaleDeps<T>(rt: Runtime, name: string, keepVolumes: boolean, run: (deps: ScaleDeps, namespace: string) => Promise<T>): Promise<T> {
  const [{kubeScaleMembers, readSuperAuth}, {ensembleProbe}] = await Promise.all([import('../ops/scale/kube.js'), import('../ops/ensemble/probe.js')]);
  const kube = await rt.kube();
  const probe = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
  const namespace = kube.namespace;
  const machine = rt.output === 'json' || rt.output === 'yaml';
  try {
    return await run(
      {
        members: kubeScaleMembers({kube, namespace, name, keepVolumes, endpoint: probe.deps.endpoint, clock: rt.clock, sleep: rt.sleep, signal: rt.signal}),
        status: () => probe.status(name, namespace),
        auth: () => readSuperAuth(kube, namespace, name),
        clock: rt.clock,
        sleep: rt.sleep,
        progress: rt.progress,
        confirm: (q) => rt.confirm(q),
        announce: machine ? undefined : (planned) => rt.streams.stderr.write(renderPlan(planned, rt.errPaint)),
        signal: rt.signal,
      },
      namespace,
    );
  } finally {
    await probe.close();
  }
}
