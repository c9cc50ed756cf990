/**
 * zk/reader.ts and walkTree against an in-process fake ZooKeeper server that
 * counts the requests it is sent (no JVM): the walk's cost on a real member
 * is per request (docs/benchmarks.md), so the number of requests per znode is
 * what these tests hold down.
 */
import {strict as assert} from 'node:assert';
import {createServer, type Server, type Socket} from 'node:net';
import {openTreeReader, BATCH_OPS} from '../../../src/zk/reader.js';
import {walkTree} from '../../../src/zk/tree.js';
import {FrameDecoder, JuteReader, JuteWriter, OpCode, ZkError, decodeMultiReadResponse, encodeMultiRead, encodeStat, type Endpoint, type Stat} from '../../support/zk.js';

const NO_NODE = -101;

interface FakeTree {
  /** path → data */
  nodes: Map<string, Buffer>;
  /** requests by opcode, over every connection */
  requests: Map<number, number>;
  /** connections that sent a request */
  connections: number;
  /** answer multiRead as a 3.5 server would: Unimplemented for the whole request */
  noMultiRead?: boolean;
}

function statOf(t: FakeTree, path: string): Stat {
  const kids = children(t, path).length;
  const data = t.nodes.get(path)!;
  return {czxid: 1n, mzxid: 2n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: data.length, numChildren: kids, pzxid: 3n} as unknown as Stat;
}

