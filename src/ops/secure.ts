/**
 * `kubectl zk secure`: brings an ensemble to kubectl-zk's closed-by-default
 * settings, whatever version of kubectl-zk made it, and finishes what
 * `create --no-wait` could not do. Idempotent: a second run changes nothing.
 *
 * 1. The NetworkPolicy (members only on 2888/3888; the client port from
 *    --allow-clients-from, else the live policy's sources, else the pods of
 *    the namespace). Applied first: it needs no restart.
 * 2. The ConfigMap's zoo.cfg (SECURITY_SETTINGS: the AdminServer on the
 *    pod's loopback) and the pod template (no service-account token). Both
 *    take effect when a member restarts, so a change here is followed by a
 *    restart roll (restart's machinery: one member at a time, each back and
 *    in sync before the next, the leader last).
 * 3. The system ACLs (acl.ts), as the super user, once the quorum serves.
 * Nothing is changed before the plan is confirmed (a TTY asks; --yes).
 */
import {CliError, errorMessage} from '../errors.js';
import type {Kube, KubeObject, StatefulSetObject} from '../kube/types.js';
import type {Assets} from '../manifests/assets.js';
import {objectNames, PORTS} from '../manifests/names.js';
import {DEFAULT_CLIENT_SOURCES, describeClientPeers, formatClientSource, parseClientSources, type ClientSource} from '../manifests/network.js';
import {renderNetworkPolicy} from '../manifests/render.js';
import {secureZooCfg, type SettingChange} from '../manifests/security.js';
import type {Progress} from '../util/progress.js';
import type {ZkClient} from '../zk/client.js';
import type {AuthInfo} from '../zk/wire.js';
import {enforceSystemAcls, systemAclDrift, type AclChange} from './acl.js';
import {checkNamedNamespaces} from './create.js';
import {superAuth} from './znode.js';
import type {RollResult} from './roll/types.js';
import {hasTlsTemplate} from './roll/template.js';
import {refuseDuringTlsEnable} from './tls/enable-template.js';

export interface SecureRequest {
  name: string;
  namespace: string;
  /** --allow-clients-from; undefined keeps the live policy's sources (or the default when there is none) */
  clientSources?: ClientSource[];
  dryRun: boolean;
}

export interface SecureDeps {
  kube: Kube;
  progress: Progress;
  assets: Assets;
  /** A ZooKeeper session with the ensemble, authenticated with `auth` (the op closes it). */
  connect: (auth: readonly AuthInfo[]) => Promise<ZkClient>;
  /** restart's roll (confirmation already given); resolves with its result */
  roll: () => Promise<RollResult>;
  confirm: (question: string) => Promise<boolean>;
}

export interface SecurePlan {
  networkPolicy: {action: 'create' | 'update' | 'keep'; clientsFrom: string[]; before?: string[]};
  zooCfg: SettingChange[];
  template: string[];
  /** a restart roll follows (zoo.cfg or the template changed) */
  restart: boolean;
}

export interface SecureResult {
  name: string;
  namespace: string;
  dryRun: boolean;
  plan: SecurePlan;
  /** the ACLs changed (dry run: the drift found, nothing set) */
  acls: AclChange[];
  roll?: {outcome: RollResult['outcome']; exitCode: number; members: number};
  /** nothing needed doing */
  unchanged: boolean;
}

/** JSON with every object's keys sorted: equal for equal values whatever the key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function sameSources(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join('\n') === [...b].sort().join('\n');
}

/** What secure would change: pure over the live objects. */
export function planSecure(
  req: Pick<SecureRequest, 'name' | 'namespace' | 'clientSources'>,
  live: {sts: StatefulSetObject; zooCfg: string; policy: KubeObject | null},
  assets: Assets,
): {plan: SecurePlan; policy: KubeObject; zooCfg: string} {
  const image = live.sts.spec?.template?.spec?.containers?.find((c) => c.name === 'zookeeper')?.image ?? '';
  const liveSources = live.policy ? describeClientPeers(live.policy as never, [PORTS.client, PORTS.secureClient]) : undefined;
  let sources: ClientSource[];
  if (req.clientSources) sources = req.clientSources;
  else if (liveSources) {
    try {
      sources = parseClientSources(liveSources);
    } catch {
      throw new CliError(`NetworkPolicy ${objectNames(req.name).networkPolicy} was changed by hand (client sources: ${liveSources.join(', ')})`, {
        hint: 'say who may connect with --allow-clients-from; secure then replaces the policy',
      });
    }
  } else sources = [...DEFAULT_CLIENT_SOURCES];
  // a TLS ensemble's policy admits clients on the secure port only (as create --tls renders it)
  const policy = renderNetworkPolicy({name: req.name, namespace: req.namespace, image, clientSources: sources, tls: hasTlsTemplate(live.sts)}, assets);
  const clientsFrom = sources.map(formatClientSource);
  // the API server returns keys in its own order (matchLabels sorted): compare canonical forms
  const liveRules = canonical((live.policy?.['spec'] as {ingress?: unknown} | undefined)?.ingress ?? null);
  const action = !live.policy ? 'create' : sameSources(clientsFrom, liveSources ?? []) && liveRules === canonical((policy['spec'] as {ingress: unknown}).ingress) ? 'keep' : 'update';
  const cfg = secureZooCfg(live.zooCfg);
  const template = live.sts.spec?.template?.spec?.automountServiceAccountToken === false ? [] : ['automountServiceAccountToken: false'];
  return {
    plan: {networkPolicy: {action, clientsFrom, ...(liveSources ? {before: liveSources} : {})}, zooCfg: cfg.changes, template, restart: cfg.changes.length > 0 || template.length > 0},
    policy,
    zooCfg: cfg.text,
  };
}

