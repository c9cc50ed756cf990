/**
 * A rolling upgrade from the 3.8 line to the 3.9 line (Apache's jars, the two
 * pinned versions) on a real loopback ensemble: each server stopped and
 * started again on the other jars over its own data, followers first, the
 * leader last, with a client writing all along. Every acknowledged write is
 * there afterwards, the session survives, every server reports the new
 * version. Also records what mntr says differently on the two lines.
 */
import {strict as assert} from 'node:assert';
import {connectZk, ensembleStatus, fourLetterWord, mntr, parseSrvr, summarize, type Endpoint} from '../support/zk.js';
import {startEnsemble, zkRuntime, type Ensemble, type ZkRuntime, type ZkServer} from './lib/ensemble.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The mntr keys a server prints (zk_…), without values. */
async function mntrKeys(ep: Endpoint): Promise<Set<string>> {
  const text = await fourLetterWord(ep, 'mntr');
  return new Set(
    text
      .split('\n')
      .map((l) => l.split('\t')[0] ?? '')
      .filter((k) => k.startsWith('zk_')),
  );
}

async function versionOf(ep: Endpoint): Promise<string | undefined> {
  const s = parseSrvr(await fourLetterWord(ep, 'srvr'));
  return s.status === 'ok' ? s.versionNumber : undefined;
}

/** Every server serves, one leads, and the leader counts both followers in sync. */
async function settled(ens: Ensemble, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: string;
  for (;;) {
    const st = await ensembleStatus(ens.endpoints, {timeoutMs: 1000});
    const sum = summarize(st);
    if (sum.leaders.length === 1 && sum.notServing.length === 0 && sum.unreachable.length === 0) {
      const leader = ens.servers[sum.leaders[0]!]!;
      const m = await mntr(leader.endpoint);
      if (m.status === 'ok' && m.syncedFollowers === ens.servers.length - 1) return;
      last = `leader ${leader.id}: synced followers ${m.status === 'ok' ? m.syncedFollowers : '?'}`;
    } else {
      last = JSON.stringify(sum);
    }
    if (performance.now() > deadline) throw new Error(`not settled within ${timeoutMs} ms: ${last}`);
    await sleep(100);
  }
}

describe('integration: rolling upgrade 3.8 → 3.9 (Apache jars) under a writer', function () {
  this.timeout(300_000);
  let from: ZkRuntime;
  let to: ZkRuntime;
  let ens: Ensemble;

  before(async () => {
    from = zkRuntime('3.8');
    to = zkRuntime('3.9');
    ens = await startEnsemble({size: 3, runtime: from});
  });
  after(async () => ens?.stopAll());

  it(`every server restarted on the new jars, the leader last: no acknowledged write lost, the session kept, all report the new version`, async () => {
    for (const s of ens.servers) assert.equal(await versionOf(s.endpoint), from.version);
    const before = await ens.leader();
    const keys38 = await mntrKeys(before.endpoint);

    const client = await connectZk({endpoints: ens.endpoints, sessionTimeoutMs: 30_000, operationTimeoutMs: 10_000, spinDelayMs: 100});
    const sessionId = client.sessionId;
    const states: string[] = [];
    client.onState((st) => states.push(st));
    await client.create('/upgrade', '', {parents: true});
    const acked: string[] = [];
    let failed = 0;
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const path = `/upgrade/w-${String(i).padStart(6, '0')}`;
        try {
          await client.create(path, String(i));
          acked.push(path);
        } catch {
          failed++;
        }
        await sleep(20);
      }
    })();

    const order: ZkServer[] = [...ens.servers.filter((s) => s.id !== before.id), before];
    for (const s of order) {
      await s.stop();
      s.runtime = to;
      await s.start();
      await settled(ens);
      assert.equal(await versionOf(s.endpoint), to.version, `server ${s.id} runs ${to.version}`);
    }
    writing = false;
    await writer;

    const present = new Set((await client.ls('/upgrade')).map((c) => `/upgrade/${c}`));
    const lost = acked.filter((p) => !present.has(p));
    const keys39 = await mntrKeys((await ens.leader()).endpoint);
    // per-learner queue metrics carry the learner's id in the key: not a difference between the lines
    for (const k of [...keys38, ...keys39]) {
      if (!/^zk_\w+?_\d+_learner_handler_/.test(k)) continue;
      keys38.delete(k);
      keys39.delete(k);
    }
    console.log(`      [measure] ${from.version} → ${to.version}: writes acked ${acked.length}, failed ${failed}, lost ${lost.length}; session ${client.sessionId === sessionId ? 'kept' : 'lost'}`);
    console.log(
      `      [observed] leader mntr keys only on ${from.version}: ${[...keys38].filter((k) => !keys39.has(k)).join(', ') || 'none'}; only on ${to.version}: ${[...keys39].filter((k) => !keys38.has(k)).join(', ') || 'none'}`,
    );
    await client.close();

    assert.ok(acked.length > 0, 'the writer ran');
    assert.deepEqual(lost, [], 'no acknowledged write lost');
    assert.equal(client.sessionId, sessionId);
    assert.ok(!states.includes('expired'), `session states: ${states.join(',')}`);
    for (const s of ens.servers) assert.equal(await versionOf(s.endpoint), to.version);
  });
});
