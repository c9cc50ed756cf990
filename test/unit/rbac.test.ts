import assert from 'node:assert/strict';
import {COMMANDS} from '../../src/commands.js';
import {UsageError} from '../../src/errors.js';
import {RBAC_COMMANDS, renderRbac, roleRules} from '../../src/ops/rbac.js';

const can = (rules: ReturnType<typeof roleRules>, group: string, resource: string, verb: string) =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

describe('rbac: the least permissions per command', () => {
  it('every command that talks to the cluster has rules (a new command cannot ship without them)', () => {
    const offline = new Set(['__complete', 'version', 'rbac']);
    const families = new Set(
      Object.keys(COMMANDS)
        .filter((c) => !offline.has(c))
        .map((c) => c.split(':')[0]!),
    );
    assert.deepEqual([...families].sort(), [...RBAC_COMMANDS].sort());
  });

  it('reads stay reads: status, list and znode get nothing that writes', () => {
    for (const c of ['status', 'list', 'znode']) {
      for (const r of roleRules([c])) {
        const writes = r.verbs.filter((v) => ['patch', 'update', 'delete', 'deletecollection'].includes(v) || (v === 'create' && !r.resources.every((x) => x.endsWith('/portforward'))));
        assert.deepEqual(writes, [], `${c}: ${JSON.stringify(r)}`);
      }
    }
  });

  it('--tls-ensemble: the commands that talk to members without reading Secrets get NAME-tls-client only, by resourceNames', async () => {
    const {renderRbac, TLS_CLIENT_READERS} = await import('../../src/ops/rbac.js');
    const readers = RBAC_COMMANDS.filter((c) => !can(roleRules([c]), '', 'secrets', 'get') && !['list', 'logs', 'teardown'].includes(c));
    assert.deepEqual([...TLS_CLIENT_READERS].sort(), readers.sort(), 'every command that reaches members and lacks a Secret read (list, logs and teardown reach none)');
    const role = renderRbac({commands: ['status', 'restart'], namespace: 'prod', name: 'r', tlsEnsembles: ['zk', 'zk', 'kafka-zk']})[0] as unknown as {
      rules: {resources: string[]; verbs: string[]; resourceNames?: string[]}[];
    };
    const secretRules = role.rules.filter((r) => r.resources.includes('secrets'));
    assert.deepEqual(secretRules, [{apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['kafka-zk-tls-client', 'zk-tls-client']}]);
    const none = renderRbac({commands: ['status'], namespace: 'prod', name: 'r'})[0] as unknown as {rules: {resources: string[]}[]};
    assert.ok(!none.rules.some((r) => r.resources.includes('secrets')));
    const notReaders = renderRbac({commands: ['list', 'logs'], namespace: 'prod', name: 'r', tlsEnsembles: ['zk']})[0] as unknown as {rules: {resources: string[]}[]};
    assert.ok(!notReaders.rules.some((r) => r.resources.includes('secrets')));
  });

  it('only what needs the super password reads Secrets; only teardown and create delete ensemble objects', () => {
    const readsSecrets = RBAC_COMMANDS.filter((c) => can(roleRules([c]), '', 'secrets', 'get'));
    // report reads the Secret only to know which values to scrub from the archive; certificate reads the CA of an ensemble made with --tls; tls (enable) makes the Secrets create --tls makes and reads the super password for its reconfig; rotate-certs writes the TLS Secrets
    assert.deepEqual(
      readsSecrets.sort(),
      ['backup', 'certificate', 'create', 'export', 'import', 'member', 'report', 'restore', 'restore-quorum', 'rotate-certs', 'scale', 'secure', 'tls', 'znode'].sort(),
    );
    // create --tls-from-secret reads the user's CA Secret; certificate, scale and rotate-certs read it again for an ensemble made so
    for (const c of ['create', 'certificate', 'scale', 'rotate-certs']) assert.ok(can(roleRules([c]), '', 'secrets', 'get'), c);
    const deletesSts = RBAC_COMMANDS.filter((c) => can(roleRules([c]), 'apps', 'statefulsets', 'delete'));
    assert.deepEqual(deletesSts.sort(), ['create', 'restore', 'teardown']);
    assert.deepEqual(
      RBAC_COMMANDS.filter((c) => can(roleRules([c]), '', 'pods/exec', 'create')),
      ['failover-test'],
    );
  });

  it('merges rules per group and verb set, sorted, so the output is stable', () => {
    const a = roleRules(['status', 'znode']);
    const b = roleRules(['znode', 'status', 'status']);
    assert.deepEqual(a, b);
    const pods = a.find((r) => r.resources.includes('pods'))!;
    assert.deepEqual(pods.verbs, ['get', 'list']);
    for (const r of a) assert.deepEqual(r.verbs, [...r.verbs].sort());
  });

  it('an unknown command is a usage error naming the known ones', () => {
    assert.throws(
      () => roleRules(['status', 'bogus']),
      (e: unknown) => e instanceof UsageError && /unknown command: bogus/.test(e.message) && /one of: list, status/.test(e.hint!),
    );
  });

  it('renders a Role, and a RoleBinding when a subject is given', () => {
    assert.deepEqual(
      renderRbac({commands: ['list'], namespace: 'prod', name: 'r'}).map((o) => o.kind),
      ['Role'],
    );
    const [role, binding] = renderRbac({commands: ['list'], namespace: 'prod', name: 'r', serviceAccount: 'ci:deployer', user: 'alice'}) as any[];
    assert.equal(role.metadata.namespace, 'prod');
    assert.deepEqual(binding.roleRef, {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r'});
    assert.deepEqual(binding.subjects, [
      {kind: 'ServiceAccount', name: 'deployer', namespace: 'ci'},
      {kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice'},
    ]);
  });
});
