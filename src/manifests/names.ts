/**
 * Ports and object names of an ensemble: what the commands that only read an
 * ensemble need from the manifests, without render.ts (and its YAML parser).
 */
export const PORTS = {client: 2181, secureClient: 2281, quorum: 2888, election: 3888, admin: 8080, metrics: 7000} as const;

/** Names of the objects of one ensemble. */
export function objectNames(name: string) {
  return {
    statefulSet: name,
    clientService: name,
    headlessService: `${name}-hs`,
    configMap: `${name}-config`,
    secret: `${name}-auth`,
    /** create --tls: mounted in the members (the CA certificate, each member's key and certificate) */
    tlsSecret: `${name}-tls`,
    /** create --tls: the CA's key, for kubectl-zk only (never mounted) */
    tlsCaSecret: `${name}-tls-ca`,
    /** create --tls: kubectl-zk's own client certificate */
    tlsClientSecret: `${name}-tls-client`,
    pdb: name,
    networkPolicy: name,
    backupCronJob: `${name}-backup`,
    backupConfigMap: `${name}-backup`,
    podMonitor: name,
  };
}

export function podName(name: string, ordinal: number): string {
  return `${name}-${ordinal}`;
}

/**
 * The kinds of object an ensemble is made of (besides its volumes), in the
 * order teardown deletes them: the StatefulSet first (its pods go), the
 * scheduled backup's CronJob (no new backup starts), the NetworkPolicy last (the members stay fenced while they stop).
 */
export const ENSEMBLE_KINDS: readonly (readonly [apiVersion: string, kind: string])[] = [
  ['apps/v1', 'StatefulSet'],
  ['batch/v1', 'CronJob'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
];
