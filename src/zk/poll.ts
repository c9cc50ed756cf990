/** Time-dependent helpers take their clock and sleep from the caller. */
import { ZkError } from './errors.js';

export type Sleep = (ms: number) => Promise<void>;
export type Clock = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const realClock: Clock = () => performance.now();

export interface PollOptions {
  intervalMs: number;
  timeoutMs: number;
  sleep?: Sleep;
  now?: Clock;
}

/**
 * Call `probe` every intervalMs until it returns something other than
 * undefined; a probe that throws counts as "not yet" (its last error is
 * reported). Past timeoutMs → ZkError Timeout naming `what`.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? realClock;
  const start = now();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (now() - start >= opts.timeoutMs) {
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new ZkError('Timeout', `${what}: not reached within ${opts.timeoutMs} ms${last}`, { cause: lastError });
    }
    await sleep(opts.intervalMs);
  }
}
