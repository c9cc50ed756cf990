import {CliError, errorMessage} from '../errors.js';
import type {Kube} from '../kube/types.js';
import type {Assets} from '../manifests/assets.js';
import {describeKept, keptMismatch, parseInspection, renderInspector, type KeptVolume} from '../manifests/inspector.js';
import type {EnsembleOptions} from '../manifests/options.js';
import {serverLine} from '../manifests/render.js';
import {poll} from '../util/poll.js';
import {quorumSize} from './ensemble/quorum.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';

export interface KeptDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  assets: Pick<Assets, 'scripts/inspect.sh'>;
  signal?: AbortSignal;
}

interface PodLike {
  status?: {phase?: string};
}

/** One inspector pod: applied, waited for, its output read; deleted whatever happens. */
async function inspectOne(o: EnsembleOptions, claim: string, deps: KeptDeps, deadline: number): Promise<KeptVolume> {
  const pod = renderInspector(o, claim, deps.assets);
  const ref = {apiVersion: 'v1', kind: 'Pod', namespace: o.namespace, name: pod.metadata.name};
  try {
    await deps.kube.apply(pod, {force: true});
    const phase = await poll(
      async () => {
        const p = await deps.kube.get<PodLike & typeof pod>(ref);
        const ph = p?.status?.phase ?? 'Pending';
        return ph === 'Succeeded' || ph === 'Failed' ? {ok: ph} : {why: `${pod.metadata.name} ${ph}`};
      },
      {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 1000, deadline, what: `the inspection of ${claim}`},
    );
    const out = await deps.kube.logs(o.namespace, pod.metadata.name, {container: 'inspect'});
    if (phase === 'Failed') throw new CliError(`the inspection of ${claim} failed: ${out.trim().slice(-200)}`);
    return parseInspection(claim, out);
  } finally {
    await deps.kube.delete(ref, {gracePeriodSeconds: 0}).catch((e: unknown) => deps.progress.warn(`could not delete inspector pod ${pod.metadata.name}: ${errorMessage(e)}`));
  }
}

/** Reads what each kept PVC holds, in parallel, through short-lived read-only pods (always removed). */
export async function inspectKeptVolumes(o: EnsembleOptions, claims: readonly string[], deps: KeptDeps, timeoutMs = 180_000): Promise<KeptVolume[]> {
  const step = deps.progress.step(`reading what ${claims.length} kept volume(s) hold`);
  const deadline = deps.clock.now() + timeoutMs;
  try {
    const found = await Promise.all(claims.map((c) => inspectOne(o, c, deps, deadline)));
    step.succeed(`kept volumes: ${found.map(describeKept).join('; ')}`);
    return found;
  } catch (e) {
    step.fail();
    throw e;
  }
}

/**
 * Whether create may start from the kept volumes: any that would not be the
 * member of its ordinal stops it (named, with what it holds); matching ones
 * are adopted only with --reuse-data. Returns what is reused.
 */
export function decideKept(o: EnsembleOptions, volumes: readonly KeptVolume[], reuse: boolean): string[] {
  const lines = Array.from({length: o.replicas}, (_, i) => serverLine(o, i));
  const bad = volumes.map((v) => ({v, why: keptMismatch(v, lines, o.replicas)})).filter((x) => x.why !== undefined);
  const del = `kubectl zk create ${o.name} -n ${o.namespace} --delete-data (deletes them first)`;
  if (bad.length > 0) {
    throw new CliError(`volumes kept from an earlier "${o.name}" do not match the ${o.replicas}-member ensemble this would make: ${bad.map((x) => `${describeKept(x.v)} (${x.why})`).join('; ')}`, {
      hint: `start fresh with: ${del}`,
    });
  }
  const stale = staleMajority(volumes, o.replicas);
  if (stale) throw new CliError(`volumes kept from an earlier "${o.name}" disagree: ${stale}`, {hint: `start fresh with: ${del}, or restore from a backup`});
  if (!reuse) {
    throw new CliError(`found volumes kept from an earlier "${o.name}": ${volumes.map(describeKept).join('; ')}`, {hint: `start from that data with --reuse-data, or fresh with: ${del}`});
  }
  return volumes.map((v) => v.claim).sort();
}

/**
 * Volumes from different lives of the ensemble: ZooKeeper establishes an epoch
 * only once a quorum has acknowledged it, so the newest epoch of one life is on
 * a majority of its members' volumes. When the volumes holding data from an
 * older epoch are themselves a majority, they could elect each other before the
 * newest member is up, and the newest transactions would be truncated on it.
 * Returns why (undefined: no such risk). Empty volumes wait for a leader
 * (start.sh) and do not count.
 */
export function staleMajority(volumes: readonly KeptVolume[], replicas: number): string | undefined {
  const dated = volumes.filter((v) => v.currentEpoch !== undefined);
  if (dated.length === 0) return undefined;
  const newest = Math.max(...dated.map((v) => v.currentEpoch!));
  const older = dated.filter((v) => v.currentEpoch! < newest);
  if (older.length < quorumSize(replicas)) return undefined;
  return `${older.map((v) => `${v.claim} (epoch ${v.currentEpoch})`).join(', ')} hold data of an older epoch than ${dated
    .filter((v) => v.currentEpoch === newest)
    .map((v) => `${v.claim} (epoch ${newest})`)
    .join(', ')}, and they are a majority of ${replicas} members: they could elect an older tree and truncate the newer one`;
}
