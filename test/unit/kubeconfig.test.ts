import assert from 'node:assert/strict';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {kubeconfigFiles, resolveKubeConfig} from '../../src/kube/config.js';
import {CliError, UsageError} from '../../src/errors.js';

function kubeconfig(dir: string, file: string, o: {clusters: [string, string][]; contexts: [string, string, string?][]; current?: string}): string {
  const p = path.join(dir, file);
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const [name, server] of o.clusters) lines.push(`- name: ${name}`, `  cluster:`, `    server: ${server}`);
  lines.push('users:', '- name: u', '  user:', '    token: t', 'contexts:');
  for (const [name, cluster, ns] of o.contexts) lines.push(`- name: ${name}`, '  context:', `    cluster: ${cluster}`, '    user: u', ...(ns ? [`    namespace: ${ns}`] : []));
  if (o.current) lines.push(`current-context: ${o.current}`);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

describe('kubeconfig resolution', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kzk-kc-'));
  const a = kubeconfig(dir, 'a', {
    clusters: [
      ['shared', 'https://a.example:6443'],
      ['only-a', 'https://only-a:6443'],
    ],
    contexts: [
      ['ctx-a', 'shared', 'team-a'],
      ['ctx-shared', 'shared'],
    ],
    current: 'ctx-a',
  });
  const b = kubeconfig(dir, 'b', {
    clusters: [
      ['shared', 'https://b.example:6443'],
      ['only-b', 'https://only-b:6443'],
    ],
    contexts: [
      ['ctx-b', 'only-b'],
      ['ctx-shared', 'only-b', 'from-b'],
    ],
    current: 'ctx-b',
  });

  it('reads --kubeconfig, else $KUBECONFIG as a path list, else ~/.kube/config', () => {
    assert.deepEqual(kubeconfigFiles({kubeconfig: '/x'}, {KUBECONFIG: `${a}:${b}`}).files, ['/x']);
    assert.deepEqual(kubeconfigFiles({}, {KUBECONFIG: `${a}::${b}:${a}`}).files, [a, b]);
    assert.deepEqual(kubeconfigFiles({}, {}, '/home/me').files, ['/home/me/.kube/config']);
  });

  it('merges several files with duplicate names: the first file wins, as in kubectl', () => {
    const r = resolveKubeConfig({}, {KUBECONFIG: `${a}:${b}`});
    assert.equal(r.context, 'ctx-a', 'current-context of the first file that sets it');
    assert.equal(r.server, 'https://a.example:6443', 'cluster "shared" from the first file');
    assert.equal(r.namespace, 'team-a', 'the context namespace');
    const shared = resolveKubeConfig({context: 'ctx-shared'}, {KUBECONFIG: `${a}:${b}`});
    assert.equal(shared.server, 'https://a.example:6443');
    assert.equal(shared.namespace, 'default', 'ctx-shared from file a has no namespace');
    const fromB = resolveKubeConfig({context: 'ctx-b'}, {KUBECONFIG: `${a}:${b}`});
    assert.equal(fromB.server, 'https://only-b:6443');
  });

  it('the reverse order lets the other file win', () => {
    const r = resolveKubeConfig({}, {KUBECONFIG: `${b}:${a}`});
    assert.equal(r.context, 'ctx-b');
    assert.equal(resolveKubeConfig({context: 'ctx-shared'}, {KUBECONFIG: `${b}:${a}`}).namespace, 'from-b');
  });

  it('-n beats the context namespace; missing files in KUBECONFIG are skipped', () => {
    assert.equal(resolveKubeConfig({namespace: 'mine'}, {KUBECONFIG: `${dir}/missing:${a}`}).namespace, 'mine');
  });

  it('clear errors: unknown context (usage), missing --kubeconfig (usage), no kubeconfig at all', () => {
    assert.throws(
      () => resolveKubeConfig({context: 'nope'}, {KUBECONFIG: a}),
      (e: unknown) => e instanceof UsageError && /context "nope" not found/.test(e.message) && /ctx-a/.test(e.hint!),
    );
    assert.throws(() => resolveKubeConfig({kubeconfig: `${dir}/missing`}, {}), UsageError);
    assert.throws(
      () => resolveKubeConfig({}, {KUBECONFIG: `${dir}/missing`}, {home: dir}),
      (e: unknown) => e instanceof CliError && /no kubeconfig found/.test(e.message),
    );
  });

  it('without a cluster (for --dry-run) falls back to the default namespace', () => {
    assert.equal(resolveKubeConfig({}, {KUBECONFIG: `${dir}/missing`}, {requireCluster: false, home: dir}).namespace, 'default');
    assert.equal(resolveKubeConfig({namespace: 'x'}, {KUBECONFIG: `${dir}/missing`}, {requireCluster: false, home: dir}).namespace, 'x');
  });

  it('a broken file names itself', () => {
    const bad = path.join(dir, 'bad');
    writeFileSync(bad, 'clusters: [ {');
    assert.throws(
      () => resolveKubeConfig({}, {KUBECONFIG: bad}),
      (e: unknown) => e instanceof CliError && e.message.includes(bad),
    );
  });
});
