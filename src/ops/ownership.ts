import type {KubeObject} from '../kube/types.js';
import {OWNER_ANNOTATION} from '../manifests/labels.js';
import {objectNames} from '../manifests/names.js';

/** The exact names `create` renders for an ensemble, per kind (what an ensemble of an earlier version is recognised by). */
function renderedName(name: string, o: KubeObject): boolean {
  const n = objectNames(name);
  switch (o.kind) {
    case 'StatefulSet':
      return o.metadata.name === n.statefulSet;
    case 'Service':
      return o.metadata.name === n.clientService || o.metadata.name === n.headlessService;
    case 'ConfigMap':
      return o.metadata.name === n.configMap;
    case 'Secret':
      return o.metadata.name === n.secret;
    case 'PodDisruptionBudget':
      return o.metadata.name === n.pdb;
    case 'NetworkPolicy':
      return o.metadata.name === n.networkPolicy;
    case 'PersistentVolumeClaim':
      return new RegExp(`^data-${name}-\\d+$`).test(o.metadata.name);
    default:
      return false;
  }
}

export interface Ownership<T extends KubeObject> {
  owned: T[];
  /** carry the instance labels but are not the plugin's: left alone */
  foreign: T[];
  /** no object of the ensemble carries the ownership annotation: made by a kubectl-zk before it had one */
  legacy: boolean;
}

/**
 * Which of the objects found by the instance labels kubectl-zk made for the
 * ensemble `name`: those annotated `kubectl-zk.io/ensemble: <name>`. An
 * ensemble made before the annotation existed (none of its objects carry it)
 * is recognised by the exact names create renders (NAME, NAME-hs,
 * NAME-config, NAME-auth, data-NAME-<ordinal>); anything else with the same
 * labels is foreign. Once any object is annotated, only annotated ones count.
 */
export function sortByOwnership<T extends KubeObject>(name: string, found: readonly T[]): Ownership<T> {
  const mark = (o: T) => o.metadata.annotations?.[OWNER_ANNOTATION];
  const legacy = !found.some((o) => mark(o) !== undefined);
  const owned: T[] = [];
  const foreign: T[] = [];
  for (const o of found) {
    const ok = legacy ? renderedName(name, o) : mark(o) === name;
    (ok ? owned : foreign).push(o);
  }
  return {owned, foreign, legacy};
}
