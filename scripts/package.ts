/**
 * `npm run package`: self-contained executables (the bundle compiled by Bun,
 * scripts/build-exe.ts: nothing needed where they run), release archives and the
 * krew manifest, into dist/release/:
 *
 *   dist/release/<os>-<arch>/kubectl-zk[.exe]   the executable, with LICENSE, README.md,
 *                                                THIRD-PARTY-NOTICES and the completion shim
 *                                                (KZK_PLUGIN_DIR=dist/release/linux-amd64 for e2e)
 *   dist/release/kubectl-zk_v<version>_<os>_<arch>.tar.gz | .zip   the same files, archived
 *   dist/release/zk.yaml (and krew/zk.yaml)      the krew manifest with the archives' sha256
 *   dist/release/SHA256SUMS, dist/release/release.json
 *
 * Options: --target linux-amd64 (repeatable or comma-separated; default: all five), or KZK_TARGETS.
 * Archives are reproducible for a commit: sorted entries, owner 0, mtimes = the
 * commit time, gzip without name/time.
 */
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {bundle, readPackageJson, thirdPartyNotices} from './build-bundle.js';
import {renderManifest, validateManifest, type ArchiveEntry} from './build-krew.js';
import {buildExecutable, exeName, REPO, TARGETS, targetName, type Target} from './build-exe.js';

export const RELEASE_DIR = join(REPO, 'dist', 'release');

export interface ReleaseTarget {
  target: string;
  os: string;
  arch: string;
  /** the runtime compiled in: "bun 1.4.5" */
  runtime: string;
  dir: string;
  executable: string;
  executableBytes: number;
  archive: string;
  archiveBytes: number;
  sha256: string;
}

