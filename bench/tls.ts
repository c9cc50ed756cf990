/**
 * TLS vs plaintext on the real test cluster (not a timed test: the figures and
 * their ratio side by side in one run): `kubectl zk znode get` and
 * `kubectl zk status` against two ensembles alike but for `--tls`, the runs
 * interleaved so that both see the same load.
 * Run: `npx tsx bench/tls.ts` (brings the cluster up if needed). BENCH_RUNS
 * (default 15), BENCH_WARMUP (default 3).
 */
import {performance} from 'node:perf_hooks';
import {createNamespace, deleteNamespace, ensureCluster, stopClusterIfStarted} from '../test/e2e/lib/cluster.js';
import {createEnsemble, kzk} from '../test/e2e/lib/zk.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timed(args: string[]): Promise<number> {
  const t = performance.now();
  const r = await kzk(args);
  if (r.code !== 0) throw new Error(`kubectl zk ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t;
}

/** Interleaved runs of the same command against both ensembles: {plain, tls} durations. */
async function series(args: (name: string) => string[]): Promise<{plain: number[]; tls: number[]}> {
  for (let i = 0; i < WARMUP; i++) for (const n of ['plain', 'tls']) await timed(args(n));
  const out = {plain: [] as number[], tls: [] as number[]};
  for (let i = 0; i < RUNS; i++) {
    out.plain.push(await timed(args('plain')));
    out.tls.push(await timed(args('tls')));
  }
  return out;
}

async function main(): Promise<void> {
  const started = ensureCluster();
  const ns = await createNamespace('tls-bench');
  try {
    await Promise.all([createEnsemble(ns, 'plain', 3), createEnsemble(ns, 'tls', 3, ['--tls'])]);
    for (const n of ['plain', 'tls']) await kzk(['znode', 'create', '/bench', 'x'.repeat(100), '-n', ns, '--ensemble', n]);
    const get = await series((n) => ['znode', 'get', '/bench', '-n', ns, '--ensemble', n]);
    const status = await series((n) => ['status', n, '-n', ns, '-o', 'json']);
    console.log(`TLS vs plaintext, ${RUNS} interleaved runs each (medians, whole commands):`);
    for (const [what, s] of [
      ['znode get', get],
      ['status', status],
    ] as const) {
      const p = median(s.plain);
      const t = median(s.tls);
      console.log(`  ${what.padEnd(10)} plaintext ${Math.round(p)} ms   TLS ${Math.round(t)} ms   ratio ${(t / p).toFixed(2)}`);
    }
  } finally {
    await kzk(['teardown', 'plain', '-n', ns, '--yes', '--delete-data']);
    await kzk(['teardown', 'tls', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
    if (started) stopClusterIfStarted();
  }
}

await main();
