import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { type LibConnectionManager, watchReads } from '../../../src/zk/client.js';

/** A stand-in for node-zookeeper-client's ConnectionManager: only what watchReads touches. */
function fakeManager(state: number) {
  const received: Buffer[] = [];
  const sockets: Array<{ destroyed: boolean; destroy(): void }> = [];
  const newSocket = () => {
    const s = { destroyed: false, destroy() { this.destroyed = true; } };
    sockets.push(s);
    return s;
  };
  const cm: LibConnectionManager = {
    socket: newSocket(),
    state,
    sessionTimeout: 9000,
    connectTimeout: 3000,
    onSocketData(b: Buffer) { received.push(b); },
    queue() { /* unused */ },
  };
  return { cm, received, sockets, newSocket };
}

describe('zk/client read timeout (watchReads)', () => {
  let t = 0;
  const now = () => t;
  const tick = () => delay(15); // tickMs is 5: three checks

  it('connected: cuts the socket after 2/3 of the session timeout without a byte, not before', async () => {
    t = 0;
    const { cm, sockets } = fakeManager(2);
    const cuts: Array<[number, number]> = [];
    const stop = watchReads(cm, { now, tickMs: 5, onCut: (s, l) => cuts.push([s, l]) });
    try {
      t = 5999;
      await tick();
      assert.equal(sockets[0]!.destroyed, false, 'cut before the read timeout');
      t = 6001;
      await tick();
      assert.equal(sockets[0]!.destroyed, true, 'not cut after 2/3 of the session timeout');
      assert.deepEqual(cuts, [[6001, 6000]]);
    } finally {
      stop();
    }
  });

  it('data resets the clock, and still reaches the library', async () => {
    t = 0;
    const { cm, sockets, received } = fakeManager(3); // connected read-only counts as connected
    const stop = watchReads(cm, { now, tickMs: 5 });
    try {
      t = 5000;
      cm.onSocketData(Buffer.from('ping reply'));
      t = 10_000;
      await tick();
      assert.equal(sockets[0]!.destroyed, false, 'data 5000 ms ago: not silent yet');
      assert.equal(received.length, 1);
      assert.equal(received[0]!.toString(), 'ping reply');
      t = 11_001;
      await tick();
      assert.equal(sockets[0]!.destroyed, true);
    } finally {
      stop();
    }
  });

  it('during the handshake the limit is connectTimeout; a new socket starts its own clock', async () => {
    t = 0;
    const { cm, sockets, newSocket } = fakeManager(1);
    const stop = watchReads(cm, { now, tickMs: 5 });
    try {
      t = 3001;
      await tick();
      assert.equal(sockets[0]!.destroyed, true, 'a handshake with no answer for connectTimeout is cut');
      t = 4000;
      cm.socket = newSocket(); // the library's next attempt
      await tick();
      t = 6500;
      await tick();
      assert.equal(sockets[1]!.destroyed, false, 'the new socket is 2500 ms old, under connectTimeout');
      t = 7001;
      await tick();
      assert.equal(sockets[1]!.destroyed, true);
    } finally {
      stop();
    }
  });

  it('leaves other states alone (disconnected, closing, closed), and stop() ends the watch', async () => {
    t = 0;
    const { cm, sockets } = fakeManager(0);
    const stop = watchReads(cm, { now, tickMs: 5 });
    for (const state of [0, -1, -2, -3]) {
      cm.state = state;
      t += 60_000;
      await tick();
    }
    assert.equal(sockets[0]!.destroyed, false);
    cm.state = 2;
    stop();
    t += 60_000;
    await tick();
    assert.equal(sockets[0]!.destroyed, false, 'watched after stop()');
  });
});
