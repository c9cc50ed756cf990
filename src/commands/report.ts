import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import type {ReportResult} from '../ops/report.js';
import {renderReport} from '../render/report.js';

export default class Report extends ZkCommand<ReportResult> {
  static override summary = 'Write one .tar.gz with everything a bug report needs about an ensemble (nothing secret in it).';
  static override description = `The archive holds: the live objects (StatefulSet, Services, ConfigMap, Secret with its values redacted, PodDisruptionBudget, NetworkPolicy, pods, PersistentVolumeClaims and their volumes) and the manifests this version would render for the same settings; each pod's description and the ensemble's events; the last --tail log lines of every container (and of the previous container after a restart); srvr, mntr and conf of every member and, from its AdminServer, connections (cons), watch_summary, last_snapshot and voting_view; the dynamic config (/zookeeper/config); the nodes' conditions; the status report; the plugin's version and this command's arguments; and errors.txt with what could not be gathered. Every file is scrubbed for the values of the ensemble's Secret. The file appears only when complete; an existing path is refused unless --force.`;
  static override examples = ['<%= config.bin %> report zk', '<%= config.bin %> report zk -n prod -f zk-report.tar.gz --tail 2000', '<%= config.bin %> report zk -f zk-report.tar.gz --force'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override flags = {
    file: Flags.string({char: 'f', summary: 'Archive to write (default: kzk-report-NAME-<UTC time>.tar.gz here).'}),
    force: Flags.boolean({summary: 'Replace the file -f names when it exists.'}),
    tail: Flags.integer({summary: 'Log lines per container (and per previous container).', default: 1000, min: 1, max: 1_000_000}),
  };

  async execute(rt: Runtime): Promise<ReportResult> {
    const {args, flags} = await this.parse(Report);
    const {validateName} = await import('../manifests/options.js');
    validateName(args.name);
    const kube = await rt.kube();
    const [ops, {ensembleProbe, probeTimeout}, {MemberForwarders}, {loadAssets}, {versionInfo}, {PORTS}] = await Promise.all([
      import('../ops/report.js'),
      import('../ops/ensemble/probe.js'),
      import('../ops/ensemble/forwarders.js'),
      import('../manifests/assets.js'),
      import('./version.js'),
      import('../manifests/names.js'),
    ]);
    const probe = ensembleProbe(kube, {clock: rt.clock, requestTimeoutMs: rt.requestTimeoutMs});
    const admin = new MemberForwarders(kube, PORTS.admin);
    try {
      return await ops.writeReport(
        {name: args.name, namespace: kube.namespace, tailLines: flags.tail, file: flags.file, force: flags.force},
        {
          kube,
          clock: rt.clock,
          endpoint: (ns, pod) => probe.forwarders.endpoint(ns, pod),
          adminEndpoint: (ns, pod) => admin.endpoint(ns, pod),
          status: (name, ns) => probe.status(name, ns),
          assets: loadAssets(),
          plugin: {version: versionInfo(this.config.version), argv: this.argv, context: kube.context, server: kube.server},
          timeoutMs: probeTimeout(rt.requestTimeoutMs),
        },
      );
    } finally {
      await Promise.all([probe.close(), admin.close()]);
    }
  }

  override render(result: ReportResult, rt: Runtime): string {
    return renderReport(result, rt.paint);
  }
}
