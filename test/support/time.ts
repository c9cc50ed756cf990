import type {Clock, Sleep} from '../../src/util/time.js';

/** A clock that only moves when the code under test sleeps; `onSleep` lets a test change the world meanwhile. */
export function fakeTime(start = 1_000_000): {clock: Clock; sleep: Sleep; onSleep: (fn: (now: number) => void | Promise<void>) => void; slept: number[]} {
  let now = start;
  const hooks: ((now: number) => void | Promise<void>)[] = [];
  const slept: number[] = [];
  return {
    clock: {now: () => now},
    sleep: async (ms) => {
      slept.push(ms);
      now += Math.max(1, ms);
      for (const h of hooks) await h(now);
    },
    onSleep: (fn) => hooks.push(fn),
    slept,
  };
}
