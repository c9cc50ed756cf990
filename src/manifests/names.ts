/**
 * Ports and object names of an ensemble: what the commands that only read an
 * ensemble need from the manifests, without render.ts (and its YAML parser).
 */
export const PORTS = {client: 2181, quorum: 2888, election: 3888, admin: 8080} as const;

/** Names of the objects of one ensemble. */
export function objectNames(name: string) {
  return {
    statefulSet: name,
    clientService: name,
    headlessService: `${name}-hs`,
    configMap: `${name}-config`,
    secret: `${name}-auth`,
    pdb: name,
  };
}

export function podName(name: string, ordinal: number): string {
  return `${name}-${ordinal}`;
}
