/**
 * Benchmarks on the real test cluster (not timed tests: figures printed side by
 * side in one run). Run: `npm run bench` (brings the cluster up if needed).
 *   1. `kubectl zk znode get` vs `kubectl exec NAME-0 -- zkCli.sh get` (median of N)
 *   2. `kubectl zk status` on 5 members vs 3 (the queries are parallel: ratio ≈ 1)
 *   3. `kubectl zk status` vs the old per-member `kubectl exec … srvr | nc` loop
 *   4. failover-test over ≥ 10 rounds: election, unavailability, recovery (min/median/max), lost
 *   5. scale 3→5→3: time per added / removed member and the client-visible gap
 * Environment: BENCH_RUNS (default 10), BENCH_WARMUP (untimed runs before each series, default 3),
 * BENCH_FAILOVER_ROUNDS (default 10), BENCH_SKIP (comma list of 1-5).
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {performance} from 'node:perf_hooks';
import {createNamespace, deleteNamespace, ensureCluster, kubectl, stopClusterIfStarted} from '../test/e2e/lib/cluster.js';
import {createEnsemble, holdSession, kzk} from '../test/e2e/lib/zk.js';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const ROUNDS = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));

function stats(xs: number[]): {min: number; median: number; max: number} {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return {min: s[0]!, median, max: s.at(-1)!};
}

async function timeIt(fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  // untimed first runs: the members' JVMs are minutes old (and limited to 100m CPU), so the first
  // requests of each kind pay their JIT compilation; every series, ours and kubectl exec's, gets them
  for (let i = 0; i < WARMUP; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const fmt = (x: number) => `${Math.round(x)} ms`;
function row(label: string, xs: number[]): string {
  const s = stats(xs);
  return `  ${label.padEnd(52)} median ${fmt(s.median).padStart(9)}   min ${fmt(s.min).padStart(9)}   max ${fmt(s.max).padStart(9)}`;
}

async function must<T extends {code: number; stderr: string}>(p: Promise<T>, what: string): Promise<T> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** 1. one znode read: kubectl zk znode get vs exec + zkCli */
async function benchRead(ns: string, say: (l: string) => void): Promise<void> {
  const native = await timeIt(() => must(kzk(['znode', 'get', '/bench', '-n', ns]), 'znode get'));
  const jvm = await timeIt(() => kubectl(['exec', '-n', ns, 'zk-0', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'get', '/bench'], {timeoutMs: 60_000}));
  say(`1. read one znode (${RUNS} runs each, after ${WARMUP} untimed)`);
  say(row('kubectl zk znode get /bench', native));
  say(row('kubectl exec zk-0 -- zkCli.sh get /bench', jvm));
  say(`  ratio (exec+zkCli / znode get, medians): ${(stats(jvm).median / stats(native).median).toFixed(2)}×   (target ≥ 5×)`);
}

/** 2./3. status of 3 and 5 members vs the exec loop */
async function benchStatus(ns: string, say: (l: string) => void): Promise<void> {
  const s3 = await timeIt(() => kzk(['status', 'zk', '-n', ns]));
  const oldLoop = await timeIt(async () => {
    for (let i = 0; i < 3; i++) {
      await kubectl(['exec', '-n', ns, `zk-${i}`, '--', 'bash', '-c', 'echo srvr | nc -q0 127.0.0.1 2181 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/2181; printf srvr >&3; cat <&3)'], {
        timeoutMs: 60_000,
      });
    }
  });
  let s5: number[] = [];
  if (!SKIP.has('2')) {
    await createEnsemble(ns, 'five', 5);
    s5 = await timeIt(() => kzk(['status', 'five', '-n', ns]));
    await kzk(['teardown', 'five', '-n', ns, '--yes', '--delete-data']);
  }
  say(`2./3. status (${RUNS} runs each, after ${WARMUP} untimed)`);
  say(row('kubectl zk status (3 members)', s3));
  if (s5.length) {
    say(row('kubectl zk status (5 members)', s5));
    say(`  ratio 5/3 members (medians): ${(stats(s5).median / stats(s3).median).toFixed(2)}   (target ≤ 1.3)`);
  }
  say(row('old loop: kubectl exec zk-i -- srvr|nc, 3 members', oldLoop));
  say(`  ratio old loop / kubectl zk status (medians): ${(stats(oldLoop).median / stats(s3).median).toFixed(2)}×`);
}

