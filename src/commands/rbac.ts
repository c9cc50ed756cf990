import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import {offlineNamespace, type Runtime} from '../cli/runtime.js';
import type {KubeObject} from '../kube/types.js';
import {validateName} from '../manifests/options.js';
import {objectList, renderObjectsYaml} from '../render/create.js';

type Result = {apiVersion: 'v1'; kind: 'List'; items: KubeObject[]};

export default class Rbac extends ZkCommand<Result> {
  static override summary = 'Print the least-privilege Role (and RoleBinding) for running kubectl-zk commands in a namespace.';
  static override description = `Prints a Role with exactly the permissions the given commands need in the namespace (all commands when none is given), and a RoleBinding when --service-account, --user or --group names who gets it. Pipe it to kubectl apply -f -. Contacts nothing. list -A and status -A read every namespace: bind the same rules with a ClusterRole for those. create and secure also check, cluster-wide, that namespaces named by --allow-clients-from exist; without "get namespaces" they warn and go on.`;
  static override examples = [
    '<%= config.bin %> rbac status znode -n prod',
    '<%= config.bin %> rbac -n prod --service-account ci-deployer | kubectl apply -f -',
    '<%= config.bin %> rbac create teardown -n dev --user alice --name zk-admin',
    '<%= config.bin %> rbac status restart -n prod --tls-ensemble zk --service-account ops',
  ];
  static override strict = false;
  static override args = {
    command: Args.string({description: 'Commands to grant (list, status, znode, create, scale, restart, upgrade, secure, failover-test, teardown); default: all.'}),
  };
  static override flags = {
    name: Flags.string({summary: 'Name of the Role and RoleBinding.', default: 'kubectl-zk'}),
    'service-account': Flags.string({summary: 'Bind to this ServiceAccount (NAME, or NAMESPACE:NAME).'}),
    user: Flags.string({summary: 'Bind to this user.'}),
    group: Flags.string({summary: 'Bind to this group.'}),
    'tls-ensemble': Flags.string({
      summary: "An ensemble made with --tls (repeatable): status, restart, upgrade and failover-test also get its Secret NAME-tls-client (kubectl-zk's client certificate), by resourceNames.",
      multiple: true,
    }),
  };

  async execute(rt: Runtime): Promise<Result> {
    const {argv, flags} = await this.parse(Rbac);
    const {renderRbac, RBAC_COMMANDS} = await import('../ops/rbac.js');
    const commands = (argv as string[]).length > 0 ? [...new Set(argv as string[])] : RBAC_COMMANDS;
    const namespace = await offlineNamespace(rt);
    for (const n of flags['tls-ensemble'] ?? []) validateName(n);
    return objectList(renderRbac({commands, namespace, name: flags.name, serviceAccount: flags['service-account'], user: flags.user, group: flags.group, tlsEnsembles: flags['tls-ensemble'] ?? []}));
  }

  override async serialize(result: Result, format: 'json' | 'yaml'): Promise<string> {
    if (format === 'yaml') return renderObjectsYaml(result.items);
    return super.serialize(result, format);
  }

  override render(result: Result): string {
    return renderObjectsYaml(result.items);
  }
}
