/**
 * Self-contained executables: the bundle (scripts/build-bundle.ts) compiled by
 * `bun build --compile --bytecode` into a copy of the Bun runtime of each target.
 *
 * Why Bun and not a Node single-executable application (both were built and
 * measured here, docs/packaging.md, docs/benchmarks.md): through kubectl, `kubectl zk --help`
 * takes 1.85× `kubectl version --client` with Bun and 2.60× with the Node SEA
 * even from a V8 startup snapshot (Node's own empty start is 33 ms of the 40 ms
 * the 2× goal leaves us), and `znode get` is ~100 ms faster. The price is a
 * larger archive (56.5 vs 47.0 MB for linux-amd64).
 *
 * Bun's runtimes come from the npm registry (`@oven/bun-<os>-<arch>`, the
 * official builds), pinned by version and the sha256 of the package, and are
 * given to `bun build` with --compile-executable-path, so it never downloads
 * anything itself. The linux-x64 one also runs the build. The bytecode is
 * JavaScriptCore's, and every target runs the same Bun version as the build.
 * macOS executables get an ad-hoc signature from quill (Go, built by
 * scripts/build-tools.sh): arm64 macOS refuses unsigned code.
 *
 * The executables do not read .env or bunfig.toml from the directory they run
 * in (Bun's defaults would): a kubectl plugin's behaviour must not depend on
 * the files where the user happens to stand.
 */
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync} from 'node:fs';
import {homedir} from 'node:os';
import {join, resolve} from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const CACHE = process.env['KZK_CACHE'] ?? join(homedir(), '.cache', 'kubectl-zk');

export const BUN_VERSION = '1.4.5';

export interface BunSource {
  /** npm package */
  name: string;
  version: string;
  /** sha256 of the package file `npm pack` downloads (pinned) */
  sha256: string;
  /** the bun executable inside it */
  member: string;
}

export interface Target {
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  /** bun build --target */
  bunTarget: string;
  bun: BunSource;
}

const bun = (pkg: string, sha256: string, member = 'package/bin/bun'): BunSource => ({name: `@oven/bun-${pkg}`, version: BUN_VERSION, sha256, member});

/** Also the Bun that runs `bun build` (the build machine is linux-x64). */
export const HOST_BUN = bun('linux-x64', '0c72edca57b0cbf0a07a242daf0ea8ea96711827f042b80a1c383ce1cc51c771');

export const TARGETS: Target[] = [
  {os: 'linux', arch: 'amd64', bunTarget: 'bun-linux-x64', bun: HOST_BUN},
  {os: 'linux', arch: 'arm64', bunTarget: 'bun-linux-arm64', bun: bun('linux-aarch64', 'c3cd56594c9d5d025df87f77c68ad4699a49b52551f0f3232be6f727533fe08c')},
  {os: 'darwin', arch: 'amd64', bunTarget: 'bun-darwin-x64', bun: bun('darwin-x64', '406b8f14f1fd0d528167714df9fe821107ee684e0a2ce2aaac780f7f76e9a551')},
  {os: 'darwin', arch: 'arm64', bunTarget: 'bun-darwin-arm64', bun: bun('darwin-aarch64', '88c398ee13212e8b189119a2bddc7d240ae4f1252c1d0ae2ac1fd44c921fdcb1')},
  {os: 'windows', arch: 'amd64', bunTarget: 'bun-windows-x64', bun: bun('windows-x64', '24bd048cece1cebc183c422aaf81aef78cc904ed76f7810d7c1bed2ef85446f0', 'package/bin/bun.exe')},
];

export const targetName = (t: Pick<Target, 'os' | 'arch'>) => `${t.os}-${t.arch}`;
export const exeName = (t: Pick<Target, 'os'>) => (t.os === 'windows' ? 'kubectl-zk.exe' : 'kubectl-zk');

