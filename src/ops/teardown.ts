import {AbortedError, CliError} from '../errors.js';
import type {Kube, KubeObject} from '../kube/types.js';
import {instanceSelector, OWNER_ANNOTATION} from '../manifests/labels.js';
import {ENSEMBLE_KINDS} from '../manifests/names.js';
import {formatDuration} from '../util/duration.js';
import {poll} from '../util/poll.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';
import {sortByOwnership} from './ownership.js';
import {listMemberPods} from './wait.js';

export interface TeardownDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  confirm(question: string): Promise<boolean>;
  signal?: AbortSignal;
}

export interface TeardownRequest {
  name: string;
  namespace: string;
  deleteData: boolean;
  dryRun: boolean;
  wait: boolean;
  timeoutMs: number;
}

export interface TeardownResult {
  name: string;
  namespace: string;
  /** false when nothing of the ensemble was there (not an error: teardown is idempotent) */
  found: boolean;
  dryRun: boolean;
  deleted: {kind: string; name: string}[];
  /** PersistentVolumeClaims left in place (the data), unless --delete-data */
  keptVolumes: string[];
  deletedVolumes: string[];
  /** objects with the ensemble's labels that kubectl-zk did not make for it (no ownership annotation): left alone */
  skipped: {kind: string; name: string}[];
  /** the ensemble was made before the ownership annotation: its objects were recognised by their rendered names */
  legacy: boolean;
  durationMs: number;
}

/** Deleted in this order: the StatefulSet first (its pods go), the NetworkPolicy last. */
const KINDS = ENSEMBLE_KINDS;

async function gather(kube: Kube, req: TeardownRequest): Promise<{objects: KubeObject[]; claims: KubeObject[]; foreign: KubeObject[]; legacy: boolean}> {
  // What carries this instance's labels *and* managed-by=kubectl-zk, then of that only what the ownership annotation says is ours.
  const selector = instanceSelector(req.name);
  const [objects, claims] = await Promise.all([
    Promise.all(KINDS.map(([apiVersion, kind]) => kube.list(apiVersion, kind, {namespace: req.namespace, labelSelector: selector}))).then((x) => x.flat()),
    kube.list('v1', 'PersistentVolumeClaim', {namespace: req.namespace, labelSelector: selector}),
  ]);
  const sorted = sortByOwnership(req.name, [...objects, ...claims]);
  const isClaim = (o: KubeObject) => o.kind === 'PersistentVolumeClaim';
  return {objects: sorted.owned.filter((o) => !isClaim(o)), claims: sorted.owned.filter(isClaim), foreign: sorted.foreign, legacy: sorted.legacy};
}

async function waitGone(what: string, check: () => Promise<number>, deps: TeardownDeps, deadline: number): Promise<void> {
  const step = deps.progress.step(`waiting for ${what} to go`);
  try {
    await poll(
      async () => {
        const left = await check();
        return left === 0 ? {ok: undefined} : {why: `${left} left`};
      },
      {
        clock: deps.clock,
        sleep: deps.sleep,
        signal: deps.signal,
        intervalMs: 1000,
        deadline,
        onWhy: (why) => step.update(why),
        onTimeout: (why) =>
          new CliError(`timed out waiting for ${what} to go (${why})`, {hint: 'they may be stuck on finalizers or an unreachable node; check with kubectl get pods,pvc -n NAMESPACE'}),
      },
    );
  } catch (e) {
    step.fail();
    throw e;
  }
  step.succeed(`${what} gone`);
}

/**
 * Removes what `create` made for one ensemble. Keeps the data (PVCs) unless
 * asked; confirms first; idempotent.
 */
export async function teardownEnsemble(req: TeardownRequest, deps: TeardownDeps): Promise<TeardownResult> {
  const {kube, progress, clock} = deps;
  const started = clock.now();
  const {objects, claims, foreign, legacy} = await gather(kube, req);
  const claimNames = claims.map((c) => c.metadata.name).sort();
  const result: TeardownResult = {
    name: req.name,
    namespace: req.namespace,
    found: objects.length > 0 || claims.length > 0,
    dryRun: req.dryRun,
    deleted: objects.map((o) => ({kind: o.kind, name: o.metadata.name})),
    keptVolumes: req.deleteData ? [] : claimNames,
    deletedVolumes: req.deleteData ? claimNames : [],
    skipped: foreign.map((o) => ({kind: o.kind, name: o.metadata.name})),
    legacy,
    durationMs: 0,
  };
  if (foreign.length > 0)
    progress.warn(
      `leaving ${foreign.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')} alone: labelled like ensemble "${req.name}" but not made by kubectl-zk for it (no ${OWNER_ANNOTATION}: ${req.name} annotation)`,
    );
  const work = objects.length + (req.deleteData ? claims.length : 0);
  if (req.dryRun || work === 0) {
    result.durationMs = clock.now() - started;
    return result;
  }

  const question = req.deleteData
    ? `Delete ensemble "${req.name}" in namespace "${req.namespace}" AND its data (${claimNames.length} volume(s): ${claimNames.join(', ') || 'none'})?`
    : `Delete ensemble "${req.name}" in namespace "${req.namespace}" (${objects.length} objects; data volumes are kept)?`;
  if (!(await deps.confirm(question))) throw new AbortedError('teardown cancelled; nothing was deleted');

  const deadline = started + req.timeoutMs;
  const step = progress.step(`deleting ${objects.length} objects`);
  for (const [apiVersion, kind] of KINDS) {
    for (const o of objects.filter((x) => x.kind === kind)) {
      step.update(`${kind}/${o.metadata.name}`);
      await kube.delete({apiVersion, kind, namespace: req.namespace, name: o.metadata.name}, {propagationPolicy: 'Background'});
    }
  }
  step.succeed(`deleted ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ') || 'no objects'}`);

  if (req.wait || req.deleteData) {
    // Volumes are only released once no pod uses them, so --delete-data always waits for the pods.
    await waitGone('pods', async () => (await listMemberPods(kube, req.namespace, req.name)).length, deps, deadline);
  }
  if (req.deleteData && claims.length > 0) {
    const dstep = progress.step(`deleting ${claims.length} volume claim(s)`);
    for (const c of claims) await kube.delete({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: req.namespace, name: c.metadata.name});
    dstep.succeed(`deleted ${claimNames.join(', ')}`);
    if (req.wait) {
      await waitGone(
        'volume claims',
        async () => (await kube.list('v1', 'PersistentVolumeClaim', {namespace: req.namespace, labelSelector: instanceSelector(req.name)})).filter((c) => claimNames.includes(c.metadata.name)).length,
        deps,
        deadline,
      );
    }
  }
  result.durationMs = clock.now() - started;
  progress.info(`teardown of "${req.name}" done in ${formatDuration(result.durationMs)}`);
  return result;
}
