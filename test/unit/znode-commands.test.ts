import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {oneErrorLine, refusingCli, type Cli} from '../support/cli.js';

/**
 * `kubectl zk znode …` through the built executable (bin/kubectl-zk over
 * dist/; `npm test` builds first), no TTY, against a kubeconfig whose API
 * server port is closed: what is refused must be refused before any
 * connection (exit 2), what is valid gets as far as the API server (exit 1).
 */
const dir = mkdtempSync(path.join(tmpdir(), 'kzk-znode-'));
let cli: Cli;
const zk = (args: string[], input?: Buffer | string) => cli.run(args, {input});

describe('znode commands through the built executable', function () {
  this.timeout(60_000);

  before(async () => {
    cli = await refusingCli();
  });

  it('`znode get /x --ensemble zk` with an invalid path: exit 2 before any connection', () => {
    for (const p of ['x', '/x/', '/a//b', '/a/../b', '']) {
      const r = zk(['znode', 'get', p, '--ensemble', 'zk']);
      assert.equal(r.code, 2, `${p}: ${r.stderr}`);
      const line = oneErrorLine(r, p);
      assert.ok(line.startsWith(`error: Invalid path string "${p}" caused by `), line);
      assert.doesNotMatch(line, /Kubernetes|fetch|ECONNREFUSED/);
    }
    // the same command with a valid path does go to the (closed) API server: exit 1
    const ok = zk(['znode', 'get', '/x', '--ensemble', 'zk']);
    assert.equal(ok.code, 1, ok.stderr);
    assert.match(oneErrorLine(ok, 'valid path'), /Kubernetes API/);
  });

  it('every znode command validates its path, flags and data source before connecting (exit 2)', () => {
    const cases: [string[], RegExp][] = [
      [['znode', 'create', 'rel', 'data'], /Invalid path string "rel"/],
      [['znode', 'create', '/a/', 'data'], /Invalid path string/],
      [['znode', 'create', '/q/', '--sequential', 'x', '--acl', 'world:anyone'], /--acl must be scheme:id:perms/],
      [['znode', 'create', '/a', 'data', '--file', 'f'], /either as the DATA argument or with --file/],
      [['znode', 'set', 'a', 'x'], /Invalid path string "a"/],
      [['znode', 'set', '/a', 'x', '--version', 'abc'], /--version/],
      [['znode', 'set', '/a', 'x', '--version', '-5'], /--version must be -1/],
      [['znode', 'ls', '/a/', '-R'], /Invalid path string/],
      [['znode', 'stat', '//'], /Invalid path string/],
      [['znode', 'delete', '/a', '--recursive', '--version', '3'], /--recursive.*--version|--version.*--recursive/],
      [['znode', 'delete', '/zookeeper', '--recursive'], /belongs to ZooKeeper itself/],
      [['znode', 'delete', '/'], /root node/],
      [['znode', 'create', '/'], /root node/],
      [['znode', 'get', '/a', '--auth', 'nocolon'], /--auth must be user:password/],
      [['znode', 'get', '/a', '--connect-timeout', 'soon'], /connect-timeout/],
      [['znode', 'get', '/a', '--ensemble', 'Bad_Name'], /invalid ensemble name/],
      [['znode', 'get', '/a', '-o', 'wide'], /unsupported output format/],
      [['znode', 'get'], /Missing 1 required arg/],
    ];
    for (const [args, re] of cases) {
      const r = zk(args, 'stdin data');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(oneErrorLine(r, args.join(' ')), re, args.join(' '));
    }
  });

  it('credentials from $KUBECTL_ZK_AUTH and --auth-file are checked before connecting, never echoed; --auth warns that argv is visible', () => {
    const file = path.join(dir, 'app.auth');
    writeFileSync(file, '# app credentials\n\napp:s3cret\nbroken-secret-value\n');
    const fromFile = zk(['znode', 'get', '/a', '--ensemble', 'zk', '--auth-file', file]);
    assert.equal(fromFile.code, 2, fromFile.stderr);
    assert.match(oneErrorLine(fromFile, 'auth file'), /^error: --auth-file .*app\.auth, line 4, must be user:password \(no ":" found\)$/);
    assert.doesNotMatch(fromFile.stderr, /broken-secret-value|s3cret/);
    const missing = zk(['znode', 'get', '/a', '--ensemble', 'zk', '--auth-file', path.join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(oneErrorLine(missing, 'missing file'), /cannot read --auth-file .*nope: ENOENT/);
    const env = cli.run(['znode', 'get', '/a', '--ensemble', 'zk'], {env: {KUBECTL_ZK_AUTH: 'app:'}});
    assert.equal(env.code, 2);
    assert.match(oneErrorLine(env, 'env'), /^error: \$KUBECTL_ZK_AUTH, line 1, must be user:password \(user "app" has an empty password\)$/);
    // valid credentials from the file and the environment get as far as the API server, silently
    writeFileSync(file, 'app:s3cret\n');
    const ok = cli.run(['znode', 'get', '/a', '--ensemble', 'zk', '--auth-file', file], {env: {KUBECTL_ZK_AUTH: 'other:pw'}});
    assert.equal(ok.code, 1, ok.stderr);
    assert.match(oneErrorLine(ok, 'valid'), /Kubernetes API/);
    const argv = zk(['znode', 'get', '/a', '--ensemble', 'zk', '--auth', 'app:s3cret']);
    assert.equal(argv.code, 1);
    assert.match(argv.stderr, /^warning: --auth puts the password in the process list/m);
  });

  it('binary data from stdin (all 256 byte values) reaches the op unchanged: oclif does not eat stdin as an argument', () => {
    const all = Buffer.from(Array.from({length: 256}, (_, i) => 255 - i));
    const sha = createHash('sha256').update(all).digest('hex');
    writeFileSync(path.join(dir, 'all.bin'), all);
    const runs: [string[], string][] = [
      [['znode', 'create', '/a', '-'], 'stdin'],
      [['znode', 'create', '/a'], 'stdin'],
      [['znode', 'set', '/a'], 'stdin'],
      [['znode', 'set', '/a', '--file', '-'], 'stdin'],
      [['znode', 'set', '/a', '--file', path.join(dir, 'all.bin')], 'file'],
    ];
    for (const [args, from] of runs) {
      const r = zk([...args, '--ensemble', 'zk', '--verbose'], all);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`\\] data: 256 bytes from ${from} \\(sha256 ${sha}\\)\n`), `${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('help: `kubectl zk znode` lists the six commands; each shows its usage', () => {
    const r = zk(['znode', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['create', 'delete', 'get', 'ls', 'set', 'stat']) assert.match(r.stdout, new RegExp(`^  znode ${c}\\s`, 'm'));
    assert.match(zk(['znode', 'get', '--help']).stdout, /\$ kubectl zk znode get PATH/);
    assert.match(zk(['znode', 'create', '--help']).stdout, /\$ kubectl zk znode create PATH \[DATA\]/);
    const del = zk(['znode', 'delete', '--help']).stdout;
    assert.match(del, /--recursive/);
    assert.match(del, /-y, --yes/);
  });
});
