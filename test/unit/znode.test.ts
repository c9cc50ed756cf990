import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {AbortedError, CliError, UsageError} from '../../src/errors.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {MemberForwarders} from '../../src/ops/members.js';
import {
  checkPath,
  checkVersion,
  createZnode,
  decodeSuperSecret,
  deleteZnode,
  encodeData,
  forwardedConnector,
  forwardedOnce,
  getZnode,
  hex64,
  lsZnode,
  parseAcl,
  parseAuth,
  readData,
  resolveEnsemble,
  resolveTarget,
  selectDataSource,
  setZnode,
  statZnode,
  superAuth,
  toStatJson,
  withClient,
  type ZnodeDeps,
  juteMaxBufferOf,
} from '../../src/ops/znode.js';
import {formatZkDate, renderCreated, renderGetBytes, renderLs, renderStat} from '../../src/render/znode.js';
import {ZkError, onceGet, type OnceRequest, type ZkClient, type ZkClientOptions, type ZnodeStat} from '../support/zk.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function ensemble(kube: FakeKube, name: string, ns: string, pods: Parameters<typeof fakePod>[3][] = ['ready', 'ready', 'ready']): void {
  const labels = ensembleLabels(name, 'zookeeper:3.9.4');
  kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name, namespace: ns, labels}});
  pods.forEach((state, i) => kube.seed(fakePod(ns, `${name}-${i}`, labels, state)));
}

const STAT: ZnodeStat = {
  czxid: 0x100000002n,
  mzxid: 0x200000005n,
  pzxid: 0x100000002n,
  ctime: Date.UTC(2025, 10, 21, 2, 3, 4, 567),
  mtime: Date.UTC(2025, 0, 5, 23, 59, 9),
  version: 3,
  cversion: 1,
  aversion: 0,
  ephemeralOwner: -0x7effffffffffffffn, // a session id with the top bit set
  dataLength: 11,
  numChildren: 2,
};

/** A ZkClient double that records calls and closes. */
function fakeClient(over: Partial<ZkClient> = {}): ZkClient & {closed: number; calls: string[]} {
  const calls: string[] = [];
  const c = {
    closed: 0,
    calls,
    sessionId: '0x1',
    state: 'connected' as const,
    onState: () => () => undefined,
    get: async (p: string) => (calls.push(`get ${p}`), {data: Buffer.from('hi'), stat: STAT}),
    create: async (p: string) => (calls.push(`create ${p}`), p),
    set: async (p: string) => (calls.push(`set ${p}`), STAT),
    ls: async (p: string) => (calls.push(`ls ${p}`), ['a', 'b']),
    lsRecursive: async (p: string) => (calls.push(`lsR ${p}`), [p, `${p}/a`, `${p}/a/b`]),
    stat: async () => STAT,
    exists: async () => STAT,
    delete: async (p: string) => void calls.push(`delete ${p}`),
    deleteRecursive: async () => undefined,
    getConfig: async () => assert.fail('unused'),
    close: async () => {
      c.closed++;
    },
    ...over,
  };
  return c as unknown as ZkClient & {closed: number; calls: string[]};
}

