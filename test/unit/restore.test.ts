import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {AbortedError, CliError, UsageError} from '../../src/errors.js';
import {roleRules} from '../../src/ops/rbac.js';
import {restore, type RestoreDeps} from '../../src/ops/restore.js';
import {FakeKube} from '../support/fake-kube.js';
import {encodeSnapshot} from '../support/snapshot.js';

/** The restore op's refusals against fakes: each one clear error, and nothing made or touched. */
describe('restore: refusals before anything is made', () => {
  let dir: string;
  let good: string;
  const snap = encodeSnapshot([{path: '/'}, {path: '/zookeeper'}, {path: '/app', data: Buffer.from('x')}]);
  const sts = (replicas: number) => ({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', namespace: 'ns', labels: {'app.kubernetes.io/managed-by': 'kubectl-zk'}}, spec: {replicas}});

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kzk-restore-unit-'));
    good = join(dir, 'zk.snap');
    writeFileSync(good, snap);
    writeFileSync(
      `${good}.json`,
      JSON.stringify({format: 'kubectl-zk/backup', version: 1, ensemble: 'src', sha256: createHash('sha256').update(snap).digest('hex'), size: snap.length, znodes: 2, checksum: 'x'}),
    );
  });
  after(() => rmSync(dir, {recursive: true, force: true}));

  function deps(kube: FakeKube, o: Partial<RestoreDeps> = {}): RestoreDeps & {made: string[]} {
    const made: string[] = [];
    return {
      made,
      kube,
      clock: {now: () => 0},
      sleep: async () => undefined,
      confirm: async () => true,
      note: () => undefined,
      create: async () => void made.push('create'),
      scale: async (n) => void made.push(`scale ${n}`),
      superAuth: async () => ({scheme: 'digest', auth: 'super:pw'}),
      adminEndpoint: async () => {
        made.push('admin');
        return {host: '127.0.0.1', port: 1};
      },
      connect: async () => {
        throw new Error('no session in this test');
      },
      restartMember: async (p) => void made.push(`restart ${p}`),
      serverVersion: async () => '3.9.5',
      ...o,
    };
  }

  it('a missing file: a usage error naming it; the API is not even asked', async () => {
    const kube = new FakeKube('ns');
    const d = deps(kube);
    await assert.rejects(
      restore({name: 'zk', namespace: 'ns', from: join(dir, 'nope.snap'), replicas: 3}, d),
      (e: unknown) => e instanceof UsageError && /cannot read --from .*nope\.snap: no such file/.test(e.message),
    );
    assert.deepEqual(kube.calls, []);
    assert.deepEqual(d.made, []);
  });

  it('a file that is not a ZooKeeper snapshot (an export, say)', async () => {
    const p = join(dir, 'tree.jsonl');
    writeFileSync(p, '{"format":"kubectl-zk/tree","version":1,"root":"/"}\n');
    const kube = new FakeKube('ns');
    await assert.rejects(
      restore({name: 'zk', namespace: 'ns', from: p, replicas: 3}, deps(kube)),
      (e: unknown) => e instanceof UsageError && /not a ZooKeeper snapshot/.test(e.message) && /kubectl zk import/.test(e.hint ?? ''),
    );
    assert.deepEqual(kube.calls, []);
  });

  it('a corrupted file (sha256 differs from the manifest) and a truncated one', async () => {
    const bad = join(dir, 'bad.snap');
    const copy = Buffer.from(snap);
    copy[copy.length - 30]! ^= 1;
    writeFileSync(bad, copy);
    writeFileSync(`${bad}.json`, JSON.stringify({format: 'kubectl-zk/backup', version: 1, sha256: createHash('sha256').update(snap).digest('hex'), size: snap.length}));
    const kube = new FakeKube('ns');
    await assert.rejects(
      restore({name: 'zk', namespace: 'ns', from: bad, replicas: 3}, deps(kube)),
      (e: unknown) => e instanceof CliError && /does not match its manifest|damaged/.test(e.message) && /nothing was made/.test(e.hint ?? ''),
    );
    const cut = join(dir, 'cut.snap');
    writeFileSync(cut, snap.subarray(0, snap.length - 40));
    await assert.rejects(restore({name: 'zk', namespace: 'ns', from: cut, replicas: 3}, deps(kube)), (e: unknown) => e instanceof CliError && /truncated/.test(e.message));
    assert.deepEqual(kube.calls, []);
  });

  it('an existing ensemble of three members: refused (a follower restored alone is overwritten), nothing made', async () => {
    const kube = new FakeKube('ns').seed(sts(3));
    const d = deps(kube);
    // the manifest's checksum above is deliberately wrong: drop it so the file passes
    const p = join(dir, 'plain.snap');
    writeFileSync(p, snap);
    await assert.rejects(
      restore({name: 'zk', namespace: 'ns', from: p, replicas: 3}, d),
      (e: unknown) => e instanceof CliError && /has 3 members: restore runs on a one-member ensemble only/.test(e.message) && /kubectl zk scale zk --replicas 1/.test(e.hint ?? ''),
    );
    assert.deepEqual(d.made, []);
    assert.deepEqual(kube.calls, ['get StatefulSet/zk']);
  });

  it('an existing one-member ensemble that holds data: asks; no terminal and no --yes refuses; "no" changes nothing', async () => {
    const p = join(dir, 'plain.snap');
    writeFileSync(p, snap);
    const tree = {
      get: async (path: string) => ({
        data: Buffer.from('d'),
        stat: {czxid: 0n, mzxid: 0n, pzxid: 0n, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 1, numChildren: path === '/' ? 1 : 0},
      }),
      getAcl: async () => ({acl: [{scheme: 'world', id: 'anyone', perms: 31}], stat: {} as never}),
      ls: async () => ['data'],
      close: async () => undefined,
    };
    for (const [answer, want] of [
      [
        async () => {
          throw new UsageError('ensemble "zk" holds 2 znodes…: refusing without confirmation', 'no terminal to ask on; pass --yes to confirm');
        },
        UsageError,
      ],
      [async () => false, AbortedError],
    ] as const) {
      const kube = new FakeKube('ns').seed(sts(1));
      const questions: string[] = [];
      const d = deps(kube, {connect: async () => tree as never, confirm: async (q) => (questions.push(q), answer())});
      await assert.rejects(restore({name: 'zk', namespace: 'ns', from: p, replicas: 1}, d), want);
      assert.match(questions[0]!, /holds 2 znodes; replace ALL of them/);
      assert.deepEqual(d.made, [], 'nothing restored');
    }
  });

  it('a second restore inside the rate-limit window (the AdminServer answers 429): explained, nothing restarted or grown', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(429, {'content-type': 'application/json'});
        res.end('{"error":null}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as {port: number}).port;
    try {
      const p = join(dir, 'plain.snap');
      writeFileSync(p, snap);
      const kube = new FakeKube('ns');
      const d = deps(kube, {adminEndpoint: async () => ({host: '127.0.0.1', port})});
      await assert.rejects(
        restore({name: 'zk', namespace: 'ns', from: p, replicas: 3}, d),
        (e: unknown) =>
          e instanceof CliError &&
          /less than the rate-limit interval ago \(HTTP 429\)/.test(e.message) &&
          /5 minutes by default/.test(e.message) &&
          e.details.some((d) => /was created for this restore.*teardown zk/.test(d)),
      );
      assert.deepEqual(d.made, ['create']);
    } finally {
      server.close();
    }
  });

  it("restore's Role holds create's and scale's rules", () => {
    const has = (rules: ReturnType<typeof roleRules>, g: string, r: string, v: string) => rules.some((x) => x.apiGroups.includes(g) && x.resources.includes(r) && x.verbs.includes(v));
    const mine = roleRules(['restore']);
    for (const c of ['create', 'scale']) {
      for (const rule of roleRules([c])) for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) assert.ok(has(mine, g, r, v), `${c}: ${g}/${r} ${v}`);
    }
    assert.ok(has(mine, '', 'pods/eviction', 'create'), 'restarts the member through an eviction');
  });
});
