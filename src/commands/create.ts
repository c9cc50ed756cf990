// Node's built-in modules are imported statically: a dynamic import() cannot run in the
// executable's startup snapshot (scripts/build-bundle.ts refuses one)
import {randomBytes} from 'node:crypto';
import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import {offlineNamespace, type Runtime} from '../cli/runtime.js';
import type {KubeObject} from '../kube/types.js';
import {DEFAULT_IMAGE} from '../manifests/options.js';
import type {CreateResult} from '../ops/create.js';
import type {SpreadChoice} from '../ops/ensemble/spread.js';
import {objectList, redactSecrets, renderCreate, renderObjectsYaml} from '../render/create.js';
import {parseDuration} from '../util/duration.js';
import {UsageError} from '../errors.js';

type Result = CreateResult | {apiVersion: 'v1'; kind: 'List'; items: KubeObject[]};

/** What each member's pod is made of: create's flags, shared with restore (which creates the ensemble it restores into). */
export const memberFlags = {
  image: Flags.string({summary: 'Container image with bash and zkServer.sh on PATH.', default: DEFAULT_IMAGE}),
  'image-pull-policy': Flags.string({summary: 'Always, IfNotPresent or Never.', options: ['Always', 'IfNotPresent', 'Never']}),
  storage: Flags.string({summary: "Size of each member's data volume.", default: '1Gi'}),
  'storage-class': Flags.string({summary: "StorageClass of the data volumes (default: the cluster's default)."}),
  ephemeral: Flags.boolean({summary: 'emptyDir instead of volumes: data is lost with the pods (development only).', exclusive: ['storage', 'storage-class']}),
  cpu: Flags.string({summary: 'CPU request per member.', default: '250m'}),
  memory: Flags.string({summary: 'Memory request and limit per member.', default: '1Gi'}),
};

/** What the member flags say, as validateEnsembleOptions takes it (create and restore). */
export function memberOptions(flags: {image: string; 'image-pull-policy'?: string; storage: string; 'storage-class'?: string; ephemeral: boolean; cpu: string; memory: string}) {
  return {
    image: flags.image,
    imagePullPolicy: flags['image-pull-policy'],
    storage: flags.ephemeral ? undefined : flags.storage,
    storageClass: flags['storage-class'],
    ephemeral: flags.ephemeral,
    cpu: flags.cpu,
    memory: flags.memory,
  };
}

/** --tls-from-secret: a Secret's name (a DNS subdomain) of the ensemble's namespace. */
function secretName(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.includes('/')) throw new UsageError(`--tls-from-secret takes a Secret's name, not "${v}"`, "the Secret must be in the ensemble's namespace (-n); copy it there");
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(v)) throw new UsageError(`--tls-from-secret: "${v}" is not a Secret name`, 'lower-case letters, digits, "-" and "."');
  return v;
}

export default class Create extends ZkCommand<Result> {
  static override summary = 'Create a ZooKeeper ensemble and wait until its quorum serves.';
  static override description = `Renders the embedded manifests (Secret, ConfigMap, NetworkPolicy, headless and client Services, PodDisruptionBudget, StatefulSet) and applies them with server-side apply (field manager kubectl-zk), then waits with progress on stderr: pods scheduled, containers running, members serving, leader elected and every follower synced; then sets the ACLs of /, /zookeeper and /zookeeper/quota so that nobody but the super user holds ADMIN. Only members reach the quorum and election ports; the client port admits --allow-clients-from (default: pods of the same namespace). Refuses to touch an ensemble that already exists. Volumes kept by an earlier teardown of NAME are read first (a short-lived read-only pod per volume: myid, membership, epoch, newest zxid): create refuses when they do not hold the members it would make, and otherwise starts from them only with --reuse-data; --delete-data deletes them first. Heap rule: default half of --memory, at most 75% of it.`;
  static override examples = [
    '<%= config.bin %> create zk',
    '<%= config.bin %> create zk --namespace prod --replicas 5 --storage 10Gi --storage-class fast-ssd --memory 2Gi',
    '<%= config.bin %> create dev --replicas 1 --ephemeral --memory 512Mi',
    '<%= config.bin %> create zk --allow-clients-from namespace=kafka --allow-clients-from podSelector=app=billing',
    '<%= config.bin %> create zk --dry-run --output yaml',
    '<%= config.bin %> create zk --monitor',
    '<%= config.bin %> create zk --tls',
    '<%= config.bin %> create zk --tls-from-secret my-ca',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name (a DNS label, at most 52 characters).'}),
  };
  static override flags = {
    ...lockFlags,
    replicas: Flags.integer({summary: 'Voting members (1-255; odd sizes tolerate failures best).', default: 3}),
    ...memberFlags,
    heap: Flags.string({summary: 'JVM heap, e.g. 512m (default: half of --memory; at most 75% of it).'}),
    'cluster-domain': Flags.string({summary: "The cluster's DNS domain.", default: 'cluster.local'}),
    'tick-time': Flags.integer({summary: 'ZooKeeper tickTime in ms.', default: 2000}),
    'init-limit': Flags.integer({summary: 'Ticks a follower may take to connect and sync.', default: 10}),
    'sync-limit': Flags.integer({summary: 'Ticks a follower may lag behind.', default: 5}),
    'allow-clients-from': Flags.string({
      summary: 'Who may connect to the client port (repeatable): same-namespace (default), all, namespace=NAME, podSelector=k=v[,k=v], namespaceSelector=k=v[,k=v].',
      multiple: true,
    }),
    tls: Flags.boolean({
      summary: "TLS for clients (secure port 2281 only, client certificates required) and quorum, with a CA of the ensemble's own; needs ZooKeeper 3.9. See docs/tls.md.",
    }),
    'tls-from-secret': Flags.string({
      summary:
        "--tls with your CA instead of a new one: a Secret of this namespace with tls.crt (a root CA) and tls.key, e.g. a cert-manager CA Issuer's; read, checked, never changed. Implies --tls. See docs/tls.md.",
    }),
    spread: Flags.string({
      summary:
        'Spreading over nodes and zones: auto (required where the nodes allow: one member per node when there are enough schedulable nodes, an even spread over zones when every node carries topology.kubernetes.io/zone; preferred otherwise), required (refused when it cannot be met), preferred, none. See docs/operations.md.',
      options: ['auto', 'required', 'preferred', 'none'],
      default: 'auto',
    }),
    monitor: Flags.boolean({summary: "Also create a PodMonitor (Prometheus Operator) for the members' metrics port; skipped with a warning when that CRD is missing."}),
    'dry-run': Flags.boolean({summary: 'Print the objects that would be applied; contact nothing. Secret values are redacted.'}),
    'show-secrets': Flags.boolean({summary: "With --dry-run: print the Secret's values instead of redacting them.", dependsOn: ['dry-run']}),
    wait: Flags.boolean({summary: 'Wait until the quorum serves.', default: true, allowNo: true}),
    timeout: Flags.string({summary: 'How long to wait, e.g. 90s or 5m.', default: '5m'}),
    'reuse-data': Flags.boolean({summary: "Start from volumes kept by an earlier teardown of NAME, after checking they hold this ensemble's members (myid, membership).", exclusive: ['delete-data']}),
    'delete-data': Flags.boolean({summary: 'Delete volumes kept by an earlier teardown of NAME first (irreversible; asks unless --yes).', exclusive: ['reuse-data']}),
    yes: Flags.boolean({char: 'y', summary: 'With --delete-data: do not ask for confirmation.'}),
  };

