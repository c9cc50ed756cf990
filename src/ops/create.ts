import {AbortedError, CliError, errorMessage, UsageError} from '../errors.js';
import {describeKept, type KeptVolume} from '../manifests/inspector.js';
import {poll} from '../util/poll.js';
import {decideKept, inspectKeptVolumes} from './kept-volumes.js';
import type {Kube, KubeObject, SecretObject} from '../kube/types.js';
import {readUserCa, type UserCa} from '../tls/user-ca.js';
import type {Assets} from '../manifests/assets.js';
import {instanceSelector} from '../manifests/labels.js';
import {ENSEMBLE_KINDS, PORTS} from '../manifests/names.js';
import {formatClientSource, namedNamespaces} from '../manifests/network.js';
import type {EnsembleOptions} from '../manifests/options.js';
import {objectNames, renderEnsemble} from '../manifests/render.js';
import {PhaseTimer, type PhaseMark} from '../util/phases.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';
import type {ZkClient} from '../zk/client.js';
import {digestAuth} from '../zk/reconfig.js';
import type {AuthInfo} from '../zk/wire.js';
import {enforceSystemAcls, type AclChange} from './acl.js';
import {sortByOwnership} from './ownership.js';
import {MEMBERSHIP_VERSION_KEY} from './scale/kube.js';
import {makeEnsembleTls} from '../tls/ensemble.js';
import {renderPodMonitor} from '../manifests/monitor.js';
import {droppingUnservedMonitor, withOwner} from './monitor.js';
import {chooseSpread, spreadCheck} from './spread.js';
import {decideSpread, type SpreadChoice} from './ensemble/spread.js';
import {formatSpread, PREFERRED_SPREAD, type Spread} from '../manifests/spread.js';
import {waitForQuorum, type ProbeMembers} from './wait.js';

export interface CreateDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  probe: ProbeMembers;
  assets: Assets;
  /** The generated super-user password (random in production, fixed in tests). */
  newPassword: () => string;
  /** A ZooKeeper session with the ensemble, authenticated with `auth` (the op closes it). */
  connect: (auth: readonly AuthInfo[]) => Promise<ZkClient>;
  /** asks before --delete-data deletes kept volumes (TTY, --yes, or refuse) */
  confirm?: (question: string) => Promise<boolean>;
  signal?: AbortSignal;
}

export interface CreateRequest {
  options: EnsembleOptions;
  wait: boolean;
  timeoutMs: number;
  warnings: string[];
  /** volumes kept from an earlier ensemble of this name: start from them (--reuse-data) or delete them first (--delete-data) */
  keptData?: 'reuse' | 'delete';
  /** also a PodMonitor (`--monitor`), when the API server serves that kind */
  monitor?: boolean;
  /** --spread: decided against the nodes before anything is applied (options.spread is then set); absent: options.spread as given */
  spread?: SpreadChoice;
  /** --tls-from-secret: the Secret (the ensemble's namespace) holding the user's CA; read and checked before anything is applied */
  tlsFromSecret?: string;
}

export interface ObjectSummary {
  kind: string;
  name: string;
}

export interface CreateResult {
  name: string;
  namespace: string;
  replicas: number;
  image: string;
  objects: ObjectSummary[];
  /** PersistentVolumeClaims kept by an earlier teardown that the new members will start from (--reuse-data) */
  reusedVolumes: string[];
  /** what the kept volumes held, read before anything was applied */
  keptVolumes: KeptVolume[];
  waited: boolean;
  ready: boolean;
  leader?: string;
  members: {pod: string; role: string}[];
  /** who may connect to the client port (the NetworkPolicy's sources, as --allow-clients-from values) */
  clientsFrom: string[];
  /** the system ACLs were set (false without --wait: no quorum to set them on yet) */
  aclsSet: boolean;
  aclChanges: AclChange[];
  phases: PhaseMark[];
  durationMs: number;
  warnings: string[];
  /** how applications connect */
  connectString: string;
  /** create --tls: clients connect to the secure port with a certificate from the ensemble's CA (kubectl zk certificate) */
  tls: boolean;
  /** how the members are spread over nodes and zones (the StatefulSet's affinity and topologySpreadConstraints) */
  spread: Spread;
}

/**
 * Renders the ensemble; used by --dry-run too (no cluster contact but the
 * user's CA Secret). With --tls it makes the CA (or takes the user's) and the
 * certificates, valid from `now`.
 */