function run(cmd: string, args: string[], opts: {cwd?: string} = {}): string {
  const r = spawnSync(cmd, args, {cwd: opts.cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20});
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`.trim());
  return r.stdout;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Downloads (once) with `npm pack`, checks the pinned sha256, extracts the bun executable. */
export function bunBinary(src: BunSource, log: (line: string) => void = () => {}): string {
  const dir = join(CACHE, 'bun', `${src.name.replace('@oven/', '')}-${src.version}`);
  const exe = join(dir, src.member.endsWith('.exe') ? 'bun.exe' : 'bun');
  if (existsSync(exe)) return exe;
  const dl = join(CACHE, 'bun', 'dl');
  mkdirSync(dl, {recursive: true});
  const file = join(dl, `${src.name.replace('@', '').replace('/', '-')}-${src.version}.tgz`);
  if (!existsSync(file)) {
    log(`downloading ${src.name}@${src.version} (npm)`);
    run('npm', ['pack', '--silent', `${src.name}@${src.version}`, '--pack-destination', dl]);
  }
  const got = sha256File(file);
  if (got !== src.sha256) throw new Error(`${file}: sha256 ${got}, expected ${src.sha256} (pinned in scripts/build-exe.ts)`);
  const tmp = mkdtempSync(join(CACHE, 'bun', '.x-'));
  try {
    run('tar', ['-xzf', file, '-C', tmp, src.member]);
    mkdirSync(dir, {recursive: true});
    renameSync(join(tmp, src.member), exe);
    chmodSync(exe, 0o755);
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
  return exe;
}

export interface ExeOptions {
  bundle: string;
  out: string;
  /** quill executable, for macOS targets */
  quill?: string;
  log?: (line: string) => void;
}

/** The arguments of `bun build` for one target (exported for the unit tests). */
export function bunBuildArgs(t: Target, o: {bundle: string; out: string; runtime: string}): string[] {
  return [
    'build',
    o.bundle,
    '--compile',
    `--target=${t.bunTarget}`,
    `--compile-executable-path=${o.runtime}`,
    // JavaScriptCore bytecode in the executable: no parsing at start
    '--bytecode',
    // the bundle is already minified by esbuild with its names kept (for --verbose stack traces)
    '--minify',
    '--keep-names',
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    '--outfile',
    o.out,
  ];
}

/**
 * Where `bun build` reads the bundle from. Bun writes the bundle's directory into
 * the executable (as __dirname and __filename) and the executable looks at its
 * parent when it starts: a fixed path that exists only during the build keeps
 * the executable the same from any checkout (two builds of one commit are
 * byte-identical) and keeps it from finding the build machine's files (the
 * checkout's package.json, node_modules) when it runs there.
 */
export const BUILD_ROOT = '/tmp/kubectl-zk-build';

export function buildExecutable(t: Target, o: ExeOptions): {bytes: number; runtime: string} {
  const log = o.log ?? (() => {});
  const host = bunBinary(HOST_BUN, log);
  const runtime = bunBinary(t.bun, log);
  rmSync(BUILD_ROOT, {recursive: true, force: true});
  const src = join(BUILD_ROOT, 'bundle');
  const outDir = join(BUILD_ROOT, 'out');
  mkdirSync(src, {recursive: true});
  mkdirSync(outDir, {recursive: true});
  try {
    copyFileSync(o.bundle, join(src, 'kubectl-zk.cjs'));
    // the output's name is also the program's name inside it (/$bunfs/root/kubectl-zk); bun adds .exe for windows
    const written = join(outDir, t.os === 'windows' ? 'kubectl-zk.exe' : 'kubectl-zk');
    log(`${targetName(t)}: bun build --compile (Bun ${t.bun.version})`);
    run(host, bunBuildArgs(t, {bundle: 'kubectl-zk.cjs', out: join(outDir, 'kubectl-zk'), runtime}), {cwd: src});
    if (t.os === 'darwin') {
      if (!o.quill) throw new Error('macOS targets need quill for the ad-hoc signature (bash scripts/build-tools.sh)');
      run(o.quill, ['sign', '--ad-hoc', '--identity', 'kubectl-zk', '--quiet', written]);
    }
    mkdirSync(resolve(o.out, '..'), {recursive: true});
    copyFileSync(written, `${o.out}.partial`);
    chmodSync(`${o.out}.partial`, 0o755);
    renameSync(`${o.out}.partial`, o.out);
  } finally {
    rmSync(BUILD_ROOT, {recursive: true, force: true});
  }
  return {bytes: readFileSync(o.out).length, runtime: `bun ${t.bun.version}`};
}
