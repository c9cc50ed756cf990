import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {CliError, UsageError} from '../../src/errors.js';
import {checkTreeFile} from '../../src/ops/transfer.js';
import {TreeChecksum, znodeDigest, headerLine, parseTreeLine, permLetters, rebasePath, recordLine, relativePath, trailerLine, type TreeRecord} from '../../src/ops/treefile.js';
import {applyWrites, walkTree, znodeKind, type TreeNode} from '../../src/zk/tree.js';
import {ZkError} from '../../src/zk/errors.js';
import type {Acl, ZnodeStat} from '../../src/zk/client.js';

const OPEN: Acl[] = [{scheme: 'world', id: 'anyone', perms: 31}];
const stat = (o: Partial<ZnodeStat> = {}): ZnodeStat => ({
  czxid: 1n,
  mzxid: 2n,
  pzxid: 3n,
  ctime: 0,
  mtime: 0,
  version: 0,
  cversion: 0,
  aversion: 0,
  ephemeralOwner: 0n,
  dataLength: 0,
  numChildren: 0,
  ...o,
});
const rec = (path: string, data = '', o: Partial<TreeRecord> = {}): TreeRecord => ({
  path,
  data: Buffer.from(data).toString('base64'),
  acl: [{scheme: 'world', id: 'anyone', perms: 'cdrwa'}],
  stat: {cZxid: '0x1', mZxid: '0x1', ctime: new Date(0).toISOString(), mtime: new Date(0).toISOString(), dataVersion: 0, aclVersion: 0},
  ...o,
});

function file(root: string, recs: TreeRecord[]): string[] {
  const sum = new TreeChecksum();
  for (const r of recs)
    if (r.kind !== 'ephemeral')
      sum.add(
        relativePath(root, r.path),
        Buffer.from(r.data, 'base64'),
        r.acl.map((a) => ({...a})),
      );
  const eph = recs.filter((r) => r.kind === 'ephemeral').length;
  return [headerLine({root, time: new Date(0).toISOString()}), ...recs.map(recordLine), trailerLine({znodes: recs.length, skipped: eph, checksum: sum.hex})].map((l) => l.trimEnd());
}
const src = (lines: string[]) => () =>
  (async function* () {
    yield* lines;
  })();

describe('znodeDigest', () => {
  it('is SHA-256 of JSON.stringify([path, base64 data, sorted ACL keys]) (the definition every backup and export used), for any path, data and ACL', () => {
    const reference = (rel: string, data: Buffer, acl: Acl[]) =>
      BigInt(
        `0x${createHash('sha256')
          .update(JSON.stringify([rel, data.toString('base64'), acl.map((a) => `${a.scheme}:${a.id}:${typeof a.perms === 'number' ? a.perms : 0}`).sort()]))
          .digest('hex')}`,
      );
    const acls: Acl[][] = [
      OPEN,
      [],
      [
        {scheme: 'digest', id: 'u:"p\\w', perms: 1},
        {scheme: 'ip', id: '10.0.0.0/8', perms: 17},
        {scheme: 'auth', id: '', perms: 31},
      ],
    ];
    for (const rel of ['/', '/a', '/ü/€/😀', '/quote"back\\slash', '/tab\there', '/\u0001ctl'])
      for (const data of [Buffer.alloc(0), Buffer.from('x'), Buffer.from([0, 255, 1, 254]), Buffer.alloc(1500, 7)])
        for (const acl of acls) assert.equal(znodeDigest(rel, data, acl), reference(rel, data, acl), `${rel} ${data.length} ${acl.length}`);
  });
});

