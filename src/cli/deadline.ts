import {CliError, ExitCode} from '../errors.js';
import {parseDuration} from '../util/duration.js';

/**
 * How long a run whose --total-timeout passed may take to stop at its next safe
 * point and say where (its waits notice at once; an API request in flight may
 * not): past this it ends anyway, and the executable exits at once so nothing
 * of the abandoned work goes on without its lock.
 */
export const DEADLINE_GRACE_MS = 5_000;

/** The reason a run's signal is aborted with when its --total-timeout passes. */
export class DeadlineExceeded extends CliError {
  constructor(
    readonly command: string,
    readonly limit: string,
    exitNow = false,
  ) {
    super(`${command} timed out after ${limit} (--total-timeout)`, {exitCode: ExitCode.failure, exitNow});
    this.name = 'DeadlineExceeded';
  }
}

export interface Deadline {
  /** true once the limit passed (the run's signal is aborted with a DeadlineExceeded) */
  readonly passed: boolean;
  /** `work`, or, when it has not settled DEADLINE_GRACE_MS after the limit passed, a DeadlineExceeded marked `exitNow` */
  race<T>(work: Promise<T>): Promise<T>;
  stop(): void;
}

/**
 * The run's total time limit: `text` is --total-timeout as given (undefined or
 * "0": none). Real timers, like the process signals the base class also turns
 * into an abort: this is the edge of the process, not an op's wait.
 */
export function startDeadline(text: string | undefined, command: string, abort: AbortController, graceMs = DEADLINE_GRACE_MS): Deadline {
  const ms = text === undefined ? 0 : parseDuration(text, '--total-timeout');
  let passed = false;
  let timer: NodeJS.Timeout | undefined;
  let grace: NodeJS.Timeout | undefined;
  let giveUp: ((e: Error) => void) | undefined;
  const error = (exitNow = false) => new DeadlineExceeded(command, text!.trim(), exitNow);
  if (ms > 0) {
    timer = setTimeout(() => {
      passed = true;
      abort.abort(error());
      grace = setTimeout(() => giveUp?.(error(true)), graceMs);
    }, ms);
  }
  return {
    get passed() {
      return passed;
    },
    race<T>(work: Promise<T>): Promise<T> {
      if (ms <= 0) return work;
      return Promise.race([work, new Promise<never>((_, reject) => (giveUp = reject))]);
    },
    stop() {
      clearTimeout(timer);
      clearTimeout(grace);
    },
  };
}
