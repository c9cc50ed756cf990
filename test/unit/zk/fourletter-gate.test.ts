/**
 * FourLetterGate against an in-process server that behaves like a ZooKeeper 3.8
 * member in leader election: `mntr` waits on a lock (no answer until released),
 * `srvr` answers at once. Real sockets, no JVM; the timeouts run on node's mock
 * timers, moved on only once the server holds the request.
 */
import {strict as assert} from 'node:assert';
import {createServer, type Server, type Socket} from 'node:net';
import {mock} from 'node:test';
import {FourLetterGate, ZkError, fourLetterWord, type Endpoint} from '../../support/zk.js';

interface BusyMember {
  ep: Endpoint;
  /** connections that asked each word */
  asked: Map<string, number>;
  /** resolves once `n` connections have asked `word` */
  reached(word: string, n: number): Promise<void>;
  /** mntr requests the member is still holding (its "worker threads" in use) */
  held: () => number;
  /** the lock is released: every held mntr is answered */
  release(): void;
  close(): Promise<void>;
}

async function busyMember(): Promise<BusyMember> {
  const asked = new Map<string, number>();
  const waiters: {word: string; n: number; resolve: () => void}[] = [];
  const wake = () => {
    for (const w of waiters.filter((x) => (asked.get(x.word) ?? 0) >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
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
      wake();
      if (word === 'srvr') s.end('Zookeeper version: 3.8.0\nMode: follower\nNode count: 5\n');
      else if (locked) waiting.push(s);
      else answer(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    ep: {host: '127.0.0.1', port: (server.address() as {port: number}).port},
    asked,
    reached: (word, n) =>
      new Promise<void>((resolve) => {
        waiters.push({word, n, resolve});
        wake();
      }),
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
/** What `p` has come to by the next turn of the event loop, the mock clock standing still: its error, 'resolved' or 'pending'. */
const byNextTurn = (p: Promise<unknown>): Promise<unknown> =>
  Promise.race([
    p.then(
      () => 'resolved',
      (e: unknown) => e,
    ),
    new Promise((r) => setImmediate(() => r('pending'))),
  ]);

describe('zk/fourletter: FourLetterGate', () => {
  let m: BusyMember;
  beforeEach(async () => {
    m = await busyMember();
    mock.timers.enable({apis: ['setTimeout']});
  });
  afterEach(async () => {
    mock.timers.reset();
    await m.close();
  });

  /** `p`, asked as the `n`th `word`, times out after `timeoutMs` on the mock clock once the server holds it. */
  async function timesOutHeld(p: Promise<string>, word: string, n: number, timeoutMs: number): Promise<void> {
    await m.reached(word, n);
    mock.timers.tick(timeoutMs);
    await assert.rejects(p, timedOut);
  }

  it('without a gate, every poll of a stuck mntr takes another server thread (the failure it prevents)', async () => {
    for (let i = 0; i < 4; i++) await timesOutHeld(fourLetterWord(m.ep, 'mntr', {timeoutMs: 50}), 'mntr', i + 1, 50);
    assert.equal(m.asked.get('mntr'), 4);
    assert.equal(m.held(), 4);
  });

  it('holds one mntr per member until the server answers, even past the local timeout; srvr passes', async () => {
    const gate = new FourLetterGate();
    let freed!: () => void;
    const serverDone = new Promise<void>((r) => (freed = r));
    await timesOutHeld(gate.ask(m.ep, 'mntr', {timeoutMs: 50, onServerDone: freed}), 'mntr', 1, 50);
    assert.equal(gate.pending, 1, 'the timed-out mntr still holds a server thread');
    for (let i = 0; i < 3; i++) {
      // refused at once: no time passes
      const refused = await byNextTurn(gate.ask(m.ep, 'mntr', {timeoutMs: 50}));
      assert.ok(timedOut(refused) && /still unanswered/.test((refused as Error).message), String(refused));
    }
    assert.match(await gate.ask(m.ep, 'srvr', {timeoutMs: 1000}), /Mode: follower/);
    // refused polls open no connection at all (nothing left in flight to wait for)
    assert.equal(m.asked.get('mntr'), 1, 'refused polls never reached the server');
    assert.equal(m.held(), 1);

    m.release(); // the election's lock is free: the held mntr is answered
    await serverDone;
    assert.equal(gate.pending, 0, 'the answer frees the member');
    assert.match(await gate.ask(m.ep, 'mntr', {timeoutMs: 1000, quietMs: 20}), /zk_server_state\tfollower/);
    assert.equal(m.asked.get('mntr'), 2);
  });

  it('gives up watching after lingerMs (a member that never answers is asked again later)', async () => {
    const gate = new FourLetterGate();
    await timesOutHeld(gate.ask(m.ep, 'mntr', {timeoutMs: 30, lingerMs: 100}), 'mntr', 1, 30);
    assert.equal(gate.pending, 1);
    mock.timers.tick(99);
    assert.equal(gate.pending, 1, 'still watching before lingerMs');
    mock.timers.tick(1);
    assert.equal(gate.pending, 0);
    const again = gate.ask(m.ep, 'mntr', {timeoutMs: 30, lingerMs: 100});
    await m.reached('mntr', 2);
    mock.timers.tick(30);
    await assert.rejects(again, (e: unknown) => timedOut(e) && !/still unanswered/.test((e as Error).message));
    assert.equal(m.asked.get('mntr'), 2);
  });

  it('a connection that fails outright frees the member at once', async () => {
    const gate = new FourLetterGate();
    await m.close();
    await assert.rejects(gate.ask(m.ep, 'conf', {timeoutMs: 500}));
    assert.equal(gate.pending, 0);
  });
});
