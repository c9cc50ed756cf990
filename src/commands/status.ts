import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {OutputFormat, Runtime} from '../cli/runtime.js';
import type {StatusReport, StatusSummary, WatchResult} from '../ops/status.js';
import {clockTime, renderChange, renderStatus, renderSummary, renderWatchLine} from '../render/status.js';
import {parseDuration} from '../util/duration.js';

type Result = StatusReport | (StatusSummary & {allNamespaces: boolean}) | WatchResult;

const EXIT = {healthy: 0, degraded: 3, 'no-quorum': 4, unknown: 1} as const;

export default class Status extends ZkCommand<Result> {
  static override summary = "Show each member's role, zxid, connections and latency, and the quorum's health.";
  static override description = `Asks every member itself (srvr, mntr and conf over a port-forward to its client port, all in parallel) and the API server, then prints one report. Exit code: 0 healthy, 3 degraded (quorum, but a member is down, not ready or not synced), 4 no quorum, 1 when the report could not be made. Without NAME: one line per ensemble. --watch is the membership watch loop: it refreshes every --interval and marks leader changes, members going and coming back and epoch changes with timestamps.`;
  static override examples = [
    '<%= config.bin %> status zk',
    '<%= config.bin %> status zk -o wide',
    '<%= config.bin %> status zk --watch --interval 500ms',
    '<%= config.bin %> status --all-namespaces',
    '<%= config.bin %> status zk -o json',
  ];
  static override outputs: OutputFormat[] = ['json', 'yaml', 'wide'];
  static override args = {
    name: Args.string({required: false, ignoreStdin: true, description: 'Ensemble name (omit for a summary of all ensembles).'}),
  };
  static override flags = {
    'all-namespaces': Flags.boolean({char: 'A', summary: 'Summarize ensembles in every namespace.'}),
    watch: Flags.boolean({char: 'w', summary: 'Refresh until Ctrl-C, marking changes with timestamps.'}),
    interval: Flags.string({summary: 'Refresh interval with --watch.', default: '1s'}),
  };

  private watching = false;

  async execute(rt: Runtime): Promise<Result> {
    const {args, flags} = await this.parse(Status);
    const intervalMs = parseDuration(flags.interval, '--interval');
    const kube = await rt.kube();
    const [ops, {ensembleProbe}] = await Promise.all([import('../ops/status.js'), import('../ops/ensemble/probe.js')]);
    const probe = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
    const deps = probe.deps;
    try {
      if (!args.name) {
        if (flags.watch) throw new (await import('../errors.js')).UsageError('--watch needs an ensemble NAME');
        const {listEnsembles} = await import('../ops/list.js');
        const list = await listEnsembles({namespace: kube.namespace, allNamespaces: flags['all-namespaces']}, {kube, clock: rt.clock});
        const ensembles = await Promise.all(
          list.ensembles.map((e) =>
            ops.gatherStatus({name: e.name, namespace: e.namespace}, deps).then(ops.summaryLine, (err: unknown) => ({
              name: e.name,
              namespace: e.namespace,
              health: 'unknown' as const,
              ready: `${e.ready}/${e.replicas}`,
              error: err instanceof Error ? err.message : String(err),
            })),
          ),
        );
        if (ensembles.length === 0 && rt.output !== 'json' && rt.output !== 'yaml') {
          rt.streams.stderr.write(flags['all-namespaces'] ? 'No ensembles found.\n' : `No ensembles found in namespace "${kube.namespace}".\n`);
        }
        return {ensembles, allNamespaces: flags['all-namespaces']};
      }
      if (flags.watch) {
        this.watching = true;
        return await this.watch(rt, ops, {...deps, sleep: rt.sleep, signal: rt.signal}, args.name, kube.namespace, intervalMs);
      }
      return await ops.gatherStatus({name: args.name, namespace: kube.namespace}, deps);
    } finally {
      await probe.close();
    }
  }

  private async watch(rt: Runtime, ops: typeof import('../ops/status.js'), deps: import('../ops/status.js').WatchDeps, name: string, namespace: string, intervalMs: number): Promise<WatchResult> {
    const out = rt.streams.stdout;
    const tty = Boolean(out.isTTY) && rt.output !== 'json' && rt.output !== 'yaml';
    const recent: string[] = [];
    let first = true;
    return ops.watchStatus({name, namespace, intervalMs}, deps, ({report, changes, error}) => {
      if (rt.output === 'json') {
        out.write(`${JSON.stringify({report, changes, error})}\n`);
        return;
      }
      if (rt.output === 'yaml') {
        out.write(`---\n${JSON.stringify({report, changes, error})}\n`);
        return;
      }
      const lines = changes.map((c) => renderChange(c, rt.paint));
      if (error) lines.push(`${clockTime(new Date(rt.clock.now()).toISOString())} ${rt.paint.red(`error: ${error}`)}`);
      if (tty) {
        recent.push(...lines);
        recent.splice(0, Math.max(0, recent.length - 10));
        // redraw in place: home, clear screen
        out.write('\u001b[H\u001b[2J');
        if (report) out.write(renderStatus(report, rt.paint, rt.output === 'wide'));
        out.write(`\n${rt.paint.dim(`every ${intervalMs}ms; Ctrl-C to stop`)}\n`);
        for (const l of recent) out.write(`${l}\n`);
        return;
      }
      if (first && report) out.write(`${renderWatchLine(report)}\n`);
      first = false;
      for (const l of lines) out.write(`${l}\n`);
    });
  }

  /** --total-timeout bounds the whole watch (each refresh has the probe's own limit): reaching it ends the watch like Ctrl-C, exit 0. */
  protected override runsUntilStopped(flags: Record<string, unknown>): boolean {
    return Boolean(flags.watch);
  }

  override async emit(result: Result): Promise<void> {
    if (this.watching) return; // printed as it went
    await super.emit(result);
  }

  override render(result: Result, rt: Runtime): string {
    if ('watched' in result) return '';
    if ('ensembles' in result) return renderSummary(result, rt.paint, result.allNamespaces);
    return renderStatus(result, rt.paint, rt.output === 'wide');
  }

  override exitCodeFor(result: Result): number {
    if ('watched' in result) return 0;
    if ('ensembles' in result) return Math.max(0, ...result.ensembles.map((e) => EXIT[e.health]));
    return EXIT[result.health];
  }
}
