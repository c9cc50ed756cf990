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

/**
 * Which comes first: `p` settling ('settled') or a timer set at `ms` from now (`marker`). Unlike
 * settleOrder it does not wait for the other, so "it ends, long before X" fails with an assertion
 * rather than hanging the run when `p` never settles.
 */
export async function firstOf(p: Promise<unknown>, marker: string, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => 'settled',
    () => 'settled',
  );
  try {
    return await Promise.race([settled, new Promise<string>((r) => (timer = setTimeout(() => r(marker), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