export interface Release {
  version: string;
  commit: string;
  bundleBytes: number;
  targets: ReleaseTarget[];
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, {cwd: REPO, encoding: 'utf8'});
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function sh(script: string, env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${script}`], {cwd: REPO, encoding: 'utf8', env: {...process.env, ...env}});
  if (r.status !== 0) throw new Error(`${script}\n${r.stderr}`);
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export const archiveName = (version: string, t: Pick<Target, 'os' | 'arch'>) => `kubectl-zk_v${version}_${t.os}_${t.arch}.${t.os === 'windows' ? 'zip' : 'tar.gz'}`;

/** The files next to the executable, sorted as they go into the archive. */
function stageExtras(dir: string, t: Target, notices: string): string[] {
  const license = join(REPO, 'LICENSE');
  copyFileSync(license, join(dir, 'LICENSE'));
  copyFileSync(join(REPO, 'README.md'), join(dir, 'README.md'));
  writeFileSync(join(dir, 'THIRD-PARTY-NOTICES'), notices);
  let shim: string;
  if (t.os === 'windows') {
    shim = 'kubectl_complete-zk.cmd';
    writeFileSync(join(dir, shim), '@echo off\r\nrem kubectl (>= 1.26) runs this from PATH to complete `kubectl zk ...`: put it next to kubectl-zk.exe.\r\nkubectl-zk.exe __complete -- %*\r\n');
  } else {
    shim = 'kubectl_complete-zk';
    copyFileSync(join(REPO, 'bin', shim), join(dir, shim));
    chmodSync(join(dir, shim), 0o755);
  }
  for (const f of ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES']) chmodSync(join(dir, f), 0o644);
  return ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES', shim];
}

function archive(dir: string, files: string[], out: string, epoch: number, zip: boolean): void {
  for (const f of files) utimesSync(join(dir, f), epoch, epoch);
  rmSync(out, {force: true});
  if (zip) sh(`cd ${q(dir)} && zip -X -9 -q ${q(out)} ${files.map(q).join(' ')}`, {TZ: 'UTC'});
  else sh(`tar --sort=name --owner=0 --group=0 --numeric-owner --format=gnu --mtime=@${epoch} -C ${q(dir)} -cf - ${files.map(q).join(' ')} | gzip -n -9 > ${q(out)}`);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export async function packageRelease(opts: {targets: Target[]; log?: (l: string) => void}): Promise<Release> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const pj = readPackageJson();
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'dev';
  const epoch = Number(git(['log', '-1', '--format=%ct']) ?? Math.floor(Date.now() / 1000));
  rmSync(RELEASE_DIR, {recursive: true, force: true});
  const work = join(RELEASE_DIR, '.build');
  mkdirSync(work, {recursive: true});

  const t0 = Date.now();
  const b = await bundle({outfile: join(work, 'kubectl-zk.cjs'), commit});
  log(`bundle: ${(b.bytes / 1e6).toFixed(2)} MB, ${b.packages.size} npm packages (${Date.now() - t0} ms)`);

  let quill: string | undefined;
  if (opts.targets.some((t) => t.os === 'darwin')) {
    const r = spawnSync('bash', [join(REPO, 'scripts/build-tools.sh')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']});
    if (r.status !== 0) throw new Error('scripts/build-tools.sh failed');
    quill = join(r.stdout.trim(), 'quill');
  }

  const out: ReleaseTarget[] = [];
  for (const t of opts.targets) {
    const t1 = Date.now();
    const dir = join(RELEASE_DIR, targetName(t));
    mkdirSync(dir, {recursive: true});
    const exe = join(dir, exeName(t));
    const built = buildExecutable(t, {bundle: b.outfile, out: exe, quill, log});
    const files = [exeName(t), ...stageExtras(dir, t, thirdPartyNotices(b.packages, t.bun.version))].sort();
    const arc = join(RELEASE_DIR, archiveName(pj.version, t));
    archive(dir, files, arc, epoch, t.os === 'windows');
    const entry: ReleaseTarget = {
      target: targetName(t),
      os: t.os,
      arch: t.arch,
      runtime: built.runtime,
      dir,
      executable: exe,
      executableBytes: built.bytes,
      archive: arc,
      archiveBytes: statSync(arc).size,
      sha256: sha256(arc),
    };
    out.push(entry);
    log(
      `${entry.target}: ${(entry.executableBytes / 1e6).toFixed(1)} MB executable, ${(entry.archiveBytes / 1e6).toFixed(1)} MB ${arc.split('/').at(-1)} (${((Date.now() - t1) / 1000).toFixed(1)} s)`,
    );
  }

  const entries: ArchiveEntry[] = out.map((e) => ({os: e.os, arch: e.arch, archive: e.archive.split('/').at(-1)!, sha256: e.sha256, bin: exeName({os: e.os as Target['os']})}));
  const manifest = renderManifest(readFileSync(join(REPO, 'krew/zk.template.yaml'), 'utf8'), pj.version, entries);
  const problems = validateManifest(manifest, 'zk.yaml');
  if (problems.length > 0) throw new Error(`krew manifest:\n  ${problems.join('\n  ')}`);
  writeFileSync(join(RELEASE_DIR, 'zk.yaml'), manifest);
  writeFileSync(join(REPO, 'krew', 'zk.yaml'), manifest);
  writeFileSync(join(RELEASE_DIR, 'SHA256SUMS'), out.map((e) => `${e.sha256}  ${e.archive.split('/').at(-1)}\n`).join(''));
  const release: Release = {version: pj.version, commit, bundleBytes: b.bytes, targets: out};
  writeFileSync(join(RELEASE_DIR, 'release.json'), `${JSON.stringify(release, null, 2)}\n`);
  return release;
}

function parseTargets(argv: string[]): Target[] {
  const wanted: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') wanted.push(...(argv[++i] ?? '').split(','));
    else if (argv[i]?.startsWith('--target=')) wanted.push(...argv[i]!.slice(9).split(','));
    else throw new Error(`unknown argument ${argv[i]} (use --target OS-ARCH)`);
  }
  if (process.env['KZK_TARGETS']) wanted.push(...process.env['KZK_TARGETS'].split(','));
  if (wanted.length === 0) return TARGETS;
  return wanted.map((w) => {
    const t = TARGETS.find((x) => targetName(x) === w.trim());
    if (!t) throw new Error(`unknown target ${w}; one of ${TARGETS.map(targetName).join(', ')}`);
    return t;
  });
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const started = Date.now();
  packageRelease({targets: parseTargets(process.argv.slice(2))})
    .then((r) => {
      process.stdout.write(`kubectl-zk v${r.version} (${r.commit}) in dist/release/ after ${((Date.now() - started) / 1000).toFixed(0)} s:\n`);
      for (const t of r.targets) process.stdout.write(`  ${t.target.padEnd(14)} ${(t.archiveBytes / 1e6).toFixed(1).padStart(5)} MB  ${t.sha256}  ${t.archive.split('/').at(-1)}\n`);
      process.stdout.write('  krew manifest: dist/release/zk.yaml (also krew/zk.yaml)\n');
    })
    .catch((err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
