/**
 * Four-letter words, AdminServer and role detection against a real
 * 3-server ensemble; a dead member; leader re-election after kill -9.
 */
import {strict as assert} from 'node:assert';
import {ZkError, adminCommand, ensembleStatus, fourLetterWord, mntr, parseConf, parseDynamicConfig, parseSrvr, readConfig, srvr, summarize, waitForLeader, type Sleep} from '../support/zk.js';
import {firstOf} from '../support/time.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

describe('integration: 4lw / status on a real ensemble', function () {
  this.timeout(120_000);
  let ens: Ensemble;

  before(async () => {
    ens = await startEnsemble({size: 3});
    console.log(`      [measure] ZooKeeper ${ens.runtime.version}: 3 servers spawned → quorum in ${ens.timeToQuorumMs.toFixed(0)} ms`);
  });
  after(async () => ens?.stopAll());

  it('exactly one leader and two followers, by srvr and by mntr', async () => {
    const st = await ensembleStatus(ens.endpoints, {timeoutMs: 2000});
    const sum = summarize(st);
    assert.equal(sum.leaders.length, 1);
    assert.equal(sum.followers.length, 2);
    assert.equal(sum.unreachable.length + sum.notServing.length, 0);
    for (const s of ens.servers) {
      const m = await mntr(s.endpoint);
      assert.ok(m.status === 'ok');
      const byIndex = st[ens.servers.indexOf(s)];
      assert.ok(byIndex?.state === 'serving');
      assert.equal(m.serverState, byIndex.srvr.mode);
    }
  });

  it('parses real srvr/mntr/conf from the leader', async () => {
    const leader = await ens.leader();
    const s = await srvr(leader.endpoint);
    assert.ok(s.status === 'ok');
    assert.equal(s.mode, 'leader');
    assert.equal(s.versionNumber, ens.runtime.version);
    assert.ok(s.proposalSizes, 'leader prints Proposal sizes');
    assert.ok(s.zxid.epoch >= 1);
    assert.ok(s.nodeCount >= 4);
    const m = await mntr(leader.endpoint);
    assert.ok(m.status === 'ok');
    assert.equal(m.peerState, 'leading - broadcast');
    assert.equal(m.learners, 2);
    assert.equal(m.syncedFollowers, 2);
    assert.equal(m.quorumSize, 3);
    assert.equal(m.zxid, undefined, `no zk_zxid in mntr on ${ens.runtime.version}`);
    const c = parseConf(await fourLetterWord(leader.endpoint, 'conf'));
    assert.ok(c.status === 'ok');
    assert.equal(c.serverId, leader.id);
    assert.equal(c.clientPort, leader.clientPort);
    assert.equal(c.membership?.servers.length, 3);
    const cfg = await readConfig(ens.endpoints);
    assert.equal(c.membership?.version, cfg.version);
    assert.equal(await fourLetterWord(leader.endpoint, 'ruok'), 'imok');
  });

  it('parses real srvr/mntr/conf from a follower', async () => {
    const leader = await ens.leader();
    const f = ens.servers.find((s) => s.id !== leader.id)!;
    const s = await srvr(f.endpoint);
    assert.ok(s.status === 'ok');
    assert.equal(s.mode, 'follower');
    assert.equal(s.proposalSizes, undefined);
    const m = await mntr(f.endpoint);
    assert.ok(m.status === 'ok');
    assert.equal(m.peerState, 'following - broadcast');
    assert.equal(m.learners, undefined);
    assert.equal(m.syncedFollowers, undefined);
    const c = parseConf(await fourLetterWord(f.endpoint, 'conf'));
    assert.ok(c.status === 'ok' && c.serverId === f.id);
    assert.equal(parseDynamicConfig(f.dynamicConfigText()).servers.length, 3);
  });

  it('commands outside the whitelist come back as notWhitelisted', async () => {
    const r = parseSrvr(await fourLetterWord(ens.servers[0]!.endpoint, 'stat'));
    assert.equal(r.status, 'notWhitelisted');
  });

  it('AdminServer: leader, voting_view', async () => {
    const leader = await ens.leader();
    const a = await adminCommand(leader.adminEndpoint, 'leader');
    assert.equal(a.error, null);
    assert.equal(a['is_leader'], true);
    assert.equal(a['leader_id'], leader.id);
    const f = ens.servers.find((s) => s.id !== leader.id)!;
    const b = await adminCommand(f.adminEndpoint, 'leader');
    assert.equal(b['is_leader'], false);
    assert.equal(b['leader_id'], leader.id);
    const vv = await adminCommand(f.adminEndpoint, 'voting_view');
    assert.deepEqual(Object.keys(vv['current_config'] as object).sort(), ['1', '2', '3']);
  });

  it('a dead member fails fast with a typed error while the others answer', async () => {
    const leader = await ens.leader();
    const victim = ens.servers.find((s) => s.id !== leader.id)!;
    victim.kill('SIGKILL');
    await victim.exited();
    const t0 = performance.now();
    const probe = fourLetterWord(victim.endpoint, 'srvr', {timeoutMs: 2000});
    // fast: ended by the refusal, long before the probe's own timeout (an order of events, not a measured time)
    assert.equal(await firstOf(probe, 'a quarter of the probe timeout', 500), 'settled');
    const failMs = performance.now() - t0;
    await assert.rejects(probe, (e: unknown) => e instanceof ZkError && e.code === 'ConnectionRefused');
    await assert.rejects(adminCommand(victim.adminEndpoint, 'leader', {timeoutMs: 2000}), (e: unknown) => e instanceof ZkError && e.code === 'ConnectionRefused');
    const st = await ensembleStatus(ens.endpoints, {timeoutMs: 2000});
    const sum = summarize(st);
    assert.equal(sum.unreachable.length, 1);
    assert.equal(sum.leaders.length, 1);
    assert.equal(sum.followers.length, 1);
    const un = st.find((m) => m.state === 'unreachable');
    assert.ok(un?.state === 'unreachable' && un.error.code === 'ConnectionRefused');
    console.log(`      [measure] srvr to a killed member failed in ${failMs.toFixed(1)} ms (${un.error.code})`);
    await victim.start();
    await ens.waitForQuorum();
  });

  it('detects the leader change after kill -9 of the leader process (3 rounds)', async () => {
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      const old = await ens.leader();
      const oldIndex = ens.servers.indexOf(old);
      let sleeps = 0;
      const sleep: Sleep = (ms) => {
        sleeps++;
        return new Promise((r) => setTimeout(r, ms));
      };
      const t0 = performance.now();
      old.kill('SIGKILL');
      const found = await waitForLeader(ens.endpoints, {intervalMs: 25, timeoutMs: 30_000, notIndex: oldIndex, sleep});
      const ms = performance.now() - t0;
      times.push(ms);
      assert.notEqual(found.index, oldIndex);
      assert.ok(sleeps > 0, 'the injected sleep was used');
      const newLeader = ens.servers[found.index]!;
      assert.ok(found.srvr.zxid.epoch > 0);
      console.log(`      [measure] kill -9 leader ${old.id} → new leader ${newLeader.id} seen by srvr after ${ms.toFixed(0)} ms (${sleeps} polls of 25 ms, epoch ${found.srvr.zxid.epoch})`);
      await old.exited();
      await old.start();
      await ens.waitForQuorum();
    }
    console.log(`      [measure] kill -9 re-election, 3 rounds: ${times.map((t) => t.toFixed(0)).join(' / ')} ms (tickTime 500)`);
  });

  it('detects the leader change after SIGTERM of the leader', async () => {
    const old = await ens.leader();
    const oldIndex = ens.servers.indexOf(old);
    const t0 = performance.now();
    old.kill('SIGTERM');
    const found = await waitForLeader(ens.endpoints, {intervalMs: 25, timeoutMs: 30_000, notIndex: oldIndex});
    const ms = performance.now() - t0;
    console.log(`      [measure] SIGTERM leader ${old.id} → new leader ${ens.servers[found.index]!.id} after ${ms.toFixed(0)} ms`);
    await old.exited();
    await old.start();
    const q = await ens.waitForQuorum();
    console.log(`      [measure] restarted server rejoined, quorum complete after ${q.toFixed(0)} ms`);
  });

  it('a lone survivor reports not serving', async () => {
    const [a, b, c] = ens.servers as [(typeof ens.servers)[0], (typeof ens.servers)[0], (typeof ens.servers)[0]];
    b.kill('SIGKILL');
    c.kill('SIGKILL');
    await Promise.all([b.exited(), c.exited()]);
    const deadline = performance.now() + 20_000;
    let last: string;
    for (;;) {
      // while it gives up its role the server may drop a connection without a reply: ask again
      last = await fourLetterWord(a.endpoint, 'srvr').catch((e: unknown) => {
        if (e instanceof ZkError && (e.code === 'ConnectionClosed' || e.code === 'ConnectionRefused')) return `(${e.message})`;
        throw e;
      });
      if (!last.startsWith('(') && parseSrvr(last).status === 'notServing') break;
      assert.ok(performance.now() < deadline, `still serving: ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const m = await mntr(a.endpoint);
    assert.equal(m.status, 'notServing');
    const adm = await adminCommand(a.adminEndpoint, 'leader');
    assert.match(adm.error ?? '', /not currently serving/);
    // the 4lw ruok says imok anyway (process up, no quorum); AdminServer ruok does not
    assert.equal(await fourLetterWord(a.endpoint, 'ruok'), 'imok');
    const admRuok = await adminCommand(a.adminEndpoint, 'ruok');
    assert.match(admRuok.error ?? '', /not currently serving/);
    assert.equal(await fourLetterWord(a.endpoint, 'isro'), 'null');
  });
});
