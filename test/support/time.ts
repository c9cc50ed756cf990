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

/**
 * The order in which `p` settles and timers set at `marks` (ms from now) fire: for
 * code that runs on real timers (sockets), "it ended after X but before Y" is
 * asserted as an order of events, never as a measured duration. Timers due
 * earlier fire first, however loaded the machine is.
 */
export async function settleOrder(p: Promise<unknown>, marks: Record<string, number>): Promise<string[]> {
  const order: string[] = [];
  const timers = Object.entries(marks).map(([name, ms]) => new Promise<void>((r) => setTimeout(() => (order.push(name), r()), ms)));
  await Promise.all([
    p.then(
      () => order.push('settled'),
      () => order.push('settled'),
    ),
    ...timers,
  ]);
  return order;
}
