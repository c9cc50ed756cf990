/**
 * Start-up figures, side by side in one run (not a timed test):
 *  - `kubectl zk --help` and `kubectl zk version` through kubectl's plugin
 *    discovery, from the source tree (bin/ on Node 24) and the packaged
 *    executable (dist/release/linux-amd64), against `kubectl version --client`:
 *    median wall time of N interleaved runs and the ratio to kubectl;
 *  - archive and executable sizes per platform (dist/release/release.json);
 *  - with --rss: peak memory (max RSS, /usr/bin/time -v) of `kubectl zk status`
 *    on a 5-member ensemble it creates in namespace kzk-bench and tears down after.
 *
 *   npm run bench:startup [-- --runs 31] [-- --rss]
 *   (source /var/lib/kzk-cluster/env first: the built kubectl and, for --rss, the cluster)
 */
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');
const RELEASE = path.join(REPO, 'dist/release');
const PACKAGED = path.join(RELEASE, 'linux-amd64');
const SOURCE_BIN = path.join(REPO, 'bin');
const NODE_DIR = path.dirname(process.execPath);

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1] ?? 21) || 21;
const rss = argv.includes('--rss');

function which(cmd: string, PATH: string): string | undefined {
  for (const d of PATH.split(':')) if (existsSync(path.join(d, cmd))) return path.join(d, cmd);
  return undefined;
}

interface Case {
  label: string;
  args: string[];
  /** PATH for kubectl to discover the plugin on */
  PATH: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timeOnce(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync('kubectl', c.args, {env: {...process.env, PATH: c.PATH}, stdio: ['ignore', 'ignore', 'pipe']});
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.label}: exit ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

function startup(): void {
  const base = process.env['PATH'] ?? '';
  const kubectl = which('kubectl', base);
  if (!kubectl) throw new Error('no kubectl on PATH (source /var/lib/kzk-cluster/env)');
  const sys = '/usr/bin:/bin';
  const kubectlDir = path.dirname(kubectl);
  // PATH: the plugin's directory, kubectl's; the source tree also needs Node 24 for bin/kubectl-zk's shebang
  const src = `${SOURCE_BIN}:${NODE_DIR}:${kubectlDir}:${sys}`;
  const pkg = `${PACKAGED}:${kubectlDir}:${sys}`;
  const cases: Case[] = [{label: 'kubectl version --client', args: ['version', '--client'], PATH: `${kubectlDir}:${sys}`}];
  if (existsSync(path.join(REPO, 'dist/main.js'))) {
    cases.push({label: 'kubectl zk --help   (source, bin/ on Node)', args: ['zk', '--help'], PATH: src});
    cases.push({label: 'kubectl zk version  (source, bin/ on Node)', args: ['zk', 'version'], PATH: src});
  } else {
    process.stdout.write('(no dist/: npm run build for the source-tree figures)\n');
  }
  if (existsSync(path.join(PACKAGED, 'kubectl-zk'))) {
    cases.push({label: 'kubectl zk --help   (packaged executable)', args: ['zk', '--help'], PATH: pkg});
    cases.push({label: 'kubectl zk version  (packaged executable)', args: ['zk', 'version'], PATH: pkg});
  } else {
    process.stdout.write('(no dist/release/linux-amd64: npm run package for the packaged figures)\n');
  }
  for (const c of cases) timeOnce(c); // warm the page cache
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) cases.forEach((c, j) => times[j]!.push(timeOnce(c)));
  const baseline = median(times[0]!);
  process.stdout.write(`\nStart-up through kubectl's plugin discovery: median of ${runs} interleaved runs (wall clock)\n`);
  process.stdout.write(`${'command'.padEnd(44)} ${'median'.padStart(9)} ${'min'.padStart(8)} ${'vs kubectl'.padStart(11)}\n`);
  cases.forEach((c, j) => {
    const m = median(times[j]!);
    process.stdout.write(`${c.label.padEnd(44)} ${`${m.toFixed(1)} ms`.padStart(9)} ${`${Math.min(...times[j]!).toFixed(1)} ms`.padStart(8)} ${`${(m / baseline).toFixed(2)}×`.padStart(11)}\n`);
  });
}

