import assert from 'node:assert/strict';
import {oneErrorLine, refusingCli, type Cli} from '../support/cli.js';

/** `kubectl zk restart|upgrade` through the built executable (npm test builds first), no TTY, a kubeconfig whose server refuses connections. */
let cli: Cli;
const zk = (args: string[]) => cli.run(args);

describe('restart and upgrade commands (the built executable)', function () {
  this.timeout(90_000);

  before(async () => {
    cli = await refusingCli();
  });

  it('are listed, with their flags and exit codes', () => {
    const r = zk(['--help']);
    assert.match(r.stdout, /^ {2}restart\s/m);
    assert.match(r.stdout, /^ {2}upgrade\s/m);
    const h = zk(['restart', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /\$ kubectl zk restart NAME/);
    for (const f of ['--force', '-y, --yes', '--dry-run', '--timeout', '--poll']) assert.match(h.stdout, new RegExp(f));
    assert.match(h.stdout.replace(/\s+/g, ' '), /Exit codes: 0 done \(or nothing to do\); 3 refused/);
    const u = zk(['upgrade', '--help']);
    assert.equal(u.code, 0);
    for (const f of ['--image', '--image-pull-policy', '--cpu', '--memory', '--heap', '--force', '--dry-run', '--timeout']) assert.match(u.stdout, new RegExp(f));
  });

  it('usage errors exit 2 with one error line and nothing on stdout, before contacting the cluster', () => {
    for (const args of [
      ['restart'],
      ['restart', 'Bad_Name'],
      ['restart', 'zk', '--timeout', 'soon'],
      ['restart', 'zk', '--poll', 'often'],
      ['upgrade', 'zk'],
      ['upgrade', 'zk', '--image', 'Not An Image'],
      ['upgrade', 'zk', '--image-pull-policy', 'Sometimes'],
      ['upgrade', 'zk', '--memory', '64Mi'],
      ['upgrade', 'zk', '--memory', 'lots'],
      ['upgrade', 'zk', '--cpu', '0'],
      ['upgrade', 'zk', '--heap', '8m'],
      ['upgrade', 'zk', '--memory', '512Mi', '--heap', '500m'],
    ]) {
      const r = zk(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      oneErrorLine(r, args.join(' '));
    }
    assert.match(zk(['upgrade', 'zk']).stderr, /^error: nothing to upgrade \(pass --image, --cpu, --memory, --heap or --image-pull-policy/);
  });

  it('an unreachable API server: exit 1 with the reason, no hang (also for --dry-run, which reads the ensemble)', () => {
    for (const args of [
      ['restart', 'zk', '--yes'],
      ['upgrade', 'zk', '--image', 'zookeeper:3.9.4', '--dry-run', '-o', 'json'],
    ]) {
      const r = zk(args);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: .*(ECONNREFUSED|connect|refused|unreachable)/im);
    }
  });
});