export function planCreate(req: CreateRequest, assets: Assets, superPassword: string, now: Date = new Date(), userCa?: UserCa): KubeObject[] {
  const tls = req.options.tls ? makeEnsembleTls(req.options, now, userCa) : undefined;
  const objects = renderEnsemble(req.options, {superPassword, tls}, assets);
  return req.monitor ? [...objects, renderPodMonitor(req.options)] : objects;
}

/** --tls-from-secret: the user's CA, read from its Secret and checked (readUserCa refuses, exit 3); its warnings reported. */
export async function userCaFor(kube: Kube, req: CreateRequest, now: Date, warn: (w: string) => void): Promise<UserCa | undefined> {
  if (!req.tlsFromSecret) return undefined;
  const n = objectNames(req.options.name);
  if ([n.secret, n.tlsSecret, n.tlsCaSecret, n.tlsClientSecret].includes(req.tlsFromSecret)) {
    throw new UsageError(`--tls-from-secret ${req.tlsFromSecret}: that is the name of a Secret the ensemble "${req.options.name}" makes`, 'give your CA Secret another name');
  }
  const ref = {namespace: req.options.namespace, name: req.tlsFromSecret};
  const user = readUserCa(await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', ...ref}), ref, now);
  for (const w of user.warnings) warn(w);
  return user;
}

/** Namespaces that --allow-clients-from names must exist; a check we may not make is a warning, not a stop. */
export async function checkNamedNamespaces(kube: Kube, namespaces: readonly string[], warn: (w: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const ns of namespaces) {
    try {
      if (!(await kube.get({apiVersion: 'v1', kind: 'Namespace', name: ns}))) missing.push(ns);
    } catch (e) {
      warn(`could not check that namespace "${ns}" exists (${errorMessage(e)}); the NetworkPolicy admits it by name`);
    }
  }
  if (missing.length > 0) {
    throw new UsageError(
      `--allow-clients-from names namespace${missing.length > 1 ? 's' : ''} that do${missing.length > 1 ? '' : 'es'} not exist: ${missing.join(', ')}`,
      'create the namespace first, or check the spelling',
    );
  }
}

/** create --no-wait: the result, with what could be judged before placement and the open root ACL. */
async function notWaited(kube: Kube, o: EnsembleOptions, result: CreateResult, progress: Progress, durationMs: number): Promise<CreateResult> {
  const w = `not waited for: the root ACL stays ZooKeeper's open default until the quorum serves and 'kubectl zk secure ${o.name} -n ${o.namespace}' runs`;
  for (const x of [...(await spreadCheck(kube, o, false)), w]) {
    result.warnings.push(x);
    progress.warn(x);
  }
  result.durationMs = durationMs;
  return result;
}

/** --dry-run's --spread: decided without the nodes (auto shows preferred, with a note saying so). */
export function offlineSpread(req: CreateRequest): {req: CreateRequest; notes: string[]} {
  if (!req.spread) return {req, notes: []};
  const d = decideSpread(req.spread, req.options.replicas, undefined, '--dry-run contacts nothing, so the nodes were not counted');
  return {req: {...req, options: {...req.options, spread: d.spread}}, notes: d.notes.map((n) => `spread ${formatSpread(d.spread)}: ${n}`)};
}

/** --spread decided against the cluster's nodes (a --spread required that cannot be met stops here, before anything is applied). */
async function withSpread(kube: Kube, req: CreateRequest, progress: Progress): Promise<CreateRequest> {
  const d = await chooseSpread(kube, req.spread!, req.options.replicas);
  progress.info(`spread: ${formatSpread(d.spread)}${d.notes.length > 0 ? ` (${d.notes.join('; ')})` : ''}`);
  return {...req, options: {...req.options, spread: d.spread}};
}

/** Refuses when this instance exists: its StatefulSet, or any object the ownership annotation says is ours (look-alikes do not count). */
async function refuseExisting(kube: CreateDeps['kube'], o: EnsembleOptions, statefulSet: string): Promise<void> {
  const existing = await kube.get({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: o.namespace, name: statefulSet});
  const leftovers = existing
    ? [existing]
    : sortByOwnership(
        o.name,
        (
          await Promise.all(
            ENSEMBLE_KINDS.filter(([, kind]) => kind !== 'StatefulSet').map(([apiVersion, kind]) => kube.list(apiVersion, kind, {namespace: o.namespace, labelSelector: instanceSelector(o.name)})),
          )
        ).flat(),
      ).owned;
  if (existing || leftovers.length > 0) {
    const what = leftovers.map((x) => `${x.kind}/${x.metadata.name}`).join(', ');
    throw new CliError(`ensemble "${o.name}" already exists in namespace "${o.namespace}" (${what})`, {
      hint: `see it with: kubectl zk status ${o.name} -n ${o.namespace}; remove it with: kubectl zk teardown ${o.name} -n ${o.namespace}`,
    });
  }
}

/** Applies the objects in order; on a failure removes what this run applied (nothing is left half-made) and rethrows. */
async function applyAll(kube: CreateDeps['kube'], namespace: string, objects: KubeObject[], progress: CreateDeps['progress']): Promise<void> {
  const applied: KubeObject[] = [];
  const step = progress.step(`applying ${objects.length} objects`);
  try {
    for (const obj of objects) {
      step.update(`${obj.kind}/${obj.metadata.name}`);
      applied.push(await kube.apply(withOwner(obj, applied)));
    }
  } catch (err) {
    step.fail(`applying failed: ${errorMessage(err)}`);
    const undo = [...applied].reverse();
    for (const obj of undo) {
      await kube
        .delete({apiVersion: obj.apiVersion, kind: obj.kind, namespace, name: obj.metadata.name})
        .catch((e: unknown) => progress.warn(`could not remove ${obj.kind}/${obj.metadata.name} after the failure: ${errorMessage(e)}`));
    }
    if (undo.length > 0) progress.info(`removed the ${undo.length} object(s) this run had applied`);
    throw err;
  }
  step.succeed(`applied ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
}

/**
 * Creates an ensemble: refuses to overwrite anything, applies every object with
 * server-side apply, removes what it applied if a later apply fails (nothing is
 * left half-made), then waits until a quorum serves.
 */
export async function createEnsemble(given: CreateRequest, deps: CreateDeps): Promise<CreateResult> {
  const {kube, progress, clock} = deps;
  const timer = new PhaseTimer(clock);
  const started = timer.startedAt;
  timer.enter('objects applied');
  const names = objectNames(given.options.name);
  const warnings = [...given.warnings];
  for (const w of warnings) progress.warn(w);

  // 1. Never overwrite: an existing StatefulSet or any object of this instance stops us.
  await refuseExisting(kube, given.options, names.statefulSet);
  const userCa = await userCaFor(kube, given, new Date(clock.now()), (w) => {
    warnings.push(w);
    progress.warn(w);
  });
  const req = given.spread ? await withSpread(kube, given, progress) : given;
  const o = req.options;
  await checkNamedNamespaces(kube, namedNamespaces(o.clientSources), (w) => {
    warnings.push(w);
    progress.warn(w);
  });
  const claims = o.storage.ephemeral ? [] : sortByOwnership(o.name, await kube.list('v1', 'PersistentVolumeClaim', {namespace: o.namespace, labelSelector: instanceSelector(o.name)})).owned;
  const kept = claims.length > 0 ? await handleKeptVolumes(req, claims.map((c) => c.metadata.name).sort(), deps) : {reused: [], volumes: []};
  const reusedVolumes = kept.reused;

  // 2. Apply, in order; on failure remove what this run applied.
  const password = deps.newPassword();
  const objects = await droppingUnservedMonitor(kube, planCreate(req, deps.assets, password, new Date(clock.now()), userCa), (w) => {
    warnings.push(w);
    progress.warn(w);
  });
  await applyAll(kube, o.namespace, objects, progress);
  timer.end();

  const result: CreateResult = {
    name: o.name,
    namespace: o.namespace,
    replicas: o.replicas,
    image: o.image,
    objects: objects.map((x) => ({kind: x.kind, name: x.metadata.name})),
    reusedVolumes,
    keptVolumes: kept.volumes,
    waited: req.wait,
    ready: false,
    members: [],
    clientsFrom: o.clientSources.map(formatClientSource),
    aclsSet: false,
    aclChanges: [],
    phases: timer.marks(),
    durationMs: 0,
    warnings,
    connectString: `${names.clientService}.${o.namespace}.svc.${o.clusterDomain}:${o.tls ? PORTS.secureClient : PORTS.client}`,
    tls: Boolean(o.tls),
    spread: o.spread ?? PREFERRED_SPREAD,
  };
  if (!req.wait) return notWaited(kube, o, result, progress, clock.now() - started);

  // 3. Wait for a serving quorum.
  const q = await waitForQuorum({namespace: o.namespace, name: o.name, replicas: o.replicas, timeoutMs: Math.max(0, req.timeoutMs - (clock.now() - started))}, {...deps, timer});
  result.ready = true;
  result.leader = q.leader;
  result.members = q.members;
  for (const w of await spreadCheck(kube, o, true)) {
    result.warnings.push(w);
    progress.warn(w);
  }

  // 4. Close the open defaults of ZooKeeper's own znodes, as the super user; record the
  //    committed config version (membership-version): from now on a member that finds its
  //    data directory empty waits for a leader before it votes (start.sh's empty-disk guard).
  timer.enter('system ACLs set');
  result.aclChanges = await secureNewEnsemble(o, password, deps);
  result.aclsSet = true;
  timer.end();
  result.phases = timer.marks();
  result.durationMs = clock.now() - started;
  return result;
}

async function secureNewEnsemble(o: EnsembleOptions, password: string, deps: CreateDeps): Promise<AclChange[]> {
  const step = deps.progress.step('setting the ACLs of /, /zookeeper and /zookeeper/quota');
  try {
    const client = await deps.connect([digestAuth('super', password)]);
    try {
      const changes = await enforceSystemAcls(client);
      step.succeed(`ACLs set: ${changes.map((c) => `${c.path} ${c.after}`).join('; ') || 'already as wanted'}`);
      await recordMembershipVersion(o, client, deps);
      return changes;
    } finally {
      await client.close();
    }
  } catch (err) {
    step.fail(`could not set the ACLs: ${errorMessage(err)}`);
    throw new CliError(`ensemble "${o.name}" serves, but its root ACL is still ZooKeeper's open default: ${errorMessage(err)}`, {
      hint: `run: kubectl zk secure ${o.name} -n ${o.namespace}`,
      cause: err,
    });
  }
}