function sizes(): void {
  const file = path.join(RELEASE, 'release.json');
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8')) as {
    version: string;
    commit: string;
    bundleBytes: number;
    targets: {target: string; runtime: string; executableBytes: number; archiveBytes: number; archive: string}[];
  };
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  process.stdout.write(`\nRelease v${r.version} (${r.commit}); the JavaScript bundle is ${mb(r.bundleBytes)}\n`);
  process.stdout.write(`${'platform'.padEnd(15)} ${'runtime'.padEnd(11)} ${'executable'.padStart(11)} ${'archive'.padStart(9)}  file\n`);
  for (const t of r.targets) {
    process.stdout.write(`${t.target.padEnd(15)} ${t.runtime.padEnd(11)} ${mb(t.executableBytes).padStart(11)} ${mb(t.archiveBytes).padStart(9)}  ${path.basename(t.archive)}\n`);
  }
}

function kzk(args: string[], PATH: string, timeoutMs = 600_000) {
  const r = spawnSync('kubectl', ['zk', ...args], {env: {...process.env, PATH}, encoding: 'utf8', timeout: timeoutMs});
  return r;
}

/** Max RSS (KB) and wall seconds of one run under /usr/bin/time -v. */
function timeV(cmd: string[], PATH: string): {kb: number; s: number; code: number | null} {
  const dir = mkdtempSync(path.join(tmpdir(), 'kzk-rss-'));
  try {
    const out = path.join(dir, 'time');
    const r = spawnSync('/usr/bin/time', ['-v', '-o', out, ...cmd], {env: {...process.env, PATH}, stdio: 'ignore', timeout: 120_000});
    const text = readFileSync(out, 'utf8');
    const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1]);
    const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+(?:\.\d+)?)$/m.exec(text);
    return {kb, s: Number(wall?.[1] ?? 0) * 60 + Number(wall?.[2] ?? 0), code: r.status};
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

function memory(): void {
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing: apt-get install time');
  const kubectl = which('kubectl', process.env['PATH'] ?? '');
  const image = process.env['KZK_ZK_IMAGE'];
  if (!kubectl || !image) throw new Error('--rss needs the cluster: source /var/lib/kzk-cluster/env');
  const sys = `${path.dirname(kubectl)}:/usr/bin:/bin`;
  const src = `${SOURCE_BIN}:${NODE_DIR}:${sys}`;
  const pkg = `${PACKAGED}:${sys}`;
  const ns = 'kzk-bench';
  const name = 'bench5';
  spawnSync('kubectl', ['create', 'namespace', ns], {stdio: 'ignore'});
  process.stdout.write(`\nPeak memory of kubectl zk status ${name} -n ${ns} (5 members): creating the ensemble...\n`);
  const c = kzk(['create', name, '-n', ns, '--replicas', '5', '--image', image, '--image-pull-policy', 'Never', '--memory', '384Mi', '--cpu', '50m', '--storage', '64Mi', '--timeout', '8m'], src);
  try {
    if (c.status !== 0) throw new Error(`create failed (${c.status}): ${c.stderr}`);
    const rows: [string, string[], string][] = [
      ['kubectl zk status (source, through kubectl)', ['kubectl', 'zk', 'status', name, '-n', ns], src],
      ['kubectl zk status (packaged, through kubectl)', ['kubectl', 'zk', 'status', name, '-n', ns], pkg],
      ['kubectl-zk status (source, alone)', [process.execPath, path.join(SOURCE_BIN, 'kubectl-zk'), 'status', name, '-n', ns], src],
      ['kubectl-zk status (packaged, alone)', [path.join(PACKAGED, 'kubectl-zk'), 'status', name, '-n', ns], pkg],
      ['kubectl get pods (for scale)', ['kubectl', 'get', 'pods', '-n', ns], sys],
    ];
    process.stdout.write(`${'command'.padEnd(48)} ${'max RSS'.padStart(9)} ${'wall'.padStart(7)}  exit\n`);
    for (const [label, cmd, PATH] of rows) {
      const all = [0, 1, 2].map(() => timeV(cmd, PATH));
      const kb = median(all.map((x) => x.kb));
      process.stdout.write(`${label.padEnd(48)} ${`${(kb / 1024).toFixed(0)} MB`.padStart(9)} ${`${median(all.map((x) => x.s)).toFixed(2)} s`.padStart(7)}  ${all.map((x) => x.code).join(',')}\n`);
    }
  } finally {
    const t = kzk(['teardown', name, '-n', ns, '--yes', '--delete-data'], src);
    process.stdout.write(t.status === 0 ? `(${name} torn down)\n` : `teardown failed: ${t.stderr}\n`);
    spawnSync('kubectl', ['delete', 'namespace', ns, '--wait=false'], {stdio: 'ignore'});
  }
}

startup();
sizes();
if (rss) memory();
