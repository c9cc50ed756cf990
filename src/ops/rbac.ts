/**
 * The least Kubernetes permissions each kubectl-zk command needs in the
 * ensemble's namespace, and the Role that grants them (`kubectl zk rbac`).
 * test/e2e/rbac.test.ts runs commands as a ServiceAccount bound only to the
 * Role rendered here: a rule missing from this table fails that test.
 *
 * Notes on the choices:
 * - pods/portforward and pods/exec: `get` and `create`. Port-forward and exec
 *   upgrade to a WebSocket with a GET; API servers that authorize the upgrade
 *   as `create` (Kubernetes ≥ 1.31 by default) need the second verb.
 * - Server-side apply of an object that does not exist yet is a `patch` that
 *   also needs `create`.
 * - create and secure check that namespaces named by --allow-clients-from
 *   exist: a cluster-scoped `get namespaces` that is NOT in the Role (a Role
 *   cannot grant it); without it they warn and go on.
 * - `status` reads nodes (cluster-scoped, not in the Role) on every call for
 *   the zone warnings, and PersistentVolumes only while a member pod is not
 *   Ready; without them it skips the zone rule silently and the node
 *   diagnosis with an entry under errors. `report` likewise.
 * - create --tls-from-secret reads the user's CA Secret (`get` on Secrets,
 *   which create has); certificate, scale and rotate-certs read it again for
 *   an ensemble made so (they read Secrets already). None writes it.
 * - `list -A` and `status -A` read every namespace: they need the list rules
 *   of `list` in a ClusterRole instead.
 */
import {UsageError} from '../errors.js';
import type {KubeObject} from '../kube/types.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * The commands that talk to members but read no Secret otherwise: for an
 * ensemble made with --tls they read its NAME-tls-client (kubectl-zk's client
 * certificate). `kubectl zk rbac --tls-ensemble NAME` grants that read, limited
 * to those Secrets by resourceNames.
 */
export const TLS_CLIENT_READERS = ['status', 'restart', 'upgrade', 'failover-test'] as const;

/** The rule that lets TLS_CLIENT_READERS reach the members of these ensembles made with --tls. */
export function tlsClientRule(commands: readonly string[], ensembles: readonly string[]): PolicyRule | undefined {
  if (ensembles.length === 0 || !commands.some((c) => (TLS_CLIENT_READERS as readonly string[]).includes(c))) return undefined;
  return {apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [...new Set(ensembles)].sort().map((n) => `${n}-tls-client`)};
}

type Rule = [group: string, resource: string, verbs: string[]];

const READ_ENSEMBLE: Rule[] = [
  ['apps', 'statefulsets', ['get', 'list']],
  ['', 'pods', ['get', 'list']],
  ['', 'pods/portforward', ['get', 'create']],
];
const STATUS: Rule[] = [...READ_ENSEMBLE, ['policy', 'poddisruptionbudgets', ['get']], ['', 'configmaps', ['get']], ['networking.k8s.io', 'networkpolicies', ['get']]];
const ROLL: Rule[] = [...STATUS, ['apps', 'statefulsets', ['patch']], ['', 'pods/eviction', ['create']], ['', 'pods/log', ['get']]];
const OBJECTS: [string, string][] = [
  ['apps', 'statefulsets'],
  ['', 'services'],
  ['', 'configmaps'],
  ['', 'secrets'],
  ['policy', 'poddisruptionbudgets'],
  ['networking.k8s.io', 'networkpolicies'],
  ['batch', 'cronjobs'],
];

/** The ensemble's lock (src/ops/lock.ts), taken by every mutating command; teardown also deletes it. */
const LOCK: Rule = ['coordination.k8s.io', 'leases', ['get', 'create', 'update']];

