/**
 * `kubectl zk backup NAME --schedule CRON --to-pvc PVC [--keep N]` and
 * `--unschedule`: the scheduled logical backup (manifests/backup/). The
 * CronJob runs in the ensemble's own image, reads over the client port as the
 * super user, and writes export files into the PVC; the ensemble's
 * NetworkPolicy gets the rule that admits its pods when it lacks it (an
 * ensemble made before the rule existed).
 */
import {CliError, UsageError} from '../errors.js';
import type {Kube, KubeObject} from '../kube/types.js';
import type {Assets} from '../manifests/assets.js';
import {backupIngressRule, checkSchedule, renderBackupSchedule} from '../manifests/backup.js';
import {LABEL, MANAGER} from '../manifests/labels.js';
import {objectNames} from '../manifests/names.js';
import {canonical} from './secure.js';
import {resolveEnsemble} from './znode.js';

export interface ScheduleRequest {
  name: string;
  namespace: string;
  schedule: string;
  pvc: string;
  keep: number;
  dryRun: boolean;
}

export interface ScheduleResult {
  action: 'schedule';
  ensemble: string;
  namespace: string;
  schedule: string;
  pvc: string;
  keep: number;
  image: string;
  cronJob: string;
  configMap: string;
  /** the NetworkPolicy's backup rule: there already, added now (or would be), or no policy at all */
  networkPolicy: 'had the rule' | 'rule added' | 'no policy';
  dryRun: boolean;
  /** with --dry-run: what would be applied */
  objects?: KubeObject[];
}

export interface UnscheduleResult {
  action: 'unschedule';
  ensemble: string;
  namespace: string;
  /** "CronJob/NAME-backup", "ConfigMap/NAME-backup" when they were there */
  removed: string[];
  dryRun: boolean;
}

interface StatefulSetLike extends KubeObject {
  spec?: {template?: {spec?: {containers?: {name: string; image?: string; imagePullPolicy?: string; ports?: {name?: string}[]}[]}}};
}

type PolicyLike = KubeObject & {spec?: {ingress?: unknown[]}};

/** Flag values checked before anything is contacted. */
export function checkScheduleRequest(r: Pick<ScheduleRequest, 'schedule' | 'pvc' | 'keep'>): void {
  checkSchedule(r.schedule);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(r.pvc) || r.pvc.length > 253) throw new UsageError(`--to-pvc "${r.pvc}" is not a PersistentVolumeClaim name`);
  if (!Number.isInteger(r.keep) || r.keep < 1) throw new UsageError(`--keep ${r.keep}: keep at least one backup`);
}

export async function scheduleBackup(req: ScheduleRequest, deps: {kube: Kube; assets: Assets}): Promise<ScheduleResult> {
  checkScheduleRequest(req);
  const {kube} = deps;
  const {namespace} = req;
  await resolveEnsemble(kube, namespace, req.name);
  const names = objectNames(req.name);
  const [sts, pvc, policy] = await Promise.all([
    kube.get<StatefulSetLike>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: names.statefulSet}),
    kube.get({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: req.pvc}),
    kube.get<PolicyLike>({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name: names.networkPolicy}),
  ]);
  const containers = sts?.spec?.template?.spec?.containers ?? [];
  const member = containers.find((c) => c.name === 'zookeeper') ?? containers[0];
  const image = member?.image;
  if (!image) throw new CliError(`StatefulSet "${req.name}" has no container image`, {hint: "the backup runs in the ensemble's own image"});
  if (!pvc) {
    throw new CliError(`PersistentVolumeClaim "${req.pvc}" not found in namespace "${namespace}"`, {
      hint: 'create it first (the backups are written there), e.g. kubectl create -f pvc.yaml; nothing was changed',
    });
  }
  // an ensemble made with --tls (its members have a secure client port): the program speaks TLS with kubectl-zk's client certificate
  const tls = (member?.ports ?? []).some((p) => p.name === 'secure-client');
  const objects = renderBackupSchedule({name: req.name, namespace, image, imagePullPolicy: member?.imagePullPolicy, schedule: req.schedule, pvc: req.pvc, keep: req.keep, tls}, deps.assets);
  const rule = backupIngressRule(req.name, tls);
  const ingress = policy?.spec?.ingress ?? [];
  const hasRule = ingress.some((r) => canonical(r) === canonical(rule));
  const networkPolicy = !policy ? 'no policy' : hasRule ? 'had the rule' : 'rule added';
  if (!req.dryRun) {
    // the rule first: the first run must not be refused by the policy
    if (policy && !hasRule) await kube.mergePatch({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name: names.networkPolicy}, {spec: {ingress: [...ingress, rule]}});
    for (const o of objects) await kube.apply(o, {force: true});
  }
  return {
    action: 'schedule',
    ensemble: req.name,
    namespace,
    schedule: checkSchedule(req.schedule),
    pvc: req.pvc,
    keep: req.keep,
    image,
    cronJob: names.backupCronJob,
    configMap: names.backupConfigMap,
    networkPolicy,
    dryRun: req.dryRun,
    ...(req.dryRun ? {objects} : {}),
  };
}

/** Removes the CronJob (its Jobs and pods go with it) and the program's ConfigMap; the PVC and its files stay. Idempotent. */
export async function unscheduleBackup(req: {name: string; namespace: string; dryRun: boolean}, deps: {kube: Kube}): Promise<UnscheduleResult> {
  const names = objectNames(req.name);
  const refs = [
    {apiVersion: 'batch/v1', kind: 'CronJob', namespace: req.namespace, name: names.backupCronJob},
    {apiVersion: 'v1', kind: 'ConfigMap', namespace: req.namespace, name: names.backupConfigMap},
  ];
  const removed: string[] = [];
  for (const ref of refs) {
    const there = await deps.kube.get(ref);
    if (!there || there.metadata.labels?.[LABEL.managedBy] !== MANAGER) continue; // not ours: left alone
    if (!req.dryRun) await deps.kube.delete(ref, {propagationPolicy: 'Background'});
    removed.push(`${ref.kind}/${ref.name}`);
  }
  return {action: 'unschedule', ensemble: req.name, namespace: req.namespace, removed, dryRun: req.dryRun};
}
