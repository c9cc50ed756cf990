/**
 * The scheduled backup's objects (`kubectl zk backup NAME --schedule`): the
 * ConfigMap with the program (backup.jar, compiled from Backup.java by
 * scripts/build-backup-jar.ts) and the CronJob that runs it, and the
 * NetworkPolicy rule that admits its pods on the client port. Pure.
 */
import {UsageError} from '../errors.js';
import type {KubeObject} from '../kube/types.js';
import type {Assets} from './assets.js';
import {LABEL, MANAGER, ensembleLabels, ownerAnnotations} from './labels.js';
import {objectNames, PORTS} from './names.js';
import {fill} from './template.js';
import {parse} from 'yaml';

export interface BackupScheduleOptions {
  name: string;
  namespace: string;
  /** the ensemble's image (its Java and ZooKeeper client run the program) */
  image: string;
  schedule: string;
  pvc: string;
  keep: number;
  /** the members' pull policy (the image is the one they run) */
  imagePullPolicy?: string;
  /** the program's heap (the container's memory limit is above it) */
  heapMb?: number;
  /** an ensemble made with --tls: the program connects to the secure client port with NAME-tls-client's certificate */
  tls?: boolean;
}

/** Where the backup pod mounts NAME-tls-client (tls.key, tls.crt, ca.crt) with --tls. */
const CLIENT_CERT_MOUNT = '/tls-client';
/** ZooKeeper's Java client over TLS (the flags of docs/tls.md's Java example); its key store is key then certificate in one PEM file. */
const TLS_CLIENT_FLAGS = [
  '-Dzookeeper.client.secure=true',
  '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
  '-Dzookeeper.ssl.keyStore.location=/tmp/kzk/client.pem',
  '-Dzookeeper.ssl.keyStore.type=PEM',
  `-Dzookeeper.ssl.trustStore.location=${CLIENT_CERT_MOUNT}/ca.crt`,
  '-Dzookeeper.ssl.trustStore.type=PEM',
].join(' ');

/** The backup pods' labels: apart from the members' (name=zookeeper), so no member selector picks them. */
export function backupPodLabels(name: string): Record<string, string> {
  return {[LABEL.name]: 'zookeeper-backup', [LABEL.instance]: name, [LABEL.managedBy]: MANAGER};
}

/** The NetworkPolicy ingress rule for the backup pods: the client port only (the secure one with --tls). */
export function backupIngressRule(name: string, tls = false): Record<string, unknown> {
  return {from: [{podSelector: {matchLabels: backupPodLabels(name)}}], ports: [{protocol: 'TCP', port: tls ? PORTS.secureClient : PORTS.client}]};
}

/** The CronJob's pod with --tls: the secure port, NAME-tls-client mounted, the client's TLS flags. */
function withTlsClient(cron: Obj, name: string): void {
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const c = pod.containers[0];
  c.env = c.env.map((e: {name: string}) => (e.name === 'ZK_SERVER' ? {name: 'ZK_SERVER', value: `${name}:${PORTS.secureClient}`} : e));
  const script: string = c.command[2];
  c.command[2] = `mkdir -p /tmp/kzk && cat ${CLIENT_CERT_MOUNT}/tls.key ${CLIENT_CERT_MOUNT}/tls.crt > /tmp/kzk/client.pem && ${script.replace('exec java ', `exec java ${TLS_CLIENT_FLAGS} `)}`;
  c.volumeMounts.push({name: 'client-cert', mountPath: CLIENT_CERT_MOUNT, readOnly: true}, {name: 'client-pem', mountPath: '/tmp/kzk'});
  pod.volumes.push({name: 'client-cert', secret: {secretName: objectNames(name).tlsClientSecret, defaultMode: 0o440}}, {name: 'client-pem', emptyDir: {medium: 'Memory', sizeLimit: '1Mi'}});
}

const FIELD = String.raw`(\*|\d+(-\d+)?)(\/\d+)?`;
const CRON_FIELD = new RegExp(`^${FIELD}(,${FIELD})*$`);
const NAMED = /^[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*$/;
const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** A five-field cron expression (as a CronJob takes it) or a macro; throws UsageError otherwise. */
export function checkSchedule(schedule: string): string {
  const s = schedule.trim();
  if (MACROS.includes(s)) return s;
  const fields = s.split(/\s+/);
  const bad = () => new UsageError(`--schedule "${schedule}" is not a cron schedule`, 'five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *" (or @daily, @hourly)');
  if (fields.length !== 5) throw bad();
  fields.forEach((f, i) => {
    if (!CRON_FIELD.test(f) && !((i === 3 || i === 4) && NAMED.test(f)) && !(f === '?' && (i === 2 || i === 4))) throw bad();
  });
  return fields.join(' ');
}

type Obj = KubeObject & Record<string, any>;

/** The ConfigMap (program, logging) and the CronJob, in apply order. */
export function renderBackupSchedule(o: BackupScheduleOptions, assets: Pick<Assets, 'backup/cronjob.yaml' | 'backup/backup.jar' | 'backup/logback.xml'>): KubeObject[] {
  const names = objectNames(o.name);
  const labels = ensembleLabels(o.name, o.image);
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: names.backupConfigMap, namespace: o.namespace, labels: {...labels}, annotations: ownerAnnotations(o.name)},
    data: {'logback.xml': assets['backup/logback.xml']},
    binaryData: {'backup.jar': assets['backup/backup.jar']},
  };
  const cron = fill(parse(assets['backup/cronjob.yaml']) as Obj, {
    name: o.name,
    image: o.image,
    schedule: checkSchedule(o.schedule),
    pvc: o.pvc,
    keep: String(o.keep),
    heapMb: String(o.heapMb ?? 192),
  });
  cron.metadata = {...cron.metadata, namespace: o.namespace, labels: {...labels}, annotations: ownerAnnotations(o.name)};
  cron.spec.jobTemplate.spec.template.metadata.labels = backupPodLabels(o.name);
  if (o.imagePullPolicy) cron.spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy = o.imagePullPolicy;
  if (o.tls) withTlsClient(cron, o.name);
  return [configMap, cron];
}
