/**
 * export and backup on the real test cluster, ratios side by side in one run
 * (not timed tests; figures printed, nothing asserted):
 *   1. `kubectl zk export` of N znodes of 1 KiB in znodes/s, by its default method (the
 *      member's snapshot on 3.9) and by `--method reads`, vs a zkCli.sh dump in the pod
 *      (one zkCli session fed `get` commands for a sample of S paths, extrapolated) and
 *      vs a loop of `kubectl zk znode get` (a sample, extrapolated)
 *   2. `kubectl zk backup` MB/s vs the same snapshot bytes through a raw
 *      `kubectl port-forward` + curl: the whole command vs kubectl port-forward started
 *      then curl (cold), and the stream as backup reports it vs curl through a forward
 *      already open (warm)
 *   3. peak RSS of export and backup at two tree sizes (flat = streamed)
 * At the largest size export and backup run BENCH_ROUNDS times (default 2) to show the spread;
 * backup and raw run BENCH_PAIRS times (default 3) alternated in each round, medians compared.
 * The plugin measured is BENCH_BIN, by default the packaged executable users install
 * (dist/release/<os>-<arch>/kubectl-zk, made by `npm run package -- --target linux-amd64`) when it
 * is there, else bin/kubectl-zk (Node, the source tree's dist/).
 * Run: npx tsx bench/transfer-cluster.ts   (BENCH_SIZES=20000,100000 BENCH_SAMPLE=2000, under the
 * shared e2e lock: KZK_KEEP_CLUSTER=1 flock -s /tmp/kzk-e2e.lock npx tsx bench/transfer-cluster.ts)
 */
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {performance} from 'node:perf_hooks';
import {TreeChecksum, aclFromJson} from '../src/ops/treefile.js';
import {clusterProcessEnv, createNamespace, deleteNamespace, ensureCluster, kubectl, stopClusterIfStarted} from '../test/e2e/lib/cluster.js';
import {kzk} from '../test/e2e/lib/zk.js';

const REPO = resolve(import.meta.dirname, '..');
const SIZES = (process.env.BENCH_SIZES ?? '20000,100000').split(',').map(Number);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 2000);
const GETS = Number(process.env.BENCH_GETS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const PACKAGED = join(REPO, 'dist/release', `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`, 'kubectl-zk');
const BIN = process.env.BENCH_BIN ?? (existsSync(PACKAGED) ? PACKAGED : join(REPO, 'bin/kubectl-zk'));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const say = (s: string) => console.log(`[bench] ${s}`);

/** An export file of n znodes of 1 KiB under /b/d<i % fan>/n<i>, with its end line. */
function treeFile(n: number, path: string): number {
  const fan = Math.ceil(Math.sqrt(n));
  const acl = [{scheme: 'world', id: 'anyone', perms: 'cdrwa'}];
  const stat = {cZxid: '0x0', mZxid: '0x0', ctime: new Date(0).toISOString(), mtime: new Date(0).toISOString(), dataVersion: 0, aclVersion: 0};
  const data = Buffer.alloc(1024, 97);
  const sum = new TreeChecksum();
  const lines = [JSON.stringify({format: 'kubectl-zk/tree', version: 1, root: '/', time: new Date().toISOString()})];
  const add = (p: string, d: Buffer) => {
    lines.push(JSON.stringify({path: p, data: d.toString('base64'), acl, stat}));
    sum.add(p, d, acl.map(aclFromJson));
  };
  add('/b', Buffer.alloc(0));
  for (let i = 0; i < fan; i++) add(`/b/d${i}`, Buffer.alloc(0));
  for (let i = 0; i < n; i++) add(`/b/d${i % fan}/n${i}`, data);
  lines.push(JSON.stringify({end: true, znodes: lines.length - 1, skipped: 0, checksum: sum.hex}));
  writeFileSync(path, lines.join('\n') + '\n');
  return fan;
}

/** The plugin run directly (no kubectl in between) under /usr/bin/time: wall ms and peak RSS. */
function measured(args: string[]): Promise<{ms: number; rssMb: number; code: number; stdout: string; stderr: string}> {
  const env = clusterProcessEnv();
  env.PATH = `${dirname(process.execPath)}:${env.PATH}`;
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'RSSKB=%M', BIN, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
    let err = '';
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => {
      const kb = Number(/RSSKB=(\d+)/.exec(err)?.[1] ?? NaN);
      res({ms: performance.now() - t0, rssMb: kb / 1024, code: code ?? -1, stdout: out, stderr: err});
    });
  });
}

