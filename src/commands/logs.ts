import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {OutputFormat, Runtime} from '../cli/runtime.js';
import type {LogsResult} from '../ops/logs.js';
import {logLineJson, renderLogLine} from '../render/logs.js';
import {parseDuration} from '../util/duration.js';

export default class Logs extends ZkCommand<LogsResult> {
  static override summary = "Print every member's log merged by time, each line tagged with its member and role; -f follows across restarts.";
  static override description = `Reads the zookeeper container's log of every member with the kubelet's timestamps and merges the lines by time; each line starts with the member and its role now (leader, follower, observer; "down" when it does not answer srvr). With -f it keeps following: lines from the members are ordered within a short window, roles are asked again every 2s, and a member whose container restarts or whose pod is replaced is followed into the new container from the last line printed (the old container's last lines first, when the pod is the same). Ctrl-C stops. -o json prints one JSON object per line (time, member, role, text).`;
  static override examples = [
    '<%= config.bin %> logs zk',
    '<%= config.bin %> logs zk --since 10m --tail 200',
    '<%= config.bin %> logs zk -f',
    '<%= config.bin %> logs zk -f -o json | jq -r \'select(.role == "leader") | .text\'',
  ];
  static override outputs: OutputFormat[] = ['json'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    follow: Flags.boolean({char: 'f', summary: 'Keep following, across container restarts and pod replacements, until Ctrl-C.'}),
    since: Flags.string({summary: 'Only lines newer than this, e.g. 10m, 1h.'}),
    tail: Flags.integer({summary: 'Lines per member from the end (-1: all).', default: -1, min: -1}),
    timestamps: Flags.boolean({summary: "Start each line with the kubelet's time."}),
  };

  async execute(rt: Runtime): Promise<LogsResult> {
    const {args, flags} = await this.parse(Logs);
    const {validateName} = await import('../manifests/options.js');
    validateName(args.name);
    const sinceMs = flags.since !== undefined ? parseDuration(flags.since, '--since') : undefined;
    if (sinceMs === 0) throw new (await import('../errors.js')).UsageError('--since must be more than 0', 'e.g. --since 10m');
    const kube = await rt.kube();
    const [ops, {MemberForwarders}, {memberProbe, probeTimeout}] = await Promise.all([import('../ops/logs.js'), import('../ops/ensemble/forwarders.js'), import('../ops/ensemble/probe.js')]);
    const forwarders = new MemberForwarders(kube);
    const probe = memberProbe(forwarders, probeTimeout(rt.requestTimeoutMs));
    const width = args.name.length + 4;
    const out = rt.streams.stdout;
    try {
      const result = await ops.printLogs(
        {name: args.name, namespace: kube.namespace, follow: flags.follow, sinceSeconds: sinceMs === undefined ? undefined : sinceMs / 1000, tailLines: flags.tail >= 0 ? flags.tail : undefined},
        {
          kube,
          clock: rt.clock,
          sleep: rt.sleep,
          signal: rt.signal,
          roles: async (pods) => new Map((await probe(kube.namespace, [...pods])).map((p) => [p.pod, p.mode ?? 'down'])),
          emit: (l) => out.write(rt.output === 'json' ? logLineJson(l) : renderLogLine(l, rt.paint, {timestamps: flags.timestamps, memberWidth: width})),
        },
      );
      for (const e of result.errors) rt.streams.stderr.write(`warning: ${e}\n`);
      return result;
    } finally {
      await forwarders.close();
    }
  }

  /** -f with --total-timeout: how long to follow; reaching it ends like Ctrl-C, exit 0. */
  protected override runsUntilStopped(flags: Record<string, unknown>): boolean {
    return Boolean(flags.follow);
  }

  protected override async emit(_result: LogsResult): Promise<void> {
    // the lines were printed as they came
  }
}
