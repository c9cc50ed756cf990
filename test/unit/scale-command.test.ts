import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';

/** `kubectl zk scale` through the built executable (npm test builds first), no TTY, a kubeconfig whose server refuses connections. */
const BIN = path.resolve('bin/kubectl-zk');
const dir = mkdtempSync(path.join(tmpdir(), 'kzk-scale-cmd-'));
const KUBECONFIG = path.join(dir, 'config');

function zk(args: string[]) {
  const env: NodeJS.ProcessEnv = {...process.env, KUBECONFIG};
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env, timeout: 30_000});
  return {code: r.status, stdout: r.stdout, stderr: r.stderr};
}

describe('scale command (the built executable)', function () {
  this.timeout(60_000);

  before(async () => {
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    writeFileSync(
      KUBECONFIG,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: dev\n`,
    );
  });

  it('is listed, with its flags', () => {
    const r = zk(['--help']);
    assert.match(r.stdout, /^ {2}scale\s/m);
    const h = zk(['scale', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /\$ kubectl zk scale NAME --replicas <value>/);
    for (const f of ['--observers', '--keep-volumes', '--force', '-y, --yes', '--dry-run', '--\\[no-\\]wait', '--timeout']) assert.match(h.stdout, new RegExp(f));
  });

  it('usage errors exit 2 with one error line and nothing on stdout, before contacting the cluster', () => {
    for (const args of [
      ['scale', 'zk'],
      ['scale', 'zk', '--replicas', '0'],
      ['scale', 'zk', '--replicas', '256'],
      ['scale', 'zk', '--replicas', '3', '--observers', '-1'],
      ['scale', 'zk', '--replicas', '250', '--observers', '6'],
      ['scale', 'zk', '--replicas', 'three'],
      ['scale', 'Bad_Name', '--replicas', '3'],
      ['scale', 'zk', '--replicas', '3', '--timeout', 'soon'],
    ]) {
      const r = zk(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0]!, /^error: /);
    }
    assert.match(zk(['scale', 'zk', '--replicas', '0']).stderr, /^error: --replicas must be between 1 and 255, got 0 \(ZooKeeper server ids are 1-255/);
  });

  it('an unreachable API server: exit 1 with the reason, no hang', () => {
    const r = zk(['scale', 'zk', '--replicas', '5', '-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: .*(ECONNREFUSED|connect|refused|unreachable)/im);
  });
});
