import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {validateName} from '../manifests/options.js';
import type {SecureResult} from '../ops/secure.js';
import {renderSecure} from '../render/secure.js';
import {parseDuration} from '../util/duration.js';

export default class Secure extends ZkCommand<SecureResult> {
  static override summary = 'Bring an ensemble to the closed-by-default settings: NetworkPolicy, AdminServer on loopback, no token, system ACLs.';
  static override description = `For ensembles made by an earlier kubectl-zk, or by create --no-wait. Applies the NetworkPolicy (quorum and election ports only from members; the client port from --allow-clients-from, else the live policy's sources, else the pods of the namespace), sets admin.serverAddress=127.0.0.1 in zoo.cfg and automountServiceAccountToken: false in the pod template, and when either changed restarts every member as kubectl zk restart does (one at a time, each back and in sync before the next, the leader last). Then sets the ACLs of /, /zookeeper and /zookeeper/quota so that nobody but the super user holds ADMIN. A second run changes nothing. Asks for confirmation on a terminal; scripts pass --yes.`;
  static override examples = ['<%= config.bin %> secure zk --dry-run', '<%= config.bin %> secure zk --yes', '<%= config.bin %> secure zk --allow-clients-from namespace=kafka --yes'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    ...lockFlags,
    'allow-clients-from': Flags.string({
      summary: "Who may connect to the client port (repeatable): same-namespace, all, namespace=NAME, podSelector=k=v[,k=v], namespaceSelector=k=v[,k=v]. Default: keep the live policy's sources.",
      multiple: true,
    }),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
    'dry-run': Flags.boolean({summary: 'Print what would change; change nothing.'}),
    timeout: Flags.string({summary: 'Limit per member of the restart, e.g. 5m.', default: '5m'}),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  async execute(rt: Runtime): Promise<SecureResult> {
    const {args, flags} = await this.parse(Secure);
    validateName(args.name);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const [{parseClientSources}, {loadAssets}, {secureEnsemble}, {MemberForwarders}, {forwardedConnector}, {connectZk}, {runRoll}] = await Promise.all([
      import('../manifests/network.js'),
      import('../manifests/assets.js'),
      import('../ops/secure.js'),
      import('../ops/members.js'),
      import('../ops/znode.js'),
      import('../zk/client.js'),
      import('./restart.js'),
    ]);
    const clientSources = flags['allow-clients-from'] ? parseClientSources(flags['allow-clients-from']) : undefined;
    const kube = await rt.kube();
    const forwarders = new MemberForwarders(kube);
    const target = {namespace: kube.namespace, ensemble: args.name};
    try {
      return await secureEnsemble(
        {name: args.name, namespace: kube.namespace, clientSources, dryRun: flags['dry-run']},
        {
          kube,
          progress: rt.progress,
          assets: loadAssets(),
          connect: (auth) => forwardedConnector({kube, forwarders, dial: connectZk, debug: rt.debug}, target, {auth, signal: rt.signal})(),
          roll: () => runRoll(rt, {name: args.name, action: 'restart', force: false, dryRun: false, timeoutMs}, 500, {confirmed: true}),
          confirm: (q) => rt.confirm(q),
        },
      );
    } finally {
      await forwarders.close();
    }
  }

  override render(result: SecureResult, rt: Runtime): string {
    return renderSecure(result, rt.paint);
  }
}
