import {strict as assert} from 'node:assert';
import {mock} from 'node:test';
import {type LibConnectionManager, watchReads} from '../../../src/zk/nzc-internals.js';

/** A stand-in for node-zookeeper-client's ConnectionManager: only what watchReads touches. */
function fakeManager(state: number) {
  const received: Buffer[] = [];
  const sockets: Array<{destroyed: boolean; destroy(): void}> = [];
  const newSocket = () => {
    const s = {
      destroyed: false,
      destroy() {
        this.destroyed = true;
      },
    };
    sockets.push(s);
    return s;
  };
  const cm: LibConnectionManager = {
    socket: newSocket(),
    state,
    sessionTimeout: 9000,
    connectTimeout: 3000,
    onSocketData(b: Buffer) {
      received.push(b);
    },
    queue() {
      /* unused */
    },
  };
  return {cm, received, sockets, newSocket};
}

describe('zk/client read timeout (watchReads)', () => {
  let t = 0;
  const now = () => t;
  let stop: (() => void) | undefined;
  /** The clock reads `ms`, then three checks run (tickMs is 5; the interval timer is node's mock, no real wait). */
  const at = async (ms: number) => {
    t = ms;
    mock.timers.tick(15);
  };
  beforeEach(() => mock.timers.enable({apis: ['setInterval']}));
  /** A manager in `state`, watched from t = 0. */
  const watched = (state: number, onCut?: (silent: number, limit: number) => void) => {
    t = 0;
    const m = fakeManager(state);
    stop = watchReads(m.cm, {now, tickMs: 5, onCut});
    return m;
  };
  afterEach(() => {
    stop?.();
    mock.timers.reset();
  });

  it('connected: cuts the socket after 2/3 of the session timeout without a byte, not before', async () => {
    const cuts: Array<[number, number]> = [];
    const {sockets} = watched(2, (s, l) => cuts.push([s, l]));
    await at(5999);
    assert.equal(sockets[0]!.destroyed, false, 'cut before the read timeout');
    await at(6001);
    assert.equal(sockets[0]!.destroyed, true, 'not cut after 2/3 of the session timeout');
    assert.deepEqual(cuts, [[6001, 6000]]);
  });

  it('data resets the clock, and still reaches the library', async () => {
    const {cm, sockets, received} = watched(3); // connected read-only counts as connected
    t = 5000;
    cm.onSocketData(Buffer.from('ping reply'));
    await at(10_000);
    assert.equal(sockets[0]!.destroyed, false, 'data 5000 ms ago: not silent yet');
    assert.equal(received.length, 1);
    assert.equal(received[0]!.toString(), 'ping reply');
    await at(11_001);
    assert.equal(sockets[0]!.destroyed, true);
  });

  it('during the handshake the limit is connectTimeout; a new socket starts its own clock', async () => {
    const {cm, sockets, newSocket} = watched(1);
    await at(3001);
    assert.equal(sockets[0]!.destroyed, true, 'a handshake with no answer for connectTimeout is cut');
    t = 4000;
    cm.socket = newSocket(); // the library's next attempt
    await at(4000);
    await at(6500);
    assert.equal(sockets[1]!.destroyed, false, 'the new socket is 2500 ms old, under connectTimeout');
    await at(7001);
    assert.equal(sockets[1]!.destroyed, true);
  });

  it('leaves other states alone (disconnected, closing, closed), and stop() ends the watch', async () => {
    const {cm, sockets} = watched(0);
    for (const state of [0, -1, -2, -3]) {
      cm.state = state;
      await at(t + 60_000);
    }
    assert.equal(sockets[0]!.destroyed, false);
    cm.state = 2;
    stop!();
    await at(t + 60_000);
    assert.equal(sockets[0]!.destroyed, false, 'watched after stop()');
  });
});