function describePlan(r: SecureRequest, p: SecurePlan): string {
  const parts: string[] = [];
  if (p.networkPolicy.action !== 'keep') parts.push(`${p.networkPolicy.action} NetworkPolicy ${r.name} (clients from: ${p.networkPolicy.clientsFrom.join(', ')}; clients elsewhere are refused)`);
  for (const c of p.zooCfg) parts.push(`set ${c.key}=${c.to} in zoo.cfg`);
  for (const t of p.template) parts.push(`set ${t} in the pod template`);
  if (p.restart) parts.push('restart every member, one at a time, the leader last');
  return parts.join('; ');
}

async function withSuper<T>(req: SecureRequest, deps: SecureDeps, work: (c: ZkClient) => Promise<T>): Promise<T> {
  const client = await deps.connect([await superAuth(deps.kube, req.namespace, req.name)]);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export async function secureEnsemble(req: SecureRequest, deps: SecureDeps): Promise<SecureResult> {
  const {kube, progress} = deps;
  const names = objectNames(req.name);
  const [sts, cm, policy] = await Promise.all([
    kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: names.statefulSet}),
    kube.get({apiVersion: 'v1', kind: 'ConfigMap', namespace: req.namespace, name: names.configMap}),
    kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: req.namespace, name: names.networkPolicy}),
  ]);
  if (!sts) throw new CliError(`ensemble "${req.name}" not found in namespace "${req.namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace}`});
  const zooCfg = (cm?.['data'] as Record<string, string> | undefined)?.['zoo.cfg'];
  if (!cm || zooCfg === undefined) throw new CliError(`ConfigMap ${names.configMap} (zoo.cfg) not found in namespace "${req.namespace}"`, {hint: 'it is made by kubectl zk create'});
  refuseDuringTlsEnable(cm, {name: req.name, namespace: req.namespace, why: 'its NetworkPolicy changes with each phase'});
  const planned = planSecure(req, {sts, zooCfg, policy}, deps.assets);
  const {plan} = planned;
  await checkNamedNamespaces(
    kube,
    plan.networkPolicy.clientsFrom.flatMap((s) => (s.startsWith('namespace=') ? [s.slice('namespace='.length)] : [])),
    (w) => progress.warn(w),
  );
  const result: SecureResult = {name: req.name, namespace: req.namespace, dryRun: req.dryRun, plan, acls: [], unchanged: false};

  if (req.dryRun) {
    result.acls = await withSuper(req, deps, (c) => systemAclDrift(c)).catch((e: unknown) => {
      progress.warn(`could not read the system ACLs: ${errorMessage(e)}`);
      return [];
    });
    result.unchanged = plan.networkPolicy.action === 'keep' && !plan.restart && result.acls.length === 0;
    return result;
  }

  const what = describePlan(req, plan);
  if (what && !(await deps.confirm(`Secure ensemble "${req.name}" in namespace "${req.namespace}": ${what}?`))) {
    throw new CliError('secure cancelled; nothing was changed', {exitCode: 1});
  }

  if (plan.networkPolicy.action !== 'keep') {
    await kube.apply(planned.policy, {force: true});
    progress.info(`NetworkPolicy ${names.networkPolicy} ${plan.networkPolicy.action === 'create' ? 'created' : 'updated'}: clients from ${plan.networkPolicy.clientsFrom.join(', ')}`);
  }
  if (plan.zooCfg.length > 0) {
    await kube.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', namespace: req.namespace, name: names.configMap}, {data: {'zoo.cfg': planned.zooCfg}});
    progress.info(`zoo.cfg: ${plan.zooCfg.map((c) => `${c.key}=${c.to}`).join(', ')}`);
  }
  if (plan.template.length > 0) {
    await kube.mergePatch({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: names.statefulSet}, {spec: {template: {spec: {automountServiceAccountToken: false}}}});
    progress.info(`pod template: ${plan.template.join(', ')}`);
  }
  if (plan.restart) {
    const roll = await deps.roll();
    result.roll = {outcome: roll.outcome, exitCode: roll.exitCode, members: roll.members.length};
    if (roll.exitCode !== 0) {
      throw new CliError(`the restart that applies the new settings stopped${roll.stopped?.pod ? ` at ${roll.stopped.pod}` : ''}: ${roll.stopped?.reason ?? roll.outcome}`, {
        hint: `fix what stopped it, then run kubectl zk secure ${req.name} -n ${req.namespace} again (it resumes)`,
        exitCode: roll.exitCode,
      });
    }
  }
  result.acls = await withSuper(req, deps, (c) => enforceSystemAcls(c));
  if (result.acls.length > 0) progress.info(`ACLs set: ${result.acls.map((c) => `${c.path} ${c.after}`).join('; ')}`);
  result.unchanged = !what && result.acls.length === 0;
  return result;
}
