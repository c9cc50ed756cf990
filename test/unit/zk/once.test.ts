/** zk/once.ts against in-process fake servers that record what arrives, and when. */
import {strict as assert} from 'node:assert';
import {createServer, type Server, type Socket} from 'node:net';
import {settleOrder} from '../../support/time.js';
import {FrameDecoder, JuteReader, JuteWriter, OpCode, ZkError, encodeStat, once, onceGet, onceLs, onceStat, type Endpoint} from '../../support/zk.js';

const STAT = {czxid: 1n, mzxid: 2n, ctime: 0n, mtime: 0n, version: 3, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 2, pzxid: 4n};

interface Seen {
  /** the frames of the connection's first chunk: [type, path?] (type -1000 for ConnectRequest) */
  firstChunk: string[];
  connections: number;
  /** resolves when the first connection's first chunk has arrived */
  arrived: Promise<void>;
}

type Behaviour = {
  /** answer to the request (after the handshake): error code, or a body */
  answer?: {err: number} | {body: (w: JuteWriter) => void};
  authErr?: number;
  /** close every connection as soon as it is accepted */
  closeAtOnce?: boolean;
  /** never answer anything */
  silent?: boolean;
};

async function fake(b: Behaviour, servers: Server[]): Promise<{ep: Endpoint; seen: Seen}> {
  let arrived!: () => void;
  const seen: Seen = {firstChunk: [], connections: 0, arrived: new Promise<void>((r) => (arrived = r))};
  const server = createServer((sock: Socket) => {
    seen.connections++;
    sock.on('error', () => undefined);
    if (b.closeAtOnce) return void sock.destroy();
    const dec = new FrameDecoder();
    let first = true;
    sock.on('data', (chunk) => {
      const frames = dec.push(chunk);
      if (first) {
        first = false;
        seen.firstChunk = frames.map((f, i) => {
          const r = new JuteReader(f);
          if (i === 0) return 'connect';
          r.int();
          const type = r.int();
          const name = Object.entries(OpCode).find(([, v]) => v === type)?.[0] ?? String(type);
          return type === OpCode.getData || type === OpCode.exists || type === OpCode.getChildren ? `${name} ${r.ustring()}` : name;
        });
        arrived();
      }
      if (b.silent) return;
      // answers only once the whole pipeline is in: the client must not wait for the handshake
      sock.write(new JuteWriter().int(0).int(4000).long(0x1234n).buffer(Buffer.alloc(16)).bool(false).frame());
      for (const f of frames.slice(1)) {
        const r = new JuteReader(f);
        const xid = r.int();
        const type = r.int();
        const reply = (err: number, body?: (w: JuteWriter) => void) => {
          const w = new JuteWriter().int(xid).long(9n).int(err);
          body?.(w);
          sock.write(w.frame());
        };
        if (type === OpCode.auth) {
          reply(b.authErr ?? 0);
          if (b.authErr) return void sock.end();
        } else if (type === OpCode.closeSession) {
          // never answered: the client must not wait for it
        } else if (b.answer && 'err' in b.answer) reply(b.answer.err);
        else reply(0, b.answer?.body);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {ep: {host: '127.0.0.1', port: (server.address() as {port: number}).port}, seen};
}

async function deadEndpoint(): Promise<Endpoint> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as {port: number}).port;
  await new Promise<void>((r) => s.close(() => r()));
  return {host: '127.0.0.1', port};
}

const code =
  (c: string) =>
  (e: unknown): boolean =>
    e instanceof ZkError && e.code === c;

describe('zk/once: one read, one round trip (fake servers)', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('sends handshake, auth, request and closeSession in one write, and resolves without the answer to closeSession', async () => {
    const {ep, seen} = await fake({answer: {body: (w) => encodeStat(w.buffer(Buffer.from('hello')), STAT)}}, servers);
    const got = await once([ep], onceGet('/app'), {auth: [{scheme: 'digest', auth: 'u:p'}], shuffle: false});
    assert.equal(got.data.toString(), 'hello');
    assert.equal(got.stat.version, 3);
    assert.equal(got.stat.mzxid, 2n);
    assert.deepEqual(seen.firstChunk, ['connect', 'auth', 'getData /app', 'closeSession']);
  });

  it('stat reads exists; ls reads getChildren, sorted', async () => {
    const s = await fake({answer: {body: (w) => encodeStat(w, STAT)}}, servers);
    assert.equal((await once([s.ep], onceStat('/a'))).numChildren, 2);
    assert.deepEqual(s.seen.firstChunk, ['connect', 'exists /a', 'closeSession']);
    const l = await fake({answer: {body: (w) => w.int(2).ustring('b').ustring('a')}}, servers);
    assert.deepEqual(await once([l.ep], onceLs('/')), ['a', 'b']);
    assert.deepEqual(l.seen.firstChunk, ['connect', 'getChildren /', 'closeSession']);
  });

  it('moves on past a refused endpoint and one that closes during the handshake', async () => {
    const closing = await fake({closeAtOnce: true}, servers);
    const good = await fake({answer: {body: (w) => encodeStat(w.buffer(Buffer.from('x')), STAT)}}, servers);
    const lines: string[] = [];
    const got = await once([await deadEndpoint(), closing.ep, good.ep], onceGet('/x'), {shuffle: false, log: (l) => lines.push(l)});
    assert.equal(got.data.toString(), 'x');
    assert.equal(closing.seen.connections, 1);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /ECONNREFUSED/);
    assert.match(lines[1]!, /closed during the handshake|ECONNRESET|EPIPE/);
    assert.match(lines[2]!, /ZooKeeper session 0x1234 on 127\.0\.0\.1:\d+ \(one request, closed behind it\)/);
  });

  it('a server error ends it at once: NoNode names the path, AuthFailed tries no other member', async () => {
    const missing = await fake({answer: {err: -101}}, servers);
    const other = await fake({}, servers);
    await assert.rejects(once([missing.ep, other.ep], onceGet('/nope'), {shuffle: false}), (e: unknown) => code('NoNode')(e) && (e as Error).message === 'Node does not exist: /nope');
    const refused = await fake({authErr: -115}, servers);
    await assert.rejects(once([refused.ep, other.ep], onceGet('/x'), {shuffle: false, auth: [{scheme: 'digest', auth: 'u:bad'}]}), code('AuthFailed'));
    assert.equal(other.seen.connections, 0);
  });

  it('Timeout after connectTimeoutMs when no endpoint answers the handshake, round after round', async () => {
    const silent = await fake({silent: true}, servers);
    const p = once([silent.ep, await deadEndpoint()], onceGet('/x'), {shuffle: false, connectTimeoutMs: 600, attemptTimeoutMs: 100, spinDelayMs: 50});
    // not before the connect timeout, and not long after it (order of events, not a measured time)
    assert.deepEqual(await settleOrder(p, {beforeTimeout: 500, longAfter: 3000}), ['beforeTimeout', 'settled', 'longAfter']);
    await assert.rejects(p, (e: unknown) => code('Timeout')(e) && /no ZooKeeper session within 600 ms/.test((e as Error).message));
    assert.ok(silent.seen.connections >= 2, `${silent.seen.connections} attempts on the silent server`);
  });

  it("Ctrl-C (the signal) stops it at once with the signal's reason", async () => {
    const silent = await fake({silent: true}, servers);
    const ac = new AbortController();
    const p = once([silent.ep], onceGet('/x'), {signal: ac.signal, attemptTimeoutMs: 5000});
    await silent.seen.arrived; // the request is out, its answer awaited: then Ctrl-C
    ac.abort(new Error('interrupted by test'));
    // ended by the signal, well before the attempt's own timeout
    assert.deepEqual(await settleOrder(p, {attemptTimeoutFifth: 1000}), ['settled', 'attemptTimeoutFifth']);
    await assert.rejects(p, /interrupted by test/);
  });
});
