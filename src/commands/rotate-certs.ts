import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {UsageError} from '../errors.js';
import type {Forwarder} from '../kube/types.js';
import {PORTS} from '../manifests/names.js';
import {validateName} from '../manifests/options.js';
import type {RotateResult} from '../ops/tls/rotate.js';
import {renderRotateCerts} from '../render/rotate-certs.js';
import {parseDuration} from '../util/duration.js';
import {rollFlags, runRoll} from './restart.js';

export default class RotateCerts extends ZkCommand<RotateResult> {
  static override summary = 'Renew the certificates of an ensemble made with --tls (or, with --ca and then --finish, its CA) without downtime.';
  static override description = `Without a flag: every member and kubectl-zk get a new key and certificate (the same names) from the ensemble's CA (Secret NAME-tls-ca). --ca starts a CA rotation: a new CA, and every trust store (the members', kubectl-zk's) holds the old and the new CA; the members keep their certificates. During that two-CA period give each application the new trust bundle and a certificate from the new CA (kubectl zk certificate), then --finish: the members and kubectl-zk get certificates from the new CA, then the old CA leaves every trust store and its certificates no longer connect.
Each stage writes the Secrets, waits until the kubelet has updated every member's files (the secure client port serves them: up to --sync-timeout; the kubelet syncs Secret volumes within about a minute), then restarts every member with restart's roll (leader last, one election, each back and in sync before the next: client sessions move, none expires), because ZooKeeper's quorum TLS does not reload files from a Secret volume (docs/tls.md). Then it checks per member the certificate served, and with --ca/--finish that a client certificate from the new CA is accepted and (--finish) one from the old CA refused.
Refused (exit 3) for an ensemble without TLS, an unhealthy one, --ca during a CA rotation and --finish without one; nothing is changed then. Asks on a terminal; scripts pass --yes. --dry-run prints the stages and the Secrets it would patch (values redacted).
Exit codes: 0 done; 3 refused; 4 a stage did not end as written (a member did not come back or did not serve its new certificate); 1 error; 2 usage.`;
  static override examples = [
    '<%= config.bin %> rotate-certs zk',
    '<%= config.bin %> rotate-certs zk --dry-run',
    '<%= config.bin %> rotate-certs zk --ca --yes',
    '<%= config.bin %> rotate-certs zk --finish --yes',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    ca: Flags.boolean({summary: 'Start a CA rotation: a new CA, trusted beside the old one (then --finish).', exclusive: ['finish']}),
    finish: Flags.boolean({summary: 'End a CA rotation: members on the new CA, then the old CA dropped.', exclusive: ['ca']}),
    yes: rollFlags.yes,
    'dry-run': Flags.boolean({summary: 'Print the stages and the Secrets (redacted); change nothing.'}),
    timeout: rollFlags.timeout,
    poll: rollFlags.poll,
    settle: rollFlags.settle,
    'sync-timeout': Flags.string({summary: "How long to wait for the kubelet to update the members' files before each restart.", default: '3m'}),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  override exitCodeFor(result: RotateResult): number {
    return result.exitCode;
  }

  async execute(rt: Runtime): Promise<RotateResult> {
    const {args, flags} = await this.parse(RotateCerts);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const pollMs = parseDuration(flags.poll, '--poll');
    const settleMs = parseDuration(flags.settle, '--settle');
    const syncTimeoutMs = parseDuration(flags['sync-timeout'], '--sync-timeout');
    if (flags.ca && flags.finish) throw new UsageError('--ca and --finish are two runs');
    const [{rotateCerts}, {servedCertificate}, {memberServerName}] = await Promise.all([import('../ops/tls/rotate.js'), import('../tls/served.js'), import('../tls/ensemble.js')]);
    const kube = await rt.kube();
    const namespace = kube.namespace;
    const forwards = new Map<string, Promise<Forwarder>>();
    const forward = (pod: string) => {
      let f = forwards.get(pod);
      if (!f) forwards.set(pod, (f = kube.portForward(namespace, pod, PORTS.secureClient)));
      return f;
    };
    return rotateCerts(
      {name: args.name, namespace, mode: flags.ca ? 'ca' : flags.finish ? 'finish' : 'renew', dryRun: flags['dry-run'], syncTimeoutMs},
      {
        kube,
        clock: rt.clock,
        sleep: rt.sleep,
        progress: rt.progress,
        signal: rt.signal,
        confirm: (q) => rt.confirm(q),
        roll: (dryRun) => runRoll(rt, {name: args.name, action: 'restart', force: false, dryRun, timeoutMs, settleMs}, pollMs, {confirmed: true}),
        check: async (pod, identity) => servedCertificate(await forward(pod), identity, memberServerName(args.name, namespace, pod)),
      },
    );
  }

  override render(result: RotateResult, rt: Runtime): string {
    return renderRotateCerts(result, rt.paint);
  }
}
