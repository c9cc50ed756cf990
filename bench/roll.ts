/**
 * Rolling restart benchmark on the real test cluster (figures printed side by
 * side in one run, not a timed test). Run: `npx tsx bench/roll.ts`
 * (source /var/lib/kzk-cluster/env first; the plugin must be built).
 *
 * For a 3-member ensemble (BENCH_ROLL_FIVE=1 adds a 5-member one), each way
 * of restarting every member is measured the same way:
 *   A. `kubectl zk restart` (OnDelete; followers first, leader last, each back
 *      and in sync before the next)
 *   B. `kubectl rollout restart statefulset` with the StatefulSet temporarily
 *      switched to RollingUpdate (the controller's order: highest ordinal
 *      first, each pod Ready before the next; under OnDelete it would only
 *      bump the template and restart nothing), timed until `kubectl rollout
 *      status` returns and until the ensemble is healthy again.
 * Measured from outside: one ZooKeeper session through port-forwards to every
 * member creating a znode every BENCH_WRITE_MS (default 50 ms): longest gap
 * between acknowledged writes (client-visible unavailability), writes
 * acknowledged/failed, session kept; elections = the leader's epoch after
 * minus before (asked of the servers), and leader changes seen by polling
 * srvr every BENCH_POLL_MS (default 200 ms). BENCH_ROUNDS (default 1) repeats
 * each and prints every round.
 */
import {spawn} from 'node:child_process';
import {performance} from 'node:perf_hooks';
import {clusterEnv, createNamespace, deleteNamespace, ensureCluster, kubectl, stopClusterIfStarted} from '../test/e2e/lib/cluster.js';
import {createEnsemble, kzk} from '../test/e2e/lib/zk.js';

const WRITE_MS = Number(process.env.BENCH_WRITE_MS ?? 50);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const FIVE = process.env.BENCH_ROLL_FIVE === '1';

interface Figures {
  way: string;
  totalMs: number;
  healthyMs: number;
  longestGapMs: number;
  acked: number;
  failed: number;
  sessionKept: boolean;
  epochDelta: number;
  leaderChangesSeen: number;
  leaders: string;
  /** kubectl zk restart's own account: per-member times and the election it reported */
  plugin?: string;
}

/** The longest time between two acknowledged writes (from the start). */
function longestGap(startedAt: number, acks: number[]): number {
  let gap = 0;
  let prev = startedAt;
  for (const a of acks) {
    gap = Math.max(gap, a - prev);
    prev = a;
  }
  return gap;
}