describe('treefile: the export format and the tree checksum', () => {
  it('perms as zkCli letters, in cdrwa order', () => {
    assert.equal(permLetters(31), 'cdrwa');
    assert.equal(permLetters(1), 'r');
    assert.equal(permLetters(1 | 2 | 4 | 8), 'cdrw');
  });

  it('paths relative to the root and rebased under another', () => {
    assert.equal(relativePath('/', '/a/b'), '/a/b');
    assert.equal(relativePath('/app', '/app'), '/');
    assert.equal(relativePath('/app', '/app/x/y'), '/x/y');
    assert.throws(() => relativePath('/app', '/apple'), CliError);
    assert.equal(rebasePath('/copy', '/'), '/copy');
    assert.equal(rebasePath('/copy', '/x'), '/copy/x');
    assert.equal(rebasePath('/', '/x'), '/x');
  });

  it('the checksum does not depend on order, and changes with any path, data byte or ACL', () => {
    const a = new TreeChecksum();
    const b = new TreeChecksum();
    const nodes: [string, Buffer, Acl[]][] = [
      ['/', Buffer.alloc(0), OPEN],
      ['/a', Buffer.from([0, 1, 2]), OPEN],
      [
        '/a/b',
        Buffer.from('x'),
        [
          {scheme: 'digest', id: 'u:h', perms: 'cdrwa'},
          {scheme: 'world', id: 'anyone', perms: 'r'},
        ],
      ],
    ];
    for (const n of nodes) a.add(...n);
    for (const n of [...nodes].reverse()) b.add(n[0], n[1], [...n[2]].reverse());
    assert.equal(a.hex, b.hex);
    assert.equal(a.hex.length, 64);
    const variants: [string, Buffer, Acl[]][][] = [
      [nodes[0]!, nodes[1]!, ['/a/c', nodes[2]![1], nodes[2]![2]]],
      [nodes[0]!, ['/a', Buffer.from([0, 1, 3]), OPEN], nodes[2]!],
      [nodes[0]!, ['/a', Buffer.from([0, 1, 2]), [{scheme: 'world', id: 'anyone', perms: 'r'}]], nodes[2]!],
      [nodes[0]!, nodes[1]!],
    ];
    for (const v of variants) {
      const c = new TreeChecksum();
      for (const n of v) c.add(...n);
      assert.notEqual(c.hex, a.hex);
    }
  });

  it('bad lines are errors that name the line', () => {
    assert.throws(() => parseTreeLine('ZKSN', 1), /line 1: not JSON/);
    assert.throws(() => parseTreeLine('{"format":"other"}', 1), /line 1: format "other"/);
    assert.throws(() => parseTreeLine('{"format":"kubectl-zk/tree","version":2,"root":"/"}', 1), /format version 2/);
    assert.throws(() => parseTreeLine('{"path":"nope","data":"","acl":[]}', 3), /line 3: no valid "path"/);
    assert.throws(() => parseTreeLine('{"path":"/a","data":"!!","acl":[{"scheme":"world","id":"anyone","perms":"r"}]}', 4), /"data" is not base64/);
    assert.throws(() => parseTreeLine('{"path":"/a","data":"","acl":[]}', 5), /non-empty list/);
    assert.equal(parseTreeLine(recordLine(rec('/a', 'x')), 2).type, 'record');
  });

  it("checkTreeFile: a whole file passes and gives the selection's checksum relative to PATH", async () => {
    const recs = [rec('/app'), rec('/app/a', '1'), rec('/app/a/b', '2'), rec('/app/lock', '', {kind: 'ephemeral'})];
    const c = await checkTreeFile(src(file('/app', recs)));
    assert.equal(c.selected, 4);
    assert.equal(c.ephemeral, 1);
    const sub = await checkTreeFile(src(file('/app', recs)), '/app/a');
    assert.equal(sub.selected, 2);
    const direct = new TreeChecksum();
    direct.add('/', Buffer.from('1'), OPEN);
    direct.add('/b', Buffer.from('2'), OPEN);
    assert.equal(sub.checksum, direct.hex);
    await assert.rejects(checkTreeFile(src(file('/app', recs)), '/other'), UsageError);
    await assert.rejects(checkTreeFile(src(file('/app', recs)), '/app/zz'), UsageError);
  });

  it('checkTreeFile refuses: empty input, no header, truncated, changed, a count that disagrees, data after the end', async () => {
    const lines = file('/app', [rec('/app'), rec('/app/a', '1')]);
    await assert.rejects(checkTreeFile(src([])), /empty or has no kubectl zk export header/);
    await assert.rejects(checkTreeFile(src(lines.slice(1))), /line 1: no kubectl zk export header/);
    await assert.rejects(checkTreeFile(src(lines.slice(0, -1))), /truncated: no end line after 2 znode lines/);
    await assert.rejects(checkTreeFile(src(lines.slice(0, 2).concat(lines.slice(-1)))), /does not match its end line/);
    await assert.rejects(checkTreeFile(src([lines[0]!, recordLine(rec('/app')).trim(), recordLine(rec('/app/a', 'changed')).trim(), lines.at(-1)!])), /does not match its end line/);
    await assert.rejects(checkTreeFile(src([...lines, lines[1]!])), /data after the end line/);
    await assert.rejects(checkTreeFile(src([lines[0]!, recordLine(rec('/elsewhere')).trim(), lines.at(-1)!])), /outside the export's root/);
  });

  it("znodeKind reads ZooKeeper's ephemeralOwner encoding", () => {
    assert.equal(znodeKind(0n), 'persistent');
    assert.equal(znodeKind(0x1000abcdn), 'ephemeral');
    assert.equal(znodeKind(-0x8000000000000000n), 'container');
    assert.equal(znodeKind(BigInt.asIntN(64, 0xff00000000001000n)), 'ttl');
  });
});

/** An in-memory tree behind the three reads the walk uses; answers come back in random order. */
function fakeTree(paths: Record<string, string>, opts: {deleteDuringWalk?: string} = {}) {
  const nodes = new Map(Object.entries(paths));
  let inFlight = 0;
  let max = 0;
  const later = <T>(f: () => T): Promise<T> => {
    inFlight++;
    max = Math.max(max, inFlight);
    // answered after 0 to 3 turns of the event loop (no timers): out of order, as a server's pipelined answers may be
    const turns = Math.floor(Math.random() * 4);
    return new Promise<T>((resolve, reject) => {
      const answer = (left: number): void => {
        if (left > 0) return void setImmediate(() => answer(left - 1));
        inFlight--;
        try {
          resolve(f());
        } catch (e) {
          reject(e);
        }
      };
      setImmediate(() => answer(turns));
    });
  };
  const children = (p: string) => [...nodes.keys()].filter((k) => k !== p && k.slice(0, k.lastIndexOf('/') || 1) === p).map((k) => k.slice(k.lastIndexOf('/') + 1));
  const need = (p: string) => {
    if (!nodes.has(p)) throw ZkError.of('NoNode', p);
  };
  const client = {
    get: (p: string) =>
      later(() => {
        need(p);
        // listed by its parent, gone when read
        if (p === opts.deleteDuringWalk) throw ZkError.of('NoNode', p);
        const s = stat({numChildren: children(p).length});
        return {data: Buffer.from(nodes.get(p)!), stat: s};
      }),
    getAcl: (p: string) =>
      later(() => {
        need(p);
        return {acl: OPEN, stat: stat()};
      }),
    ls: (p: string) =>
      later(() => {
        need(p);
        return children(p).sort();
      }),
  };
  return {client, maxInFlight: () => max};
}

describe('walkTree and applyWrites (src/zk/tree.ts)', () => {
  const tree: Record<string, string> = {'/': '', '/zookeeper': '', '/zookeeper/quota': ''};
  for (let i = 0; i < 20; i++) {
    tree[`/a${i}`] = `v${i}`;
    for (let j = 0; j < 10; j++) tree[`/a${i}/b${j}`] = `v${i}.${j}`;
  }

  it('reads every znode once, a parent before its children, /zookeeper left out, many reads at once', async () => {
    const f = fakeTree(tree);
    const seen: string[] = [];
    const r = await walkTree(f.client, '/', (n: TreeNode) => void seen.push(n.path), {window: 32});
    assert.equal(r.visited, 1 + 20 + 200);
    assert.equal(new Set(seen).size, seen.length);
    for (const p of seen.slice(1)) assert.ok(seen.indexOf(p.slice(0, p.lastIndexOf('/')) || '/') < seen.indexOf(p), `${p} before its parent`);
    assert.ok(!seen.some((p) => p.startsWith('/zookeeper')));
    assert.ok(f.maxInFlight() > 8, `at most ${f.maxInFlight()} in flight`);
    assert.ok(f.maxInFlight() <= 32 * 2, `window 32 exceeded: ${f.maxInFlight()}`);
  });

  it('a znode deleted while the walk runs is counted as vanished; a missing root is NoNode', async () => {
    const f = fakeTree(tree, {deleteDuringWalk: '/a3/b4'});
    const r = await walkTree(f.client, '/', () => undefined);
    assert.equal(r.vanished, 1);
    assert.equal(r.visited, 220);
    await assert.rejects(
      walkTree(fakeTree(tree).client, '/nope', () => undefined),
      (e: unknown) => e instanceof ZkError && e.code === 'NoNode',
    );
  });

  it('waits for onNode (backpressure) and stops at its first failure', async () => {
    let n = 0;
    await assert.rejects(
      walkTree(fakeTree(tree).client, '/', async () => {
        if (++n === 5) throw new Error('disk full');
      }),
      /disk full/,
    );
  });

  it('an aborted signal stops the walk', async () => {
    const ac = new AbortController();
    ac.abort(new Error('interrupted'));
    await assert.rejects(
      walkTree(fakeTree(tree).client, '/', () => undefined, {signal: ac.signal}),
      /interrupted/,
    );
  });

  it('applyWrites: creates in order with many in flight; NodeExists fails unless overwrite (then set + setAcl)', async () => {
    const order: string[] = [];
    const existing = new Set(['/x']);
    const client = {
      create: async (p: string) => {
        order.push(`create ${p}`);
        if (existing.has(p)) throw ZkError.of('NodeExists', p);
        return p;
      },
      set: async (p: string) => (order.push(`set ${p}`), stat()),
      setAcl: async (p: string) => (order.push(`setAcl ${p}`), stat()),
    };
    const ops = ['/a', '/a/b', '/x'].map((path) => ({path, data: Buffer.alloc(0), acl: OPEN}));
    await assert.rejects(applyWrites(client, ops), (e: unknown) => e instanceof ZkError && e.code === 'NodeExists');
    order.length = 0;
    const hows: string[] = [];
    const n = await applyWrites(
      client,
      ops.map((o) => ({...o, overwrite: true})),
      {onApplied: (_o, how) => void hows.push(how)},
    );
    assert.equal(n, 3);
    assert.deepEqual(order.slice(0, 3), ['create /a', 'create /a/b', 'create /x']);
    assert.ok(order.includes('set /x') && order.includes('setAcl /x'));
    assert.deepEqual(hows.sort(), ['created', 'created', 'overwritten']);
  });
});
