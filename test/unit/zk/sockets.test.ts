/** fourletter.ts and wire.ts against in-process fake servers (no JVM). */
import {strict as assert} from 'node:assert';
import {createServer, type Server, type Socket} from 'node:net';
import {settleOrder} from '../../support/time.js';
import {FrameDecoder, JuteReader, JuteWriter, NativeSession, OpCode, Xid, ZkError, encodeStat, fourLetterWord, reconfig, reconfigAndConfirm, type Endpoint} from '../../support/zk.js';

async function listen(onConn: (s: Socket) => void): Promise<{server: Server; ep: Endpoint}> {
  const server = createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    onConn(s);
  });
  const conns = new Set<Socket>();
  server.on('close', () => conns.forEach((c) => c.destroy()));
  (server as Server & {conns?: Set<Socket>}).conns = conns;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as {port: number}).port;
  return {server, ep: {host: '127.0.0.1', port}};
}
const close = (s: Server): Promise<void> =>
  new Promise((r) => {
    s.close(() => r());
    (s as Server & {conns?: Set<Socket>}).conns?.forEach((c) => c.destroy());
  });
async function deadEndpoint(): Promise<Endpoint> {
  const {server, ep} = await listen(() => undefined);
  await close(server);
  return ep;
}
const code =
  (c: string) =>
  (e: unknown): boolean =>
    e instanceof ZkError && e.code === c;

describe('zk/fourletter (fake server)', () => {
  const servers: Server[] = [];
  after(async () => Promise.all(servers.map(close)));

  it('sends the word and reads until close', async () => {
    const {server, ep} = await listen((s) => s.once('data', (b) => s.end(`got ${b.toString()}`)));
    servers.push(server);
    assert.equal(await fourLetterWord(ep, 'ruok', {timeoutMs: 1000}), 'got ruok');
  });
  it('Timeout when the server never closes', async () => {
    const {server, ep} = await listen((s) => s.on('data', () => s.write('partial')));
    servers.push(server);
    const p = fourLetterWord(ep, 'srvr', {timeoutMs: 200});
    assert.deepEqual(await settleOrder(p, {before: 150, after: 1000}), ['before', 'settled', 'after']);
    await assert.rejects(p, code('Timeout'));
  });
  it('ConnectionRefused when nothing listens', async () => {
    await assert.rejects(fourLetterWord(await deadEndpoint(), 'srvr', {timeoutMs: 1000}), code('ConnectionRefused'));
  });
  it('ConnectionClosed when closed without a byte (port-forward to a dead pod)', async () => {
    const {server, ep} = await listen((s) => s.end());
    servers.push(server);
    await assert.rejects(fourLetterWord(ep, 'srvr', {timeoutMs: 1000}), code('ConnectionClosed'));
  });
  it('refuses a non-4lw command locally', async () => {
    await assert.rejects(fourLetterWord({host: '127.0.0.1', port: 1}, 'srvr\n'), code('BadArguments'));
  });
});

/** Speaks just enough of the ZooKeeper client protocol. */
function fakeZk(behaviour: {reconfigErr?: number; goodAuth?: string; dropOnReconfig?: boolean; config?: string}) {
  return (sock: Socket): void => {
    const dec = new FrameDecoder();
    let handshaken = false;
    sock.on('data', (chunk) => {
      for (const f of dec.push(chunk)) {
        const r = new JuteReader(f);
        if (!handshaken) {
          handshaken = true;
          r.int();
          r.long();
          const timeOut = r.int();
          sock.write(new JuteWriter().int(0).int(Math.min(timeOut, 4000)).long(0x1234n).buffer(Buffer.alloc(16)).bool(false).frame());
          continue;
        }
        const xid = r.int();
        const type = r.int();
        const reply = (err: number, body?: (w: JuteWriter) => void): void => {
          const w = new JuteWriter().int(xid).long(0x10000000cn).int(err);
          body?.(w);
          sock.write(w.frame());
        };
        if (type === OpCode.auth) {
          r.int();
          r.ustring();
          const cred = r.buffer()?.toString();
          if (cred === behaviour.goodAuth) reply(0);
          else {
            reply(-115);
            sock.end();
          }
        } else if (type === OpCode.reconfig) {
          if (behaviour.dropOnReconfig) sock.destroy();
          else if (behaviour.reconfigErr) reply(behaviour.reconfigErr);
          else
            reply(0, (w) =>
              encodeStat(w.buffer(Buffer.from('server.1=a:1:2:participant;3\nversion=10000000c')), {
                czxid: 0n,
                mzxid: 0x10000000cn,
                ctime: 0n,
                mtime: 0n,
                version: -1,
                cversion: 0,
                aversion: -1,
                ephemeralOwner: 0n,
                dataLength: 0,
                numChildren: 0,
                pzxid: 0n,
              }),
            );
        } else if (type === OpCode.sync) {
          reply(0, (w) => w.ustring('/zookeeper/config'));
        } else if (type === OpCode.getData) {
          reply(0, (w) =>
            encodeStat(w.buffer(Buffer.from(behaviour.config ?? '')), {
              czxid: 0n,
              mzxid: 0n,
              ctime: 0n,
              mtime: 0n,
              version: -1,
              cversion: 0,
              aversion: -1,
              ephemeralOwner: 0n,
              dataLength: 0,
              numChildren: 0,
              pzxid: 0n,
            }),
          );
        } else if (type === OpCode.closeSession) {
          reply(0);
          sock.end();
        } else if (xid === Xid.ping) {
          reply(0);
        }
      }
    });
    sock.on('error', () => undefined);
  };
}

