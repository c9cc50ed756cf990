import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import {validateName} from '../../manifests/options.js';
import type {TlsEnableResult} from '../../ops/tls/enable.js';
import {renderTlsEnable} from '../../render/tls-enable.js';
import {parseDuration} from '../../util/duration.js';
import {runRoll} from '../restart.js';

export default class TlsEnable extends ZkCommand<TlsEnableResult> {
  static override summary = 'Move a running plaintext ensemble to TLS (clients and quorum) without downtime: three rolls, in the order ZooKeeper documents.';
  static override description = `Phases (each recorded on the ConfigMap NAME-config, annotation kubectl-zk/tls-enable, so a run that stops resumes there when run again): certificates (the Secrets create --tls makes; the Services and the NetworkPolicy carry 2281 next to 2181); roll 1 (secure client port 2281 next to the plain one, quorum portUnification=true, sslQuorum=false); roll 2 (sslQuorum=true); clients-tls (a reconfig moves every member's plain client port to its loopback: plain clients are refused from here on; Services and NetworkPolicy 2281 only); roll 3 (portUnification off: the members run what create --tls makes). Each roll is restart's (the leader last, evictions, in sync before the next). Move your clients to 2281 with a certificate (kubectl zk certificate) before the clients-tls phase: docs/tls.md. Needs ZooKeeper 3.9. Exit codes: 0 done; 1 error (also: already TLS); 2 usage (an image older than 3.9, no terminal and no --yes); 3 refused (not healthy); 4 a roll stopped.`;
  static override examples = ['<%= config.bin %> tls enable zk --dry-run', '<%= config.bin %> tls enable zk --yes'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
    'dry-run': Flags.boolean({summary: 'Print the phases (and which are done); change nothing.'}),
    timeout: Flags.string({summary: 'Limit per member of each roll, e.g. 5m.', default: '5m'}),
    poll: Flags.string({summary: 'How often to ask the members and the API while waiting.', default: '500ms'}),
    settle: Flags.string({summary: 'Pause after a member is back and in sync, before the next one.', default: '5s'}),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<TlsEnableResult> {
    const {args, flags} = await this.parse(TlsEnable);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const pollMs = parseDuration(flags.poll, '--poll');
    const settleMs = parseDuration(flags.settle, '--settle');
    const kube = await rt.kube();
    const [{tlsEnable}, {ensembleProbe}] = await Promise.all([import('../../ops/tls/enable.js'), import('../../ops/ensemble/probe.js')]);
    const probe = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
    try {
      return await tlsEnable(
        {name: args.name, namespace: kube.namespace, dryRun: flags['dry-run'], timeoutMs, settleMs},
        {
          kube,
          clock: rt.clock,
          progress: rt.progress,
          signal: rt.signal,
          confirm: (q) => rt.confirm(q),
          endpoint: (ns, pod) => probe.forwarders.endpoint(ns, pod),
          sleep: rt.sleep,
          openStatus: () => {
            const fresh = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
            return {status: () => fresh.status(args.name, kube.namespace), close: () => fresh.close()};
          },
          roll: (req) => runRoll(rt, req, pollMs, {confirmed: true}),
        },
      );
    } finally {
      await probe.close();
    }
  }

  override render(result: TlsEnableResult): string {
    return renderTlsEnable(result);
  }

  override exitCodeFor(result: TlsEnableResult): number {
    return result.exitCode;
  }

  protected override async emit(result: TlsEnableResult): Promise<void> {
    await super.emit(result);
    if (result.stopped) this.rt.streams.stderr.write(`error: tls enable stopped at ${result.stopped.phase}: ${result.stopped.reason} (${result.stopped.hint})\n`);
  }
}