async function exportOnce(ns: string, name: string, n: number, fan: number, dir: string, method: 'auto' | 'reads'): Promise<{rate: number; rssMb: number; how: string}> {
  const file = join(dir, `export-${n}-${method}.jsonl`);
  const ex = await measured(['export', name, '-n', ns, '-f', file, '--force', '--method', method, '-o', 'json']);
  if (ex.code !== 0) throw new Error(`export failed: ${ex.stderr}`);
  const how = (JSON.parse(ex.stdout) as {method: string}).method;
  const total = n + fan + 2;
  const rate = (total * 1000) / ex.ms;
  say(
    `N=${n}: kubectl zk export --method ${method} (${how}) ${total} znodes in ${(ex.ms / 1000).toFixed(1)} s = ${Math.round(rate)} znodes/s (${(statSync(file).size / 1e6).toFixed(1)} MB file), peak RSS ${ex.rssMb.toFixed(0)} MB`,
  );
  rmSync(file, {force: true});
  return {rate, rssMb: ex.rssMb, how};
}

async function exportVsOthers(ns: string, name: string, n: number, fan: number, dir: string): Promise<{rate: number; readsRate: number; rssMb: number; readsRssMb: number}> {
  const byDefault = await exportOnce(ns, name, n, fan, dir, 'auto');
  const byReads = await exportOnce(ns, name, n, fan, dir, 'reads');
  say(`N=${n}: export by ${byDefault.how} vs by reads: ${(byDefault.rate / byReads.rate).toFixed(1)}x`);
  return {rate: byDefault.rate, readsRate: byReads.rate, rssMb: byDefault.rssMb, readsRssMb: byReads.rssMb};
}

async function zkCliRate(ns: string, name: string, fan: number, pw: string): Promise<number> {
  const script = [
    `cmds=$(for i in $(seq 0 ${SAMPLE - 1}); do echo "get /b/d$((i % ${fan}))/n$i"; done)`,
    `printf 'addauth digest super:%s\\n%s\\nquit\\n' "$PW" "$cmds" | zkCli.sh -server 127.0.0.1:2181 2>/dev/null | grep -c '^aaaa'`,
  ].join('\n');
  const t0 = performance.now();
  const r = await kubectl(['exec', '-n', ns, `${name}-0`, '-c', 'zookeeper', '--', 'env', `PW=${pw}`, 'bash', '-c', script], {timeoutMs: 900_000, allowFail: true});
  const ms = performance.now() - t0;
  const got = Number(r.stdout.trim());
  const rate = (SAMPLE * 1000) / ms;
  say(`zkCli.sh dump in the pod: ${got}/${SAMPLE} gets in one zkCli session, ${(ms / 1000).toFixed(1)} s (JVM start included) = ${Math.round(rate)} znodes/s`);
  return rate;
}

async function getLoopRate(ns: string, name: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < GETS; i++) {
    const r = await kzk(['znode', 'get', `/b/d${i}/n${i}`, '--ensemble', name, '-n', ns]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const ms = (performance.now() - t0) / GETS;
  say(`loop of kubectl zk znode get: ${ms.toFixed(0)} ms each (${GETS} runs) = ${(1000 / ms).toFixed(1)} znodes/s`);
  return 1000 / ms;
}

/** curl of the snapshot through `kubectl port-forward`: from kubectl's start (cold) and from the forward being open (warm). */
async function rawSnapshot(ns: string, name: string, pw: string): Promise<{bytes: number; http: number; coldMs: number; warmMs: number}> {
  const port = 28000 + Math.floor(Math.random() * 1000);
  const t0 = performance.now();
  const pf = spawn('kubectl', ['port-forward', '-n', ns, `pod/${name}-0`, `${port}:8080`], {env: clusterProcessEnv(), stdio: ['ignore', 'pipe', 'pipe']});
  await new Promise<void>((res) => pf.stdout.once('data', () => res()));
  const t1 = performance.now();
  const curl = await new Promise<string>((res) => {
    const c = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download} %{http_code}', '-H', `Authorization: digest super:${pw}`, `http://127.0.0.1:${port}/commands/snapshot?streaming=true`]);
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => res(out));
  });
  const t2 = performance.now();
  pf.kill();
  const [bytes, http] = curl.split(' ').map(Number) as [number, number];
  return {bytes, http, coldMs: t2 - t0, warmMs: t2 - t1};
}

/** One backup, whole command under /usr/bin/time, and its own stream rate. */
async function backupOnce(ns: string, name: string, file: string): Promise<{ms: number; bytes: number; streamBps: number; rssMb: number}> {
  const bk = await measured(['backup', name, '-n', ns, '-f', file, '--force', '-o', 'json']);
  if (bk.code !== 0) throw new Error(`backup failed: ${bk.stderr}`);
  const streamBps = (JSON.parse(bk.stdout) as {bytesPerSecond: number}).bytesPerSecond;
  const bytes = statSync(file).size;
  rmSync(file, {force: true});
  return {ms: bk.ms, bytes, streamBps, rssMb: bk.rssMb};
}

