/**
 * The ensemble core (src/ops/ensemble/, src/util/poll.ts, src/util/phases.ts):
 * each rule pinned by its own test, so that changing a rule is one edit and
 * one failing test here.
 */
import assert from 'node:assert/strict';
import {describe, it} from 'mocha';
import {isNewLeadership, LeaderTracker} from '../../../src/ops/ensemble/leader.js';
import {isServing, isServingVoter, leads, type Role} from '../../../src/ops/ensemble/member.js';
import {PROBE_TIMEOUT_MS, probeTimeout, statusDeps} from '../../../src/ops/ensemble/probe.js';
import {hasQuorum, quorumSize, tolerance} from '../../../src/ops/ensemble/quorum.js';
import {ensembleSyncGap, expectedSync, syncGap, type SyncView} from '../../../src/ops/ensemble/sync.js';
import {PhaseTimer} from '../../../src/util/phases.js';
import {poll} from '../../../src/util/poll.js';
import {fakeTime} from '../../support/time.js';

const ROLES: Role[] = ['leader', 'follower', 'observer', 'standalone', 'read-only', 'not serving', 'unreachable', 'no pod'];

describe('ensemble core: member role', () => {
  it('serving: leader, follower, observer, standalone; nothing else (read-only does not count)', () => {
    assert.deepEqual(
      ROLES.filter((role) => isServing({role})),
      ['leader', 'follower', 'observer', 'standalone'],
    );
    assert.equal(isServing(undefined), false);
  });
  it('a serving voter: leader, follower, standalone (an observer serves but does not vote)', () => {
    assert.deepEqual(
      ROLES.filter((role) => isServingVoter({role})),
      ['leader', 'follower', 'standalone'],
    );
  });
  it('leads: a leader or a standalone server', () => {
    assert.deepEqual(
      ROLES.filter((role) => leads({role})),
      ['leader', 'standalone'],
    );
  });
});

describe('ensemble core: quorum size and tolerance', () => {
  it('a strict majority of the voters', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(quorumSize), [1, 2, 2, 3, 3, 4, 4]);
  });
  it('tolerance: serving voters beyond the majority, never negative', () => {
    assert.equal(tolerance(3, 3), 1);
    assert.equal(tolerance(5, 5), 2);
    assert.equal(tolerance(4, 4), 1, 'an even count tolerates no more than one less');
    assert.equal(tolerance(1, 3), 0);
  });
  it('hasQuorum at the boundary', () => {
    assert.equal(hasQuorum(2, 3), true);
    assert.equal(hasQuorum(1, 3), false);
    assert.equal(hasQuorum(2, 4), false);
  });
});

describe('ensemble core: the sync rule (syncGap)', () => {
  it('nothing expected (one voter, no observers): in sync even without a leader report', () => {
    assert.equal(syncGap(undefined, {followers: 0}), undefined);
  });
  it('followers expected but no leader report: not in sync', () => {
    assert.match(syncGap(undefined, {followers: 2}, 'zk-0')!, /did not say how many followers are in sync/);
  });
  it('fewer synced followers than expected: not in sync, with the counts', () => {
    assert.equal(syncGap({followers: 1, pendingSyncs: 0}, {followers: 2}, 'zk-0'), 'leader zk-0: 1/2 followers in sync');
    assert.equal(syncGap({followers: 2, pendingSyncs: 0}, {followers: 2}, 'zk-0'), undefined);
  });
  it('a pending sync: not in sync, although every follower is counted', () => {
    assert.equal(syncGap({followers: 2, pendingSyncs: 1}, {followers: 2}, 'zk-0'), 'leader zk-0: 1 syncs pending');
  });
  it('observers: judged when the leader reports them (ZooKeeper >= 3.6), not otherwise', () => {
    assert.equal(syncGap({followers: 2, observers: 0}, {followers: 2, observers: 1}, 'zk-0'), 'leader zk-0: 0/1 observers in sync');
    assert.equal(syncGap({followers: 2, observers: 1}, {followers: 2, observers: 1}, 'zk-0'), undefined);
    assert.equal(syncGap({followers: 2}, {followers: 2, observers: 1}, 'zk-0'), undefined);
  });
});

