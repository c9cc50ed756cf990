/**
 * export / import / backup on a real 3.9 server on loopback (no cluster, no
 * port-forward): znodes/s of export (from the snapshot, by reads over the
 * project's reader, over node-zookeeper-client) and import, backup MB/s, and the peak
 * heap growth of export and backup at two tree sizes (flat in the tree size
 * means streamed). Figures printed, nothing asserted.
 * Run: node --expose-gc --import tsx bench/transfer-loopback.ts  (BENCH_SIZES=10000,40000, BENCH_DATA=1024)
 */
import {createWriteStream, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {createInterface} from 'node:readline';
import {createReadStream} from 'node:fs';
import {backup, type BackupDeps} from '../src/ops/backup.js';
import {openExportSnapshot} from '../src/ops/transfer-snapshot.js';
import {exportTree, importTree} from '../src/ops/transfer.js';
import {realSleep, systemClock} from '../src/util/time.js';
import {connectZk} from '../src/zk/client.js';
import {openTreeReader} from '../src/zk/reader.js';
import {startEnsemble, zkRuntime} from '../test/integration/lib/ensemble.js';

const SIZES = (process.env.BENCH_SIZES ?? '10000,40000').split(',').map(Number);
const DATA = Number(process.env.BENCH_DATA ?? 1024);

/** Samples heap use every 20 ms while `fn` runs; the peak above the start. */
async function peakHeap<T>(fn: () => Promise<T>): Promise<{result: T; peakMb: number; ms: number; cpuMs: number}> {
  globalThis.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const cpu = process.cpuUsage(cpu0);
    return {result, peakMb: (peak - base) / 1024 / 1024, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000};
  } finally {
    clearInterval(t);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kzk-bench-'));
  for (const n of SIZES) {
    const ens = await startEnsemble({size: 1, runtime: zkRuntime('3.9'), heapMb: 768});
    const dst = await startEnsemble({size: 1, runtime: zkRuntime('3.9'), heapMb: 768});
    try {
      const c = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth, operationTimeoutMs: 120_000});
      await c.create('/b');
      const fan = Math.ceil(Math.sqrt(n));
      const w: Promise<unknown>[] = [];
      for (let i = 0; i < fan; i++) w.push(c.create(`/b/d${i}`));
      await Promise.all(w);
      const data = Buffer.alloc(DATA, 97);
      for (let i = 0; i < n; i += 2000) {
        const batch: Promise<unknown>[] = [];
        for (let j = i; j < Math.min(n, i + 2000); j++) batch.push(c.create(`/b/d${j % fan}/n${j}`, data));
        await Promise.all(batch);
      }
      await c.close();
      const file = join(dir, `t${n}.jsonl`);
      const member: Omit<BackupDeps, 'stdout'> = {
        clock: systemClock,
        sleep: realSleep,
        members: async () => ['b-0'],
        clientEndpoint: async () => ens.servers[0]!.endpoint,
        adminEndpoint: async () => ens.servers[0]!.adminEndpoint,
        superAuth: async () => ens.superAuth[0]!,
      };
      const exportWith = (how: 'snapshot' | 'reader' | 'nzc') =>
        peakHeap(async () => {
          const out = createWriteStream(file);
          const r = await exportTree({ensemble: 'b', namespace: 'b', root: '/', method: how === 'snapshot' ? 'snapshot' : 'reads'}, out, {
            clock: systemClock,
            connect: () => connectZk({endpoints: ens.endpoints, auth: ens.superAuth, operationTimeoutMs: 120_000}),
            ...(how === 'reader' ? {reader: () => openTreeReader({endpoints: ens.endpoints, auth: ens.superAuth})} : {}),
            snapshot: () => openExportSnapshot('b', member),
          });
          await new Promise<void>((res) => out.end(() => res()));
          return r;
        });
      const exOld = await exportWith('nzc');
      const exSnap = await exportWith('snapshot');
      const ex = await exportWith('reader');
      const im = await peakHeap(() =>
        importTree({ensemble: 'c', namespace: 'c', overwrite: false}, () => createInterface({input: createReadStream(file), crlfDelay: Infinity}), {
          clock: systemClock,
          connect: () => connectZk({endpoints: dst.endpoints, auth: dst.superAuth, operationTimeoutMs: 120_000}),
        }),
      );
      const snapFile = join(dir, `s${n}.snap`);
      const bk = await peakHeap(() => backup({ensemble: 'b', namespace: 'b', file: snapFile, force: true}, {...member, stdout: process.stdout}));
      console.log(
        `[bench] ${ex.result.znodes} znodes of ${DATA} B: export from the snapshot ${Math.round((exSnap.result.znodes * 1000) / exSnap.ms)} znodes/s (heap +${exSnap.peakMb.toFixed(1)} MB, busy ${Math.round((100 * exSnap.cpuMs) / exSnap.ms)}%), by reads ${Math.round((ex.result.znodes * 1000) / ex.ms)} znodes/s (heap +${ex.peakMb.toFixed(1)} MB, this process busy ${Math.round((100 * ex.cpuMs) / ex.ms)}% of the time; ` +
          `over node-zookeeper-client ${Math.round((exOld.result.znodes * 1000) / exOld.ms)} znodes/s), ` +
          `import ${Math.round(((im.result.created + im.result.overwritten) * 1000) / im.ms)} znodes/s (heap +${im.peakMb.toFixed(1)} MB), ` +
          `backup ${(bk.result.size / 1024 / 1024).toFixed(1)} MB at ${(bk.result.size / 1024 / 1024 / (bk.ms / 1000)).toFixed(1)} MB/s (heap +${bk.peakMb.toFixed(1)} MB)`,
      );
    } finally {
      await Promise.all([ens.stopAll(), dst.stopAll()]);
    }
  }
  rmSync(dir, {recursive: true, force: true});
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
