import assert from 'node:assert/strict';
import {newRunId} from '../../src/commands/failover-test.js';

import {oneErrorLine, refusingCli, type Cli} from '../support/cli.js';

/** `kubectl zk failover-test` through the built executable (`npm test` builds first), no TTY. */
let cli: Cli;
const zk = (args: string[]) => cli.run(args);

describe('failover-test command (the built executable)', function () {
  this.timeout(60_000);

  before(async () => {
    cli = await refusingCli();
  });

  it('is listed, and --help documents the modes and every exit code', () => {
    const top = zk(['--help']);
    assert.match(top.stdout, /^ {2}failover-test\s/m);
    const r = zk(['failover-test', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\$ kubectl zk failover-test NAME/);
    for (const flag of [
      '--mode=<option>',
      '--rounds=<value>',
      '--pause=<value>',
      '--poll=<value>',
      '--timeout=<value>',
      '--write-rate=<value>',
      '--\\[no-\\]load',
      '--path=<value>',
      '--keep-data',
      '--force',
      '-y, --yes',
    ]) {
      assert.match(r.stdout, new RegExp(flag), flag);
    }
    const text = r.stdout.replace(/\s+/g, ' ');
    assert.match(
      text,
      /Exit codes: 0 pass; 10 data loss .*; 11 no new leader within --timeout; 12 not fully recovered within --timeout .*; 13 precondition failed .*; 1 interrupted or error; 2 usage/,
    );
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
      oneErrorLine(r, args.join(' '));
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