function children(t: FakeTree, path: string): string[] {
  const prefix = path === '/' ? '/' : `${path}/`;
  return [...t.nodes.keys()].filter((p) => p !== '/' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
}

/** Writes one read's answer body (getData / getChildren), or returns its error code. */
function readInto(t: FakeTree, w: JuteWriter, type: number, path: string): number {
  if (!t.nodes.has(path)) return NO_NODE;
  if (type === OpCode.getData) encodeStat(w.buffer(t.nodes.get(path)!), statOf(t, path));
  else {
    const kids = children(t, path);
    w.int(kids.length);
    for (const k of kids) w.ustring(k);
  }
  return 0;
}

function answer(t: FakeTree, r: JuteReader, xid: number, type: number): Buffer {
  const w = new JuteWriter().int(xid).long(0x10n);
  if (type === OpCode.closeSession) return w.int(0).frame();
  if (type === OpCode.getACL) {
    const path = r.ustring()!;
    if (!t.nodes.has(path)) return w.int(NO_NODE).frame();
    return encodeStat(w.int(0).int(1).int(31).ustring('world').ustring('anyone'), statOf(t, path)).frame();
  }
  if (type === OpCode.multiRead) {
    if (t.noMultiRead) return w.int(-6).frame();
    w.int(0);
    for (;;) {
      const opType = r.int();
      const done = r.bool();
      r.int();
      if (done) break;
      const path = r.ustring()!;
      r.bool();
      const body = new JuteWriter();
      const err = readInto(t, body, opType, path);
      if (err === 0) w.int(opType).bool(false).int(0).raw(body.bytes());
      else w.int(OpCode.error).bool(false).int(err).int(err);
    }
    return w.int(-1).bool(true).int(-1).frame();
  }
  const path = r.ustring()!;
  const body = new JuteWriter();
  const err = readInto(t, body, type, path);
  return err === 0 ? w.int(0).raw(body.bytes()).frame() : w.int(err).frame();
}

function serve(t: FakeTree) {
  return (sock: Socket): void => {
    const dec = new FrameDecoder();
    let handshaken = false;
    let counted = false;
    sock.on('data', (chunk) => {
      for (const f of dec.push(chunk)) {
        const r = new JuteReader(f);
        if (!handshaken) {
          handshaken = true;
          sock.write(new JuteWriter().int(0).int(4000).long(0x1234n).buffer(Buffer.alloc(16)).bool(false).frame());
          continue;
        }
        const xid = r.int();
        const type = r.int();
        if (type === OpCode.ping) continue;
        if (!counted) t.connections++;
        counted = true;
        t.requests.set(type, (t.requests.get(type) ?? 0) + 1);
        sock.write(answer(t, r, xid, type));
      }
    });
    sock.on('error', () => undefined);
  };
}

async function listen(t: FakeTree): Promise<{server: Server; ep: Endpoint}> {
  const conns = new Set<Socket>();
  const server = createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    serve(t)(s);
  });
  server.on('close', () => conns.forEach((c) => c.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  (server as Server & {conns?: Set<Socket>}).conns = conns;
  return {server, ep: {host: '127.0.0.1', port: (server.address() as {port: number}).port}};
}

const stop = (s: Server): Promise<void> =>
  new Promise((r) => {
    s.close(() => r());
    (s as Server & {conns?: Set<Socket>}).conns?.forEach((c) => c.destroy());
  });

/** / → 10 parents → 100 leaves each (1,011 znodes with the root), 1 KiB of data on the leaves. */
function bigTree(): FakeTree {
  const nodes = new Map<string, Buffer>([['/', Buffer.alloc(0)]]);
  for (let i = 0; i < 10; i++) {
    nodes.set(`/d${i}`, Buffer.alloc(0));
    for (let j = 0; j < 100; j++) nodes.set(`/d${i}/n${j}`, Buffer.alloc(1024, 97 + (j % 26)));
  }
  return {nodes, requests: new Map(), connections: 0};
}

const total = (t: FakeTree): number => [...t.requests.entries()].filter(([op]) => op !== OpCode.closeSession).reduce((a, [, n]) => a + n, 0);

describe('zk/reader: a walk in few requests (fake server)', () => {
  const servers: Server[] = [];
  after(async () => Promise.all(servers.map(stop)));

  it('reads every znode with its data and ACL in about one request per znode (getData/getChildren batched in multiRead)', async () => {
    const t = bigTree();
    const {server, ep} = await listen(t);
    servers.push(server);
    const reader = await openTreeReader({endpoints: [ep]});
    const seen = new Map<string, Buffer>();
    try {
      const r = await walkTree(reader, '/', (n) => void seen.set(n.path, n.data));
      assert.equal(r.visited, t.nodes.size);
    } finally {
      await reader.close();
    }
    for (const [p, d] of t.nodes) assert.deepEqual(seen.get(p), d, p);
    // before: a getData and a getACL per znode and a getChildren per parent (2,033 requests)
    assert.equal(t.requests.get(OpCode.getACL), t.nodes.size);
    assert.ok((t.requests.get(OpCode.multiRead) ?? 0) > 0, 'no multiRead');
    assert.ok(total(t) < t.nodes.size * 1.2, `${total(t)} requests for ${t.nodes.size} znodes: ${JSON.stringify([...t.requests])}`);
  });

  it('spreads the requests over several sessions on the same server', async () => {
    const t = bigTree();
    const {server, ep} = await listen(t);
    servers.push(server);
    const reader = await openTreeReader({endpoints: [ep], sessions: 3});
    try {
      await walkTree(reader, '/', () => undefined);
    } finally {
      await reader.close();
    }
    assert.equal(t.connections, 3);
  });

  it('a read of a znode gone in a batch fails alone (NoNode), the others are answered', async () => {
    const t = bigTree();
    const {server, ep} = await listen(t);
    servers.push(server);
    const reader = await openTreeReader({endpoints: [ep], sessions: 1});
    try {
      const [a, b, c] = await Promise.allSettled([reader.get('/d1/n1'), reader.get('/d1/gone'), reader.ls('/d2')]);
      assert.equal(a.status === 'fulfilled' && a.value.data.length, 1024);
      assert.ok(b.status === 'rejected' && b.reason instanceof ZkError && b.reason.code === 'NoNode');
      assert.equal(c.status === 'fulfilled' && c.value.length, 100);
      assert.equal(t.requests.get(OpCode.multiRead), 1);
    } finally {
      await reader.close();
    }
  });

  it('a server without multiRead gets single requests, same answers', async () => {
    const t = {...bigTree(), noMultiRead: true};
    const {server, ep} = await listen(t);
    servers.push(server);
    const reader = await openTreeReader({endpoints: [ep], sessions: 1});
    try {
      const r = await walkTree(reader, '/', () => undefined);
      assert.equal(r.visited, t.nodes.size);
    } finally {
      await reader.close();
    }
    assert.equal(t.requests.get(OpCode.multiRead), 1);
    assert.equal(t.requests.get(OpCode.getData), t.nodes.size);
  });

  it('multiRead on the wire: ops and answers in order, an error answer in place', () => {
    const req = new JuteReader(encodeMultiRead(7, [{type: 'getData', path: '/a'}, ...Array.from({length: BATCH_OPS - 1}, () => ({type: 'getChildren' as const, path: '/b'}))]).subarray(4));
    assert.equal(req.int(), 7);
    assert.equal(req.int(), OpCode.multiRead);
    assert.deepEqual([req.int(), req.bool(), req.int(), req.ustring(), req.bool()], [OpCode.getData, false, -1, '/a', false]);
    const w = new JuteWriter();
    encodeStat(w.int(OpCode.getData).bool(false).int(0).buffer(Buffer.from('x')), statOf(bigTree(), '/d0/n0'));
    w.int(OpCode.error).bool(false).int(NO_NODE).int(NO_NODE);
    w.int(OpCode.getChildren).bool(false).int(0).int(1).ustring('c');
    w.int(-1).bool(true).int(-1);
    const got = decodeMultiReadResponse(new JuteReader(w.bytes()));
    assert.deepEqual(
      got.map((g) => g.type),
      ['getData', 'error', 'getChildren'],
    );
    assert.deepEqual(got[1], {type: 'error', err: NO_NODE});
    assert.deepEqual(got[2], {type: 'getChildren', children: ['c']});
  });
});
