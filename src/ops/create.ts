import {CliError, errorMessage} from '../errors.js';
import type {Kube, KubeObject} from '../kube/types.js';
import type {Assets} from '../manifests/assets.js';
import {instanceSelector} from '../manifests/labels.js';
import type {EnsembleOptions} from '../manifests/options.js';
import {objectNames, renderEnsemble} from '../manifests/render.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';
import {waitForQuorum, type PhaseTime, type ProbeMembers} from './wait.js';

export interface CreateDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  probe: ProbeMembers;
  assets: Assets;
  /** The generated super-user password (random in production, fixed in tests). */
  newPassword: () => string;
  signal?: AbortSignal;
}

export interface CreateRequest {
  options: EnsembleOptions;
  wait: boolean;
  timeoutMs: number;
  warnings: string[];
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
  /** PersistentVolumeClaims kept by an earlier teardown that the new members will start from */
  reusedVolumes: string[];
  waited: boolean;
  ready: boolean;
  leader?: string;
  members: {pod: string; role: string}[];
  phases: PhaseTime[];
  durationMs: number;
  warnings: string[];
  /** how applications connect */
  connectString: string;
}

const KINDS: [string, string][] = [
  ['apps/v1', 'StatefulSet'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['policy/v1', 'PodDisruptionBudget'],
];

/** Renders the ensemble; used by --dry-run too (no cluster contact). */
export function planCreate(req: CreateRequest, deps: Pick<CreateDeps, 'assets' | 'newPassword'>): KubeObject[] {
  return renderEnsemble(req.options, {superPassword: deps.newPassword()}, deps.assets);
}

/**
 * Creates an ensemble: refuses to overwrite anything, applies every object with
 * server-side apply, removes what it applied if a later apply fails (nothing is
 * left half-made), then waits until a quorum serves.
 */
export async function createEnsemble(req: CreateRequest, deps: CreateDeps): Promise<CreateResult> {
  const {kube, progress, clock} = deps;
  const o = req.options;
  const started = clock.now();
  const names = objectNames(o.name);
  const warnings = [...req.warnings];
  for (const w of warnings) progress.warn(w);

  // 1. Never overwrite: an existing StatefulSet or any object of this instance stops us.
  const existing = await kube.get({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: o.namespace, name: names.statefulSet});
  const leftovers = existing
    ? [existing]
    : (await Promise.all(KINDS.slice(1).map(([apiVersion, kind]) => kube.list(apiVersion, kind, {namespace: o.namespace, labelSelector: instanceSelector(o.name)})))).flat();
  if (existing || leftovers.length > 0) {
    const what = leftovers.map((x) => `${x.kind}/${x.metadata.name}`).join(', ');
    throw new CliError(`ensemble "${o.name}" already exists in namespace "${o.namespace}" (${what})`, {
      hint: `see it with: kubectl zk status ${o.name} -n ${o.namespace}; remove it with: kubectl zk teardown ${o.name} -n ${o.namespace}`,
    });
  }
  const claims = o.storage.ephemeral ? [] : await kube.list('v1', 'PersistentVolumeClaim', {namespace: o.namespace, labelSelector: instanceSelector(o.name)});
  const reusedVolumes = claims.map((c) => c.metadata.name).sort();
  if (reusedVolumes.length > 0) {
    const msg = `found ${reusedVolumes.length} volume(s) kept from an earlier "${o.name}" (${reusedVolumes.join(', ')}): those members start from that data; use 'kubectl zk teardown ${o.name} --delete-data' first for a fresh ensemble`;
    warnings.push(msg);
    progress.warn(msg);
  }

  // 2. Apply, in order; on failure remove what this run applied.
  const objects = planCreate(req, deps);
  const applied: KubeObject[] = [];
  const step = progress.step(`applying ${objects.length} objects`);
  try {
    for (const obj of objects) {
      step.update(`${obj.kind}/${obj.metadata.name}`);
      applied.push(await kube.apply(obj));
    }
  } catch (err) {
    step.fail(`applying failed: ${errorMessage(err)}`);
    const undo = [...applied].reverse();
    for (const obj of undo) {
      await kube
        .delete({apiVersion: obj.apiVersion, kind: obj.kind, namespace: o.namespace, name: obj.metadata.name})
        .catch((e: unknown) => progress.warn(`could not remove ${obj.kind}/${obj.metadata.name} after the failure: ${errorMessage(e)}`));
    }
    if (undo.length > 0) progress.info(`removed the ${undo.length} object(s) this run had applied`);
    throw err;
  }
  step.succeed(`applied ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);

  const result: CreateResult = {
    name: o.name,
    namespace: o.namespace,
    replicas: o.replicas,
    image: o.image,
    objects: objects.map((x) => ({kind: x.kind, name: x.metadata.name})),
    reusedVolumes,
    waited: req.wait,
    ready: false,
    members: [],
    phases: [{phase: 'objects applied', atMs: clock.now() - started}],
    durationMs: 0,
    warnings,
    connectString: `${names.clientService}.${o.namespace}.svc.${o.clusterDomain}:2181`,
  };
  if (!req.wait) {
    result.durationMs = clock.now() - started;
    return result;
  }

  // 3. Wait for a serving quorum.
  const q = await waitForQuorum(
    {namespace: o.namespace, name: o.name, replicas: o.replicas, timeoutMs: Math.max(0, req.timeoutMs - (clock.now() - started))},
    deps,
  );
  const offset = result.phases[0]!.atMs;
  result.phases.push(...q.phases.map((p) => ({phase: p.phase, atMs: p.atMs + offset})));
  result.ready = true;
  result.leader = q.leader;
  result.members = q.members;
  result.durationMs = clock.now() - started;
  return result;
}
