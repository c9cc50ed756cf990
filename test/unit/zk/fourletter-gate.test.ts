/**
 * FourLetterGate against an in-process server that behaves like a ZooKeeper 3.8
 * member in leader election: `mntr` waits on a lock (no answer until released),
 * `srvr` answers at once. Real sockets, no JVM.
 */
import {strict as assert} from 'node:assert';
import {createServer, type Server, type Socket} from 'node:net';
import {setTimeout as delay} from 'node:timers/promises';
import {FourLetterGate, ZkError, fourLetterWord, type Endpoint} from '../../support/zk.js';

interface BusyMember {
  ep: Endpoint;
  /** connections that asked each word */
  asked: Map<string, number>;
  /** mntr requests the member is still holding (its "worker threads" in use) */
  held: () => number;
  /** the lock is released: every held mntr is answered */
  release(): void;
  close(): Promise<void>;
}

async function busyMember(): Promise<BusyMember> {
  const asked = new Map<string, number>();
  const waiting: Socket[] = [];
  let locked = true;
  const conns = new Set<Socket>();
  const answer = (s: Socket) => s.end('zk_version\t3.8.0\nzk_server_state\tfollower\n');
  const server: Server = createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => undefined);
    s.once('data', (b) => {
      const word = b.toString('utf8', 0, 4);
      asked.set(word, (asked.get(word) ?? 0) + 1);
      if (word === 'srvr') s.end('Zookeeper version: 3.8.0\nMode: follower\nNode count: 5\n');
      else if (locked) waiting.push(s);
      else answer(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    ep: {host: '127.0.0.1', port: (server.address() as {port: number}).port},
    asked,
    held: () => waiting.length,
    release() {
      locked = false;
      for (const s of waiting.splice(0)) answer(s);
    },
    close: () =>
      new Promise((r) => {
        for (const c of conns) c.destroy();
        server.close(() => r());
      }),
  };
}

const timedOut = (e: unknown) => e instanceof ZkError && e.code === 'Timeout';

describe('zk/fourletter: FourLetterGate', () => {
  let m: BusyMember;
  beforeEach(async () => {
    m = await busyMember();
  });
  afterEach(async () => {
    await m.close();
  });

  it('without a gate, every poll of a stuck mntr takes another server thread (the failure it prevents)', async () => {
    for (let i = 0; i < 4; i++) await assert.rejects(fourLetterWord(m.ep, 'mntr', {timeoutMs: 50}), timedOut);
    await delay(20);
    assert.equal(m.asked.get('mntr'), 4);
  });

  it('holds one mntr per member until the server answers, even past the local timeout; srvr passes', async () => {
    const gate = new FourLetterGate();
    await assert.rejects(gate.ask(m.ep, 'mntr', {timeoutMs: 50}), timedOut);
    assert.equal(gate.pending, 1, 'the timed-out mntr still holds a server thread');
    for (let i = 0; i < 3; i++) {
      await assert.rejects(gate.ask(m.ep, 'mntr', {timeoutMs: 50}), (e: unknown) => timedOut(e) && /still unanswered/.test((e as Error).message));
    }
    assert.match(await gate.ask(m.ep, 'srvr', {timeoutMs: 1000}), /Mode: follower/);
    await delay(20);
    assert.equal(m.asked.get('mntr'), 1, 'refused polls never reached the server');
    assert.equal(m.held(), 1);

    m.release(); // the election's lock is free: the held mntr is answered
    for (let i = 0; i < 50 && gate.pending > 0; i++) await delay(10);
    assert.equal(gate.pending, 0, 'the answer frees the member');
    assert.match(await gate.ask(m.ep, 'mntr', {timeoutMs: 1000, quietMs: 20}), /zk_server_state\tfollower/);
    assert.equal(m.asked.get('mntr'), 2);
  });

  it('gives up watching after lingerMs (a member that never answers is asked again later)', async () => {
    const gate = new FourLetterGate();
    await assert.rejects(gate.ask(m.ep, 'mntr', {timeoutMs: 30, lingerMs: 100}), timedOut);
    assert.equal(gate.pending, 1);
    await delay(150);
    assert.equal(gate.pending, 0);
    await assert.rejects(gate.ask(m.ep, 'mntr', {timeoutMs: 30, lingerMs: 100}), (e: unknown) => timedOut(e) && !/still unanswered/.test((e as Error).message));
    assert.equal(m.asked.get('mntr'), 2);
  });

  it('a connection that fails outright frees the member at once', async () => {
    const gate = new FourLetterGate();
    await m.close();
    await assert.rejects(gate.ask(m.ep, 'conf', {timeoutMs: 500}));
    assert.equal(gate.pending, 0);
  });
});
