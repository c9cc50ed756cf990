/**
 * The packaged executables (`npm run package`) against the source tree they
 * were built from: same help, same usage errors, same objects from
 * `create --dry-run`, same completion answers; nothing read from disk at start;
 * archives as the krew manifest describes them; macOS signatures and the other
 * platforms' executables checked structurally (they cannot run here); and the
 * real krew install (test/dist/krew.sh).
 *
 *   npm run package && npm run build && npm run test:dist
 *   KZK_PLUGIN_DIR=dist/release/linux-amd64 (the default) names the executable under test.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parse} from 'yaml';
import {COMMANDS} from '../../src/commands.js';
import {DEFAULT_IMAGE, DEFAULT_ZOOKEEPER_VERSION} from '../../src/manifests/options.js';
import {readPackageJson} from '../../scripts/build-bundle.js';
import {BUN_VERSION} from '../../scripts/build-exe.js';
import {inspectMacho} from './macho.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const RELEASE = path.join(REPO, 'dist/release');
const PLUGIN_DIR = path.resolve(process.env['KZK_PLUGIN_DIR'] ?? path.join(RELEASE, 'linux-amd64'));
const BINARY = path.join(PLUGIN_DIR, 'kubectl-zk');
const SOURCE = path.join(REPO, 'bin/kubectl-zk');

interface Release {
  version: string;
  commit: string;
  targets: {target: string; os: string; arch: string; runtime: string; executable: string; archive: string; sha256: string}[];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let kubeconfig = '';

function run(cmd: string[], args: string[], opts: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Run {
  const env: NodeJS.ProcessEnv = {...process.env, KUBECONFIG: kubeconfig, ...opts.env};
  delete env['FORCE_COLOR'];
  delete env['NO_COLOR'];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], {env, cwd: opts.cwd ?? REPO, encoding: 'utf8', timeout: 60_000});
  if (r.error) throw r.error;
  return {code: r.status, stdout: r.stdout, stderr: r.stderr};
}
/**
 * Help's VERSION line names the platform and runtime: "… linux-x64 bun-1.4.5" from an executable,
 * "… linux-x64 node-v24.21.0" from the source tree. Checked, then made the source tree's for comparison.
 */
