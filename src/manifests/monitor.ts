import type {KubeObject} from '../kube/types.js';
import {ensembleLabels, selectorLabels} from './labels.js';
import {objectNames} from './names.js';

/** The Prometheus Operator's PodMonitor kind (`create --monitor`). */
export const POD_MONITOR = {apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor'} as const;

/**
 * A PodMonitor that has the Prometheus Operator scrape every member's
 * `metrics` container port (7000, /metrics). Pure. Prometheus itself must be
 * admitted by the NetworkPolicy: it admits the metrics port from the client
 * sources (--allow-clients-from), so a Prometheus in another namespace needs
 * `--allow-clients-from namespace=<its namespace>`.
 */
export function renderPodMonitor(o: {name: string; namespace: string; image: string}): KubeObject {
  return {
    ...POD_MONITOR,
    metadata: {name: objectNames(o.name).podMonitor, namespace: o.namespace, labels: ensembleLabels(o.name, o.image)},
    spec: {
      selector: {matchLabels: selectorLabels(o.name)},
      podMetricsEndpoints: [{port: 'metrics', path: '/metrics'}],
    },
  } as KubeObject;
}

/** An owner reference to the StatefulSet: the garbage collector removes the PodMonitor with it (teardown). */
export function ownedByStatefulSet(obj: KubeObject, sts: KubeObject): KubeObject {
  const uid = sts.metadata.uid;
  if (!uid) return obj;
  return {...obj, metadata: {...obj.metadata, ownerReferences: [{apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid, blockOwnerDeletion: false}]}} as KubeObject;
}
