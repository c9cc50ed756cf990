/** Time-dependent helpers take their clock and sleep from the caller. */
import {poll} from '../util/poll.js';
import {ZkError} from './errors.js';

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
 * reported). Past timeoutMs → ZkError Timeout naming `what`. The loop is
 * src/util/poll.ts's, the one every wait uses.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? realClock;
  let lastError: unknown;
  return poll<T>(
    async () => {
      try {
        const v = await probe();
        return v !== undefined ? {ok: v} : {why: 'not yet'};
      } catch (e) {
        lastError = e;
        return {why: e instanceof Error ? e.message : String(e)};
      }
    },
    {
      clock: {now},
      sleep: (ms) => sleep(ms),
      intervalMs: opts.intervalMs,
      timeoutMs: opts.timeoutMs,
      onTimeout: () => {
        const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        return new ZkError('Timeout', `${what}: not reached within ${opts.timeoutMs} ms${last}`, {cause: lastError});
      },
    },
  );
}
