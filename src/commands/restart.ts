import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {validateName} from '../manifests/options.js';
import type {RollRequest, RollResult} from '../ops/roll/types.js';
import {renderRoll, renderRollPlan} from '../render/roll.js';
import {parseDuration} from '../util/duration.js';

/** The flags restart and upgrade share. */
export const rollFlags = {
  force: Flags.boolean({
    summary: 'Start although the ensemble is not healthy or a member is missing (not-serving members go first; a serving voter is still never stopped while the others lack a quorum).',
  }),
  yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
  'dry-run': Flags.boolean({summary: 'Print the plan (order, who leads now); change nothing.'}),
  timeout: Flags.string({summary: 'Limit per member: waiting for the others to be in sync, then its new pod back, serving and in sync, e.g. 5m.', default: '5m'}),
  poll: Flags.string({summary: 'How often to ask the members and the API while waiting.', default: '500ms'}),
  settle: Flags.string({summary: 'Pause after a member is back and in sync, before the next member is evicted (0 = none).', default: '5s'}),
};

export const ROLL_DESCRIPTION_TAIL = `Order: members that do not serve first, then observers, then followers (highest ordinal first), the leader last, so a roll causes exactly one leader election (reported: old leader → new leader, epoch, time). Before each member: every other member serves and every remaining voter is in sync with the leader (its zk_synced_followers and zk_pending_syncs). After it: the new pod carries the StatefulSet's new revision (label controller-revision-hash = status.updateRevision) and image, serves, and the leader has it in sync. The first member that does not come back within --timeout, or whose new pod cannot start (image pull failure, crash loop: the pod's own reason is shown), stops the roll with the rest untouched and the quorum intact.
Safe to run again after an interruption (Ctrl-C too): members already on the target revision are skipped. Refuses an unhealthy ensemble or a missing member unless --force; asks for confirmation on a terminal, scripts pass --yes (no terminal and no --yes: refused). Progress per member on stderr; -o json is the result (per-member durations, the election).
Exit codes: 0 done (or nothing to do); 3 refused (not healthy, a member missing); 4 stopped at a member that did not come back; 1 error; 2 usage (also: no terminal and no --yes); 130 interrupted.`;

/** Runs one roll with the Kubernetes collaborators; shared by restart and upgrade. */
export async function runRoll(rt: Runtime, req: Omit<RollRequest, 'namespace'>, pollMs: number, opts: {confirmed?: boolean} = {}): Promise<RollResult> {
  const kube = await rt.kube();
  const [{rollEnsemble}, {ensembleProbe, whoLeads}] = await Promise.all([import('../ops/roll.js'), import('../ops/ensemble/probe.js')]);
  const probe = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
  const namespace = kube.namespace;
  const endpoint = probe.deps.endpoint;
  const machine = rt.output === 'json' || rt.output === 'yaml';
  try {
    return await rollEnsemble(
      {...req, namespace},
      {
        kube,
        status: () => probe.status(req.name, namespace),
        clock: rt.clock,
        sleep: rt.sleep,
        progress: rt.progress,
        confirm: opts.confirmed ? async () => true : (q) => rt.confirm(q),
        announce: machine ? undefined : (planned) => rt.streams.stderr.write(renderRollPlan(planned, rt.errPaint)),
        signal: rt.signal,
        pollMs,
        whoLeads: whoLeads(endpoint, namespace),
      },
    );
  } finally {
    await probe.close();
  }
}

/** restart and upgrade: the result, then (when stopped) the pod's details and one error line on stderr. */
export abstract class RollCommand extends ZkCommand<RollResult> {
  override render(result: RollResult, rt: Runtime): string {
    return renderRoll(result, rt.paint);
  }

  override exitCodeFor(result: RollResult): number {
    return result.exitCode;
  }

  protected override async emit(result: RollResult): Promise<void> {
    await super.emit(result);
    if (result.stopped) {
      const err = this.rt.streams.stderr;
      for (const d of result.stopped.details) err.write(`  ${d}\n`);
      err.write(`error: ${result.action} stopped${result.stopped.pod ? ` at ${result.stopped.pod}` : ''}: ${result.stopped.reason} (${result.stopped.hint})\n`);
    }
  }
}

export default class Restart extends RollCommand {
  static override summary = 'Restart every member, one at a time, the leader last (one election), each back and in sync before the next.';
  static override description = `The StatefulSet's updateStrategy is OnDelete, so kubectl-zk chooses the order: it sets the pod-template annotation kubectl-zk/restartedAt (a new template revision; nothing else changes) and evicts the member pods one at a time (the Eviction API: a PodDisruptionBudget that allows no disruption stops the roll with the budget's name after --timeout). A run that finds an incomplete restart or upgrade (members on different revisions) continues it instead of starting over.
${ROLL_DESCRIPTION_TAIL}`;
  static override examples = [
    '<%= config.bin %> restart zk',
    '<%= config.bin %> restart zk --dry-run',
    '<%= config.bin %> restart zk --yes -o json',
    '<%= config.bin %> restart zk --timeout 10m --force',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {...lockFlags, ...rollFlags};

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<RollResult> {
    const {args, flags} = await this.parse(Restart);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const pollMs = parseDuration(flags.poll, '--poll');
    const settleMs = parseDuration(flags.settle, '--settle');
    return runRoll(rt, {name: args.name, action: 'restart', force: flags.force, dryRun: flags['dry-run'], timeoutMs, settleMs}, pollMs);
  }
}
