import assert from 'node:assert/strict';
import {UsageError} from '../../src/errors.js';
import {clientPeers, describeClientPeers, formatClientSource, namedNamespaces, parseClientSource, parseClientSources} from '../../src/manifests/network.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {redactSecrets, REDACTED} from '../../src/render/create.js';

const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(`${e.message} ${e.hint ?? ''}`);

describe('--allow-clients-from', () => {
  it("defaults to the pods of the ensemble's namespace", () => {
    assert.deepEqual(parseClientSources(undefined), [{kind: 'same-namespace'}]);
    assert.deepEqual(parseClientSources([]), [{kind: 'same-namespace'}]);
  });

  it('parses every form, and each round-trips through formatClientSource', () => {
    for (const text of ['same-namespace', 'all', 'namespace=kafka', 'podSelector=app=kafka', 'podSelector=app.kubernetes.io/name=kafka,tier=', 'namespaceSelector=team=data']) {
      const s = parseClientSource(text);
      assert.equal(formatClientSource(s), text);
      assert.deepEqual(parseClientSource(formatClientSource(s)), s);
    }
    assert.deepEqual(parseClientSource('podSelector=app=kafka,tier=web'), {kind: 'podSelector', matchLabels: {app: 'kafka', tier: 'web'}});
  });

  it('malformed values are usage errors that name the bad part', () => {
    assert.throws(() => parseClientSource('kafka'), usage(/invalid --allow-clients-from kafka.*one of: same-namespace, all, namespace=NAME/));
    assert.throws(() => parseClientSource('pods=app=x'), usage(/unknown source "pods"/));
    assert.throws(() => parseClientSource('namespace=Kafka_1'), usage(/"Kafka_1" is not a namespace name/));
    assert.throws(() => parseClientSource('podSelector='), usage(/an empty selector/));
    assert.throws(() => parseClientSource('podSelector=app'), usage(/"app" is not key=value/));
    assert.throws(() => parseClientSource('podSelector=app in (a,b)'), usage(/is not key=value|not a valid label name/));
    assert.throws(() => parseClientSource('podSelector=-app=x'), usage(/label key "-app" is not a valid label name/));
    assert.throws(() => parseClientSource('podSelector=Example.COM/app=x'), usage(/prefix "Example.COM" is not a DNS subdomain/));
    assert.throws(() => parseClientSource('podSelector=app=has space'), usage(/label value "has space" is not valid/));
    assert.throws(() => parseClientSource(`podSelector=app=${'x'.repeat(64)}`), usage(/label value .* is not valid/));
    assert.throws(() => parseClientSource('podSelector=app=a,app=b'), usage(/"app" given twice/));
    assert.throws(() => parseClientSources(['all', 'namespace=kafka']), usage(/cannot be combined/));
  });

  it('a malformed value stops option validation (before anything is contacted)', () => {
    assert.throws(() => validateEnsembleOptions({name: 'zk', namespace: 'prod', allowClientsFrom: ['namespace=']}), UsageError);
  });

  it('all warns: every pod of the cluster reaches the client port', () => {
    const {warnings} = validateEnsembleOptions({name: 'zk', namespace: 'prod', allowClientsFrom: ['all']});
    assert.ok(warnings.some((w) => /every pod of the cluster/.test(w)));
  });

  it('duplicates collapse; named namespaces are listed once, sorted', () => {
    const s = parseClientSources(['namespace=b', 'namespace=a', 'namespace=b', 'same-namespace']);
    assert.equal(s.length, 3);
    assert.deepEqual(namedNamespaces(s), ['a', 'b']);
  });

  it('describeClientPeers reads back what clientPeers renders (status shows it), and reports hand-made shapes', () => {
    for (const values of [[], ['namespace=kafka', 'podSelector=app=x'], ['all'], ['namespaceSelector=team=data']]) {
      const o = validateEnsembleOptions({name: 'zk', namespace: 'prod', allowClientsFrom: values}).options;
      const policy = renderEnsemble(o, {superPassword: 'pw'}, loadAssets()).find((x) => x.kind === 'NetworkPolicy') as never;
      assert.deepEqual(describeClientPeers(policy, 2181), o.clientSources.map(formatClientSource));
    }
    assert.deepEqual(describeClientPeers(undefined, 2181), ['all (no NetworkPolicy)']);
    assert.deepEqual(describeClientPeers({spec: {ingress: []}}, 2181), ['none']);
    assert.deepEqual(describeClientPeers({spec: {ingress: [{from: [{ipBlock: {cidr: '10.0.0.0/8'}}], ports: [{port: 2181}]}]}}, 2181), ['{"ipBlock":{"cidr":"10.0.0.0/8"}}']);
    assert.equal(clientPeers([{kind: 'all'}]), undefined);
  });
});

describe('create --dry-run redaction', () => {
  it('every Secret value is redacted, keys kept; other objects untouched', () => {
    const o = validateEnsembleOptions({name: 'zk', namespace: 'prod'}).options;
    const objects = renderEnsemble(o, {superPassword: 's3cret-pw'}, loadAssets());
    const red = redactSecrets(objects);
    const secret = red.find((x) => x.kind === 'Secret')!;
    assert.deepEqual(secret['stringData'], {username: REDACTED, password: REDACTED, digest: REDACTED});
    assert.ok(!JSON.stringify(red).includes('s3cret-pw'));
    assert.ok(JSON.stringify(objects).includes('s3cret-pw'), 'the input is not modified');
    assert.deepEqual(
      red.filter((x) => x.kind !== 'Secret'),
      objects.filter((x) => x.kind !== 'Secret'),
    );
  });
});
