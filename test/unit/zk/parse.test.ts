import {strict as assert} from 'node:assert';
import {
  ZkError,
  fourLetterRefusal,
  formatDynamicConfig,
  formatServerLine,
  parseConf,
  parseDynamicConfig,
  parseIsro,
  parseMntr,
  parseRuok,
  parseServerLine,
  parseSrvr,
  parseZxid,
  participants,
  sameMembership,
} from '../../support/zk.js';
import {fixture} from './fixtures.js';

describe('zk/parse', () => {
  describe('parseZxid', () => {
    it('splits epoch and counter', () => {
      const z = parseZxid('0x10000000b');
      assert.equal(z.epoch, 1);
      assert.equal(z.counter, 11);
      assert.equal(z.hex, '0x10000000b');
      assert.equal(z.value, 0x10000000bn);
    });
    it('accepts the version= form without 0x, and bigints', () => {
      assert.equal(parseZxid('100000000').epoch, 1);
      assert.equal(parseZxid(0x200000003n).counter, 3);
      assert.equal(parseZxid('0x0').value, 0n);
    });
    it('rejects garbage', () => {
      assert.throws(
        () => parseZxid('0xzz'),
        (e: unknown) => e instanceof ZkError && e.code === 'ProtocolError',
      );
    });
  });

  describe('parseSrvr (real 3.8.0 output)', () => {
    it('leader: mode, zxid, proposal sizes', () => {
      const r = parseSrvr(fixture('srvr-leader.txt'));
      assert.equal(r.status, 'ok');
      if (r.status !== 'ok') return;
      assert.equal(r.mode, 'leader');
      assert.equal(r.versionNumber, '3.8.0');
      assert.match(r.version, /^3\.8\.0-/);
      assert.deepEqual(r.latency, {min: 0, avg: 0, max: 0});
      assert.equal(r.received, 9);
      assert.equal(r.sent, 8);
      assert.equal(r.connections, 1);
      assert.equal(r.outstanding, 0);
      assert.equal(r.zxid.hex, '0x100000000');
      assert.equal(r.zxid.epoch, 1);
      assert.equal(r.zxid.counter, 0);
      assert.equal(r.nodeCount, 5);
      assert.deepEqual(r.proposalSizes, {last: -1, min: -1, max: -1});
    });
    it('follower: no proposal sizes; a fresh follower reports Zxid 0x0', () => {
      const r = parseSrvr(fixture('srvr-follower.txt'));
      assert.ok(r.status === 'ok');
      assert.equal(r.mode, 'follower');
      assert.equal(r.proposalSizes, undefined);
      assert.equal(r.zxid.value, 0n);
    });
    it('observer', () => {
      const r = parseSrvr(fixture('srvr-observer.txt'));
      assert.ok(r.status === 'ok');
      assert.equal(r.mode, 'observer');
    });
    it('not serving', () => {
      assert.deepEqual(parseSrvr(fixture('srvr-not-serving.txt')).status, 'notServing');
    });
    it('not whitelisted (stat)', () => {
      const r = parseSrvr(fixture('stat-not-whitelisted.txt'));
      assert.equal(r.status, 'notWhitelisted');
      assert.ok(r.status === 'notWhitelisted' && r.command === 'stat');
    });
    it('parses stat output (client list skipped) and fractional latency', () => {
      const text = [
        'Zookeeper version: 3.9.4-7246445ec281f3dbf53dc54e970c914f39713903, built on 2025-08-19 19:53 UTC',
        'Clients:',
        ' /127.0.0.1:53008[0](queued=0,recved=1,sent=0)',
        '',
        'Latency min/avg/max: 1/2.5/7',
        'Received: 10',
        'Sent: 9',
        'Connections: 2',
        'Outstanding: 0',
        'Zxid: 0x20000001a',
        'Mode: standalone',
        'Node count: 6',
      ].join('\n');
      const r = parseSrvr(text);
      assert.ok(r.status === 'ok');
      assert.equal(r.versionNumber, '3.9.4');
      assert.deepEqual(r.latency, {min: 1, avg: 2.5, max: 7});
      assert.equal(r.zxid.epoch, 2);
      assert.equal(r.zxid.counter, 26);
      assert.equal(r.mode, 'standalone');
    });
    it('read-only mode', () => {
      const text = fixture('srvr-follower.txt').replace('Mode: follower', 'Mode: read-only');
      const r = parseSrvr(text);
      assert.ok(r.status === 'ok' && r.mode === 'read-only');
    });
    it('throws ProtocolError on unrelated text', () => {
      assert.throws(
        () => parseSrvr('hello'),
        (e: unknown) => e instanceof ZkError && e.code === 'ProtocolError',
      );
      assert.throws(() => parseSrvr(fixture('srvr-leader.txt').replace('Mode: leader', 'Mode: boss')), /unknown mode/);
    });
  });

  describe('parseMntr (real 3.8.0 output)', () => {
    it('leader has the leader-only keys', () => {
      const r = parseMntr(fixture('mntr-leader.txt'));
      assert.ok(r.status === 'ok');
      assert.equal(r.serverState, 'leader');
      assert.equal(r.peerState, 'leading - broadcast');
      assert.equal(r.learners, 3);
      assert.equal(r.syncedFollowers, 2);
      assert.equal(r.syncedObservers, 1);
      assert.equal(r.syncedNonVotingFollowers, 0);
      assert.equal(r.pendingSyncs, 0);
      assert.equal(typeof r.leaderUptimeMs, 'number');
      assert.equal(r.quorumSize, 3);
      assert.equal(r.znodeCount, 5);
      assert.equal(r.zxid, undefined, '3.8.0 prints no zk_zxid');
      assert.equal(r.followers, undefined, '3.8.0 prints no zk_followers');
      assert.ok(Object.keys(r.raw).length > 100);
    });
    it('follower lacks the leader-only keys', () => {
      const r = parseMntr(fixture('mntr-follower.txt'));
      assert.ok(r.status === 'ok');
      assert.equal(r.serverState, 'follower');
      assert.equal(r.peerState, 'following - broadcast');
      assert.equal(r.learners, undefined);
      assert.equal(r.syncedFollowers, undefined);
      assert.equal(r.pendingSyncs, undefined);
      assert.equal(typeof r.openFileDescriptorCount, 'number');
      assert.equal(typeof r.uptimeMs, 'number');
    });
    it('observer', () => {
      const r = parseMntr(fixture('mntr-observer.txt'));
      assert.ok(r.status === 'ok');
      assert.equal(r.serverState, 'observer');
      assert.equal(r.peerState, 'observing - broadcast');
      assert.equal(r.raw['observer_master_id'], '3');
    });
    it('not serving', () => {
      assert.equal(parseMntr(fixture('mntr-not-serving.txt')).status, 'notServing');
    });
    it('older/newer servers: zk_zxid and zk_followers are optional', () => {
      const r = parseMntr('zk_version\t3.5.9\nzk_server_state\tleader\nzk_zxid\t0x300000002\nzk_followers\t2\n');
      assert.ok(r.status === 'ok');
      assert.equal(r.zxid?.epoch, 3);
      assert.equal(r.followers, 2);
      assert.equal(r.peerState, undefined);
    });
    it('rejects text without zk_version', () => {
      assert.throws(() => parseMntr('nothing'), /zk_version/);
    });
  });

  describe('conf, ruok, isro', () => {
    it('conf carries the membership', () => {
      const r = parseConf(fixture('conf-observer.txt'));
      assert.ok(r.status === 'ok');
      assert.equal(r.serverId, 4);
      assert.equal(r.values['peerType'], '1');
      assert.equal(r.membership?.servers.length, 4);
      assert.equal(r.membership?.version, '100000000');
      assert.equal(r.membership?.servers[3]?.role, 'observer');
    });
    it('conf not serving', () => {
      assert.equal(parseConf(fixture('conf-not-serving.txt')).status, 'notServing');
    });
    it('ruok / isro', () => {
      assert.equal(parseRuok(fixture('ruok-leader.txt')), true);
      assert.equal(parseRuok(''), false);
      assert.equal(parseIsro(fixture('isro-leader.txt')), 'rw');
      assert.equal(parseIsro(fixture('isro-not-serving.txt')), 'null');
    });
    it('fourLetterRefusal', () => {
      assert.deepEqual(fourLetterRefusal(fixture('envi-not-whitelisted.txt'))?.status, 'notWhitelisted');
      assert.equal(fourLetterRefusal('imok'), undefined);
    });
  });

  describe('dynamic config', () => {
    it('parses /zookeeper/config content', () => {
      const cfg = parseDynamicConfig(fixture('zookeeper-config.txt'));
      assert.equal(cfg.version, '100000000');
      assert.equal(cfg.versionZxid, 0x100000000n);
      assert.equal(cfg.servers.length, 4);
      assert.deepEqual(
        cfg.servers.map((s) => s.id),
        [1, 2, 3, 4],
      );
      assert.equal(participants(cfg).length, 3);
      const s1 = cfg.servers[0]!;
      assert.equal(s1.host, '127.0.0.1');
      assert.equal(s1.clientAddress, '127.0.0.1');
      assert.equal(typeof s1.clientPort, 'number');
    });
    it('a dynamic file has no version line', () => {
      const cfg = parseDynamicConfig(fixture('dynamic-file-leader.txt'));
      assert.equal(cfg.version, undefined);
      assert.equal(cfg.servers.length, 4);
    });
    it('round-trips through formatServerLine / formatDynamicConfig', () => {
      const text = fixture('zookeeper-config.txt');
      const cfg = parseDynamicConfig(text);
      assert.equal(formatDynamicConfig(cfg).trim(), text.trim());
    });
    it('server line variants', () => {
      const a = parseServerLine('server.5=zk-4.zk-hs.default.svc.cluster.local:2888:3888;2181');
      assert.equal(a.role, 'participant');
      assert.equal(a.clientAddress, undefined);
      assert.equal(a.clientPort, 2181);
      assert.equal(formatServerLine(a), 'server.5=zk-4.zk-hs.default.svc.cluster.local:2888:3888:participant;2181');
      const b = parseServerLine('server.2=10.0.0.2:2888:3888:observer');
      assert.equal(b.role, 'observer');
      assert.equal(b.clientPort, undefined);
      const c = parseServerLine('server.3=[::1]:2888:3888:participant;[::1]:2181');
      assert.equal(c.host, '::1');
      assert.equal(c.clientAddress, '::1');
      assert.equal(formatServerLine(c), 'server.3=[::1]:2888:3888:participant;[::1]:2181');
      const d = parseServerLine('server.1=a:2888:3888|b:2889:3889:participant;0.0.0.0:2181');
      assert.equal(d.addresses.length, 2);
      assert.equal(d.addresses[1]?.host, 'b');
      assert.equal(formatServerLine(d), 'server.1=a:2888:3888|b:2889:3889:participant;0.0.0.0:2181');
    });
    it('rejects malformed server lines with BadArguments', () => {
      for (const bad of ['server.x=a:1:2', 'server.1=a:1', 'server.1=a:1:2:leader', 'server.1=a:1:99999', 'server.1=a:1:2;b:c:d', 'foo']) {
        assert.throws(
          () => parseServerLine(bad),
          (e: unknown) => e instanceof ZkError && e.code === 'BadArguments',
          bad,
        );
      }
    });
    it('keeps unknown lines and sorts servers by id', () => {
      const cfg = parseDynamicConfig('server.2=b:1:2;3\nserver.1=a:1:2;3\ngroup.1=1:2\n# comment\n\nversion=0x200000000\n');
      assert.deepEqual(
        cfg.servers.map((s) => s.id),
        [1, 2],
      );
      assert.deepEqual(cfg.other, ['group.1=1:2']);
      assert.equal(cfg.version, '200000000');
    });
    it('sameMembership ignores order, version and a 0.0.0.0 client address', () => {
      const a = parseDynamicConfig('server.1=a:1:2;0.0.0.0:5\nserver.2=b:1:2;5\nversion=1');
      const b = parseDynamicConfig('server.2=b:1:2:participant;5\nserver.1=a:1:2;5\nversion=2');
      assert.ok(sameMembership(a.servers, b.servers));
      const c = parseDynamicConfig('server.1=a:1:2:observer;5\nserver.2=b:1:2;5');
      assert.ok(!sameMembership(a.servers, c.servers));
    });
  });
});
