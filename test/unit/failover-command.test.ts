import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {newRunId} from '../../src/commands/failover-test.js';

/** `kubectl zk failover-test` through the built executable (`npm test` builds first), no TTY. */
const BIN = path.resolve('bin/kubectl-zk');
const dir = mkdtempSync(path.join(tmpdir(), 'kzk-failover-cmd-'));
const KUBECONFIG = path.join(dir, 'config');

function zk(args: string[]) {
  const env: NodeJS.ProcessEnv = {...process.env, KUBECONFIG};
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env, timeout: 30_000});
  return {code: r.status, stdout: r.stdout, stderr: r.stderr};
}

describe('failover-test command (the built executable)', function () {
  this.timeout(60_000);

  before(async () => {
    // a kubeconfig whose API server refuses connections
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    writeFileSync(
      KUBECONFIG,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: dev\n`,
    );
  });

  it('is listed, and --help documents the modes and every exit code', () => {
    const top = zk(['--help']);
    assert.match(top.stdout, /^ {2}failover-test\s/m);
    const r = zk(['failover-test', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\$ kubectl zk failover-test NAME/);
    for (const flag of ['--mode=<option>', '--rounds=<value>', '--pause=<value>', '--poll=<value>', '--timeout=<value>', '--write-rate=<value>', '--\\[no-\\]load', '--path=<value>', '--keep-data', '--force', '-y, --yes']) {
      assert.match(r.stdout, new RegExp(flag), flag);
    }
    const text = r.stdout.replace(/\s+/g, ' ');
    assert.match(text, /Exit codes: 0 pass; 10 data loss .*; 11 no new leader within --timeout; 12 not fully recovered within --timeout .*; 13 precondition failed .*; 1 interrupted or error; 2 usage/);
  });

  it('usage errors exit 2 with one error line, before the cluster is contacted', () => {
    for (const args of [
      ['failover-test'],
      ['failover-test', 'zk', '--mode', 'all-pods'],
      ['failover-test', 'zk', '--mode', 'bogus'],
      ['failover-test', 'zk', '--rounds', '0'],
      ['failover-test', 'zk', '--poll', 'soon'],
      ['failover-test', 'zk', '--path', 'relative'],
      ['failover-test', 'zk', '-o', 'wide'],
      ['failover-test', 'Bad_Name'],
    ]) {
      const r = zk(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0]!, /^error: /);
    }
    assert.match(zk(['failover-test', 'zk', '--mode', 'all-pods']).stderr, /^error: --mode all-pods deletes every pod and loses the quorum on purpose \(pass --force to do it\)$/m);
  });

  it('an unreachable API server: exit 1, the error on stderr, nothing on stdout (also with -o json)', () => {
    for (const extra of [[], ['-o', 'json']]) {
      const r = zk(['failover-test', 'zk', '--yes', ...extra]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: .*127\.0\.0\.1/m);
    }
  });

  it('run ids sort by time and are unique per run', () => {
    assert.equal(newRunId(Date.parse('2025-01-31T14:25:01.123Z'), 'abc123'), '20250131-142501-abc123');
    assert.match(newRunId(Date.now()), /^\d{8}-\d{6}-[0-9a-f]{6}$/);
    assert.notEqual(newRunId(0), newRunId(0));
  });
});
