import {strict as assert} from 'node:assert';
import {ZkError, isZkError, pollUntil, wrapLibError} from '../../support/zk.js';

describe('zk/errors', () => {
  it('maps server codes to names and zkCli-like messages', () => {
    const cases: [number, string, string][] = [
      [-101, 'NoNode', 'Node does not exist: /foo'],
      [-110, 'NodeExists', 'Node already exists: /foo'],
      [-111, 'NotEmpty', 'Node not empty: /foo'],
      [-103, 'BadVersion', 'version No is not valid : /foo'],
      [-102, 'NoAuth', 'Insufficient permission : /foo'],
      [-4, 'ConnectionLoss', 'Connection lost: /foo'],
      [-13, 'NewConfigNoQuorum', 'No quorum of new config'],
      [-14, 'ReconfigInProgress', 'Another reconfiguration is in progress'],
      [-8, 'BadArguments', 'Bad arguments: /foo'],
      [-112, 'SessionExpired', 'Session expired'],
      [-999, 'Unknown', 'KeeperErrorCode = Unknown (-999): /foo'],
    ];
    for (const [n, code, msg] of cases) {
      const e = ZkError.fromServerCode(n, '/foo');
      assert.equal(e.code, code);
      assert.equal(e.zkCode, n);
      assert.ok(e.message.startsWith(msg), `${e.message} vs ${msg}`);
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'ZkError');
    }
  });
  it('isZkError narrows by code', () => {
    const e: unknown = ZkError.of('NoNode', '/x');
    assert.ok(isZkError(e));
    assert.ok(isZkError(e, 'NoNode'));
    assert.ok(!isZkError(e, 'NodeExists'));
    assert.ok(!isZkError(new Error('x')));
  });
  it('wraps node-zookeeper-client exceptions and assertion errors', () => {
    const lib = Object.assign(new Error('Exception: NO_NODE[-101]'), {code: -101, name: 'NO_NODE', path: '/p'});
    const w = wrapLibError(lib);
    assert.equal(w.code, 'NoNode');
    assert.equal(w.path, '/p');
    assert.equal(w.message, 'Node does not exist: /p');
    const a = Object.assign(new Error('callback must be a function.'), {name: 'AssertionError', code: 'ERR_ASSERTION'});
    assert.equal(wrapLibError(a, '/q').code, 'BadArguments');
  });
});

describe('zk/poll', () => {
  it('returns the first defined value, with injected sleep and clock', async () => {
    let t = 0;
    const sleeps: number[] = [];
    let calls = 0;
    const v = await pollUntil('three calls', async () => (++calls === 3 ? 'done' : undefined), {
      intervalMs: 100,
      timeoutMs: 1000,
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
    });
    assert.equal(v, 'done');
    assert.deepEqual(sleeps, [100, 100]);
  });
  it('times out with the last probe error', async () => {
    let t = 0;
    await assert.rejects(
      pollUntil(
        'never',
        async () => {
          throw new Error('still down');
        },
        {intervalMs: 300, timeoutMs: 1000, now: () => t, sleep: async (ms) => void (t += ms)},
      ),
      (e: unknown) => e instanceof ZkError && e.code === 'Timeout' && /never: not reached within 1000 ms \(last error: still down\)/.test(e.message),
    );
    assert.equal(t, 1000, 'the last sleep ends at the deadline (src/util/poll.ts), one more attempt there');
  });
});