  protected override lockTarget(args: Record<string, unknown>, flags: Record<string, unknown>): string | undefined {
    return flags['dry-run'] ? undefined : String(args.name);
  }

  /** create refuses an ensemble that exists: running it again is no way to resume. */
  protected override resumeHint(ensemble: string): string {
    return `what was applied stays and its members start on their own, but the root ACL stays open until 'kubectl zk secure ${ensemble}' runs; kubectl zk status ${ensemble} shows how far it got (kubectl zk teardown ${ensemble} removes it)`;
  }

  async execute(rt: Runtime): Promise<Result> {
    const {args, flags} = await this.parse(Create);
    const [{validateEnsembleOptions}, {loadAssets}, ops] = await Promise.all([import('../manifests/options.js'), import('../manifests/assets.js'), import('../ops/create.js')]);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const validate = (namespace: string) =>
      validateEnsembleOptions({
        name: args.name,
        namespace,
        replicas: flags.replicas,
        ...memberOptions(flags),
        heap: flags.heap,
        clusterDomain: flags['cluster-domain'],
        tickTime: flags['tick-time'],
        initLimit: flags['init-limit'],
        syncLimit: flags['sync-limit'],
        allowClientsFrom: flags['allow-clients-from'],
        tls: flags.tls || flags['tls-from-secret'] !== undefined,
      });
    validate('default'); // usage errors before the cluster is contacted (and the lock taken)
    const tlsFromSecret = secretName(flags['tls-from-secret']);
    // --dry-run contacts nothing, but for the user's CA Secret
    const namespace = flags['dry-run'] && !tlsFromSecret ? await offlineNamespace(rt) : (await rt.kube()).namespace;
    const {options, warnings} = validate(namespace);
    const newPassword = () => randomBytes(24).toString('base64url');
    const keptData = flags['reuse-data'] ? ('reuse' as const) : flags['delete-data'] ? ('delete' as const) : undefined;
    const req = {options, wait: flags.wait, timeoutMs, warnings, keptData, monitor: flags.monitor, spread: flags.spread as SpreadChoice, tlsFromSecret};
    const assets = loadAssets();
    if (flags['dry-run']) {
      const now = new Date(rt.clock.now());
      const userCa = tlsFromSecret ? await ops.userCaFor(await rt.kube(), req, now, (w) => warnings.push(w)) : undefined;
      const offline = ops.offlineSpread(req);
      for (const w of [...warnings, ...offline.notes]) rt.progress.warn(w);
      const objects = ops.planCreate(offline.req, assets, newPassword(), now, userCa);
      return objectList(flags['show-secrets'] ? objects : redactSecrets(objects));
    }
    const kube = await rt.kube();
    const [{MemberForwarders, memberProbe}, {forwardedConnector}, {connectZk}] = await Promise.all([import('../ops/members.js'), import('../ops/znode.js'), import('../zk/client.js')]);
    const forwarders = new MemberForwarders(kube);
    const target = {namespace: options.namespace, ensemble: options.name};
    try {
      return await ops.createEnsemble(req, {
        kube,
        clock: rt.clock,
        sleep: rt.sleep,
        progress: rt.progress,
        probe: memberProbe(forwarders),
        assets,
        newPassword,
        connect: (auth) => forwardedConnector({kube, forwarders, dial: connectZk, debug: rt.debug}, target, {auth, signal: rt.signal})(),
        confirm: (q) => rt.confirm(q),
        signal: rt.signal,
      });
    } finally {
      await forwarders.close();
    }
  }

  override async serialize(result: Result, format: 'json' | 'yaml'): Promise<string> {
    if ('kind' in result && format === 'yaml') return renderObjectsYaml(result.items);
    return super.serialize(result, format);
  }

  override render(result: Result, rt: Runtime): string {
    return 'kind' in result ? renderObjectsYaml(result.items) : renderCreate(result, rt.paint);
  }
}
