import {strict as assert} from 'node:assert';
import {ZkError, connectString, formatEndpoint, fromJuteStat, parseEndpoint, permsToBits} from '../../support/zk.js';

describe('zk/endpoint', () => {
  it('formats and parses host:port, with IPv6 brackets', () => {
    assert.equal(formatEndpoint({host: '127.0.0.1', port: 2181}), '127.0.0.1:2181');
    assert.equal(formatEndpoint({host: '::1', port: 2181}), '[::1]:2181');
    assert.deepEqual(parseEndpoint('[::1]:2181'), {host: '::1', port: 2181});
    assert.deepEqual(parseEndpoint('zk-0.zk-hs:2181'), {host: 'zk-0.zk-hs', port: 2181});
    assert.throws(() => parseEndpoint('nope'), TypeError);
    assert.throws(() => parseEndpoint('h:70000'), TypeError);
    assert.equal(
      connectString([
        {host: 'a', port: 1},
        {host: 'b', port: 2},
      ]),
      'a:1,b:2',
    );
  });
});

describe('zk/client helpers', () => {
  it('permission letters → bits', () => {
    assert.equal(permsToBits('cdrwa'), 31);
    assert.equal(permsToBits('r'), 1);
    assert.equal(permsToBits('rw'), 3);
    assert.equal(permsToBits(16), 16);
    assert.throws(
      () => permsToBits('rx'),
      (e: unknown) => e instanceof ZkError && e.code === 'BadArguments',
    );
  });
  it('wire Stat → ZnodeStat', () => {
    const s = fromJuteStat({
      czxid: 1n,
      mzxid: 2n,
      ctime: 1700000000000n,
      mtime: 1700000000001n,
      version: 1,
      cversion: 2,
      aversion: 3,
      ephemeralOwner: 0x100n,
      dataLength: 4,
      numChildren: 5,
      pzxid: 6n,
    });
    assert.equal(s.ctime, 1700000000000);
    assert.equal(s.ephemeralOwner, 0x100n);
    assert.equal(s.pzxid, 6n);
  });
});
