import assert from 'node:assert/strict';
import {oneErrorLine, refusingCli, type Cli} from '../support/cli.js';

/** `kubectl zk scale` through the built executable (npm test builds first), no TTY, a kubeconfig whose server refuses connections. */
let cli: Cli;
const zk = (args: string[]) => cli.run(args);

describe('scale command (the built executable)', function () {
  this.timeout(60_000);

  before(async () => {
    cli = await refusingCli();
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
      oneErrorLine(r, args.join(' '));
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
