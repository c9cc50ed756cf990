/**
 * KubeClient's reads against a real HTTP server on loopback: the paths it asks
 * for (no discovery round trip first), the auth header from the kubeconfig,
 * and how the API's refusals come back (KubeError with status, reason, message).
 */
import assert from 'node:assert/strict';
import {once} from 'node:events';
import {mkdtempSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {KubeClient, resourceOf, resourcePath} from '../../src/kube/client.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {renderPodMonitor} from '../../src/manifests/monitor.js';
import {resolveKubeConfig} from '../../src/kube/config.js';
import {KubeError} from '../../src/kube/errors.js';
import {firstOf} from '../support/time.js';

/** A KubeClient for an API server at `server` (plain HTTP on loopback), bearer token `token`. */
function clientFor(server: string, opts: {token?: string; requestTimeoutMs?: number} = {}): KubeClient {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kzk-kube-')), 'config');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: ${opts.token ?? 't'}\ncurrent-context: dev\n`,
  );
  return new KubeClient(resolveKubeConfig({kubeconfig: file}, {}), {requestTimeoutMs: opts.requestTimeoutMs});
}

interface Seen {
  url: string;
  auth?: string;
}

describe('KubeClient reads (real HTTP server on loopback)', () => {
  let server: http.Server;
  let seen: Seen[];
  let client: KubeClient;
  const routes = new Map<string, [number, unknown]>();

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({url: req.url!, auth: req.headers.authorization});
      const [status, body] = routes.get(req.url!) ?? [404, {kind: 'Status', reason: 'NotFound', message: `${req.url} not found`, code: 404}];
      res.writeHead(status, {'content-type': 'application/json'});
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`, {token: 's3cret'});
  });
  beforeEach(() => (seen = []));
  after(() => server.close());

  it('paths of core and grouped kinds, namespaced and cluster-wide', () => {
    assert.equal(resourcePath('v1', 'Pod', 'ns'), '/api/v1/namespaces/ns/pods');
    assert.equal(resourcePath('apps/v1', 'StatefulSet'), '/apis/apps/v1/statefulsets');
    assert.equal(resourcePath('policy/v1', 'PodDisruptionBudget', 'a b'), '/apis/policy/v1/namespaces/a%20b/poddisruptionbudgets');
    assert.equal(resourcePath('v1', 'PersistentVolumeClaim', 'x'), '/api/v1/namespaces/x/persistentvolumeclaims');
    assert.equal(resourceOf('NetworkPolicy'), 'networkpolicies');
    assert.equal(resourceOf('Endpoints'), 'endpoints', 'no guessing from the spelling');
    assert.throws(() => resourceOf('Widget'), /does not know the resource of kind Widget/);
  });

  it('every kind the plugin renders has its resource (the table, not a guess)', () => {
    const o = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas: 3}).options;
    const kinds = new Set([...renderEnsemble(o, {superPassword: 'pw'}, loadAssets()), renderPodMonitor(o)].map((x) => x.kind));
    assert.ok(kinds.has('StatefulSet') && kinds.has('NetworkPolicy'));
    for (const kind of kinds) assert.match(resourceOf(kind), /^[a-z]+$/, kind);
  });

  it('list: one request to the resource, selectors in the query, the token as bearer, items with apiVersion and kind', async () => {
    routes.set('/prefix/apis/apps/v1/namespaces/team-a/statefulsets?labelSelector=app.kubernetes.io%2Fname%3Dzookeeper', [
      200,
      {items: [{metadata: {name: 'zk', creationTimestamp: '2026-11-21T08:00:00Z'}}]},
    ]);
    const items = await client.list('apps/v1', 'StatefulSet', {namespace: 'team-a', labelSelector: 'app.kubernetes.io/name=zookeeper'});
    assert.deepEqual(items, [{apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', creationTimestamp: '2026-11-21T08:00:00Z'}}]);
    assert.deepEqual(seen, [{url: '/prefix/apis/apps/v1/namespaces/team-a/statefulsets?labelSelector=app.kubernetes.io%2Fname%3Dzookeeper', auth: 'Bearer s3cret'}]);
  });

  it("get: the object, or null on 404; other refusals are KubeErrors with the API's reason and message", async () => {
    routes.set('/prefix/api/v1/namespaces/team-a/secrets/zk-auth', [200, {metadata: {name: 'zk-auth'}, data: {}}]);
    assert.deepEqual(await client.get({apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'zk-auth'}), {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-auth'}, data: {}});
    assert.equal(await client.get({apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'gone'}), null);
    routes.set('/prefix/api/v1/namespaces/locked/pods', [
      403,
      {kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "locked"'},
    ]);
    const err = await client.list('v1', 'Pod', {namespace: 'locked'}).then(
      () => assert.fail('a 403 must throw'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubeError, String(err));
    assert.equal(err.status, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.match(err.apiMessage, /cannot list resource "pods"/);
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/prefix/api/v1/namespaces/team-a/secrets/zk-auth', '/prefix/api/v1/namespaces/team-a/secrets/gone', '/prefix/api/v1/namespaces/locked/pods'],
    );
  });

  it('--request-timeout: a server that never answers is a timeout, and the socket is dropped', async () => {
    const closed: Promise<unknown>[] = [];
    const mute = http.createServer(() => undefined); // accepts, never answers
    mute.on('connection', (sock) => closed.push(once(sock, 'close')));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as AddressInfo).port;
    try {
      const c = clientFor(`http://127.0.0.1:${port}`, {requestTimeoutMs: 200});
      const err = await c.list('v1', 'Pod', {namespace: 'x'}).catch((e: unknown) => e);
      assert.ok(err instanceof KubeError, String(err));
      assert.equal(err.status, 0);
      assert.match(err.message, /did not answer in time/);
      assert.equal(closed.length, 1, 'one connection');
      // the client drops its socket (the server sees it close) instead of leaving it open: an order of events, not a measured time
      assert.equal(await firstOf(Promise.all(closed), 'tenfoldTimeout', 2000), 'settled', "the request's socket is closed");
    } finally {
      mute.closeAllConnections();
      mute.close();
    }
  });

  it('an unreachable server is a KubeError with status 0', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const c = clientFor(`http://127.0.0.1:${port}`);
    const err = await c.list('v1', 'Pod', {namespace: 'x'}).catch((e: unknown) => e);
    assert.ok(err instanceof KubeError);
    assert.equal(err.status, 0);
    assert.match(err.message, /cannot reach the Kubernetes API server .*ECONNREFUSED/);
  });
});