function view(over: Partial<SyncView> = {}): SyncView {
  return {
    quorum: {voters: 3, servingVoters: 3, leader: 'zk-1'},
    sync: {followers: 2, observers: 1, pendingSyncs: 0},
    config: {members: [{role: 'participant'}, {role: 'participant'}, {role: 'participant'}, {role: 'observer'}]},
    members: [
      {pod: 'zk-0', role: 'follower', configRole: 'participant'},
      {pod: 'zk-1', role: 'leader', configRole: 'participant'},
      {pod: 'zk-2', role: 'follower', configRole: 'participant'},
      {pod: 'zk-3', role: 'observer', configRole: 'observer'},
    ],
    ...over,
  };
}

describe('ensemble core: who must be in sync (expectedSync)', () => {
  it('every voter but the leader and every configured observer', () => {
    assert.deepEqual(expectedSync(view()), {followers: 2, observers: 1});
    assert.equal(ensembleSyncGap(view()), undefined);
  });
  it('except: a member about to be replaced that does not serve is not expected', () => {
    const down = view({members: view().members.map((m) => (m.pod === 'zk-0' || m.pod === 'zk-3' ? {...m, role: 'unreachable' as const} : m))});
    assert.deepEqual(expectedSync(down, {except: new Set(['zk-0', 'zk-3'])}), {followers: 1, observers: 0});
    assert.deepEqual(expectedSync(down), {followers: 2, observers: 1}, 'without the exception it is still expected');
  });
  it('except: a member that still serves is expected (it has not been stopped yet)', () => {
    assert.deepEqual(expectedSync(view(), {except: new Set(['zk-0'])}), {followers: 2, observers: 1});
  });
  it('servingOnly: the voters and observers that serve now', () => {
    const v = view({quorum: {voters: 3, servingVoters: 2, leader: 'zk-1'}, sync: {followers: 1, observers: 1, pendingSyncs: 0}});
    assert.deepEqual(expectedSync(v, {servingOnly: true}), {followers: 1, observers: 1});
    assert.equal(ensembleSyncGap(v, {servingOnly: true}), undefined);
    assert.equal(ensembleSyncGap(v), 'leader zk-1: 1/2 followers in sync');
  });
  it('no committed config known: no observers expected', () => {
    assert.deepEqual(expectedSync(view({config: undefined})), {followers: 2, observers: 0});
  });
});

describe('ensemble core: the leader tracker', () => {
  it('a change: another member leads, or the same one in a newer epoch', () => {
    assert.equal(isNewLeadership({pod: 'zk-1', epoch: 3}, {pod: 'zk-2', epoch: 4}), true);
    assert.equal(isNewLeadership({pod: 'zk-1', epoch: 3}, {pod: 'zk-1', epoch: 4}), true);
    assert.equal(isNewLeadership({pod: 'zk-1', epoch: 3}, {pod: 'zk-1', epoch: 3}), false);
    assert.equal(isNewLeadership({pod: 'zk-1'}, {pod: 'zk-1', epoch: 4}), false, 'no epoch to compare with');
    assert.equal(isNewLeadership({}, {pod: 'zk-1'}), false, 'the first leader seen is not a change');
    assert.equal(isNewLeadership({pod: 'zk-1'}, {}), false, 'nobody leading is not a change (yet)');
  });
  it('reports each change once, and keeps the highest epoch seen', () => {
    const t = new LeaderTracker({pod: 'zk-1', epoch: 3});
    assert.equal(t.observe({}), undefined);
    assert.deepEqual(t.observe({pod: 'zk-2', epoch: 4}), {from: 'zk-1', to: 'zk-2', epochBefore: 3, epochAfter: 4});
    assert.equal(t.observe({pod: 'zk-2', epoch: 4}), undefined);
    assert.equal(t.observe({pod: 'zk-2'}), undefined);
    assert.deepEqual(t.current, {pod: 'zk-2', epoch: 4});
  });
});

