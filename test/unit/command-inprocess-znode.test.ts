/**
 * znode get/set/ls/stat/create/delete, export and import run in this process
 * through oclif (test/support/inprocess.ts) against the in-memory API server:
 * usage errors (paths, data sources, credentials, flags) are exit 2 with one
 * `error: …` line before any API call, credentials are never echoed, and valid
 * input gets as far as the members (whose port-forwards lead to a closed port
 * here: exit 1, nothing on stdout). Their -o json against a real ZooKeeper is
 * test/integration's.
 */
import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {oneErrorLine} from '../support/cli.js';
import {runInProcess} from '../support/inprocess.js';
import type {COMMANDS} from '../../src/commands.js';

type Id = keyof typeof COMMANDS;

async function seeded(): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  return kube;
}

async function usageError(id: Id, argv: string[], re: RegExp, o: {stdin?: string; env?: NodeJS.ProcessEnv} = {}): Promise<string> {
  const what = `${id} ${argv.join(' ')}`;
  const kube = await seeded();
  const r = await runInProcess(id, argv, {kube, lock: true, ...o});
  assert.equal(r.exit, 2, `${what}: ${r.stderrAsCli}`);
  const line = oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, what);
  assert.match(line, re, what);
  assert.deepEqual(kube.calls, [], `${what}: no API call`);
  return line;
}

describe('znode, export, import in process (oclif, fake API server)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kzk-inproc-znode-'));
  });

  it('znode usage errors: exit 2, one error line, no API call', async () => {
    for (const [id, argv, re] of [
      ['znode:get', [], /Missing 1 required arg/],
      ['znode:get', ['x'], /Invalid path string "x"/],
      ['znode:get', ['/x/'], /Invalid path string/],
      ['znode:get', ['/a//b'], /Invalid path string/],
      ['znode:get', ['/a', '--auth', 'nocolon'], /--auth must be user:password/],
      ['znode:get', ['/a', '--connect-timeout', 'soon'], /connect-timeout/],
      ['znode:get', ['/a', '-o', 'wide'], /unsupported output format "wide"/],
      ['znode:create', ['rel', 'data'], /Invalid path string "rel"/],
      ['znode:create', ['/q/', '--sequential', 'x', '--acl', 'world:anyone'], /--acl must be scheme:id:perms/],
      ['znode:create', ['/a', 'data', '--file', 'f'], /either as the DATA argument or with --file/],
      ['znode:create', ['/'], /root node/],
      ['znode:set', ['a', 'x'], /Invalid path string "a"/],
      ['znode:set', ['/a', 'x', '--version', 'abc'], /--version/],
      ['znode:set', ['/a', 'x', '--version', '-5'], /--version must be -1/],
      ['znode:ls', ['/a/', '-R'], /Invalid path string/],
      ['znode:stat', ['//'], /Invalid path string/],
      ['znode:delete', ['/a', '--recursive', '--version', '3'], /--recursive.*--version|--version.*--recursive/],
      ['znode:delete', ['/zookeeper', '--recursive'], /belongs to ZooKeeper itself/],
      ['znode:delete', ['/'], /root node/],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re, {stdin: 'stdin data'});
    }
  });

  it('credentials from $KUBECTL_ZK_AUTH and --auth-file are checked before any API call and never echoed', async () => {
    const file = path.join(dir, 'app.auth');
    writeFileSync(file, '# app credentials\n\napp:s3cret\nbroken-secret-value\n');
    const line = await usageError('znode:get', ['/a', '--auth-file', file], /^error: --auth-file .*app\.auth, line 4, must be user:password \(no ":" found\)$/);
    assert.doesNotMatch(line, /broken-secret-value|s3cret/);
    await usageError('znode:get', ['/a', '--auth-file', path.join(dir, 'nope')], /cannot read --auth-file .*nope: ENOENT/);
    await usageError('znode:get', ['/a'], /^error: \$KUBECTL_ZK_AUTH, line 1, must be user:password \(user "app" has an empty password\)$/, {env: {KUBECTL_ZK_AUTH: 'app:'}});
  });

  it('valid input gets as far as the members: exit 1, nothing on stdout, only reads; --auth warns that argv is visible', async () => {
    for (const [id, argv] of [
      ['znode:get', ['/a', '-o', 'json']],
      ['znode:ls', ['/', '-R']],
      ['znode:set', ['/a', 'x', '--auth', 'app:s3cret']],
      ['znode:create', ['/a']], // the data from stdin
      ['znode:delete', ['/a', '--recursive', '--yes']],
    ] as [Id, string[]][]) {
      const kube = await seeded();
      const r = await runInProcess(id, [...argv, '--connect-timeout', '200ms'], {kube, stdin: 'piped'});
      const what = `${id} ${argv.join(' ')}`;
      assert.equal(r.exit, 1, `${what}: ${r.stderrAsCli}`);
      assert.equal(r.stdout, '', what);
      assert.match(r.stderrAsCli.trimEnd().split('\n').at(-1)!, /^error: /, what);
      assert.ok(
        kube.calls.some((c) => c.startsWith('portforward Pod/zk-')),
        `${what}: ${kube.calls.join(', ')}`,
      );
      assert.deepEqual(
        kube.calls.filter((c) => !/^(get|list|portforward) /.test(c)),
        [],
        what,
      );
      if (argv.includes('--auth')) assert.match(r.stderr, /^warning: --auth puts the password in the process list/m);
      assert.doesNotMatch(r.stderrAsCli, /s3cret/);
    }
  });

  it('export/import usage errors: exit 2, one error line, no API call; no file or .partial left', async () => {
    const existing = path.join(dir, 'have.jsonl');
    writeFileSync(existing, 'mine');
    for (const [id, argv, re] of [
      ['export', [], /Missing 1 required arg/],
      ['export', ['zk', '-f', existing], /have\.jsonl exists/],
      ['export', ['zk', 'not/absolute'], /Invalid path/],
      ['export', ['zk', '--auth', 'nocolon'], /--auth must be user:password/],
      ['import', ['zk', '-f', path.join(dir, 'nope.jsonl')], /cannot read -f .*no such file/],
      ['import', ['zk', '--to', 'x', '-f', existing], /Invalid path/],
      ['import', ['zk', 'rel', '-f', existing], /Invalid path/],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re);
    }
    const out = path.join(dir, 'new.jsonl');
    const r = await runInProcess('export', ['zk', '-f', out, '--connect-timeout', '200ms'], {kube: await seeded()});
    assert.equal(r.exit, 1, r.stderrAsCli);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.partial')),
      [],
    );
  });
});
