/**
 * Every pod kubectl-zk removes on purpose goes through the Eviction API
 * (policy/v1), so the ensemble's PodDisruptionBudget (and any other budget
 * that selects the pod) is respected. A refused eviction (429) is retried
 * until `timeoutMs`; then the error names the budget.
 */
import {CliError} from '../errors.js';
import {KubeError} from '../kube/errors.js';
import type {Kube} from '../kube/types.js';
import {formatDuration} from '../util/duration.js';
import {poll} from '../util/poll.js';
import type {Clock, Sleep} from '../util/time.js';

export interface EvictOptions {
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  /** how long a refused eviction is retried */
  timeoutMs: number;
  /** between attempts (default 2 s) */
  intervalMs?: number;
  /** called when the eviction is refused, with the API's reason */
  onBlocked?(why: string): void;
}

/** "zk" from "The disruption budget zk needs 3 healthy pods and has 3 currently" (the API server's wording). */
export function budgetName(apiMessage: string): string | undefined {
  return /disruption budget (\S+?)[,:]? needs/i.exec(apiMessage)?.[1] ?? /disruption budget "?([a-z0-9][-a-z0-9.]*)"?/i.exec(apiMessage)?.[1];
}

/** Error exit code of an eviction that stayed refused (the roll's "stopped" code is the caller's). */
export class EvictionBlocked extends CliError {
  constructor(
    readonly pod: string,
    readonly budget: string | undefined,
    readonly apiMessage: string,
    waitedMs: number,
  ) {
    super(`eviction of pod ${pod} refused for ${formatDuration(waitedMs)} by ${budget ? `PodDisruptionBudget ${budget}` : 'a PodDisruptionBudget'}: ${apiMessage}`, {
      hint: `the budget allows no disruption now (kubectl get pdb${budget ? ` ${budget}` : ''} -o yaml); bring the other members back first, or relax the budget`,
    });
    this.name = 'EvictionBlocked';
  }
}

/**
 * Evicts `pod`, retrying while a PodDisruptionBudget refuses it. Resolves true
 * when evicted, false when the pod was already gone; throws EvictionBlocked
 * after `timeoutMs` of refusals, and any other API error at once.
 */
export async function evictPod(kube: Kube, namespace: string, pod: string, o: EvictOptions): Promise<boolean> {
  const started = o.clock.now();
  let lastMessage = '';
  return poll<boolean>(
    async () => {
      try {
        return {ok: await kube.evict(namespace, pod)};
      } catch (e) {
        if (!(e instanceof KubeError) || e.status !== 429) throw e;
        lastMessage = e.apiMessage;
        return {why: e.apiMessage};
      }
    },
    {
      clock: o.clock,
      sleep: o.sleep,
      signal: o.signal,
      intervalMs: o.intervalMs ?? 2000,
      timeoutMs: o.timeoutMs,
      onWhy: (why) => o.onBlocked?.(`eviction of ${pod} refused: ${why}`),
      onTimeout: () => new EvictionBlocked(pod, budgetName(lastMessage), lastMessage, o.clock.now() - started),
    },
  );
}
