/**
 * The one wait loop: ask `until` every interval until it says done, or the
 * deadline passes. Time, sleep and Ctrl-C come from the caller.
 */
import {CliError} from '../errors.js';
import type {Clock, Sleep} from './time.js';

/** One attempt's answer: done (with a value), or why not yet. */
export type PollStep<T> = {ok: T} | {why: string};

export interface PollOptions {
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  /** between attempts; a function is asked before each sleep */
  intervalMs: number | (() => number);
  /** from now (Infinity: only `until` ends the wait, e.g. after a number of tries); or give `deadline` */
  timeoutMs?: number;
  /** clock time by which it must be done */
  deadline?: number;
  /** called when the reason for waiting changes */
  onWhy?(why: string): void;
  /** the error for a timeout (default: CliError "timed out waiting for <what> (<why>)") */
  onTimeout?(why: string): Error | Promise<Error>;
  what?: string;
}

/**
 * Calls `until` until it returns {ok}; returns that value. Between attempts
 * it sleeps the interval (never past the deadline). When the deadline has
 * passed after an attempt that was not done, it throws onTimeout(why). An
 * error thrown by `until` ends the wait (catch inside `until` to retry it).
 */
export async function poll<T>(until: () => Promise<PollStep<T>>, o: PollOptions): Promise<T> {
  const deadline = o.deadline ?? o.clock.now() + (o.timeoutMs ?? 0);
  let last: string | undefined;
  for (;;) {
    o.signal?.throwIfAborted();
    const r = await until();
    if ('ok' in r) return r.ok;
    if (r.why !== last) o.onWhy?.(r.why);
    last = r.why;
    if (o.clock.now() >= deadline) {
      throw o.onTimeout ? await o.onTimeout(r.why) : new CliError(`timed out waiting for ${o.what ?? 'a condition'} (${r.why})`);
    }
    const interval = typeof o.intervalMs === 'function' ? o.intervalMs() : o.intervalMs;
    await o.sleep(Math.min(interval, Math.max(0, deadline - o.clock.now())), o.signal);
  }
}
