import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {loadAssets} from '../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {aclKey, enforceSystemAcls, SYSTEM_ACLS, systemAclDrift} from '../../src/ops/acl.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {isZkError} from '../../src/zk/errors.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

/**
 * The closed-by-default settings against real ZooKeeper servers (the line
 * scripts/ensure-zookeeper.sh provides): what a client with no credentials or
 * made-up ones gets once `create` has set the system ACLs, and what the
 * plugin's super user still gets. The servers run with the AdminServer
 * settings of the rendered zoo.cfg.
 */
type Reply = {status: number; headers: http.IncomingHttpHeaders; body: Buffer};

function admin(ens: Ensemble, path: string, opts: {method?: string; auth?: string; body?: Buffer; host?: string} = {}): Promise<Reply> {
  const s = ens.servers[0]!;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? s.adminEndpoint.host,
        port: s.adminEndpoint.port,
        path,
        method: opts.method ?? 'GET',
        headers: {...(opts.auth ? {Authorization: opts.auth} : {}), ...(opts.body ? {'Content-Type': 'application/octet-stream'} : {})},
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

function versionAtLeast(v: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return Boolean(m && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor)));
}

async function expectNoAuth(what: string, op: Promise<unknown>): Promise<void> {
  await assert.rejects(op, (e: unknown) => isZkError(e, 'NoAuth') || (assert.fail(`${what}: expected NoAuth, got ${String(e)}`) as never), what);
}