const BASE_RULES: Record<string, readonly Rule[]> = {
  list: [
    ['apps', 'statefulsets', ['list']],
    ['', 'pods', ['list']],
  ],
  status: STATUS,
  znode: [...READ_ENSEMBLE, ['', 'secrets', ['get']]],
  // --schedule/--unschedule: the CronJob and its ConfigMap, the PVC checked, the policy's rule
  backup: [
    ...READ_ENSEMBLE,
    ['', 'secrets', ['get']],
    ['batch', 'cronjobs', ['get', 'create', 'patch', 'delete']],
    ['', 'configmaps', ['get', 'create', 'patch', 'delete']],
    ['', 'persistentvolumeclaims', ['get']],
    ['networking.k8s.io', 'networkpolicies', ['get', 'patch']],
  ],
  export: [...READ_ENSEMBLE, ['', 'secrets', ['get']]],
  import: [...READ_ENSEMBLE, ['', 'secrets', ['get']]],
  create: [
    ...OBJECTS.map(([g, r]): Rule => [g, r, ['get', 'list', 'create', 'patch', 'delete']]),
    ['', 'persistentvolumeclaims', ['list']],
    ['', 'pods', ['get', 'list']],
    ['', 'pods/log', ['get']],
    ['', 'pods/portforward', ['get', 'create']],
  ],
  scale: [...STATUS, ['apps', 'statefulsets', ['patch']], ['', 'configmaps', ['patch']], ['', 'secrets', ['get']], ['', 'persistentvolumeclaims', ['get', 'delete']], ['', 'pods/log', ['get']]],
  // member replace: scale's rules, and deleting the member's pod (without grace when its node is lost)
  member: [...STATUS, ['', 'configmaps', ['patch']], ['', 'secrets', ['get']], ['', 'persistentvolumeclaims', ['get', 'delete']], ['', 'pods', ['delete']], ['', 'pods/log', ['get']]],
  restart: ROLL,
  // member replace's rules (it rebuilds each lost member), reading the members' logs for their last zxid
  'restore-quorum': [...STATUS, ['', 'configmaps', ['patch']], ['', 'secrets', ['get']], ['', 'persistentvolumeclaims', ['get', 'delete']], ['', 'pods', ['delete']], ['', 'pods/log', ['get']]],
  // create's rules, scale's, and evicting the pod it restarts after the restore
  restore: [
    ...OBJECTS.map(([g, r]): Rule => [g, r, ['get', 'list', 'create', 'patch', 'delete']]),
    ['', 'persistentvolumeclaims', ['list', 'get', 'delete']],
    ['', 'pods', ['get', 'list']],
    ['', 'pods/eviction', ['create']],
    ['', 'pods/log', ['get']],
    ['', 'pods/portforward', ['get', 'create']],
    ['apps', 'statefulsets', ['patch']],
    ['', 'configmaps', ['patch']],
    ['policy', 'poddisruptionbudgets', ['get']],
    ['networking.k8s.io', 'networkpolicies', ['get']],
  ],
  upgrade: ROLL,
  // restart's roll, and the three TLS Secrets read and patched (NAME-tls, NAME-tls-ca, NAME-tls-client)
  'rotate-certs': [...ROLL, ['', 'secrets', ['get', 'patch']]],
  secure: [...ROLL, ['', 'configmaps', ['patch']], ['', 'secrets', ['get']], ['networking.k8s.io', 'networkpolicies', ['create', 'patch']]],
  logs: [...READ_ENSEMBLE, ['', 'pods/log', ['get']]],
  // tls enable: restart's roll, the Secrets create --tls makes, the ConfigMap (phase, settings, membership), the Services' and the policy's client ports
  tls: [...ROLL, ['', 'secrets', ['get', 'create', 'patch']], ['', 'configmaps', ['patch']], ['', 'services', ['get', 'patch']], ['networking.k8s.io', 'networkpolicies', ['patch']]],
  // a client certificate signed by the CA in NAME-tls-ca, into a new Secret
  certificate: [
    ['apps', 'statefulsets', ['get']],
    ['', 'secrets', ['get', 'create']],
  ],
  // nodes and PersistentVolumes are cluster-scoped (a Role cannot grant them): without them the report lists them in errors.txt
  report: [...STATUS, ['', 'services', ['get']], ['', 'secrets', ['get']], ['', 'events', ['list']], ['', 'persistentvolumeclaims', ['list']], ['', 'pods/log', ['get']]],
  // pods delete: only --mode all-pods (an involuntary disruption on purpose)
  // networkpolicies and the ConfigMap: only --mode partition
  'failover-test': [
    ...STATUS,
    ['', 'pods/eviction', ['create']],
    ['', 'pods', ['delete']],
    ['', 'pods/exec', ['get', 'create']],
    ['networking.k8s.io', 'networkpolicies', ['get', 'create', 'patch', 'delete']],
    ['', 'configmaps', ['get']],
  ],
  teardown: [...OBJECTS.map(([g, r]): Rule => [g, r, ['list', 'delete']]), ['', 'persistentvolumeclaims', ['list', 'delete']], ['', 'pods', ['list']], ['coordination.k8s.io', 'leases', ['delete']]],
};

