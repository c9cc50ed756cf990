/**
 * Commands run in this process through oclif against an in-memory API server
 * (test/support/inprocess.ts): flags parse as documented, `-o json` prints the
 * returned result and it has the committed shape (test/fixtures/output-schema.json),
 * human output goes to stdout and progress to stderr, usage errors are exit 2.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {runInProcess} from '../support/inprocess.js';
import {conforms} from '../support/shape.js';
import type {Shape} from '../../scripts/output-schema.js';

const SCHEMA = JSON.parse(readFileSync(new URL('../fixtures/output-schema.json', import.meta.url), 'utf8')) as Record<string, Shape>;

async function seeded(): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  return kube;
}

function jsonOf(id: string, r: {stdout: string; result?: unknown; error?: Error}): unknown {
  assert.equal(r.error, undefined, r.error?.stack);
  const printed = JSON.parse(r.stdout) as unknown;
  assert.deepEqual(printed, JSON.parse(JSON.stringify(r.result)), '-o json prints the returned result');
  assert.deepEqual(conforms(printed, SCHEMA[id]!), [], `${id} -o json differs from test/fixtures/output-schema.json`);
  return printed;
}

describe('commands in process (oclif, fake API server)', function () {
  this.timeout(60_000);

  it('list: -o json is the result and has the committed shape; the table names the ensemble; -o wide adds columns', async () => {
    const kube = await seeded();
    const json = jsonOf('list', await runInProcess('list', ['-o', 'json'], {kube})) as {ensembles: {name: string}[]};
    assert.deepEqual(
      json.ensembles.map((e) => e.name),
      ['zk'],
    );
    const human = await runInProcess('list', [], {kube});
    assert.match(human.stdout, /^NAME\b.*\nzk\b/);
    const wide = await runInProcess('list', ['-o', 'wide'], {kube});
    assert.ok(wide.stdout.split('\n')[0]!.length > human.stdout.split('\n')[0]!.length, 'wide has more columns');
    assert.equal((await runInProcess('list', ['--json'], {kube})).stdout, (await runInProcess('list', ['-o', 'json'], {kube})).stdout);
  });

  it('list: nothing found says so on stderr, stdout stays empty', async () => {
    const r = await runInProcess('list', [], {kube: new FakeKube('team-a')});
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /No ensembles found in namespace "team-a"/);
  });

  it('create --dry-run -o json: a v1 List of the objects it would apply, with the committed shape', async () => {
    const r = await runInProcess('create', ['zk', '--dry-run', '-o', 'json'], {kube: new FakeKube('team-a')});
    const list = jsonOf('create', r) as {kind: string; items: {kind: string}[]};
    assert.equal(list.kind, 'List');
    assert.ok(list.items.some((i) => i.kind === 'StatefulSet'));
  });

  it('status -o json on members that do not answer: the report still has the committed shape', async () => {
    const r = await runInProcess('status', ['zk', '-o', 'json'], {kube: await seeded()});
    const json = JSON.parse(r.stdout) as {members: unknown[]};
    assert.equal(json.members.length, 3);
    assert.deepEqual(conforms(json, SCHEMA.status!), []);
  });

  it('rbac -o json has the committed shape', async () => {
    jsonOf('rbac', await runInProcess('rbac', ['--namespace', 'team-a', '--user', 'alice', '-o', 'json'], {kube: new FakeKube('team-a')}));
  });

  it('teardown --dry-run, secure --dry-run, version: -o json is the result with the committed shape; nothing is changed', async () => {
    for (const [id, argv] of [
      ['teardown', ['zk', '--dry-run', '-o', 'json']],
      ['secure', ['zk', '--dry-run', '-o', 'json']],
      ['version', ['-o', 'json']],
    ] as const) {
      const kube = await seeded();
      const before = JSON.stringify(kube.all());
      jsonOf(id, await runInProcess(id, [...argv], {kube}));
      assert.equal(JSON.stringify(kube.all()), before, `${id}: nothing changed`);
    }
  });

  it('usage errors are UsageError (exit 2) before any API call: unknown output format, --json with -o yaml, a missing argument', async () => {
    for (const [id, argv, message] of [
      ['list', ['-o', 'xml'], /unsupported output format "xml"/],
      ['list', ['--json', '-o', 'yaml'], /--json conflicts with -o yaml/],
      ['create', [], /Missing 1 required arg/],
      ['scale', ['zk', '--voters', 'many'], /voters|integer|number/i],
    ] as const) {
      const kube = new FakeKube('team-a');
      const r = await runInProcess(id, [...argv], {kube});
      assert.ok(r.error, `${id} ${argv.join(' ')} failed`);
      assert.match(r.error.message, message);
      assert.equal(r.error.exitCode ?? (r.error as {oclif?: {exit?: number}}).oclif?.exit, 2, `${id} ${argv.join(' ')}: exit 2`);
      assert.deepEqual(kube.calls, [], 'no API call');
      assert.equal(r.stdout, '');
    }
  });
});