/** The committed config version into the ConfigMap's membership-version; a failure only leaves the empty-disk guard off (warned). */
async function recordMembershipVersion(o: EnsembleOptions, client: ZkClient, deps: CreateDeps): Promise<void> {
  try {
    const {version} = await client.getConfig();
    if (!version) return;
    await deps.kube.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', namespace: o.namespace, name: objectNames(o.name).configMap}, {data: {[MEMBERSHIP_VERSION_KEY]: version}});
  } catch (e) {
    deps.progress.warn(
      `could not record the committed membership version in ConfigMap ${objectNames(o.name).configMap} (${errorMessage(e)}): until 'kubectl zk scale' records it, a member with an empty disk does not wait for a leader`,
    );
  }
}

/**
 * Kept PVCs of this name: read what they hold first; --delete-data deletes them
 * (after confirmation), otherwise decideKept refuses a mismatch and adopts
 * matching ones only with --reuse-data.
 */
async function handleKeptVolumes(req: CreateRequest, claims: string[], deps: CreateDeps): Promise<{reused: string[]; volumes: KeptVolume[]}> {
  const o = req.options;
  const volumes = await inspectKeptVolumes(o, claims, deps);
  if (req.keptData !== 'delete') {
    const reused = decideKept(o, volumes, req.keptData === 'reuse');
    deps.progress.info(`reusing ${reused.length} kept volume(s): ${volumes.map(describeKept).join('; ')}`);
    return {reused, volumes};
  }
  const ok = deps.confirm ? await deps.confirm(`Delete ${claims.length} volume(s) kept from an earlier "${o.name}" (${volumes.map(describeKept).join('; ')})?`) : false;
  if (!ok) throw new AbortedError('create cancelled; nothing was deleted or made');
  const step = deps.progress.step(`deleting ${claims.join(', ')}`);
  for (const c of claims) await deps.kube.delete({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: o.namespace, name: c});
  await poll(
    async () => {
      const left = (await deps.kube.list('v1', 'PersistentVolumeClaim', {namespace: o.namespace, labelSelector: instanceSelector(o.name)})).filter((c) => claims.includes(c.metadata.name));
      return left.length === 0 ? {ok: undefined} : {why: `${left.length} left`};
    },
    {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 1000, timeoutMs: 120_000, what: 'the kept volumes to go', onWhy: (w) => step.update(w)},
  );
  step.succeed(`deleted ${claims.join(', ')}`);
  return {reused: [], volumes};
}