describe('KubeClient writes (real HTTP server on loopback)', () => {
  let server: http.Server;
  let seen: {method: string; url: string; type?: string; body: any}[];
  let client: KubeClient;

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
        seen.push({method: req.method!, url: req.url!, type: req.headers['content-type'], body});
        if (req.url!.includes('/forbidden')) {
          res.writeHead(403, {'content-type': 'application/json'});
          res.end(JSON.stringify({kind: 'Status', reason: 'Forbidden', code: 403, message: 'networkpolicies.networking.k8s.io is forbidden: User "u" cannot patch resource "networkpolicies"'}));
          return;
        }
        res.writeHead(200, {'content-type': 'application/json'});
        res.end(JSON.stringify(body && body.metadata ? body : {metadata: {name: 'patched'}, ...body}));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  beforeEach(() => (seen = []));
  after(() => server.close());

  it('apply sends the object exactly as given (a NetworkPolicy rule keeps its `from`), as a server-side apply with our field manager', async () => {
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {name: 'zk', namespace: 'team-a'},
      spec: {
        podSelector: {matchLabels: {app: 'zk'}},
        policyTypes: ['Ingress'],
        ingress: [
          {from: [{podSelector: {matchLabels: {app: 'zk'}}}], ports: [{protocol: 'TCP', port: 2888}]},
          {from: [{podSelector: {}}], ports: [{port: 2181}]},
        ],
      },
    };
    const out = await client.apply(policy, {force: true});
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'PATCH');
    assert.equal(seen[0]!.url, '/apis/networking.k8s.io/v1/namespaces/team-a/networkpolicies/zk?fieldManager=kubectl-zk&force=true');
    assert.equal(seen[0]!.type, 'application/apply-patch+yaml');
    assert.deepEqual(seen[0]!.body, policy, 'nothing dropped or renamed on the way');
    assert.equal(out.kind, 'NetworkPolicy');
  });

  it('mergePatch sends just the patch as a JSON merge patch; a refusal is a KubeError naming the verb and resource', async () => {
    await client.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'zk-config'}, {data: {'zoo.cfg': 'x=1\n'}});
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.type, s.body]),
      [['PATCH', '/api/v1/namespaces/team-a/configmaps/zk-config?fieldManager=kubectl-zk', 'application/merge-patch+json', {data: {'zoo.cfg': 'x=1\n'}}]],
    );
    const err = await client.apply({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'forbidden', namespace: 'team-a'}}).then(
      () => assert.fail('a 403 must throw'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubeError);
    assert.equal(err.status, 403);
    assert.match(err.hint ?? '', /you need permission to patch networkpolicies in namespace "team-a"/);
  });
});
