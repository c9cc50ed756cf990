import {parse} from 'yaml';
import type {KubeObject} from '../kube/types.js';
import {superDigest} from '../zk/reconfig.js';
import type {Assets} from './assets.js';
import {ensembleLabels, ownerAnnotations, selectorLabels} from './labels.js';
import {backupIngressRule} from './backup.js';
import {clientPeers} from './network.js';
import {fill} from './template.js';
import {objectNames, podName, PORTS} from './names.js';
import type {EnsembleOptions} from './options.js';
import {formatSpread, PREFERRED_SPREAD, SPREAD_ANNOTATION, spreadPodSpec} from './spread.js';
import {clientAddress, renderTlsSecrets, tlsZooCfg, withTlsPod, withTlsPolicy, withTlsService} from './tls.js';
import type {EnsembleTls} from '../tls/ensemble.js';
import {USER_CA_ANNOTATION} from '../tls/user-ca.js';

export {objectNames, podName, PORTS} from './names.js';

/** The stable DNS name of a member, as the peers use it. */
export function memberHost(o: Pick<EnsembleOptions, 'name' | 'namespace' | 'clusterDomain'>, ordinal: number): string {
  return `${podName(o.name, ordinal)}.${objectNames(o.name).headlessService}.${o.namespace}.svc.${o.clusterDomain}`;
}

/** server.<id>=<host>:2888:3888:<role>;2181 — id is ordinal + 1; with TLS the plain client port is on loopback (;127.0.0.1:2181). */
export function serverLine(o: Pick<EnsembleOptions, 'name' | 'namespace' | 'clusterDomain' | 'tls'>, ordinal: number, role: 'participant' | 'observer' = 'participant'): string {
  return `server.${ordinal + 1}=${memberHost(o, ordinal)}:${PORTS.quorum}:${PORTS.election}:${role};${clientAddress(o.tls)}`;
}

export function bootstrapMembership(o: EnsembleOptions): string {
  return Array.from({length: o.replicas}, (_, i) => serverLine(o, i)).join('\n') + '\n';
}

export interface RenderSecrets {
  superPassword: string;
  /** with --tls: the CA and certificates the Secrets hold */
  tls?: EnsembleTls;
}

type Obj = KubeObject & Record<string, any>;

/**
 * The NetworkPolicy alone (create renders it with the rest; secure applies it
 * to an ensemble made before kubectl-zk had one). `image` only sets the
 * version label, as on every other object.
 */
export function renderNetworkPolicy(o: Pick<EnsembleOptions, 'name' | 'namespace' | 'image' | 'clientSources' | 'tls'>, assets: Pick<Assets, 'networkpolicy.yaml'>): KubeObject {
  const selector = selectorLabels(o.name);
  const policy = fill(parse(assets['networkpolicy.yaml']) as Obj, {name: o.name});
  policy.metadata = {...policy.metadata, namespace: o.namespace, labels: ensembleLabels(o.name, o.image), annotations: ownerAnnotations(o.name)};
  policy.spec.podSelector.matchLabels = {...selector};
  policy.spec.ingress[0].from[0].podSelector.matchLabels = {...selector};
  const peers = clientPeers(o.clientSources);
  if (peers) policy.spec.ingress[1].from = peers;
  else delete policy.spec.ingress[1].from;
  policy.spec.ingress.push(backupIngressRule(o.name));
  if (o.tls) withTlsPolicy(policy);
  return policy;
}

/**
 * Renders every object of an ensemble, in apply order (Secret and ConfigMap
 * before the StatefulSet that mounts them, the NetworkPolicy before any pod).
 * Pure: same input, same output.
 */
export function renderEnsemble(o: EnsembleOptions, secrets: RenderSecrets, assets: Assets): KubeObject[] {
  const values: Record<string, string> = {
    name: o.name,
    image: o.image,
    cpu: o.cpu,
    memory: o.memory,
    heapMb: String(o.heapMb),
    storage: o.storage.ephemeral ? '0' : o.storage.size,
    superPassword: secrets.superPassword,
    superDigest: superDigest('super', secrets.superPassword),
    startScript: assets['scripts/start.sh'],
    readyScript: assets['scripts/ready.sh'],
    liveScript: assets['scripts/live.sh'],
    zooCfg:
      fill(assets['zoo.cfg'], {tickTime: String(o.tickTime), initLimit: String(o.initLimit), syncLimit: String(o.syncLimit), metricsPort: String(PORTS.metrics)}) +
      (o.tls ? tlsZooCfg({trustStore: '/tls/ca.crt', secureClientPort: PORTS.secureClient}) : ''),
    dynamicCfg: bootstrapMembership(o),
  };
  const labels = ensembleLabels(o.name, o.image);
  const selector = selectorLabels(o.name);
  const load = (file: keyof Assets): Obj => {
    const obj = fill(parse(assets[file]) as Obj, values);
    obj.metadata = {...obj.metadata, namespace: o.namespace, labels: {...labels}, annotations: ownerAnnotations(o.name)};
    return obj;
  };

  const secret = load('secret.yaml');
  const configMap = load('configmap.yaml');
  const headless = load('headless-service.yaml');
  headless.spec.selector = {...selector};
  const client = load('client-service.yaml');
  client.spec.selector = {...selector};
  const pdb = load('pdb.yaml');
  pdb.spec.selector.matchLabels = {...selector};
  const policy = renderNetworkPolicy(o, assets);

  const sts = load('statefulset.yaml');
  sts.spec.replicas = o.replicas;
  sts.spec.selector.matchLabels = {...selector};
  const pod = sts.spec.template;
  pod.metadata.labels = {...labels};
  const spread = o.spread ?? PREFERRED_SPREAD;
  sts.metadata.annotations = {...sts.metadata.annotations, [SPREAD_ANNOTATION]: formatSpread(spread)};
  const placement = spreadPodSpec(spread, selector);
  const {containers, ...rest} = pod.spec;
  pod.spec = {...rest, ...placement, containers}; // before the containers, as a reader expects them
  const container = pod.spec.containers[0];
  if (o.imagePullPolicy) container.imagePullPolicy = o.imagePullPolicy;
  else delete container.imagePullPolicy; // let Kubernetes choose (Always for :latest, else IfNotPresent)
  if (o.storage.ephemeral) {
    delete sts.spec.volumeClaimTemplates;
    delete sts.spec.persistentVolumeClaimRetentionPolicy;
    pod.spec.volumes.push({name: 'data', emptyDir: {}});
  } else {
    const claim = sts.spec.volumeClaimTemplates[0];
    claim.metadata.labels = {...labels};
    claim.metadata.annotations = ownerAnnotations(o.name);
    if (o.storage.storageClass) claim.spec.storageClassName = o.storage.storageClass;
  }
  if (!o.tls) return [secret, configMap, policy, headless, client, pdb, sts]; // the NetworkPolicy before the StatefulSet: no member ever runs unprotected
  if (!secrets.tls) throw new Error('renderEnsemble: --tls without certificates');
  withTlsPod(sts, o.name);
  if (secrets.tls.caSecret) sts.metadata.annotations[USER_CA_ANNOTATION] = secrets.tls.caSecret; // status shows whose CA it is
  withTlsService(headless);
  withTlsService(client);
  const tlsSecrets = renderTlsSecrets(o.name, secrets.tls, {namespace: o.namespace, labels, annotations: ownerAnnotations(o.name)});
  return [secret, ...tlsSecrets, configMap, policy, headless, client, pdb, sts];
}
