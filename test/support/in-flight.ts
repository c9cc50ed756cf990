/** Counts calls in flight through the functions it wraps, to show that a walk pipelines its requests. */
export function inFlight(): {wrap: <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A) => Promise<R>; max: () => number} {
  let now = 0;
  let max = 0;
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    (...a: A) => {
      now++;
      max = Math.max(max, now);
      return f(...a).finally(() => now--);
    };
  return {wrap, max: () => max};
}