/** The commands that change an ensemble: they take its lock (base.ts lockTarget); backup only with --schedule/--unschedule. export only reads. */
export const MUTATING_COMMANDS = [
  'create',
  'scale',
  'member',
  'restart',
  'upgrade',
  'secure',
  'restore',
  'restore-quorum',
  'rotate-certs',
  'import',
  'failover-test',
  'teardown',
  'backup',
  'tls',
] as const;

/** Per command, the rules it needs (a command's rules may repeat a resource; roleRules merges them). */
export const COMMAND_RULES: Readonly<Record<string, readonly Rule[]>> = Object.freeze(
  Object.fromEntries(Object.entries(BASE_RULES).map(([c, rules]) => [c, (MUTATING_COMMANDS as readonly string[]).includes(c) ? [...rules, LOCK] : rules])),
);

export const RBAC_COMMANDS = Object.keys(COMMAND_RULES);

/** The rules of these commands, merged per (group, resource), verbs and resources sorted: stable output. */
export function roleRules(commands: readonly string[]): PolicyRule[] {
  const unknown = commands.filter((c) => !(c in COMMAND_RULES));
  if (unknown.length > 0) throw new UsageError(`unknown command${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, `one of: ${RBAC_COMMANDS.join(', ')}`);
  const byKey = new Map<string, Set<string>>();
  for (const c of commands) {
    for (const [group, resource, verbs] of COMMAND_RULES[c]!) {
      const key = `${group}\t${resource}`;
      const set = byKey.get(key) ?? new Set<string>();
      for (const v of verbs) set.add(v);
      byKey.set(key, set);
    }
  }
  // one rule per API group and verb set
  const grouped = new Map<string, PolicyRule>();
  for (const [key, verbs] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    const [group, resource] = key.split('\t') as [string, string];
    const v = [...verbs].sort();
    const gk = `${group}\t${v.join(',')}`;
    const rule = grouped.get(gk) ?? {apiGroups: [group], resources: [], verbs: v};
    rule.resources.push(resource);
    grouped.set(gk, rule);
  }
  return [...grouped.values()];
}

export interface RbacRequest {
  commands: string[];
  namespace: string;
  name: string;
  /** bind the Role to this ServiceAccount (NAME or NAMESPACE:NAME) */
  serviceAccount?: string;
  /** ensembles made with --tls: the read of their NAME-tls-client (tlsClientRule) */
  tlsEnsembles?: string[];
  user?: string;
  group?: string;
}

/** A Role (and a RoleBinding when a subject is given). Pure. */
export function renderRbac(req: RbacRequest): KubeObject[] {
  const labels = {'app.kubernetes.io/managed-by': 'kubectl-zk'};
  const role: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {name: req.name, namespace: req.namespace, labels, annotations: {'kubectl-zk/commands': req.commands.join(',')}},
    rules: [...roleRules(req.commands), ...[tlsClientRule(req.commands, req.tlsEnsembles ?? [])].filter((r) => r !== undefined)],
  };
  const subjects: Record<string, string>[] = [];
  if (req.serviceAccount) {
    const [ns, name] = req.serviceAccount.includes(':') ? (req.serviceAccount.split(':', 2) as [string, string]) : [req.namespace, req.serviceAccount];
    subjects.push({kind: 'ServiceAccount', name, namespace: ns});
  }
  if (req.user) subjects.push({kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: req.user});
  if (req.group) subjects.push({kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: req.group});
  if (subjects.length === 0) return [role];
  return [
    role,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: {name: req.name, namespace: req.namespace, labels},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: req.name},
      subjects,
    },
  ];
}
