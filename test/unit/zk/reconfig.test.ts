import {strict as assert} from 'node:assert';
import {ZkError, buildReconfigRequest, isChangeApplied, parseDynamicConfig, superDigest} from '../../support/zk.js';

const isBad = (e: unknown): boolean => e instanceof ZkError && e.code === 'BadArguments';

describe('zk/reconfig (pure parts)', () => {
  it('superDigest = user:base64(sha1("user:password"))', () => {
    // printf 'super:secret' | openssl sha1 -binary | base64
    assert.equal(superDigest('super', 'secret'), 'super:lK75jTNcA+U9vtVEw5vB51mj/w4=');
  });

  it('builds incremental and non-incremental requests', () => {
    assert.deepEqual(buildReconfigRequest({remove: [2, 3]}), {joiningServers: null, leavingServers: '2,3', newMembers: null, curConfigId: -1n});
    const add = buildReconfigRequest({add: ['server.4=h:1:2:observer;3', ' server.5=h:4:5;6 '], fromConfigVersion: '0x10000000b'});
    assert.equal(add.joiningServers, 'server.4=h:1:2:observer;3,server.5=h:4:5;6');
    assert.equal(add.curConfigId, 0x10000000bn);
    const m = buildReconfigRequest({members: ['server.1=h:1:2;3'], fromConfigVersion: 5n});
    assert.equal(m.newMembers, 'server.1=h:1:2;3');
    assert.equal(m.curConfigId, 5n);
  });

  it('refuses nonsense locally', () => {
    assert.throws(() => buildReconfigRequest({}), isBad);
    assert.throws(() => buildReconfigRequest({members: []}), isBad);
    assert.throws(() => buildReconfigRequest({members: ['server.1=h:1:2;3'], remove: [1]}), isBad);
    assert.throws(() => buildReconfigRequest({add: ['server.1=h:1']}), isBad);
    assert.throws(() => buildReconfigRequest({remove: [1.5]}), isBad);
    assert.throws(() => buildReconfigRequest({add: ['server.1=h:1:2;3'], remove: [1]}), isBad);
    assert.throws(() => buildReconfigRequest({remove: [1], fromConfigVersion: 'xyz'}), isBad);
  });

  it('isChangeApplied', () => {
    const cfg = parseDynamicConfig('server.1=h:1:2:participant;127.0.0.1:3\nserver.4=h:4:5:observer;0.0.0.0:6\nversion=10000000c');
    assert.ok(isChangeApplied(cfg, {remove: [2, 3]}));
    assert.ok(!isChangeApplied(cfg, {remove: [1]}));
    assert.ok(isChangeApplied(cfg, {add: ['server.4=h:4:5:observer;6']}), '0.0.0.0 client address = none given');
    assert.ok(!isChangeApplied(cfg, {add: ['server.4=h:4:5:participant;6']}));
    assert.ok(isChangeApplied(cfg, {members: ['server.4=h:4:5:observer;6', 'server.1=h:1:2;127.0.0.1:3']}));
    assert.ok(!isChangeApplied(cfg, {members: ['server.1=h:1:2;127.0.0.1:3']}));
    assert.ok(!isChangeApplied(cfg, {remove: [2], fromConfigVersion: '10000000c'}), 'same version = not applied');
  });
});