describe('znode: ensemble resolution (in-memory API)', () => {
  it('none: an error that says where it looked and how to make one', async () => {
    const kube = new FakeKube('team-a');
    ensemble(kube, 'other', 'team-b');
    await assert.rejects(resolveEnsemble(kube, 'team-a'), (e: unknown) => {
      assert.ok(e instanceof CliError && !(e instanceof UsageError));
      assert.equal(e.message, 'no ensemble managed by kubectl-zk in namespace "team-a"');
      assert.match(e.hint!, /kubectl zk create NAME/);
      return true;
    });
  });

  it('one: that one; a StatefulSet kubectl-zk does not manage is not an ensemble', async () => {
    const kube = new FakeKube('team-a');
    ensemble(kube, 'zk', 'team-a');
    kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'web', namespace: 'team-a', labels: {app: 'web'}}});
    assert.equal(await resolveEnsemble(kube, 'team-a'), 'zk');
    assert.deepEqual(kube.calls, ['list StatefulSet']);
  });

  it('ambiguous: a usage error listing the names', async () => {
    const kube = new FakeKube('team-a');
    ensemble(kube, 'zk-b', 'team-a');
    ensemble(kube, 'zk-a', 'team-a');
    await assert.rejects(resolveEnsemble(kube, 'team-a'), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, '2 ensembles in namespace "team-a" (zk-a, zk-b)');
      assert.equal(e.hint, 'choose one with --ensemble NAME');
      return true;
    });
  });

  it('--ensemble: checked by name; missing or unmanaged is an error; a bad name is refused before any request', async () => {
    const kube = new FakeKube('team-a');
    ensemble(kube, 'zk-a', 'team-a');
    ensemble(kube, 'zk-b', 'team-a');
    kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'web', namespace: 'team-a', labels: {app: 'web'}}});
    assert.equal(await resolveEnsemble(kube, 'team-a', 'zk-b'), 'zk-b');
    await assert.rejects(resolveEnsemble(kube, 'team-a', 'nope'), {message: 'ensemble "nope" not found in namespace "team-a"'});
    await assert.rejects(resolveEnsemble(kube, 'team-a', 'web'), {message: 'ensemble "web" not found in namespace "team-a"'});
    const before = kube.calls.length;
    await assert.rejects(resolveEnsemble(kube, 'team-a', 'Bad_Name'), UsageError);
    assert.equal(kube.calls.length, before);
  });

  it('API errors pass through (Forbidden)', async () => {
    const kube = new FakeKube('team-a').fail('list', 'StatefulSet', 403, {message: 'statefulsets.apps is forbidden'});
    await assert.rejects(resolveEnsemble(kube, 'team-a'), /forbidden/);
  });
});