/** 4. failover-test rounds, the evidence kept */
async function benchFailover(ns: string, say: (l: string) => void): Promise<void> {
  const r = await kzk(['failover-test', 'zk', '-n', ns, '--rounds', String(ROUNDS), '--pause', '5s', '--yes', '-o', 'json', '--timeout', '4m'], {timeoutMs: 3_600_000});
  const report = JSON.parse(r.stdout);
  // keep the evidence: the whole report, and the members' logs when a round failed or an election was slow
  const out = join(REPO, 'bench/out', `failover-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(out, {recursive: true});
  writeFileSync(join(out, 'report.json'), r.stdout);
  writeFileSync(join(out, 'stderr.txt'), r.stderr);
  say(`4. failover-test --mode delete-pod, ${report.rounds.length} rounds (exit ${r.code}); report and logs in ${out}`);
  for (const x of report.rounds as {round: number; outcome: string; problems: string[]; figures?: {electionMs?: number; recoveryMs?: number}}[]) {
    say(
      `  round ${String(x.round).padStart(2)}: ${x.outcome}${x.problems.length ? ` (${x.problems.join('; ')})` : ''}; election ${x.figures?.electionMs ?? '-'} ms, recovery ${x.figures?.recoveryMs ?? '-'} ms`,
    );
  }
  const slow = (report.rounds as {outcome: string; figures?: {electionMs?: number}}[]).some((x) => x.outcome !== 'pass' || (x.figures?.electionMs ?? 0) > 10_000);
  if (slow || r.code !== 0) {
    for (const pod of ['zk-0', 'zk-1', 'zk-2']) {
      for (const previous of [false, true]) {
        const l = await kubectl(['logs', pod, '-n', ns, '-c', 'zookeeper', ...(previous ? ['--previous'] : [])], {allowFail: true});
        writeFileSync(join(out, `${pod}${previous ? '.previous' : ''}.log`), l.stdout + l.stderr);
      }
    }
    const ev = await kubectl(['get', 'events', '-n', ns, '--sort-by', '.lastTimestamp'], {allowFail: true});
    writeFileSync(join(out, 'events.txt'), ev.stdout);
  }
  for (const key of ['leaderLossMs', 'electionMs', 'unavailabilityMs', 'firstAckMs', 'memberBackMs', 'syncedMs', 'recoveryMs']) {
    const s = report.summary[key];
    if (s) say(`  ${key.padEnd(20)} min ${fmt(s.min).padStart(9)}   median ${fmt(s.median).padStart(9)}   max ${fmt(s.max).padStart(9)}`);
  }
  const lost = report.rounds.reduce((n: number, x: {figures?: {lost: number}}) => n + (x.figures?.lost ?? 0), 0);
  const acked = report.rounds.reduce((n: number, x: {figures?: {acked: number}}) => n + (x.figures?.acked ?? 0), 0);
  say(`  writes acknowledged ${acked}, lost ${lost}`);
}

/** 5. scale 3→5→3 under a held session and writer */
async function benchScale(ns: string, say: (l: string) => void): Promise<void> {
  const held = await holdSession(ns, 'zk', ['zk-0', 'zk-1', 'zk-2'], 50);
  const up = JSON.parse((await must(kzk(['scale', 'zk', '-n', ns, '--replicas', '5', '--yes', '-o', 'json']), 'scale up')).stdout);
  const down = JSON.parse((await must(kzk(['scale', 'zk', '-n', ns, '--replicas', '3', '--yes', '-o', 'json']), 'scale down')).stdout);
  const w = await held.finish();
  say('5. scale 3→5→3 with a session and a writer (every 50 ms) held open');
  for (const s of [...up.steps, ...down.steps]) say(`  ${`${s.action} ${s.pod}`.padEnd(20)} ${fmt(s.durationMs).padStart(9)}`);
  say(`  writes acknowledged ${w.acked}, failed ${w.failed}, lost ${w.lost.length}, session kept ${w.sessionKept}, longest gap ${w.longestGapMs} ms`);
}

async function main(): Promise<void> {
  ensureCluster();
  const ns = await createNamespace('kzk-bench');
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    console.log(l);
  };
  try {
    await createEnsemble(ns, 'zk', 3);
    await must(kzk(['znode', 'create', '/bench', 'hello', '-n', ns]), 'znode create');

    if (!SKIP.has('1')) await benchRead(ns, say);
    if (!SKIP.has('2') || !SKIP.has('3')) await benchStatus(ns, say);
    if (!SKIP.has('4')) await benchFailover(ns, say);
    if (!SKIP.has('5')) await benchScale(ns, say);
  } finally {
    await kzk(['teardown', 'zk', '-n', ns, '--yes', '--delete-data']);
    await deleteNamespace(ns);
    stopClusterIfStarted();
  }
  console.log('\nsummary\n' + lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  stopClusterIfStarted();
  process.exit(1);
});
