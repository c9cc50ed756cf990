/**
 * Dynamic reconfiguration over our native client against a real ensemble:
 * server-side errors, remove/re-add a follower (joiner procedure), remove
 * the leader (lost reply → read back), add an observer, non-incremental.
 * The tests run in order on one ensemble; each leaves 3 voting members.
 */
import {strict as assert} from 'node:assert';
import {readFileSync} from 'node:fs';
import {
  NativeSession,
  ZkError,
  digestAuth,
  ensembleStatus,
  mntr,
  parseDynamicConfig,
  readConfig,
  reconfig,
  reconfigAndConfirm,
  srvr,
  summarize,
  waitForLeader,
  type ConfigSnapshot,
} from '../support/zk.js';
import {freePorts, startEnsemble, type Ensemble, type ZkServer} from './lib/ensemble.js';
import {lossyProxy} from './lib/lossy-proxy.js';

const code =
  (c: string) =>
  (e: unknown): boolean =>
    e instanceof ZkError && e.code === c;
const ids = (c: ConfigSnapshot): number[] => c.config.servers.map((s) => s.id);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('integration: reconfig on a real ensemble', function () {
  this.timeout(120_000);
  let ens: Ensemble;

  before(async () => {
    ens = await startEnsemble({size: 3});
  });
  after(async () => ens?.stopAll());

  const followers = async (): Promise<ZkServer[]> => {
    const l = await ens.leader();
    return ens.servers.filter((s) => s.running && s !== l && s.role === 'participant');
  };
  const current = (): Promise<ConfigSnapshot> => readConfig(ens.endpoints);

  /** Stop a removed server and bring it back as a participant through the joiner procedure. */
  const rejoin = async (s: ZkServer): Promise<ConfigSnapshot> => {
    await s.stop();
    await ens.addServer(s.id, {role: 'participant'});
    const before = await current();
    const after = await reconfig(ens.endpoints, {add: [s.serverLine('participant')], fromConfigVersion: before.version!}, {auth: ens.superAuth});
    await ens.waitForQuorum();
    return after;
  };

  it('NoAuth without the super credentials, and with a wrong super password', async () => {
    await assert.rejects(reconfig(ens.endpoints, {remove: [3]}), code('NoAuth'));
    // a digest auth with a wrong password is accepted as some other identity, so the error is NoAuth, not AuthFailed
    await assert.rejects(reconfig(ens.endpoints, {remove: [3]}, {auth: [digestAuth('super', 'wrong')]}), code('NoAuth'));
    assert.deepEqual(ids(await current()), [1, 2, 3]);
  });

  it('BadVersion with a stale fromConfigVersion', async () => {
    const c = await current();
    const stale = (BigInt('0x' + c.version!) - 1n).toString(16);
    await assert.rejects(reconfig(ens.endpoints, {remove: [3], fromConfigVersion: stale}, {auth: ens.superAuth}), code('BadVersion'));
    assert.equal((await current()).version, c.version);
  });

  it('BadArguments from the server (removing every voter) and MarshallingError for a non-numeric id', async () => {
    await assert.rejects(reconfig(ens.endpoints, {remove: [1, 2, 3]}, {auth: ens.superAuth}), code('BadArguments'));
    const s = await NativeSession.connect(ens.endpoints, {auth: ens.superAuth});
    try {
      await assert.rejects(s.reconfig({joiningServers: null, leavingServers: 'abc', newMembers: null, curConfigId: -1n}), code('MarshallingError'));
    } finally {
      await s.close();
    }
  });

  it('NewConfigNoQuorum when the new voters are not running', async () => {
    const p = await freePorts(9);
    const line = (id: number, i: number): string => `server.${id}=127.0.0.1:${p[i]}:${p[i + 1]}:participant;127.0.0.1:${p[i + 2]}`;
    // 6 voters need 4 synced; only 3 are
    await assert.rejects(reconfig(ens.endpoints, {add: [line(7, 0), line(8, 3), line(9, 6)]}, {auth: ens.superAuth}), code('NewConfigNoQuorum'));
    assert.deepEqual(ids(await current()), [1, 2, 3]);
  });

  it('pitfall: ONE absent voter added to 3 is accepted (3 of 4 is a quorum); remove it again', async () => {
    const [q, e, c] = (await freePorts(3)) as [number, number, number];
    const after = await reconfig(ens.endpoints, {add: [`server.9=127.0.0.1:${q}:${e}:participant;127.0.0.1:${c}`]}, {auth: ens.superAuth});
    assert.deepEqual(ids(after), [1, 2, 3, 9]);
    const back = await reconfig(ens.endpoints, {remove: [9]}, {auth: ens.superAuth});
    assert.deepEqual(ids(back), [1, 2, 3]);
  });

  it('a no-op reconfig (removing an unknown id) still commits a new config version', async () => {
    const before = await current();
    const after = await reconfig(ens.endpoints, {auth: ens.superAuth, remove: [42]}, {timeoutMs: 10_000});
    assert.deepEqual(ids(after), [1, 2, 3]);
    assert.ok(after.config.versionZxid! > before.config.versionZxid!);
  });

  it('removes a follower; it keeps running and still says Mode: follower', async () => {
    const [f] = await followers();
    assert.ok(f);
    const before = await current();
    const after = await reconfig(ens.endpoints, {remove: [f.id], fromConfigVersion: before.version!}, {auth: ens.superAuth});
    assert.deepEqual(
      ids(after),
      [1, 2, 3].filter((i) => i !== f.id),
    );
    assert.ok(after.config.versionZxid! > before.config.versionZxid!);
    // the reply is the committed config: every member agrees
    assert.equal((await current()).version, after.version);
    const s = await srvr(f.endpoint);
    assert.ok(s.status === 'ok');
    assert.equal(s.mode, 'follower', 'a removed server runs on as a non-voting follower');
    const leader = await ens.leader();
    const m = await mntr(leader.endpoint);
    assert.ok(m.status === 'ok');
    assert.equal(m.quorumSize, 2);
    assert.equal(m.syncedNonVotingFollowers, 1);
    assert.equal(m.learners, 2);
    console.log(
      `      [observed] leader mntr after removing a follower: learners=${m.learners} synced_followers=${m.syncedFollowers} synced_non_voting_followers=${m.syncedNonVotingFollowers} quorum_size=${m.quorumSize}`,
    );
    const own = parseDynamicConfig(f.dynamicConfigText()).servers.map((x) => x.id);
    assert.ok(!own.includes(f.id), 'the removed server rewrote its own dynamic file without itself');
    // restarted as is, it cannot find itself in its config
    await f.stop();
    await f.start();
    const exited = await Promise.race([f.exited().then(() => true), sleep(8000).then(() => false)]);
    const log = readFileSync(f.logPath, 'utf8');
    const notInPeerList = /My id \d+ not in the peer list/.test(log);
    console.log(
      `      [observed] removed server's dynamic file lists ids ${own.join(',')}; restarted as is it ${exited ? 'exited' : 'kept running'}${notInPeerList ? ' ("My id N not in the peer list")' : ''}`,
    );
    assert.ok(exited && notInPeerList);
  });

  it('adds it back as a participant through the joiner procedure', async () => {
    const c = await current();
    const gone = ens.servers.find((s) => !c.config.servers.some((x) => x.id === s.id))!;
    const t0 = performance.now();
    const after = await rejoin(gone);
    const ms = performance.now() - t0;
    assert.deepEqual(ids(after), [1, 2, 3]);
    const sum = summarize(await ensembleStatus(ens.endpoints));
    assert.equal(sum.leaders.length, 1);
    assert.equal(sum.followers.length, 2);
    const leader = await ens.leader();
    const m = await mntr(leader.endpoint);
    assert.ok(m.status === 'ok' && m.quorumSize === 3 && m.syncedNonVotingFollowers === 0);
    const own = parseDynamicConfig(gone.dynamicConfigText());
    console.log(`      [measure] stop + joiner start + reconfig add + quorum: ${ms.toFixed(0)} ms; joiner's dynamic file afterwards lists ids ${own.servers.map((x) => x.id).join(',')}`);
  });

  it('ReconfigInProgress: a second reconfig while the first awaits acks (followers SIGSTOPped)', async () => {
    const leader = await ens.leader();
    const fs = await followers();
    // sessions first: creating a session is itself a transaction needing a quorum
    const a = await NativeSession.connect([leader.endpoint], {auth: ens.superAuth});
    const b = await NativeSession.connect([leader.endpoint], {auth: ens.superAuth});
    // settle both promises into values at once (no unhandled-rejection window)
    const settle = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        (v) => v,
        (e: unknown) => e,
      );
    let first: Promise<unknown>;
    let second: Promise<unknown>;
    try {
      for (const f of fs) f.kill('SIGSTOP');
      try {
        first = settle(a.reconfig({joiningServers: null, leavingServers: '41', newMembers: null, curConfigId: -1n}));
        await sleep(150);
        second = settle(b.reconfig({joiningServers: null, leavingServers: '40', newMembers: null, curConfigId: -1n}));
        await sleep(150);
      } finally {
        for (const f of fs) f.kill('SIGCONT');
      }
      const r1 = await first;
      const r2 = await second;
      assert.ok(!(r1 instanceof Error), `first reconfig committed (${String(r1)})`);
      assert.ok(code('ReconfigInProgress')(r2), `second refused: ${String(r2)}`);
    } finally {
      await a.close();
      await b.close();
    }
    await ens.waitForQuorum();
  });

  it('removes the leader; the reply is lost (connection cut) and the config read back confirms it', async () => {
    const leader = await ens.leader();
    const proxy = await lossyProxy(leader.endpoint);
    try {
      const others = ens.servers.filter((s) => s !== leader).map((s) => s.endpoint);
      const t0 = performance.now();
      const r = await reconfigAndConfirm([proxy.endpoint, ...others], {remove: [leader.id]}, {auth: ens.superAuth, pollIntervalMs: 100});
      const ms = performance.now() - t0;
      assert.equal(proxy.cuts, 1);
      assert.equal(r.confirmedByReadBack, true);
      assert.equal(r.lostReplyError?.code, 'ConnectionLoss');
      assert.ok(!ids(r.config).includes(leader.id));
      const found = await waitForLeader(ens.endpoints, {intervalMs: 50, timeoutMs: 30_000, notIndex: ens.servers.indexOf(leader)});
      const s = await srvr(leader.endpoint);
      console.log(
        `      [measure] leader ${leader.id} removed behind a cut connection: confirmed by read-back after ${ms.toFixed(0)} ms; new leader ${ens.servers[found.index]!.id}; old leader now says Mode: ${s.status === 'ok' ? s.mode : s.status}`,
      );
    } finally {
      await proxy.close();
    }
    await rejoin(leader);
  });

  it('removes the leader over a direct connection to it (reply or ConnectionLoss both handled)', async () => {
    const leader = await ens.leader();
    const order = [leader.endpoint, ...ens.servers.filter((s) => s !== leader).map((s) => s.endpoint)];
    const t0 = performance.now();
    const r = await reconfigAndConfirm(order, {remove: [leader.id]}, {auth: ens.superAuth});
    const ms = performance.now() - t0;
    assert.ok(!ids(r.config).includes(leader.id));
    const found = await waitForLeader(ens.endpoints, {intervalMs: 50, timeoutMs: 30_000, notIndex: ens.servers.indexOf(leader)});
    console.log(
      `      [observed] direct leader removal: ${r.confirmedByReadBack ? `reply lost (${r.lostReplyError?.code}), confirmed by read-back` : 'reply received'} after ${ms.toFixed(0)} ms; new leader ${ens.servers[found.index]!.id} after ${found.elapsedMs.toFixed(0)} ms more`,
    );
    await rejoin(leader);
  });

  it('adds an observer', async () => {
    const obs = await ens.addServer(4, {role: 'observer'});
    const before = await current();
    const after = await reconfig(ens.endpoints, {add: [obs.serverLine('observer')], fromConfigVersion: before.version!}, {auth: ens.superAuth});
    assert.deepEqual(ids(after), [1, 2, 3, 4]);
    assert.equal(after.config.servers.find((s) => s.id === 4)?.role, 'observer');
    const deadline = performance.now() + 10_000;
    for (;;) {
      // a joiner still starting may close a four-letter connection without a reply: not yet, like not serving
      const s = await srvr(obs.endpoint).catch((e: unknown) => (e instanceof ZkError ? undefined : Promise.reject(e)));
      if (s?.status === 'ok' && s.mode === 'observer') break;
      assert.ok(performance.now() < deadline, 'joiner became an observer');
      await sleep(100);
    }
    const leader = await ens.leader();
    const m = await mntr(leader.endpoint);
    assert.ok(m.status === 'ok');
    assert.equal(m.syncedObservers, 1);
    assert.equal(m.quorumSize, 3, 'observers do not vote');
  });

  it('non-incremental: the whole member list (drops the observer)', async () => {
    const c = await current();
    const members = c.config.servers.filter((s) => s.role === 'participant').map((s) => ens.server(s.id).serverLine('participant'));
    const after = await reconfig(ens.endpoints, {members, fromConfigVersion: c.version!}, {auth: ens.superAuth});
    assert.deepEqual(ids(after), [1, 2, 3]);
    await ens.server(4).stop();
    await ens.waitForQuorum();
  });
});
