/** The labels kubectl-zk puts on everything it creates, and the selectors built from them. */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
} as const;

export const APP_NAME = 'zookeeper';
export const MANAGER = 'kubectl-zk';

/** What selects an ensemble's pods: stable for the StatefulSet's life (selectors are immutable). */
export function selectorLabels(name: string): Record<string, string> {
  return {[LABEL.name]: APP_NAME, [LABEL.instance]: name};
}

/** A label selector string for everything kubectl-zk made for one ensemble, and nothing else. */
export function instanceSelector(name: string): string {
  return `${LABEL.name}=${APP_NAME},${LABEL.instance}=${name},${LABEL.managedBy}=${MANAGER}`;
}

/** A label selector string for every ensemble kubectl-zk manages. */
export function managedSelector(): string {
  return `${LABEL.name}=${APP_NAME},${LABEL.managedBy}=${MANAGER}`;
}

/** The version label from the image tag ("zookeeper:3.9.4" → "3.9.4"), when it is a valid label value. */
export function versionFromImage(image: string): string | undefined {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  if (colon < 0) return undefined;
  const tag = noDigest.slice(colon + 1);
  return /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(tag) && tag.length <= 63 ? tag : undefined;
}

export function ensembleLabels(name: string, image: string): Record<string, string> {
  const version = versionFromImage(image);
  return {...selectorLabels(name), [LABEL.managedBy]: MANAGER, ...(version ? {[LABEL.version]: version} : {})};
}

/**
 * The ownership annotation `create` (and `secure`, for what it applies) puts on
 * every object it makes for an ensemble, and the StatefulSet's volume claim
 * template (so the controller puts it on each PVC). teardown deletes only what
 * carries it for that ensemble; labels alone are not proof, anyone can copy them.
 */
export const OWNER_ANNOTATION = 'kubectl-zk.io/ensemble';
/** tls enable: on the ConfigMap the last phase reached, on the pod template the roll it carries. */
export const TLS_ENABLE_ANNOTATION = 'kubectl-zk/tls-enable';

export function ownerAnnotations(name: string): Record<string, string> {
  return {[OWNER_ANNOTATION]: name};
}
