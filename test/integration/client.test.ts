/** ZkClient (over node-zookeeper-client) against a real 3-server ensemble. */
import {strict as assert} from 'node:assert';
import {randomBytes} from 'node:crypto';
import {createConnection, createServer, type AddressInfo, type Server, type Socket} from 'node:net';
import {firstOf, settleOrder} from '../support/time.js';
import {ZkError, adminCommand, connectZk, digestAuth, type ConnectionState, type ZkClient} from '../support/zk.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

/**
 * A TCP relay that passes bytes at once but hands the server's close on to the
 * client only lateMs later: what a Kubernetes port-forward does (its stream
 * closes ~1 s after the pod's socket). `onLateClose` runs when it hands a close on.
 */
async function lateClosingRelay(target: {host: string; port: number}, lateMs: number, onLateClose: () => void = () => undefined): Promise<{server: Server; port: number; close(): void}> {
  const sockets = new Set<Socket>();
  const server = createServer((local) => {
    const remote = createConnection(target);
    for (const s of [local, remote]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    local.pipe(remote, {end: true});
    remote.on('data', (d) => local.write(d));
    remote.on('close', () =>
      setTimeout(() => {
        onLateClose();
        local.destroy();
      }, lateMs),
    );
    local.on('close', () => remote.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * A TCP relay that can go silent: after silence() it passes nothing in either direction and closes
 * nothing, like a port-forward whose pod side is gone without a word. Counts the connections it accepted.
 */
async function silenceableRelay(target: {host: string; port: number}): Promise<{port: number; accepted: () => number; open: () => number; silence(): void; close(): void}> {
  const sockets = new Set<Socket>();
  let silent = false;
  let accepted = 0;
  const server = createServer((local) => {
    accepted++;
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    local.on('error', () => undefined);
    if (silent) return; // a black hole: accepts, never answers
    const remote = createConnection(target);
    sockets.add(remote);
    remote.on('close', () => sockets.delete(remote));
    remote.on('error', () => undefined);
    local.on('data', (d) => {
      if (!silent) remote.write(d);
    });
    remote.on('data', (d) => {
      if (!silent) local.write(d);
    });
    remote.on('close', () => {
      if (!silent) local.destroy();
    });
    local.on('close', () => remote.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    open: () => [...sockets].filter((s) => s.localPort === (server.address() as AddressInfo).port).length,
    silence() {
      silent = true;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const code =
  (c: string, msg?: string) =>
  (e: unknown): boolean =>
    e instanceof ZkError && e.code === c && (msg === undefined || e.message === msg);

describe('integration: ZkClient on a real ensemble', function () {
  this.timeout(120_000);
  let ens: Ensemble;
  let zk: ZkClient;

  before(async () => {
    ens = await startEnsemble({size: 3});
    zk = await connectZk({endpoints: ens.endpoints, sessionTimeoutMs: 10_000});
  });
  after(async () => {
    await zk?.close();
    await ens?.stopAll();
  });

  it('has a session id', () => {
    assert.match(zk.sessionId ?? '', /^0x[0-9a-f]+$/);
    assert.equal(zk.state, 'connected');
  });

  it('create / get / set / stat / delete', async () => {
    assert.equal(await zk.create('/t1', 'hello'), '/t1');
    const g = await zk.get('/t1');
    assert.equal(g.data.toString(), 'hello');
    assert.equal(g.stat.version, 0);
    assert.equal(g.stat.dataLength, 5);
    assert.equal(g.stat.ephemeralOwner, 0n);
    assert.ok(g.stat.ctime > Date.parse('2020-01-01'));
    const s = await zk.set('/t1', 'world');
    assert.equal(s.version, 1);
    assert.equal((await zk.stat('/t1')).version, 1);
    assert.equal((await zk.get('/t1')).data.toString(), 'world');
    await zk.delete('/t1');
    assert.equal(await zk.exists('/t1'), null);
  });

  it('empty data reads back as an empty buffer', async () => {
    await zk.create('/empty');
    assert.equal((await zk.get('/empty')).data.length, 0);
    await zk.delete('/empty');
  });

  it('binary data round-trips byte for byte', async () => {
    const bytes = Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0]), randomBytes(64 * 1024)]);
    await zk.create('/bin', bytes);
    const g = await zk.get('/bin');
    assert.ok(g.data.equals(bytes));
    assert.equal(g.stat.dataLength, bytes.length);
    await zk.delete('/bin');
  });

  it('parents, ls, lsRecursive, deleteRecursive', async () => {
    await zk.create('/p/a/b/c', 'leaf', {parents: true});
    await zk.create('/p/a/x');
    await zk.create('/p/z');
    assert.deepEqual(await zk.ls('/p'), ['a', 'z']);
    assert.deepEqual(await zk.ls('/p/a'), ['b', 'x']);
    assert.deepEqual(await zk.lsRecursive('/p'), ['/p', '/p/a', '/p/z', '/p/a/b', '/p/a/x', '/p/a/b/c']);
    assert.ok((await zk.ls('/')).includes('zookeeper'));
    await zk.create('/p/a/b/c2', 'x', {parents: true}); // parents with existing ancestors
    await zk.deleteRecursive('/p');
    assert.equal(await zk.exists('/p'), null);
  });

  it('NoNode / NodeExists / NotEmpty with zkCli-like messages', async () => {
    await assert.rejects(zk.get('/nope'), code('NoNode', 'Node does not exist: /nope'));
    await assert.rejects(zk.set('/nope', 'x'), code('NoNode', 'Node does not exist: /nope'));
    await assert.rejects(zk.delete('/nope'), code('NoNode'));
    await assert.rejects(zk.stat('/nope'), code('NoNode', 'Node does not exist: /nope'));
    await assert.rejects(zk.ls('/nope'), code('NoNode'));
    await assert.rejects(zk.create('/nope/child'), code('NoNode', 'Node does not exist: /nope/child'));
    await zk.create('/dup');
    await assert.rejects(zk.create('/dup'), code('NodeExists', 'Node already exists: /dup'));
    await zk.create('/dup/kid');
    await assert.rejects(zk.delete('/dup'), code('NotEmpty', 'Node not empty: /dup'));
    await zk.deleteRecursive('/dup');
  });

  it('conditional set and delete with a wrong version → BadVersion', async () => {
    await zk.create('/v', 'a');
    await zk.set('/v', 'b', 0);
    await assert.rejects(zk.set('/v', 'c', 0), code('BadVersion', 'version No is not valid : /v'));
    await assert.rejects(zk.delete('/v', 7), code('BadVersion'));
    await zk.delete('/v', 1);
  });

  it('invalid paths are refused before any round trip', async () => {
    for (const p of ['nope', '/a/', '/a//b', '/a/./b', '/a/../b', '/a\u0000']) {
      await assert.rejects(zk.get(p), code('InvalidPath'), p);
      await assert.rejects(zk.create(p), code('InvalidPath'), p);
    }
  });

  it('sequential and ephemeral nodes', async () => {
    await zk.create('/q', '');
    const a = await zk.create('/q/item-', 'a', {sequential: true});
    const b = await zk.create('/q/item-', 'b', {sequential: true});
    assert.match(a, /^\/q\/item-\d{10}$/);
    assert.ok(b > a);
    const other = await connectZk({endpoints: ens.endpoints});
    const e = await other.create('/q/eph', 'x', {ephemeral: true});
    const es = await other.create('/q/eph-', 'x', {ephemeral: true, sequential: true});
    const st = await zk.stat(e);
    assert.notEqual(st.ephemeralOwner, 0n);
    assert.equal('0x' + st.ephemeralOwner.toString(16), other.sessionId);
    await assert.rejects(other.create('/q/eph/child'), code('NoChildrenForEphemerals'));
    await other.close();
    // closing the session removes its ephemerals: the close is committed before its reply, but this
    // session may read from a member that applies the commit a moment later (no sync across sessions)
    const deadline = Date.now() + 10_000;
    while ((await zk.exists(e)) !== null || (await zk.exists(es)) !== null) {
      assert.ok(Date.now() < deadline, "the closed session's ephemeral znodes are still there");
      await new Promise((r) => setTimeout(r, 50));
    }
    await zk.deleteRecursive('/q');
  });

  it('ACLs: a digest-protected node refuses other sessions (NoAuth), super may read it', async () => {
    const owner = await connectZk({endpoints: ens.endpoints, auth: [digestAuth('alice', 'pw')]});
    await owner.create('/secret', 's3', {acl: [{perms: 'cdrwa', scheme: 'auth', id: ''}]});
    await assert.rejects(zk.get('/secret'), code('NoAuth', 'Insufficient permission : /secret'));
    const sup = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth});
    assert.equal((await sup.get('/secret')).data.toString(), 's3');
    await sup.delete('/secret');
    await Promise.all([owner.close(), sup.close()]);
  });

  it('getConfig reads /zookeeper/config', async () => {
    const c = await zk.getConfig();
    assert.equal(c.config.servers.length, 3);
    assert.match(c.version ?? '', /^[0-9a-f]+$/);
    assert.ok(c.raw.includes('version='));
  });

  it('keeps working (same session) after the member it is connected to is killed', async () => {
    const client = await connectZk({endpoints: ens.endpoints, sessionTimeoutMs: 10_000});
    const states: ConnectionState[] = [];
    client.onState((s) => states.push(s));
    const session = client.sessionId;
    await client.create('/survive', 'before');
    // which server holds the connection? AdminServer "connections" lists it
    // the session id carries the creating server's id in its top byte: that server holds the fresh connection
    // (asking every AdminServer for "connections" races with earlier tests' sessions still being torn down)
    const holder = ens.server(Number(BigInt(session!) >> 56n));
    const listed = await adminCommand(holder.adminEndpoint, 'connections');
    assert.ok((listed['connections'] as unknown[]).length > 0, `server ${holder.id} lists the client connection`);
    const t0 = performance.now();
    holder.kill('SIGKILL');
    let data: string | undefined;
    let attempts = 0;
    // no time budget: a session lost meanwhile fails the assertion in the catch (SessionExpired); a client that never comes back, mocha's timeout
    while (data === undefined) {
      attempts++;
      try {
        await client.set('/survive', 'after');
        data = (await client.get('/survive')).data.toString();
      } catch (e) {
        assert.ok(e instanceof ZkError && (e.code === 'ConnectionLoss' || e.code === 'Timeout'), String(e));
      }
    }
    const ms = performance.now() - t0;
    assert.equal(data, 'after');
    assert.equal(client.sessionId, session, 'same session');
    // the order of events: the connection dropped, then came back (to another member), and the session never expired
    assert.ok(!states.includes('expired'), states.join(','));
    assert.ok(states.includes('disconnected') && states.at(-1) === 'connected' && states.indexOf('disconnected') < states.lastIndexOf('connected'), states.join(','));
    console.log(`      [measure] killed server ${holder.id} under a client: write succeeded again after ${ms.toFixed(0)} ms (${attempts} attempt(s)), same session`);
    await client.delete('/survive');
    await client.close();
    assert.equal(client.state, 'closed');
    await assert.rejects(client.get('/'), code('Closed'));
    await holder.exited();
    await holder.start();
    await ens.waitForQuorum();
  });

  it('close() ends the session without waiting for the server to close the socket (a port-forward delivers that ~1 s late)', async () => {
    // late by 1000 ms, less than close()'s own 2000 ms fallback for an unanswered closeSession: a close() that
    // waited for the socket, or for that fallback, would end after the relay handed the close on
    const order: string[] = [];
    let lateClose!: () => void;
    const handedOn = new Promise<void>((r) => (lateClose = r));
    const relay = await lateClosingRelay(ens.endpoints[0]!, 1000, () => (order.push('relay handed the server close on'), lateClose()));
    try {
      const c = await connectZk({endpoints: [{host: '127.0.0.1', port: relay.port}], sessionTimeoutMs: 10_000});
      const node = `/close-${Date.now()}`;
      await c.create(node, 'x', {ephemeral: true});
      const t0 = performance.now();
      await c.close();
      const ms = performance.now() - t0;
      order.push('close() returned');
      assert.equal(c.state, 'closed');
      await handedOn;
      assert.deepEqual(order, ['close() returned', 'relay handed the server close on']);
      // the server ended the session before answering: a new session on the same server no longer sees its ephemeral node
      const check = await connectZk({endpoints: [ens.endpoints[0]!], sessionTimeoutMs: 10_000});
      try {
        assert.equal(await check.exists(node), null, 'the ephemeral node outlived close(): the session was not closed');
      } finally {
        await check.close();
      }
      console.log(`      [measure] close() through a late-closing relay: ${ms.toFixed(1)} ms`);
    } finally {
      relay.close();
    }
  });

  it('close() of a session whose connection is already gone returns at once', async () => {
    const relay = await lateClosingRelay(ens.endpoints[1]!, 60_000);
    const c = await connectZk({endpoints: [{host: '127.0.0.1', port: relay.port}], sessionTimeoutMs: 10_000});
    relay.close(); // the tunnel dies: no closeSession answer can come
    const closing = c.close();
    // ended by the dead socket, not by close()'s 2000 ms fallback for an unanswered closeSession
    assert.equal(await firstOf(closing, 'half the close fallback', 1000), 'settled');
    await closing;
    assert.equal(c.state, 'closed');
  });

  it('a connection that goes silent without closing is cut after 2/3 of the session timeout; the session moves to another server', async () => {
    const relays = [await silenceableRelay(ens.endpoints[1]!), await silenceableRelay(ens.endpoints[2]!)];
    try {
      const c = await connectZk({endpoints: relays.map((r) => ({host: '127.0.0.1', port: r.port})), sessionTimeoutMs: 6000, spinDelayMs: 100});
      const session = c.sessionId;
      const node = `/silent-${Date.now()}`;
      await c.create(node, 'x', {ephemeral: true});
      const holder = relays.find((r) => r.open() > 0);
      assert.ok(holder, 'one relay holds the connection');
      const states: Array<[ConnectionState, number]> = [];
      const t0 = performance.now();
      c.onState((st) => states.push([st, performance.now() - t0]));
      const back = new Promise<void>((resolve) =>
        c.onState((st) => {
          if (st === 'connected') resolve();
        }),
      );
      holder.silence();
      // negotiated 6000 ms: read timeout 2/3 of it, 4000 ms (ZooKeeper's Java client), checked every 100 ms.
      // Asserted as an order of events: cut after half the session timeout, before the whole of it.
      const cut = new Promise<void>((resolve) =>
        c.onState((st) => {
          if (st === 'disconnected') resolve();
        }),
      );
      const cutOrder = settleOrder(cut, {halfSessionTimeout: 3000, sessionTimeout: 6000});
      // a write sent into the silence has an unknown outcome: ConnectionLoss when the socket is cut
      await assert.rejects(c.set(node, 'lost in the silence'), code('ConnectionLoss'));
      await back;
      await c.set(node, 'after the silence');
      const ms = performance.now() - t0;
      const cutAt = states.find(([st]) => st === 'disconnected')?.[1];
      assert.ok(cutAt !== undefined, `the silent connection was never dropped: ${JSON.stringify(states)}`);
      assert.deepEqual(await cutOrder, ['halfSessionTimeout', 'settled', 'sessionTimeout'], `dropped after ${cutAt.toFixed(0)} ms, expected ~4000`);
      assert.equal(c.state, 'connected');
      assert.equal(c.sessionId, session, 'same session after the move');
      assert.equal((await c.get(node)).data.toString(), 'after the silence', 'the ephemeral node (and so the session) survived');
      console.log(`      [measure] silent connection dropped after ${cutAt.toFixed(0)} ms (read timeout 4000 ms), write landed on the other server after ${ms.toFixed(0)} ms, same session`);
      await c.close();
    } finally {
      for (const r of relays) r.close();
    }
  });

  it('a server that accepts the connection but never answers the handshake is given up after connectTimeout, and tried again', async () => {
    const hole = await silenceableRelay(ens.endpoints[0]!);
    hole.silence();
    try {
      const t0 = performance.now();
      // one server: connectTimeout = sessionTimeout (3000 ms); without a read timeout the first attempt hangs for good
      await assert.rejects(connectZk({endpoints: [{host: '127.0.0.1', port: hole.port}], sessionTimeoutMs: 3000, connectTimeoutMs: 7500, spinDelayMs: 100}), code('Timeout'));
      assert.ok(hole.accepted() >= 2, `accepted ${hole.accepted()} connection(s) in ${(performance.now() - t0).toFixed(0)} ms: the silent handshake was never given up`);
    } finally {
      hole.close();
    }
  });

  it('connect fails with a typed Timeout when no server is reachable', async () => {
    const p = connectZk({endpoints: [{host: '127.0.0.1', port: 1}], connectTimeoutMs: 1500, spinDelayMs: 100});
    // by connectTimeoutMs: not long before it, not long after it (an order of events, not a measured time)
    assert.deepEqual(await settleOrder(p, {twoThirdsTimeout: 1000, twiceTimeout: 3000}), ['twoThirdsTimeout', 'settled', 'twiceTimeout']);
    await assert.rejects(p, code('Timeout'));
  });
});
