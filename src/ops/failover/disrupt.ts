/** The disruptors over the Kubernetes API: evict the leader's pod, kill its ZooKeeper process, delete every pod. */
import {CliError, errorMessage} from '../../errors.js';
import {evictPod} from '../evict.js';
import type {Kube} from '../../kube/types.js';
import {loadAssets} from '../../manifests/assets.js';
import {objectNames} from '../../manifests/names.js';
import {isolate, partitionPolicyName} from './partition.js';
import {poll} from '../../util/poll.js';
import type {Clock, Sleep} from '../../util/time.js';
import {type PodLike, restarts} from '../pods.js';
import type {DisruptionResult, DisruptTarget, Disruptor} from './types.js';

/** The kill script (manifests/scripts/kill.sh: what it does and why SIGTERM for PID 1 is said there). */
export function killScript(): string {
  return loadAssets()['scripts/kill.sh'];
}

export function killCommand(match = 'QuorumPeerMain', signal: 'KILL' | 'STOP' | 'CONT' = 'KILL'): string[] {
  return ['bash', '-c', killScript(), 'kubectl-zk-kill', match, ...(signal === 'KILL' ? [] : [signal])];
}

/** SIGSTOP or SIGCONT to the JVM in the pod (kill.sh); its line, e.g. "SIGSTOP to pid 7 in zk-1". */
async function signalJvm(kube: Kube, namespace: string, pod: string, signal: 'STOP' | 'CONT', container: string, match?: string): Promise<string> {
  const r = await kube.exec(namespace, pod, killCommand(match, signal), {container});
  const k = parseKillOutput(r.stdout);
  if (r.exitCode !== 0 || !k)
    throw new CliError(`could not send SIG${signal} to the ZooKeeper server in pod ${pod}: ${r.stderr.trim() || `exit code ${r.exitCode}`}`, {
      hint: 'the pause mode needs bash and /proc in the container, and a JVM that is not PID 1',
    });
  return `${k.signal} to pid ${k.pid} in ${pod}`;
}

/** "target pid=1 signal=SIGTERM" from the kill script's output. */
export function parseKillOutput(stdout: string): {pid: number; signal: string; exited: boolean} | undefined {
  const m = /^target pid=(\d+) signal=(SIG[A-Z]+)$/m.exec(stdout);
  if (!m) return undefined;
  return {pid: Number(m[1]), signal: m[2]!, exited: /^exited$/m.test(stdout)};
}

/** The zookeeper container has restarted (or is down) since `before` restarts were counted. */
function containerWentDown(pod: PodLike | null, before: number, container: string): boolean {
  if (!pod) return true;
  const cs = pod.status?.containerStatuses?.find((c) => c.name === container);
  return restarts(pod) > before || (cs !== undefined && !cs.state?.running);
}

/**
 * How long the followers wait for a silent leader before they drop it
 * (syncLimit × tickTime from the ensemble's zoo.cfg, defaults 5 × 2000 ms),
 * and a few seconds more for them to elect: the partition's JVM stop.
 */
async function followerTimeoutMs(kube: Kube, namespace: string, name: string): Promise<number> {
  const cm = await kube.get<{apiVersion: string; kind: string; metadata: {name: string}; data?: Record<string, string>}>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace,
    name: objectNames(name).configMap,
  });
  const cfg = cm?.data?.['zoo.cfg'] ?? '';
  const num = (key: string, dflt: number) => Number(new RegExp(`^${key}=(\\d+)`, 'm').exec(cfg)?.[1] ?? dflt);
  return num('syncLimit', 5) * num('tickTime', 2000) + 5000;
}

/** How long delete-pod retries an eviction a PodDisruptionBudget refuses. */
export const EVICT_TIMEOUT_MS = 30_000;

/**
 * delete-pod (pods/eviction), kill (pods/exec) and all-pods (pods/delete) over the Kubernetes API.
 * kill: the exec stream dies with the container's PID 1 and may take the
 * script's output with it; then the pod's container status decides (restart
 * count up, or not running, within `confirmMs`; only with a clock and a sleep).
 */