/** PAIRS alternated backup / raw pairs; the ratios of the medians (MB/s). */
async function backupVsRaw(ns: string, name: string, n: number, dir: string, pw: string): Promise<{rssMb: number; ratio: number; streamRatio: number}> {
  const file = join(dir, `b-${n}.snap`);
  const whole: number[] = [];
  const stream: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  let rssMb = 0;
  for (let i = 1; i <= PAIRS; i++) {
    const bk = await backupOnce(ns, name, file);
    await new Promise((r) => setTimeout(r, 1000)); // past the snapshot rate limiter
    const raw = await rawSnapshot(ns, name, pw);
    await new Promise((r) => setTimeout(r, 1000));
    const mb = bk.bytes / 1e6;
    whole.push(mb / (bk.ms / 1000));
    stream.push(bk.streamBps / 1e6);
    cold.push(raw.bytes / 1e6 / (raw.coldMs / 1000));
    warm.push(raw.bytes / 1e6 / (raw.warmMs / 1000));
    rssMb = Math.max(rssMb, bk.rssMb);
    say(
      `N=${n} pair ${i}/${PAIRS}: kubectl zk backup ${mb.toFixed(1)} MB: whole command ${(bk.ms / 1000).toFixed(2)} s = ${whole.at(-1)!.toFixed(1)} MB/s, the stream ${stream.at(-1)!.toFixed(1)} MB/s, peak RSS ${bk.rssMb.toFixed(0)} MB; ` +
        `kubectl port-forward + curl ${(raw.bytes / 1e6).toFixed(1)} MB (HTTP ${raw.http}): from kubectl's start ${(raw.coldMs / 1000).toFixed(2)} s = ${cold.at(-1)!.toFixed(1)} MB/s, forward already open ${(raw.warmMs / 1000).toFixed(2)} s = ${warm.at(-1)!.toFixed(1)} MB/s`,
    );
  }
  const ratio = median(whole) / median(cold);
  const streamRatio = median(stream) / median(warm);
  say(
    `N=${n}: medians of ${PAIRS}: backup whole ${median(whole).toFixed(1)} MB/s vs raw cold ${median(cold).toFixed(1)} MB/s = ${ratio.toFixed(2)}x (goal >= 0.8x); ` +
      `stream ${median(stream).toFixed(1)} vs raw warm ${median(warm).toFixed(1)} MB/s = ${streamRatio.toFixed(2)}x`,
  );
  return {rssMb, ratio, streamRatio};
}

async function main(): Promise<void> {
  const started = ensureCluster();
  const ns = await createNamespace('kzk-bench-tr');
  const dir = mkdtempSync(join(tmpdir(), 'kzk-bench-tr-'));
  const name = 'zkb';
  say(`plugin: ${BIN}`);
  try {
    const c = await kzk(['create', name, '-n', ns, '--replicas', '1', '--timeout', '4m', '--image-pull-policy', 'Never', '--memory', '1536Mi', '--cpu', '1', '--storage', '1Gi']);
    if (c.code !== 0) throw new Error(c.stderr);
    const pw = Buffer.from((await kubectl(['get', 'secret', '-n', ns, `${name}-auth`, '-o', 'jsonpath={.data.password}'])).stdout, 'base64').toString();
    const rows: string[] = [];
    for (const n of SIZES) {
      // grow the tree to n (the file holds every znode; --overwrite rewrites the ones already there)
      const file = join(dir, `tree-${n}.jsonl`);
      const fan = treeFile(n, file);
      const t0 = performance.now();
      const imp = await kzk(['import', name, '-n', ns, '-f', file, '--overwrite'], {timeoutMs: 1_800_000});
      if (imp.code !== 0) throw new Error(`import failed: ${imp.stderr}`);
      say(`N=${n}: import ${n + fan + 1} znodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const last = n === SIZES.at(-1);
      for (let round = 1; round <= (last ? ROUNDS : 1); round++) {
        if (last) say(`round ${round}`);
        const ex = await exportVsOthers(ns, name, n, fan, dir);
        const bk = await backupVsRaw(ns, name, n, dir, pw);
        if (last) {
          const cli = await zkCliRate(ns, name, fan, pw);
          const loop = round === 1 ? await getLoopRate(ns, name) : undefined;
          say(
            `round ${round}: export ${Math.round(ex.rate)} znodes/s (goal >= 10000) = ${(ex.rate / cli).toFixed(1)}x the zkCli dump (goal >= 20x); by reads ${Math.round(ex.readsRate)} znodes/s = ${(ex.readsRate / cli).toFixed(1)}x zkCli` +
              (loop ? `; vs znode get loop: ${(ex.rate / loop).toFixed(0)}x` : ''),
          );
        }
        rows.push(`N=${n}: export peak RSS ${ex.rssMb.toFixed(0)} MB (by reads ${ex.readsRssMb.toFixed(0)} MB), backup peak RSS ${bk.rssMb.toFixed(0)} MB`);
      }
    }
    for (const r of rows) say(r);
  } finally {
    await kzk(['teardown', name, '-n', ns, '--yes', '--delete-data']).catch(() => undefined);
    await deleteNamespace(ns);
    rmSync(dir, {recursive: true, force: true});
    if (started) stopClusterIfStarted();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