describe('ensemble core: poll', () => {
  it('asks until done; sleeps the interval between attempts; reports each new reason once', async () => {
    const t = fakeTime();
    let n = 0;
    const whys: string[] = [];
    const v = await poll(async () => (++n === 4 ? {ok: 'done'} : {why: n < 3 ? 'starting' : 'syncing'}), {
      clock: t.clock,
      sleep: t.sleep,
      intervalMs: 100,
      timeoutMs: 10_000,
      onWhy: (w) => whys.push(w),
    });
    assert.equal(v, 'done');
    assert.deepEqual(t.slept, [100, 100, 100]);
    assert.deepEqual(whys, ['starting', 'syncing']);
  });
  it('never sleeps past the deadline, then fails with the last reason', async () => {
    const t = fakeTime();
    await assert.rejects(
      poll(async () => ({why: 'no leader'}), {clock: t.clock, sleep: t.sleep, intervalMs: 400, timeoutMs: 1000, onTimeout: (why) => new Error(`gave up: ${why}`)}),
      /gave up: no leader/,
    );
    assert.deepEqual(t.slept, [400, 400, 200]);
  });
  it('an interval function is asked before each sleep; an error from the attempt ends the wait', async () => {
    const t = fakeTime();
    let n = 0;
    await assert.rejects(
      poll(
        async () => {
          if (++n === 3) throw new Error('fatal');
          return {why: 'x'};
        },
        {clock: t.clock, sleep: t.sleep, intervalMs: () => n * 10, timeoutMs: 10_000},
      ),
      /fatal/,
    );
    assert.deepEqual(t.slept, [10, 20]);
  });
  it('Ctrl-C (an aborted signal) stops before the next attempt', async () => {
    const t = fakeTime();
    const ac = new AbortController();
    let n = 0;
    await assert.rejects(
      poll(
        async () => {
          if (++n === 2) ac.abort(new Error('interrupted'));
          return {why: 'x'};
        },
        {clock: t.clock, sleep: t.sleep, signal: ac.signal, intervalMs: 10, timeoutMs: 10_000},
      ),
      /interrupted/,
    );
    assert.equal(n, 2);
  });
});

describe('ensemble core: the phase timer', () => {
  it('times each phase; the same name again continues it; end() closes the last', async () => {
    const t = fakeTime();
    const seen: string[] = [];
    const p = new PhaseTimer(t.clock, {onPhase: (n) => seen.push(n)});
    p.enter('delete');
    await t.sleep(100);
    p.enter('wait');
    await t.sleep(50);
    p.enter('wait');
    await t.sleep(50);
    p.end();
    assert.deepEqual(p.phases, [
      {phase: 'delete', ms: 100},
      {phase: 'wait', ms: 100},
    ]);
    assert.deepEqual(seen, ['delete', 'wait']);
    assert.equal(p.current, '');
  });
  it('dropEmpty leaves out a phase replaced at once; without it the phase stays with 0 ms', () => {
    const t = fakeTime();
    const drop = new PhaseTimer(t.clock, {dropEmpty: true});
    const keep = new PhaseTimer(t.clock);
    for (const p of [drop, keep]) {
      p.enter('a');
      p.enter('b');
      p.end();
    }
    assert.deepEqual(drop.phases, []);
    assert.deepEqual(keep.phases, [
      {phase: 'a', ms: 0},
      {phase: 'b', ms: 0},
    ]);
  });
  it("marks(): when each phase ended, counted from the timer's start, a gap between phases included (create's phases)", async () => {
    const t = fakeTime();
    const p = new PhaseTimer(t.clock);
    p.enter('objects applied');
    await t.sleep(10);
    p.end();
    await t.sleep(5); // between phases: counted in the next mark, not in a phase
    p.enter('pods scheduled');
    await t.sleep(20);
    p.enter('system ACLs set');
    p.end();
    assert.deepEqual(p.marks(), [
      {phase: 'objects applied', atMs: 10},
      {phase: 'pods scheduled', atMs: 35},
      {phase: 'system ACLs set', atMs: 35},
    ]);
    assert.deepEqual(p.phases.at(1), {phase: 'pods scheduled', ms: 20});
  });
});

describe('ensemble core: the probe builder', () => {
  it('one timeout for every command: --request-timeout when given, else the default', () => {
    assert.equal(probeTimeout(undefined), PROBE_TIMEOUT_MS);
    assert.equal(probeTimeout(1500), 1500);
  });
  it('every status probe has its own four-letter-word gate', () => {
    const t = fakeTime();
    const endpoint = async () => ({host: '127.0.0.1', port: 1});
    const a = statusDeps({kube: {} as never, clock: t.clock, endpoint});
    const b = statusDeps({kube: {} as never, clock: t.clock, endpoint});
    assert.ok(a.fourLetter && b.fourLetter && a.fourLetter !== b.fourLetter);
    assert.equal(a.timeoutMs, PROBE_TIMEOUT_MS);
  });
});
