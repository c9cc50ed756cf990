/**
 * Least privilege: each command runs as a ServiceAccount bound only to the
 * Role `kubectl zk rbac COMMAND` renders, and a Role missing one rule gets an
 * error that names the missing permission, with nothing left half-made.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {kubectl, kubectlJson, kzk, labelled, smallEnsembleFlags} from './lib/zk.js';

useCluster();

const dir = mkdtempSync(join(tmpdir(), 'kzk-rbac-'));

/** A ServiceAccount bound to the Role `kubectl zk rbac` renders for these commands (edited by `edit`), and a kubeconfig that logs in as it. */
async function actingAs(ns: string, sa: string, commands: string[], edit: (role: any) => void = () => undefined): Promise<{KUBECONFIG: string}> {
  await kubectl(['create', 'serviceaccount', sa, '-n', ns]);
  const rendered = await kzk(['rbac', ...commands, '-n', ns, '--name', sa, '--service-account', sa, '-o', 'json']);
  assert.equal(rendered.code, 0, rendered.stderr);
  const list = JSON.parse(rendered.stdout);
  edit(list.items.find((o: any) => o.kind === 'Role'));
  await kubectl(['apply', '-f', '-'], {input: JSON.stringify(list)});
  const token = (await kubectl(['create', 'token', sa, '-n', ns, '--duration', '1h'])).stdout.trim();
  const admin = await kubectlJson<any>(['config', 'view', '--raw', '--minify']);
  const cluster = admin.clusters[0].cluster;
  const path = join(dir, `${ns}-${sa}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{name: 'c', cluster}],
      users: [{name: sa, user: {token}}],
      contexts: [{name: sa, context: {cluster: 'c', user: sa, namespace: ns}}],
      'current-context': sa,
    }),
  );
  return {KUBECONFIG: path};
}

describe('e2e: every command runs with only the Role `kubectl zk rbac` renders for it', function () {
  this.timeout(1_200_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('kzk-e2e-rbac');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await deleteNamespace(ns);
  });

  it('a Role missing one rule: create fails naming the permission, and removes what it had applied', async () => {
    const env = await actingAs(ns, 'no-pdb', ['create'], (role) => {
      const rule = role.rules.find((r: any) => r.resources.includes('poddisruptionbudgets'));
      rule.verbs = rule.verbs.filter((v: string) => v !== 'create');
    });
    const r = await kzk(['create', 'zk', ...smallEnsembleFlags(), '--timeout', '4m'], {env});
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^error: forbidden: .*cannot create resource "poddisruptionbudgets" in API group "policy" in the namespace/m);
    assert.match(r.stderr, /you need permission to .*poddisruptionbudgets/);
    assert.deepEqual(await labelled(ns, 'zk'), [], 'nothing left half-made');
  });

  it('create, status, list, znode, restart, secure, failover-test and teardown, each as its own ServiceAccount', async () => {
    const as = async (cmd: string) => actingAs(ns, `kzk-${cmd}`, [cmd]);
    const create = await kzk(['create', 'zk', ...smallEnsembleFlags(), '--timeout', '4m'], {env: await as('create')});
    assert.equal(create.code, 0, create.stderr);

    const status = await kzk(['status', 'zk'], {env: await as('status')});
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.equal(status.stderr, '', 'no partial failure (a Forbidden read would be listed)');
    assert.match(status.stdout, /Clients:\s+same-namespace/);

    const list = await kzk(['list'], {env: await as('list')});
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^zk\s+3\/3/m);

    const znodeEnv = await as('znode');
    const set = await kzk(['znode', 'create', '/rbac', 'as-a-service-account', '--as-super'], {env: znodeEnv});
    assert.equal(set.code, 0, set.stderr);
    const get = await kzk(['znode', 'get', '/rbac'], {env: znodeEnv});
    assert.equal(get.stdout.trim(), 'as-a-service-account', get.stderr);

    const restart = await kzk(['restart', 'zk', '--yes'], {env: await as('restart'), timeoutMs: 900_000});
    assert.equal(restart.code, 0, restart.stderr);

    const secure = await kzk(['secure', 'zk', '--yes'], {env: await as('secure')});
    assert.equal(secure.code, 0, secure.stderr);
    assert.match(secure.stdout, /already closed by default/);

    const failover = await kzk(['failover-test', 'zk', '--yes', '--no-load', '--timeout', '3m'], {env: await as('failover-test'), timeoutMs: 600_000});
    assert.equal(failover.code, 0, failover.stdout + failover.stderr);

    const teardown = await kzk(['teardown', 'zk', '--delete-data', '--yes'], {env: await as('teardown'), timeoutMs: 600_000});
    assert.equal(teardown.code, 0, teardown.stderr);
    assert.deepEqual(await labelled(ns, 'zk'), []);
  });
});
