import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {oneErrorLine, refusingCli, type Cli} from '../support/cli.js';

/**
 * backup / restore / export / import through the built executable, no TTY,
 * against a closed API server: bad input is one `error:` line, exit 2,
 * before any connection, and no file is made or changed; valid input gets
 * as far as the API server (exit 1) and leaves no file behind.
 */
describe('backup, restore, export, import: bad input through the built executable', function () {
  this.timeout(60_000);
  let cli: Cli;
  const dir = mkdtempSync(path.join(tmpdir(), 'kzk-transfer-cli-'));
  const existing = path.join(dir, 'exists.snap');

  before(async () => {
    cli = await refusingCli();
    writeFileSync(existing, 'mine');
  });

  const refused = (args: string[], pattern: RegExp) => {
    const r = cli.run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const line = oneErrorLine(r, args.join(' '));
    assert.match(line, pattern);
    assert.doesNotMatch(line, /Kubernetes|ECONNREFUSED/);
  };

  it('-f to an existing path without --force (backup, export); also when only FILE.json exists', () => {
    refused(['backup', 'zk', '-f', existing], /exists \(choose another -f path, or pass --force/);
    refused(['export', 'zk', '-f', existing], /exists/);
    const onlyManifest = path.join(dir, 'm.snap');
    writeFileSync(`${onlyManifest}.json`, '{}');
    refused(['backup', 'zk', '-f', onlyManifest], /m\.snap\.json exists/);
    assert.equal(readFileSync(existing, 'utf8'), 'mine');
  });

  it('restore: a missing file, a directory, a file that is not a snapshot', () => {
    refused(['restore', 'zk', '--from', path.join(dir, 'nope.snap')], /cannot read --from .*nope\.snap: no such file/);
    refused(['restore', 'zk', '--from', dir], /is a directory/);
    const jsonl = path.join(dir, 'tree.jsonl');
    writeFileSync(jsonl, '{"format":"kubectl-zk/tree"}\n');
    refused(['restore', 'zk', '--from', jsonl], /is not a ZooKeeper snapshot \(it does not start with ZKSN\) \(an export file/);
  });

  it('import: a missing file; export and import: an invalid path', () => {
    refused(['import', 'zk', '-f', path.join(dir, 'nope.jsonl')], /cannot read -f .*no such file/);
    refused(['export', 'zk', 'not/absolute'], /Invalid path/);
    refused(['import', 'zk', '--to', 'x', '-f', existing], /Invalid path/);
  });

  it('valid input reaches the (closed) API server: exit 1, and no file or .partial is left', () => {
    const out = path.join(dir, 'new.snap');
    for (const args of [
      ['backup', 'zk', '-f', out],
      ['export', 'zk', '-f', out],
    ]) {
      const r = cli.run(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(oneErrorLine(r, args.join(' ')), /Kubernetes API/);
      assert.equal(existsSync(out), false);
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.partial')),
      [],
    );
  });
});