describe('znode: --as-super', () => {
  it("decodes username and password from the Secret's base64 data", async () => {
    const kube = new FakeKube('ns');
    kube.seed({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-auth', namespace: 'ns'}, data: {username: b64('super'), password: b64('p:ä ss'), digest: b64('super:xyz=')}});
    assert.deepEqual(await superAuth(kube, 'ns', 'zk'), {scheme: 'digest', auth: 'super:p:ä ss'});
    assert.deepEqual(kube.calls, ['get Secret/zk-auth']);
  });

  it('username defaults to super; no password or no Secret is an error that points at --auth', async () => {
    assert.deepEqual(decodeSuperSecret({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-auth'}, data: {password: b64('pw')}}), {username: 'super', password: 'pw'});
    assert.throws(() => decodeSuperSecret({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'zk-auth'}, data: {}}), {message: 'secret "zk-auth" has no password'});
    await assert.rejects(superAuth(new FakeKube('ns'), 'ns', 'zk'), (e: unknown) => e instanceof CliError && e.message === 'secret "zk-auth" not found in namespace "ns"' && /--auth/.test(e.hint!));
  });
});

describe('znode: argument checks', () => {
  it("paths: zkCli's rules, as usage errors", () => {
    for (const p of ['/', '/a', '/a/b-c.d_e', '/zookeeper/config']) checkPath(p);
    checkPath('/q/', {sequential: true});
    for (const p of ['', 'a', '/a/', '/a//b', '/a/../b', '/a/.', 'a\u0000', '/\u0007']) assert.throws(() => checkPath(p), UsageError, p);
    assert.throws(() => checkPath('relative'), {message: 'Invalid path string "relative" caused by path must start with / character'});
  });

  it('--version, --auth and --acl', () => {
    assert.equal(checkVersion(undefined), -1);
    assert.equal(checkVersion(-1), -1);
    assert.equal(checkVersion(7), 7);
    for (const v of [-2, 2 ** 31, 1.5]) assert.throws(() => checkVersion(v), UsageError);
    assert.deepEqual(parseAuth('app:pa:ss'), {scheme: 'digest', auth: 'app:pa:ss'});
    for (const a of ['app', ':pw', 'app:']) assert.throws(() => parseAuth(a), UsageError);
    assert.deepEqual(parseAcl('world:anyone:r'), {scheme: 'world', id: 'anyone', perms: 'r'});
    assert.deepEqual(parseAcl('digest:app:abc/DEF=:cdrwa'), {scheme: 'digest', id: 'app:abc/DEF=', perms: 'cdrwa'});
    assert.deepEqual(parseAcl('auth::rw'), {scheme: 'auth', id: '', perms: 'rw'});
    assert.deepEqual(parseAcl('ip:10.0.0.0/8:r'), {scheme: 'ip', id: '10.0.0.0/8', perms: 'r'});
    for (const a of ['world', 'world:anyone', 'world:anyone:x', 'digest::r', ':x:r']) assert.throws(() => parseAcl(a), UsageError, a);
  });
});

describe('znode: data sources', () => {
  it('selects DATA, --file, stdin for "-" or for no data on a pipe, nothing on a terminal', () => {
    assert.deepEqual(selectDataSource({arg: 'x', stdinIsTTY: false}), {kind: 'arg', value: 'x'});
    assert.deepEqual(selectDataSource({arg: '', stdinIsTTY: false}), {kind: 'arg', value: ''});
    assert.deepEqual(selectDataSource({arg: '-', stdinIsTTY: true}), {kind: 'stdin'});
    assert.deepEqual(selectDataSource({file: 'f.bin', stdinIsTTY: false}), {kind: 'file', path: 'f.bin'});
    assert.deepEqual(selectDataSource({file: '-', stdinIsTTY: true}), {kind: 'stdin'});
    assert.deepEqual(selectDataSource({stdinIsTTY: false}), {kind: 'stdin'});
    assert.deepEqual(selectDataSource({stdinIsTTY: true}), {kind: 'none'});
    assert.throws(() => selectDataSource({arg: 'x', file: 'f', stdinIsTTY: true}), UsageError);
  });

  it('reads bytes unchanged: stdin in any chunking, files; a missing file is an error', async () => {
    const all = Buffer.from(Array.from({length: 256}, (_, i) => i));
    const io = (stdin: NodeJS.ReadableStream) => ({stdin, readFile: async (p: string) => (p === 'f.bin' ? all : Promise.reject(new Error(`ENOENT: no such file or directory, open '${p}'`)))});
    const chunks = Array.from({length: 256}, (_, i) => all.subarray(i, i + 1));
    assert.ok((await readData({kind: 'stdin'}, io(Readable.from(chunks))))!.equals(all));
    assert.ok((await readData({kind: 'file', path: 'f.bin'}, io(Readable.from([]))))!.equals(all));
    assert.equal((await readData({kind: 'stdin'}, io(Readable.from([]))))!.length, 0);
    assert.ok((await readData({kind: 'arg', value: 'grüße'}, io(Readable.from([]))))!.equals(Buffer.from('grüße', 'utf8')));
    assert.equal(await readData({kind: 'none'}, io(Readable.from([]))), undefined);
    await assert.rejects(readData({kind: 'file', path: 'nope'}, io(Readable.from([]))), {message: "cannot read --file nope: ENOENT: no such file or directory, open 'nope'"});
  });

  it('Ctrl-C while waiting on stdin stops reading', async () => {
    const stdin = new Readable({read() {}});
    const ac = new AbortController();
    const p = readData({kind: 'stdin'}, {stdin, readFile: async () => Buffer.alloc(0), signal: ac.signal});
    ac.abort();
    await assert.rejects(p, AbortedError);
    assert.ok(stdin.destroyed);
  });
});

describe('znode: renderers and JSON shape', () => {
  it('stat as zkCli prints it', () => {
    assert.equal(
      renderStat(toStatJson(STAT)),
      [
        'cZxid = 0x100000002',
        'ctime = Fri Nov 21 02:03:04 UTC 2025',
        'mZxid = 0x200000005',
        'mtime = Sun Jan 05 23:59:09 UTC 2025',
        'pZxid = 0x100000002',
        'cversion = 1',
        'dataVersion = 3',
        'aclVersion = 0',
        'ephemeralOwner = 0x8100000000000001',
        'dataLength = 11',
        'numChildren = 2',
        '',
      ].join('\n'),
    );
    assert.equal(formatZkDate('not a date'), 'not a date');
    assert.equal(hex64(0n), '0x0');
  });

  it('json: zxids as hex strings, ISO times, zkCli field names; no bigint anywhere', () => {
    const j = toStatJson(STAT);
    assert.deepEqual(j, {
      cZxid: '0x100000002',
      ctime: '2025-11-21T02:03:04.567Z',
      mZxid: '0x200000005',
      mtime: '2025-01-05T23:59:09.000Z',
      pZxid: '0x100000002',
      cversion: 1,
      dataVersion: 3,
      aclVersion: 0,
      ephemeralOwner: '0x8100000000000001',
      dataLength: 11,
      numChildren: 2,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
  });

  it('data: utf8 when it is exactly UTF-8 (BOM kept), else base64; both decode to the same bytes', () => {
    const cases = [Buffer.from('plain'), Buffer.from('\uFEFFbom ✓'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.alloc(0)];
    const encodings = cases.map((b) => encodeData(b).encoding);
    assert.deepEqual(encodings, ['utf8', 'utf8', 'base64', 'base64', 'base64', 'utf8']);
    for (const b of cases) assert.ok(renderGetBytes({path: '/x', ...encodeData(b), stat: toStatJson(STAT)}).equals(b));
  });

  it('ls one per line; create prints the path', () => {
    assert.equal(renderLs(['a', 'b']), 'a\nb\n');
    assert.equal(renderLs([]), '');
    assert.equal(renderCreated({path: '/q/n-0000000003', ephemeral: false, sequential: true}), '/q/n-0000000003\n');
  });
});

describe('znode: jute.maxbuffer of an ensemble', () => {
  it("is read from -Djute.maxbuffer in the zookeeper container's JVM flags, else the default", () => {
    const sts = (env: {name: string; value?: string}[]) => ({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk'}, spec: {template: {spec: {containers: [{name: 'zookeeper', env}]}}}});
    assert.equal(juteMaxBufferOf(null), 0xfffff);
    assert.equal(juteMaxBufferOf(sts([{name: 'ZK_HEAP_MB', value: '512'}])), 0xfffff);
    assert.equal(juteMaxBufferOf(sts([{name: 'SERVER_JVMFLAGS', value: '-Xss1m -Djute.maxbuffer=4194304'}])), 4194304);
    assert.equal(juteMaxBufferOf(sts([{name: 'JVMFLAGS', value: '-Djute.maxbuffer=0x200000'}])), 0x200000);
    assert.equal(juteMaxBufferOf(sts([{name: 'JVMFLAGS', value: '-Djute.maxbuffer=lots'}])), 0xfffff);
  });
});

describe('znode: ops with a client double', () => {
  it('every op refuses an invalid path before connecting', async () => {
    let connects = 0;
    const deps = {connect: async () => (connects++, fakeClient()), confirm: async () => true};
    for (const op of [
      getZnode,
      statZnode,
      lsZnode,
      (r: {path: string}, d: ZnodeDeps) => setZnode({...r, data: Buffer.alloc(0)}, d),
      createZnode,
      (r: {path: string}, d: ZnodeDeps) => deleteZnode(r, {...d, confirm: async () => true}),
    ]) {
      await assert.rejects(op({path: 'no-slash'}, deps), (e: unknown) => e instanceof UsageError && e.exitCode === 2);
    }
    await assert.rejects(deleteZnode({path: '/a', recursive: true, version: 1}, deps), UsageError);
    await assert.rejects(deleteZnode({path: '/zookeeper/config', recursive: true}, deps), UsageError);
    await assert.rejects(deleteZnode({path: '/'}, deps), UsageError);
    await assert.rejects(createZnode({path: '/'}, deps), UsageError);
    // the whole request (8 header + 4+len path + 4+n data + ACLs + 4 flags) must fit in jute.maxbuffer (0xfffff)
    await createZnode({path: '/max', data: Buffer.alloc(0xfffff - 51)}, {connect: async () => fakeClient()});
    await assert.rejects(createZnode({path: '/max', data: Buffer.alloc(0xfffff - 50)}, deps), {
      message: "the data is 1048525 bytes: the create request for /max would be 1048576 bytes, above the server's jute.maxbuffer of 1048575; at most 1048524 bytes of data fit with this path and ACL",
    });
    await setZnode({path: '/max', data: Buffer.alloc(0xfffff - 24)}, {connect: async () => fakeClient()});
    await assert.rejects(setZnode({path: '/max', data: Buffer.alloc(0xfffff - 23)}, deps), UsageError);
    // a larger jute.maxbuffer (from the ensemble's JVM flags) moves the bound
    await createZnode({path: '/max', data: Buffer.alloc(0xfffff)}, {connect: async () => fakeClient(), juteMaxBuffer: async () => 0x200000});
    await assert.rejects(createZnode({path: '/a', data: Buffer.alloc(100)}, {...deps, juteMaxBuffer: async () => 100}), UsageError);
    assert.equal(connects, 0);
  });

  it('closes the client after success and after a ZooKeeper error; NoAuth gets a hint', async () => {
    const ok = fakeClient();
    assert.deepEqual(await lsZnode({path: '/'}, {connect: async () => ok}), ['a', 'b']);
    assert.equal(ok.closed, 1);
    const denied = fakeClient({get: async () => Promise.reject(ZkError.fromServerCode(-102, '/s'))});
    await assert.rejects(getZnode({path: '/s'}, {connect: async () => denied}), (e: unknown) => e instanceof CliError && e.message === 'Insufficient permission : /s' && /--as-super/.test(e.hint!));
    assert.equal(denied.closed, 1);
    const missing = fakeClient({stat: async () => Promise.reject(ZkError.of('NoNode', '/m'))});
    await assert.rejects(statZnode({path: '/m'}, {connect: async () => missing}), (e: unknown) => e instanceof ZkError && e.message === 'Node does not exist: /m');
    assert.equal(missing.closed, 1);
  });

  it("get, stat and plain ls go through `once` when the deps have it (no session of connect's); NoAuth gets the hint there too", async () => {
    const asked: string[] = [];
    const deps = (answer: (path: string) => Promise<unknown>): ZnodeDeps => ({
      connect: async () => assert.fail("no session of connect's for a one-request read"),
      once: async <T>(req: OnceRequest<T>) => (asked.push(req.path), answer(req.path) as Promise<T>),
    });
    const stat = {czxid: 1n, mzxid: 2n, pzxid: 3n, ctime: 0, mtime: 0, version: 4, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 2, numChildren: 0};
    assert.equal(
      (
        await getZnode(
          {path: '/g'},
          deps(async () => ({data: Buffer.from('hi'), stat})),
        )
      ).data,
      'hi',
    );
    assert.equal(
      (
        await statZnode(
          {path: '/s'},
          deps(async () => stat),
        )
      ).stat.dataVersion,
      4,
    );
    assert.deepEqual(
      await lsZnode(
        {path: '/l'},
        deps(async () => ['a']),
      ),
      ['a'],
    );
    assert.deepEqual(asked, ['/g', '/s', '/l']);
    await assert.rejects(
      getZnode(
        {path: '/secret'},
        deps(async (p) => Promise.reject(ZkError.fromServerCode(-102, p))),
      ),
      (e: unknown) => e instanceof CliError && /--as-super/.test(e.hint!),
    );
    const hanging = new AbortController();
    const p = getZnode({path: '/x'}, {...deps(() => new Promise(() => undefined)), signal: hanging.signal});
    setImmediate(() => hanging.abort());
    await assert.rejects(p, AbortedError);
  });

  it('Ctrl-C: an op in flight stops and closes its client; a session arriving after Ctrl-C is closed', async () => {
    const hanging = fakeClient({get: () => new Promise(() => undefined)});
    const ac = new AbortController();
    const p = getZnode({path: '/x'}, {connect: async () => hanging, signal: ac.signal});
    setImmediate(() => ac.abort());
    await assert.rejects(p, AbortedError);
    assert.equal(hanging.closed, 1);

    const late = fakeClient();
    let arrive!: (c: ZkClient) => void;
    const ac2 = new AbortController();
    const q = withClient({connect: () => new Promise<ZkClient>((r) => (arrive = r)), signal: ac2.signal}, async () => assert.fail('no work after Ctrl-C'));
    ac2.abort();
    await assert.rejects(q, AbortedError);
    arrive(late);
    await new Promise(setImmediate);
    assert.equal(late.closed, 1);
  });

  it('delete --recursive asks only when there are children; a refusal (no TTY, no --yes) deletes nothing', async () => {
    const c = fakeClient();
    const asked: string[] = [];
    const refuse = async (q: string) => {
      asked.push(q);
      throw new UsageError(`${q.replace(/\?$/, '')}: refusing without confirmation`, 'no terminal to ask on; pass --yes to confirm');
    };
    await assert.rejects(
      deleteZnode({path: '/app', recursive: true}, {connect: async () => c, confirm: refuse}),
      (e: unknown) => e instanceof UsageError && e.message === 'delete /app and its 2 descendants: refusing without confirmation',
    );
    assert.deepEqual(c.calls, ['lsR /app']);
    assert.equal(c.closed, 1);
    const yes = fakeClient();
    const r = await deleteZnode({path: '/app', recursive: true}, {connect: async () => yes, confirm: async () => true});
    assert.deepEqual(r.deleted, ['/app/a/b', '/app/a', '/app']);
    assert.deepEqual(yes.calls, ['lsR /app', 'delete /app/a/b', 'delete /app/a', 'delete /app']);
    const leaf = fakeClient({lsRecursive: async (p: string) => [p]});
    await deleteZnode({path: '/leaf', recursive: true}, {connect: async () => leaf, confirm: refuse});
    assert.equal(asked.length, 1);
  });
});

describe('znode: connecting through port-forwards (in-memory API)', () => {
  it('one forwarder per running member pod, all of them in one session; auth passed on', async () => {
    const kube = new FakeKube('ns');
    ensemble(kube, 'zk', 'ns', ['ready', 'running', 'pending']);
    const dialed: ZkClientOptions[] = [];
    const forwarders = new MemberForwarders(kube);
    const connect = forwardedConnector(
      {kube, forwarders, dial: async (o) => (dialed.push(o), fakeClient())},
      {namespace: 'ns', ensemble: 'zk'},
      {auth: [{scheme: 'digest', auth: 'a:b'}], connectTimeoutMs: 3000},
    );
    await connect();
    await connect();
    assert.deepEqual(
      kube.calls.filter((c) => c.startsWith('portforward')),
      ['portforward Pod/zk-0', 'portforward Pod/zk-1'],
    );
    assert.equal(dialed.length, 2);
    assert.equal(dialed[0]!.endpoints.length, 2);
    assert.deepEqual(dialed[0]!.auth, [{scheme: 'digest', auth: 'a:b'}]);
    assert.equal(dialed[0]!.connectTimeoutMs, 3000);
    await forwarders.close();
  });

  it("resolveTarget lists the pods while it resolves the ensemble (one round trip); only that ensemble's members are used", async () => {
    const kube = new FakeKube('ns');
    ensemble(kube, 'zk', 'ns', ['ready', 'ready']);
    ensemble(kube, 'zk2', 'ns', ['ready']);
    kube.seed(fakePod('ns', 'zk-9-helper', ensembleLabels('zk', 'zookeeper:3.9.4'), 'ready')); // right labels, not an ordinal
    const before = kube.calls.length;
    const target = await resolveTarget(kube, 'ns', 'zk');
    assert.equal(target.ensemble, 'zk');
    const dialed: ZkClientOptions[] = [];
    const forwarders = new MemberForwarders(kube);
    await forwardedConnector({kube, forwarders, dial: async (o) => (dialed.push(o), fakeClient())}, target, {auth: []})();
    assert.deepEqual(
      kube.calls
        .slice(before)
        .filter((c) => !c.startsWith('portforward'))
        .sort(),
      ['get StatefulSet/zk', 'list Pod'],
      'no second pod list',
    );
    assert.deepEqual(
      kube.calls.filter((c) => c.startsWith('portforward')),
      ['portforward Pod/zk-0', 'portforward Pod/zk-1'],
    );
    assert.equal(dialed[0]!.endpoints.length, 2);
    await forwarders.close();
  });

  it('a member whose port-forward fails is skipped; no running pods, or no session, is a clear error', async () => {
    const kube = new FakeKube('ns');
    ensemble(kube, 'zk', 'ns');
    kube.fail('portforward', 'Pod', 500, {name: 'zk-1'});
    const dialed: ZkClientOptions[] = [];
    const fw = new MemberForwarders(kube);
    await forwardedConnector({kube, forwarders: fw, dial: async (o) => (dialed.push(o), fakeClient())}, {namespace: 'ns', ensemble: 'zk'}, {auth: []})();
    assert.equal(dialed[0]!.endpoints.length, 2);

    const pending = new FakeKube('ns');
    ensemble(pending, 'zk', 'ns', ['pending', 'unschedulable']);
    await assert.rejects(forwardedConnector({kube: pending, forwarders: new MemberForwarders(pending), dial: async () => assert.fail('no dial')}, {namespace: 'ns', ensemble: 'zk'}, {auth: []})(), {
      message: 'ensemble "zk" has no running member pods in namespace "ns" (zk-0: Pending, zk-1: Pending)',
    });

    const timeout = forwardedConnector(
      {kube, forwarders: fw, dial: async () => Promise.reject(new ZkError('Timeout', 'no ZooKeeper session within 2000 ms from 127.0.0.1:1'))},
      {namespace: 'ns', ensemble: 'zk'},
      {auth: [], connectTimeoutMs: 2000},
    );
    await assert.rejects(
      timeout(),
      (e: unknown) => e instanceof CliError && e.message === 'no ZooKeeper session from ensemble "zk" (members zk-0, zk-1, zk-2) within 2s' && /kubectl get pods -n ns/.test(e.hint!),
    );
    const authFailed = forwardedConnector({kube, forwarders: fw, dial: async () => Promise.reject(ZkError.of('AuthFailed'))}, {namespace: 'ns', ensemble: 'zk'}, {auth: []});
    await assert.rejects(authFailed(), {message: 'Authentication failed'});

    // the one-request path maps the same failures the same way, and gets the same endpoints
    const seen: number[] = [];
    const onceWith = (err: unknown) =>
      forwardedOnce({kube, forwarders: fw, once: async (eps) => (seen.push(eps.length), Promise.reject(err))}, {namespace: 'ns', ensemble: 'zk'}, {auth: [], connectTimeoutMs: 2000})!;
    await assert.rejects(
      onceWith(new ZkError('Timeout', 'no ZooKeeper session'))(onceGet('/x')),
      (e: unknown) => e instanceof CliError && e.message === 'no ZooKeeper session from ensemble "zk" (members zk-0, zk-1, zk-2) within 2s',
    );
    await assert.rejects(onceWith(ZkError.of('AuthFailed'))(onceGet('/x')), {message: 'Authentication failed'});
    await assert.rejects(onceWith(ZkError.of('NoNode', '/x'))(onceGet('/x')), {message: 'Node does not exist: /x'});
    assert.deepEqual(seen, [2, 2, 2]);
    await fw.close();
  });
});