function asSource(text: string, platform = 'linux-x64'): string {
  const ua = new RegExp(`^(  kubectl-zk/[\\d.]+) ${platform} bun-${BUN_VERSION.replaceAll('.', '\\.')}$`, 'm');
  if (!/^VERSION$|\x1b\[1mVERSION/m.test(text)) return text;
  assert.match(text, ua, 'help names the executable\'s platform and Bun');
  return text.replace(ua, `$1 ${process.platform}-${process.arch} node-${process.version}`);
}
const packaged = (args: string[], opts?: {cwd?: string; env?: NodeJS.ProcessEnv}) => run([BINARY], args, opts);
const source = (args: string[]) => run([process.execPath, SOURCE], args);

/** The Secret's password and digest are random per run: check their shape, then blank them (redacted ones stay as they are). */
function maskSecret(items: {kind: string; stringData?: Record<string, string>}[]): unknown {
  for (const o of items) {
    if (o.kind !== 'Secret' || !o.stringData) continue;
    const {password, digest} = o.stringData;
    if (password?.startsWith('<redacted')) {
      assert.equal(digest, password, 'both redacted');
      continue;
    }
    assert.match(password ?? '', /^[\w-]{32}$/);
    assert.equal(digest, `super:${createHash('sha1').update(`super:${password}`).digest('base64')}`);
    o.stringData['password'] = '<random>';
    o.stringData['digest'] = '<random>';
  }
  return items;
}

describe(`packaged executable ${path.relative(REPO, BINARY)}`, function () {
  this.timeout(120_000);
  let release: Release;

  before(async function () {
    if (!existsSync(BINARY)) assert.fail(`${BINARY} is missing: run npm run package (or set KZK_PLUGIN_DIR)`);
    if (!existsSync(path.join(REPO, 'dist/main.js'))) assert.fail('dist/main.js is missing: run npm run build (the comparisons run the source tree too)');
    release = JSON.parse(readFileSync(path.join(RELEASE, 'release.json'), 'utf8')) as Release;
    // an API server that refuses connections: a port that was free a moment ago
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'kzk-dist-')), 'config');
    const {writeFileSync} = await import('node:fs');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: dev\n`);
  });

  it('version -o json: packaged, a single executable on the pinned Bun, the build commit', () => {
    const r = packaged(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    const client = JSON.parse(readFileSync(path.join(REPO, 'node_modules/@kubernetes/client-node/package.json'), 'utf8')) as {version: string};
    assert.deepEqual(v, {
      version: release.version,
      commit: release.commit,
      defaultImage: DEFAULT_IMAGE,
      defaultZookeeperVersion: DEFAULT_ZOOKEEPER_VERSION,
      kubernetesClient: `@kubernetes/client-node ${client.version}`,
      runtime: `Bun ${BUN_VERSION}`,
      platform: 'linux/amd64',
      packaged: true,
      singleExecutable: true,
    });
    assert.match(packaged(['version']).stdout, new RegExp(`^runtime: +Bun ${BUN_VERSION.replaceAll('.', '\\.')} linux/amd64 \\(single executable\\)$`, 'm'));
    assert.match(packaged(['version']).stdout, new RegExp(`^kubectl-zk v${release.version} \\(commit ${release.commit}\\)\\n`));
  });

  it('--help of the plugin and of every command is the source tree\'s', () => {
    const ids = Object.keys(COMMANDS).filter((id) => id !== '__complete');
    for (const args of [['--help'], ['znode', '--help'], ...ids.map((id) => [...id.split(':'), '--help'])]) {
      const [p, s] = [packaged(args), source(args)];
      assert.equal(p.code, 0, `${args.join(' ')}: ${p.stderr}`);
      assert.equal(asSource(p.stdout), s.stdout, args.join(' '));
      assert.equal(p.stderr, s.stderr, args.join(' '));
    }
  });

  it('on a terminal: the source tree\'s colours and width', () => {
    // script(1) gives the command a pseudo-terminal of the given width; CI is unset (supports-color
    // turns colour off under CI=true, as .ci/run sets it)
    const onTerminal = (bin: string[], args: string[], cols: number, env: NodeJS.ProcessEnv = {}) =>
      run(['script', '-qec', `stty cols ${cols} rows 50; exec env -u CI ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} ${[...bin, ...args].map((a) => `'${a}'`).join(' ')}`, '/dev/null'], [], {env: {TERM: 'xterm'}}).stdout.replaceAll('\r\n', '\n');
    const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').length));
    const help: Record<number, string> = {};
    for (const cols of [150, 60]) {
      for (const args of [['--help'], ['failover-test', '--help'], ['status', '-o', 'xml']]) {
        const p = onTerminal([BINARY], args, cols);
        assert.equal(asSource(p), onTerminal([process.execPath, SOURCE], args, cols), `${args.join(' ')} at ${cols} columns`);
        if (args[0] === 'failover-test') {
          assert.match(p, /\x1b\[1mUSAGE\x1b\[22m/, 'bold section headers on a terminal');
          help[cols] = p;
        }
      }
    }
    // wrapped to the terminal it runs on, not to the build's 80 columns
    const lines = (text: string) => text.split('\n').length;
    assert.ok(widest(help[150]!) > 100 && lines(help[60]!) > lines(help[150]!), `150 columns: ${lines(help[150]!)} lines, the widest ${widest(help[150]!)}; 60 columns: ${lines(help[60]!)} lines`);
    assert.doesNotMatch(onTerminal([BINARY], ['--help'], 150, {NO_COLOR: '1'}), /\x1b\[/, 'NO_COLOR on a terminal');
  });

  it('create --dry-run prints the same objects as the source tree (embedded manifests)', () => {
    for (const extra of [[], ['--show-secrets'], ['--replicas', '5', '--ephemeral', '--memory', '2Gi'], ['-n', 'prod', '--storage-class', 'fast', '--image', 'zookeeper:3.8.4', '--show-secrets']]) {
      const args = ['create', 'zk', '--dry-run', '-o', 'json', ...extra];
      const [p, s] = [packaged(args), source(args)];
      assert.equal(p.code, 0, p.stderr);
      const [pi, si] = [JSON.parse(p.stdout) as {items: {kind: string}[]}, JSON.parse(s.stdout) as {items: {kind: string}[]}];
      assert.deepEqual(maskSecret(pi.items), maskSecret(si.items), extra.join(' '));
      assert.deepEqual(pi.items.map((i) => i.kind), ['Secret', 'ConfigMap', 'NetworkPolicy', 'Service', 'Service', 'PodDisruptionBudget', 'StatefulSet']);
    }
    const y = packaged(['create', 'zk', '--dry-run']);
    assert.deepEqual(maskSecret(y.stdout.split(/^---$/m).map((d) => parse(d) as {kind: string})), maskSecret(source(['create', 'zk', '--dry-run']).stdout.split(/^---$/m).map((d) => parse(d) as {kind: string})));
  });

  it('usage errors and an unreachable API server: the same exit codes and messages', () => {
    for (const args of [['create'], ['create', 'Bad_Name', '--dry-run'], ['create', 'zk', '--bogus'], ['frobnicate'], ['status', '-o', 'xml'], ['scale', 'zk'], ['version', '-o', 'wide'], ['list'], ['status', 'zk']]) {
      const [p, s] = [packaged(args), source(args)];
      assert.equal(p.code, s.code, args.join(' '));
      assert.equal(p.stdout, s.stdout, args.join(' '));
      assert.equal(p.stderr, s.stderr, args.join(' '));
      assert.notEqual(p.code, 0);
    }
  });

  it('completion answers are the source tree\'s', () => {
    for (const words of [[''], ['st'], ['znode', ''], ['create', 'zk', '--'], ['status', '-o', ''], ['create', 'zk', '--image-pull-policy=']]) {
      const args = ['__complete', '--', ...words];
      assert.equal(packaged(args).stdout, source(args).stdout, words.join(' '));
    }
    const shim = run(['sh', path.join(PLUGIN_DIR, 'kubectl_complete-zk')], ['ver'], {env: {PATH: `${PLUGIN_DIR}:/usr/bin:/bin`}});
    assert.match(shim.stdout, /^version\t.*\n:4\n$/);
  });

  it('needs nothing beside it: a lone copy in an empty directory, no node on PATH, reads no package files at start', function () {
    const lone = mkdtempSync(path.join(tmpdir(), 'kzk-lone-'));
    try {
      copyFileSync(BINARY, path.join(lone, 'kubectl-zk'));
      const env = {PATH: '/nonexistent', HOME: lone};
      const help = run([path.join(lone, 'kubectl-zk')], ['--help'], {cwd: lone, env});
      assert.equal(help.code, 0, help.stderr);
      const dry = run([path.join(lone, 'kubectl-zk')], ['create', 'zk', '--dry-run', '-o', 'json'], {cwd: lone, env});
      assert.equal(dry.code, 0, dry.stderr);
      const straceBin = spawnSync('sh', ['-c', 'command -v strace'], {encoding: 'utf8'}).stdout.trim();
      if (!straceBin) return this.skip(); // no strace here
      const strace = spawnSync(straceBin, ['-f', '-qq', '-e', 'trace=open,openat,openat2,stat,lstat,newfstatat,statx,access', '-o', path.join(lone, 'trace'), path.join(lone, 'kubectl-zk'), 'create', 'zk', '--dry-run'], {cwd: lone, env: {...env, KUBECONFIG: kubeconfig}});
      assert.equal(strace.status, 0, String(strace.stderr));
      const opened = readFileSync(path.join(lone, 'trace'), 'utf8').split('\n').flatMap((l) => /"([^"]+)"/.exec(l)?.[1] ?? []);
      const ours = opened.filter((f) => /package\.json|oclif\.manifest|node_modules|manifests\/|\.(c|m)?js$|\.ya?ml$|\.sh$/.test(f) && f !== kubeconfig);
      assert.deepEqual(ours, [], `files a packaged run should not look for:\n${ours.join('\n')}`);
    } finally {
      rmSync(lone, {recursive: true, force: true});
    }
  });
});

describe('the linux/arm64 executable, run under qemu-user (scripts/ensure-qemu-arm64.sh)', function () {
  this.timeout(300_000);
  const arm = path.join(RELEASE, 'linux-arm64', 'kubectl-zk');
  let qemu = '';
  before(function () {
    if (!existsSync(arm)) assert.fail(`${arm} is missing: npm run package builds all five platforms`);
    const r = spawnSync('bash', [path.join(REPO, 'scripts/ensure-qemu-arm64.sh')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    assert.equal(r.status, 0, `scripts/ensure-qemu-arm64.sh: ${r.stderr}`);
    qemu = r.stdout.trim();
  });
  // -L /: the arm64 C library from Debian's multiarch install
  const onArm = (args: string[]) => run([qemu, '-L', '/', arm], args);

  it('version: Bun on linux/arm64, compiled in; help and create --dry-run are the source tree\'s', () => {
    const v = onArm(['version', '-o', 'json']);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(
      (({runtime, platform, singleExecutable}) => ({runtime, platform, singleExecutable}))(JSON.parse(v.stdout) as {runtime: string; platform: string; singleExecutable: boolean}),
      {runtime: `Bun ${BUN_VERSION}`, platform: 'linux/arm64', singleExecutable: true},
    );
    for (const args of [['--help'], ['znode', 'get', '--help']]) assert.equal(asSource(onArm(args).stdout, 'linux-arm64'), source(args).stdout, args.join(' '));
    const args = ['create', 'zk', '--dry-run', '-o', 'json', '--replicas', '5', '--show-secrets'];
    const [p, s] = [onArm(args), source(args)];
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(maskSecret((JSON.parse(p.stdout) as {items: {kind: string}[]}).items), maskSecret((JSON.parse(s.stdout) as {items: {kind: string}[]}).items));
  });
});

describe('release archives and the krew manifest', function () {
  this.timeout(300_000);
  let release: Release;
  before(() => {
    release = JSON.parse(readFileSync(path.join(RELEASE, 'release.json'), 'utf8')) as Release;
  });

  it('each archive holds the executable, LICENSE, README.md, THIRD-PARTY-NOTICES and the completion shim; the manifest has its sha256', () => {
    const manifest = parse(readFileSync(path.join(RELEASE, 'zk.yaml'), 'utf8')) as {spec: {version: string; platforms: {selector: {matchLabels: {os: string; arch: string}}; uri: string; sha256: string; bin: string}[]}};
    assert.equal(manifest.spec.version, `v${release.version}`);
    assert.equal(manifest.spec.platforms.length, release.targets.length);
    for (const t of release.targets) {
      const sha = createHash('sha256').update(readFileSync(t.archive)).digest('hex');
      const entry = manifest.spec.platforms.find((p) => p.selector.matchLabels.os === t.os && p.selector.matchLabels.arch === t.arch);
      assert.ok(entry, t.target);
      assert.equal(entry.sha256, sha, t.target);
      assert.ok(entry.uri.endsWith(`/${path.basename(t.archive)}`));
      const windows = t.os === 'windows';
      assert.equal(entry.bin, windows ? 'kubectl-zk.exe' : 'kubectl-zk');
      const listing = windows
        ? spawnSync('unzip', ['-Z', '-l', t.archive], {encoding: 'utf8'}).stdout
        : spawnSync('tar', ['-tvzf', t.archive], {encoding: 'utf8'}).stdout;
      const names = listing.split('\n').flatMap((l) => /\s(\S+)$/.exec(l.trim())?.[1] ?? []).filter((n) => !/^(bytes|files|\d+)/.test(n));
      const want = windows ? ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES', 'kubectl-zk.exe', 'kubectl_complete-zk.cmd'] : ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES', 'kubectl-zk', 'kubectl_complete-zk'];
      for (const n of want) assert.ok(names.includes(n), `${path.basename(t.archive)} lacks ${n}:\n${listing}`);
      if (!windows) assert.match(listing, /^-rwxr-xr-x 0\/0 .* kubectl-zk$/m);
    }
  });

  it('every executable is its platform\'s Bun with the plugin compiled in (macOS: a valid ad-hoc signature)', () => {
    // oclif's topic description, inlined from package.json: in the bundle, not in Bun
    const marker = (readPackageJson().oclif!['topics'] as Record<string, {description: string}>)['znode']!.description;
    for (const t of release.targets) {
      const file = readFileSync(t.executable);
      assert.equal(t.runtime, `bun ${BUN_VERSION}`, t.target);
      assert.ok(file.includes(marker), `${t.target}: the plugin's code is not in the executable`);
      assert.ok(file.includes(`Bun v${BUN_VERSION}`), `${t.target}: not Bun ${BUN_VERSION}`);
      if (t.os === 'linux') {
        assert.equal(file.subarray(0, 4).toString('latin1'), '\x7fELF', t.target);
        assert.equal(file.readUInt16LE(18), t.arch === 'arm64' ? 0xb7 : 0x3e, `${t.target}: ELF machine`);
      } else if (t.os === 'windows') {
        assert.equal(file.subarray(0, 2).toString('latin1'), 'MZ');
        const pe = file.readUInt32LE(0x3c);
        assert.equal(file.subarray(pe, pe + 4).toString('latin1'), 'PE\0\0');
        assert.equal(file.readUInt16LE(pe + 4), 0x8664, `${t.target}: PE machine`);
      } else {
        const m = inspectMacho(file);
        assert.equal(m.cpu, t.arch === 'arm64' ? 'arm64' : 'x86_64');
        assert.ok(m.adhoc, `${t.target}: not ad-hoc signed`);
        assert.equal(m.identifier, 'kubectl-zk');
        assert.deepEqual(m.badPages, [], `${t.target}: pages whose hash does not match`);
        assert.equal(m.codeLimit, m.signatureOffset, 'the signature covers everything before it');
        const linkedit = m.segments.at(-1)!;
        assert.equal(linkedit.name, '__LINKEDIT');
        assert.equal(linkedit.fileoff + linkedit.filesize, file.length, '__LINKEDIT ends the file');
        assert.equal(m.signatureOffset + m.signatureSize, file.length, 'the signature ends __LINKEDIT');
        assert.ok(m.segments.some((s) => s.name === '__BUN'), `${t.target}: no __BUN segment (the compiled-in program)`);
      }
    }
  });

  it('the real krew installs the linux/amd64 archive and kubectl runs the plugin (test/dist/krew.sh)', () => {
    const r = spawnSync('bash', [path.join(REPO, 'test/dist/krew.sh')], {encoding: 'utf8', timeout: 280_000, env: {...process.env, KZK_KREW_SUMMARY: 'plain'}});
    process.stdout.write(r.stdout.replace(/^/gm, '    '));
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });
});