export function kubeDisruptor(kube: Kube, opts: {container?: string; match?: string; clock?: Clock; sleep?: Sleep; confirmMs?: number} = {}): Disruptor {
  const container = opts.container ?? 'zookeeper';
  return async (t) => {
    const podRef = (name: string) => ({apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, name});
    switch (t.mode) {
      case 'delete-pod': {
        // through the Eviction API (the ensemble's PodDisruptionBudget allows one member; the preconditions ask for all serving):
        // a refusal (another budget, a member not Ready meanwhile) is retried for a while, then reported naming the budget
        if (opts.clock && opts.sleep) await evictPod(kube, t.namespace, t.leader, {clock: opts.clock, sleep: opts.sleep, timeoutMs: EVICT_TIMEOUT_MS});
        else await kube.evict(t.namespace, t.leader);
        return {pods: [t.leader], detail: `evicted pod ${t.leader}`};
      }
      case 'pause': {
        const stopped = await signalJvm(kube, t.namespace, t.leader, 'STOP', container, opts.match);
        const afterMs = t.stopForMs ?? 30_000;
        return {pods: [t.leader], detail: stopped, undo: {afterMs, run: () => signalJvm(kube, t.namespace, t.leader, 'CONT', container, opts.match)}};
      }
      case 'partition':
        return partition(kube, t, {...opts, container});
      case 'all-pods': {
        // an involuntary disruption on purpose (--force): a budget would refuse it, so these pods are deleted
        await Promise.all(t.pods.map((p) => kube.delete(podRef(p))));
        return {pods: [...t.pods], detail: `deleted pods ${t.pods.join(', ')}`};
      }
      case 'kill': {
        const before = await kube.get<PodLike>(podRef(t.leader)).catch(() => null);
        const restartsBefore = before ? restarts(before) : undefined;
        let out = '';
        let err = '';
        let code = 0;
        let failure: unknown;
        try {
          const r = await kube.exec(t.namespace, t.leader, killCommand(opts.match), {container});
          out = r.stdout;
          err = r.stderr;
          code = r.exitCode;
        } catch (e) {
          failure = e; // the exec stream dies with the container's PID 1
        }
        const k = parseKillOutput(out);
        if (k) {
          const why = k.pid === 1 ? ' (PID 1 ignores SIGKILL from inside its PID namespace)' : '';
          return {pods: [t.leader], detail: `${k.signal} to pid ${k.pid} in ${t.leader}${why}`};
        }
        const reason = failure ? errorMessage(failure) : err.trim() || `exit code ${code}`;
        const notKilled = () =>
          new CliError(`could not kill the ZooKeeper server in pod ${t.leader}: ${reason}`, {
            hint: 'the kill mode needs bash and /proc in the container; --mode delete-pod needs neither',
          });
        const {clock, sleep} = opts;
        if (!failure || restartsBefore === undefined || !clock || !sleep) throw notKilled();
        return poll<DisruptionResult>(
          async () => {
            const now = await kube.get<PodLike>(podRef(t.leader)).catch(() => undefined);
            if (now === undefined || !containerWentDown(now, restartsBefore, container)) return {why: 'the container has not restarted'};
            return {ok: {pods: [t.leader], detail: `killed the ZooKeeper server in ${t.leader} (the exec's output was lost: ${reason}; the container restarted)`}};
          },
          {clock, sleep, intervalMs: 250, timeoutMs: opts.confirmMs ?? 10_000, onTimeout: notKilled},
        );
      }
    }
  };
}

/**
 * --mode partition: cut the leader off (partition.ts), stop its JVM until
 * another member leads (the agent keeps established connections: the
 * followers must drop them), continue it cut off, heal when --stop-for ends.
 */
async function partition(kube: Kube, t: DisruptTarget, opts: {container: string; match?: string; clock?: Clock; sleep?: Sleep}): Promise<DisruptionResult> {
  const {container, clock, sleep} = opts;
  if (!clock || !sleep) throw new Error('--mode partition needs a clock and a sleep');
  const stopForMs = t.stopForMs ?? 30_000;
  const minBreakMs = Math.min(stopForMs, await followerTimeoutMs(kube, t.namespace, t.name));
  const heal = await isolate(kube, t.namespace, t.name, t.leader);
  let stopped: string;
  try {
    stopped = await signalJvm(kube, t.namespace, t.leader, 'STOP', container, opts.match);
  } catch (e) {
    await heal().catch(() => undefined);
    throw e;
  }
  const started = clock.now();
  const left = () => Math.max(0, stopForMs - (clock.now() - started));
  // continued once another member leads (the followers dropped its connections), at the latest when the cut ends; at once on Ctrl-C
  const cont = async () => {
    while (t.newLeaderSeen && !t.newLeaderSeen() && left() > 0 && !t.signal?.aborted) await sleep(Math.min(200, left()), t.signal).catch(() => undefined);
    return `${await signalJvm(kube, t.namespace, t.leader, 'CONT', container, opts.match)}: it runs, still cut off`;
  };
  const healStep = {
    afterMs: 0,
    run: async () => {
      await sleep(left(), t.signal).catch(() => undefined);
      await heal();
      return `NetworkPolicy ${t.name} restored and ${partitionPolicyName(t.name)} deleted: ${t.leader} is reachable again`;
    },
  };
  return {
    pods: [t.leader],
    detail: `${t.leader} cut off by NetworkPolicy (${partitionPolicyName(t.name)}; ${t.name} narrowed to the others), and ${stopped} until the followers drop its connections`,
    undo: {afterMs: minBreakMs, run: cont, then: healStep},
  };
}