describe('closed by default, against real ZooKeeper servers', function () {
  this.timeout(180_000);
  let ens: Ensemble;
  let sup: ZkClient;
  let anon: ZkClient;
  let madeUp: ZkClient;

  before(async () => {
    ens = await startEnsemble({size: 3});
    sup = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth});
    anon = await connectZk({endpoints: ens.endpoints});
    madeUp = await connectZk({endpoints: ens.endpoints, auth: [{scheme: 'digest', auth: 'anyone:whatever'}]});
  });

  after(async () => {
    await Promise.all([sup, anon, madeUp].map((c) => c?.close()));
    await ens?.stopAll();
  });

  it('the harness runs the AdminServer as the rendered zoo.cfg configures it', () => {
    const o = validateEnsembleOptions({name: 'zk', namespace: 'prod'}).options;
    const cm = renderEnsemble(o, {superPassword: 'pw'}, loadAssets()).find((x) => x.kind === 'ConfigMap')!;
    const cfg = (cm['data'] as Record<string, string>)['zoo.cfg']!;
    for (const line of ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1']) assert.match(cfg, new RegExp(`^${line.replace(/\./g, '\\.')}$`, 'm'));
  });

  it("before: ZooKeeper's default root ACL lets made-up credentials administer /", async () => {
    const {acl} = await madeUp.getAcl('/');
    assert.equal(aclKey(acl), 'world:anyone:cdrwa');
    if (versionAtLeast(ens.runtime.version, 3, 9)) {
      const snap = await admin(ens, '/commands/snapshot?streaming=true', {auth: 'digest anyone:whatever'});
      assert.equal(snap.status, 200, 'the hole the issue reports: a made-up identity streams the database');
    }
  });

  it("create's ACL step (as the super user) sets /, /zookeeper and /zookeeper/quota; a second run finds nothing to change", async () => {
    const changes = await enforceSystemAcls(sup);
    assert.deepEqual(
      changes.map((c) => c.path),
      ['/', '/zookeeper', '/zookeeper/quota'],
    );
    assert.deepEqual(await enforceSystemAcls(sup), []);
    for (const {path, acl} of SYSTEM_ACLS) assert.equal(aclKey((await anon.getAcl(path)).acl), aclKey(acl), path);
  });

  it("after: clients without or with made-up credentials cannot change ACLs, reconfigure or touch ZooKeeper's own znodes", async () => {
    for (const [who, c] of [
      ['no credentials', anon],
      ['made-up credentials', madeUp],
    ] as const) {
      await expectNoAuth(`${who}: setAcl /`, c.setAcl('/', [{perms: 31, scheme: 'world', id: 'anyone'}]));
      await expectNoAuth(`${who}: setAcl /zookeeper`, c.setAcl('/zookeeper', [{perms: 31, scheme: 'world', id: 'anyone'}]));
      await expectNoAuth(`${who}: setAcl /zookeeper/quota`, c.setAcl('/zookeeper/quota', [{perms: 31, scheme: 'world', id: 'anyone'}]));
      await expectNoAuth(`${who}: set /zookeeper/config`, c.set('/zookeeper/config', 'server.9=127.0.0.1:1:2;3'));
    }
  });

  it('after: applications still create, read, change and delete their own top-level znodes, with ACLs of their own', async () => {
    const p = await anon.create('/app-open', 'v1');
    assert.equal(p, '/app-open');
    await anon.set('/app-open', 'v2');
    assert.equal((await anon.get('/app-open')).data.toString(), 'v2');
    await anon.delete('/app-open');
    await madeUp.create('/app-private', 'secret', {acl: [{perms: 'cdrwa', scheme: 'auth', id: ''}]});
    await expectNoAuth('another client reads a private znode', anon.get('/app-private'));
    assert.equal((await madeUp.get('/app-private')).data.toString(), 'secret');
    assert.equal((await sup.get('/app-private')).data.toString(), 'secret', 'the super user reads everything');
    await madeUp.delete('/app-private');
  });

  it('after (3.9): snapshot and restore refuse made-up credentials (403) and no credentials (401); the super user may snapshot', async function () {
    if (!versionAtLeast(ens.runtime.version, 3, 9)) this.skip(); // 3.8 has no snapshot/restore commands
    await sup.create('/precious', 'keep me');
    const none = await admin(ens, '/commands/snapshot?streaming=true');
    assert.equal(none.status, 401, none.body.toString());
    const fake = await admin(ens, '/commands/snapshot?streaming=true', {auth: 'digest anyone:whatever'});
    assert.equal(fake.status, 403, fake.body.toString());
    const restore = await admin(ens, '/commands/restore', {method: 'POST', auth: 'digest anyone:whatever', body: Buffer.from('ZKSN garbage')});
    assert.equal(restore.status, 403, restore.body.toString());
    assert.equal((await anon.get('/precious')).data.toString(), 'keep me', 'nothing was replaced');
    // the plugin's own credentials still can (backup will use this); the rate limiter may answer 429 right after the 403s
    let ok: Reply | undefined;
    for (let i = 0; i < 20 && ok?.status !== 200; i++) {
      ok = await admin(ens, '/commands/snapshot?streaming=true', {auth: `digest super:${ens.superPassword}`});
      if (ok.status === 429) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(ok!.status, 200, ok!.body.subarray(0, 200).toString());
    assert.equal(ok!.body.subarray(0, 4).toString('latin1'), 'ZKSN');
    assert.ok(ok!.headers['last_zxid'], 'snapshot answers carry last_zxid');
  });

  it('the AdminServer is bound to 127.0.0.1 only: another address of the host is refused', async () => {
    const s = ens.servers[0]!;
    const served = await admin(ens, '/commands/ruok');
    assert.equal(served.status, 200);
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const sock = net.connect({host: '127.0.0.2', port: s.adminEndpoint.port});
        sock.once('connect', () => {
          sock.destroy();
          resolve();
        });
        sock.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });

  it('the system ACLs survive a restart of every member (they live in the data tree)', async () => {
    for (const s of ens.servers) await s.stop();
    await Promise.all(ens.servers.map((s) => s.start()));
    await ens.waitForQuorum({timeoutMs: 90_000});
    const c = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth});
    try {
      assert.deepEqual(await systemAclDrift(c), []);
    } finally {
      await c.close();
    }
  });
});