async function observer(ns: string, name: string, pods: string[]) {
  const [{resolveKubeConfig}, {KubeClient}, {MemberForwarders}, {connectZk}, {srvrMode}] = await Promise.all([
    import('../src/kube/config.js'),
    import('../src/kube/client.js'),
    import('../src/ops/members.js'),
    import('../src/zk/client.js'),
    import('../src/ops/ensemble/probe.js'),
  ]);
  const kube = new KubeClient(resolveKubeConfig({namespace: ns}, {...process.env, KUBECONFIG: clusterEnv().KUBECONFIG}));
  const forwarders = new MemberForwarders(kube);
  const endpoints = await Promise.all(pods.map((p) => forwarders.endpoint(ns, p)));
  const whoLeads = async () => {
    const answers = await Promise.all(pods.map(async (pod) => ({pod, ...(await srvrMode(await forwarders.endpoint(ns, pod), 1500))})));
    const l = answers.find((a) => a.mode === 'leader');
    return l ? {leader: l.pod, epoch: l.epoch ?? -1} : undefined;
  };
  const client = await connectZk({endpoints, sessionTimeoutMs: 30_000, operationTimeoutMs: 10_000, spinDelayMs: 100});
  const sessionId = client.sessionId;
  const states: string[] = [];
  client.onState((s) => states.push(s));
  const dir = `/bench-roll-${Date.now()}`;
  await client.create(dir, '', {parents: true});
  let running = true;
  const acks: number[] = [];
  let failed = 0;
  const writer = (async () => {
    for (let i = 0; running; i++) {
      const started = performance.now();
      try {
        await client.create(`${dir}/w-${String(i).padStart(8, '0')}`, String(i));
        acks.push(performance.now());
      } catch {
        failed++;
      }
      const wait = WRITE_MS - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  const first = await whoLeads();
  const seen: string[] = first ? [`${first.leader}@${first.epoch}`] : [];
  let last = first;
  const poller = (async () => {
    while (running) {
      const now = await whoLeads().catch(() => undefined);
      if (now && (!last || now.leader !== last.leader || now.epoch > last.epoch)) {
        seen.push(`${now.leader}@${now.epoch}`);
        last = now;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  const startedAt = performance.now();
  return {
    async finish(): Promise<Omit<Figures, 'way' | 'totalMs' | 'healthyMs'>> {
      await new Promise((r) => setTimeout(r, 2000)); // a tail of writes after the end
      running = false;
      await Promise.all([writer, poller]);
      const end = await whoLeads();
      const figures = {
        longestGapMs: longestGap(startedAt, acks),
        acked: acks.length,
        failed,
        sessionKept: client.sessionId === sessionId && !states.includes('expired'),
        epochDelta: first && end ? end.epoch - first.epoch : NaN,
        leaderChangesSeen: Math.max(0, seen.length - 1),
        leaders: seen.join(' → '),
      };
      await client.deleteRecursive(dir).catch(() => undefined);
      await client.close().catch(() => undefined);
      await forwarders.close();
      await kube.close();
      return figures;
    },
  };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{code: number; stderr: string; stdout: string}> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({code: code ?? -1, stdout, stderr}));
  });
}

async function healthyAgain(ns: string, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const s = await kzk(['status', name, '-n', ns]);
    if (s.code === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} not healthy again`);
}

async function viaPlugin(ns: string, name: string, pods: string[]): Promise<Figures> {
  const o = await observer(ns, name, pods);
  const t = performance.now();
  const r = await kzk(['restart', name, '-n', ns, '--yes', '-o', 'json', '--timeout', '5m'], {timeoutMs: 1_800_000});
  const totalMs = performance.now() - t;
  if (r.code !== 0) throw new Error(`kubectl zk restart failed (${r.code}): ${r.stderr}`);
  const f = await o.finish();
  const res = JSON.parse(r.stdout);
  const plugin = `${res.members.map((m: any) => `${m.pod}(${m.why}) ${s(m.durationMs)}`).join(', ')}; ${res.elections.map((e: any) => `election ${e.from}→${e.to} seen ${s(e.ms)} after the deletion`).join('; ') || 'no election'}`;
  return {way: 'kubectl zk restart', totalMs, healthyMs: totalMs, ...f, plugin};
}

async function viaController(ns: string, name: string, pods: string[]): Promise<Figures> {
  await kubectl(['patch', 'statefulset', name, '-n', ns, '-p', '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":null}}}']);
  try {
    const o = await observer(ns, name, pods);
    const t = performance.now();
    await kubectl(['rollout', 'restart', `statefulset/${name}`, '-n', ns]);
    const st = await run('kubectl', ['rollout', 'status', `statefulset/${name}`, '-n', ns, '--timeout=20m'], {...process.env, ...clusterEnv()});
    const totalMs = performance.now() - t;
    if (st.code !== 0) throw new Error(`kubectl rollout status: ${st.stderr}`);
    await healthyAgain(ns, name);
    const healthyMs = performance.now() - t;
    const f = await o.finish();
    return {way: 'kubectl rollout restart (RollingUpdate)', totalMs, healthyMs, ...f};
  } finally {
    await kubectl(['patch', 'statefulset', name, '-n', ns, '--type', 'json', '-p', '[{"op":"replace","path":"/spec/updateStrategy","value":{"type":"OnDelete"}}]']);
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function table(title: string, figures: Figures[]): string {
  const rows: [string, (f: Figures) => string][] = [
    ['total time (command until it returns)', (f) => s(f.totalMs)],
    ['until healthy again (all serving, in sync)', (f) => s(f.healthyMs)],
    ['longest gap between acknowledged writes', (f) => s(f.longestGapMs)],
    ['writes acknowledged / failed', (f) => `${f.acked} / ${f.failed}`],
    ['session kept', (f) => (f.sessionKept ? 'yes' : 'NO')],
    ['elections (leader epoch after − before)', (f) => String(f.epochDelta)],
    ['leader changes seen (srvr polling)', (f) => String(f.leaderChangesSeen)],
    ['leaders seen (pod@epoch)', (f) => f.leaders],
    ["the plugin's own account", (f) => f.plugin ?? '-'],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const widths = figures.map((f) => Math.max(f.way.length, ...rows.map((r) => r[1](f).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(w0) : c.padEnd(widths[i - 1]!)))
      .join('   ')
      .trimEnd();
  return [title, line(['', ...figures.map((f) => f.way)]), ...rows.map(([label, get]) => line([label, ...figures.map(get)]))].join('\n');
}

async function bench(ns: string, name: string, size: number): Promise<string[]> {
  await createEnsemble(ns, name, size);
  const pods = Array.from({length: size}, (_, i) => `${name}-${i}`);
  const out: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await viaPlugin(ns, name, pods);
    await healthyAgain(ns, name);
    const b = await viaController(ns, name, pods);
    await healthyAgain(ns, name);
    const t = table(
      `Restart every member of a ${size}-member ensemble${ROUNDS > 1 ? `, round ${round}/${ROUNDS}` : ''} (a write every ${WRITE_MS} ms through one session; leader polled every ${POLL_MS} ms)`,
      [a, b],
    );
    console.log(`${t}\n`);
    out.push(t);
  }
  await kzk(['teardown', name, '-n', ns, '--yes', '--delete-data']);
  return out;
}

async function main(): Promise<void> {
  ensureCluster();
  const ns = await createNamespace('kzk-bench-roll');
  try {
    await bench(ns, 'zk', 3);
    if (FIVE) await bench(ns, 'five', 5);
  } finally {
    await deleteNamespace(ns).catch(() => undefined);
    stopClusterIfStarted();
  }
}

await main();