describe('zk/wire NativeSession (fake server)', () => {
  const servers: Server[] = [];
  after(async () => Promise.all(servers.map(close)));
  const start = async (b: Parameters<typeof fakeZk>[0]): Promise<Endpoint> => {
    const {server, ep} = await listen(fakeZk(b));
    servers.push(server);
    return ep;
  };

  it('skips a dead endpoint, handshakes, authenticates and closes', async () => {
    const ep = await start({goodAuth: 'super:pw'});
    const s = await NativeSession.connect([await deadEndpoint(), ep], {auth: [{scheme: 'digest', auth: 'super:pw'}]});
    assert.equal(s.sessionIdHex, '0x1234');
    assert.equal(s.negotiatedTimeoutMs, 4000);
    assert.deepEqual(s.endpoint, ep);
    await s.close();
    assert.ok(s.isClosed);
  });
  it('AuthFailed for a wrong password', async () => {
    const ep = await start({goodAuth: 'super:pw'});
    await assert.rejects(NativeSession.connect([ep], {auth: [{scheme: 'digest', auth: 'super:nope'}]}), code('AuthFailed'));
  });
  it('ConnectionLoss listing every endpoint when none answers', async () => {
    await assert.rejects(
      NativeSession.connect([await deadEndpoint(), await deadEndpoint()]),
      (e: unknown) => e instanceof ZkError && e.code === 'ConnectionLoss' && /2 endpoint\(s\).*refused|ECONNREFUSED/.test(e.message),
    );
  });
  it('maps reconfig reply codes to ZkError', async () => {
    for (const [n, c] of [
      [-14, 'ReconfigInProgress'],
      [-13, 'NewConfigNoQuorum'],
      [-8, 'BadArguments'],
      [-103, 'BadVersion'],
      [-102, 'NoAuth'],
      [-123, 'ReconfigDisabled'],
    ] as const) {
      const ep = await start({reconfigErr: n, goodAuth: 'super:pw'});
      await assert.rejects(reconfig([ep], {remove: [3]}, {auth: [{scheme: 'digest', auth: 'super:pw'}]}), code(c));
    }
  });
  it('returns the new config from the reconfig reply', async () => {
    const ep = await start({goodAuth: 'super:pw'});
    const cfg = await reconfig([ep], {remove: [3]}, {auth: [{scheme: 'digest', auth: 'super:pw'}]});
    assert.equal(cfg.version, '10000000c');
    assert.deepEqual(
      cfg.config.servers.map((s) => s.id),
      [1],
    );
  });
  it('reconfigAndConfirm: reply lost, change confirmed by reading the config back', async () => {
    const ep = await start({dropOnReconfig: true, config: 'server.1=a:1:2:participant;3\nversion=10000000c'});
    const r = await reconfigAndConfirm([ep], {remove: [2, 3]}, {pollIntervalMs: 10, confirmTimeoutMs: 2000});
    assert.equal(r.confirmedByReadBack, true);
    assert.equal(r.lostReplyError?.code, 'ConnectionLoss');
    assert.equal(r.config.version, '10000000c');
  });
  it('reconfigAndConfirm: reply lost and the change never shows → the original error', async () => {
    const ep = await start({dropOnReconfig: true, config: 'server.1=a:1:2;3\nserver.2=b:1:2;3\nserver.3=c:1:2;3\nversion=100000000'});
    let t = 0;
    await assert.rejects(
      reconfigAndConfirm([ep], {remove: [3]}, {pollIntervalMs: 100, confirmTimeoutMs: 300, now: () => t, sleep: async (ms) => void (t += ms)}),
      (e: unknown) => e instanceof ZkError && e.code === 'ConnectionLoss' && /not confirmed/.test(e.message),
    );
  });
});
