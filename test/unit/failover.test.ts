import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import {existsSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {AbortedError, CliError, UsageError} from '../../src/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {runFailoverTest} from '../../src/ops/failover.js';
import {audit, auditWrites, judgeAudit, type MemberCheck} from '../../src/ops/failover/audit.js';
import {killCommand, kubeDisruptor, parseKillOutput} from '../../src/ops/failover/disrupt.js';
import {buildTimeline, figuresOf, longestAckGap, statsOf, summarizeRounds, type Observed} from '../../src/ops/failover/figures.js';
import {preconditionProblems} from '../../src/ops/failover/plan.js';
import {
  FAILOVER_EXIT,
  exitCodeOfOutcome,
  validateFailoverRequest,
  worstOutcome,
  type FailoverDeps,
  type FailoverReport,
  type FailoverRequest,
  type FailoverRound,
} from '../../src/ops/failover/types.js';
import {startWriter, writeName, type WriteRecord} from '../../src/ops/failover/writer.js';
import {offset, renderFailover, renderSummary} from '../../src/render/failover.js';
import {noPaint} from '../../src/util/progress.js';
import type {ConnectionState, ZkClient} from '../../src/zk/client.js';
import {ZkError} from '../../src/zk/errors.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {memberRow, statusReport} from '../support/status-report.js';
import {fakeTime} from '../support/time.js';
import {EvictionBlocked} from '../../src/ops/evict.js';

// ---------------------------------------------------------------- fixtures

const member = memberRow;

const acked = (seq: number, startedAt: number, ackedAt: number): WriteRecord => ({seq, name: writeName(seq), startedAt, ackedAt});
const failed = (seq: number, startedAt: number, failedAt: number, error = 'ConnectionLoss'): WriteRecord => ({seq, name: writeName(seq), startedAt, failedAt, error});

// ---------------------------------------------------------------- pure parts

describe('failover-test: exit codes and outcomes', () => {
  it('documented, distinct exit codes: 0 pass, 10 data loss, 11 no new leader, 12 not recovered, 13 precondition, 1 interrupted', () => {
    assert.deepEqual(FAILOVER_EXIT, {pass: 0, interrupted: 1, dataLoss: 10, noNewLeader: 11, notRecovered: 12, precondition: 13});
    assert.equal(new Set(Object.values(FAILOVER_EXIT)).size, Object.keys(FAILOVER_EXIT).length);
    assert.equal(exitCodeOfOutcome('pass'), 0);
    assert.equal(exitCodeOfOutcome('data-loss'), 10);
    assert.equal(exitCodeOfOutcome('no-new-leader'), 11);
    assert.equal(exitCodeOfOutcome('not-recovered'), 12);
    assert.equal(exitCodeOfOutcome('precondition'), 13);
    assert.equal(exitCodeOfOutcome('interrupted'), 1);
  });

  it('the worst outcome wins: data loss over everything, pass only when all pass', () => {
    assert.equal(worstOutcome(['pass', 'pass']), 'pass');
    assert.equal(worstOutcome([]), 'pass');
    assert.equal(worstOutcome(['pass', 'not-recovered', 'data-loss']), 'data-loss');
    assert.equal(worstOutcome(['interrupted', 'no-new-leader']), 'no-new-leader');
    assert.equal(worstOutcome(['pass', 'interrupted']), 'interrupted');
  });
});

describe('failover-test: figures from a timeline and a writer log', () => {
  const t0 = 10_000;
  const observed: Observed[] = [
    {event: 'disruption-sent', at: t0, detail: 'delete'},
    {event: 'leader-lost', at: t0 + 80, detail: 'lost'},
    {event: 'new-leader', at: t0 + 450, detail: 'zk-2 leads'},
    {event: 'member-back', at: t0 + 9000, detail: 'zk-1 follower'},
    {event: 'followers-synced', at: t0 + 9050, detail: 'synced'},
    {event: 'recovered', at: t0 + 9100, detail: 'healthy'},
  ];
  const writes = [acked(1, t0 - 100, t0 - 90), acked(2, t0 - 50, t0 - 40), failed(3, t0 - 1, t0 + 300), acked(4, t0 + 300, t0 + 520), acked(5, t0 + 530, t0 + 560)];

  it('election, leader loss, member back, recovery relative to the disruption; unavailability = the longest gap between acknowledged writes', () => {
    const f = figuresOf({disruptionAt: t0, observed, writes, writerStoppedAt: t0 + 9200, lost: 0, committedUnacked: 0});
    assert.deepEqual(f, {
      acked: 4,
      failed: 1,
      lost: 0,
      committedUnacked: 0,
      leaderLossMs: 80,
      electionMs: 450,
      firstAckMs: 520,
      unavailabilityMs: 560,
      memberBackMs: 9000,
      syncedMs: 9050,
      recoveryMs: 9100,
    });
    assert.deepEqual(longestAckGap(writes, t0), {fromMs: -40, toMs: 520, ms: 560, open: false});
  });

  it('a write that started BEFORE the disruption is not "the first acknowledged write after" it', () => {
    const w = [acked(1, t0 - 5, t0 + 3), acked(2, t0 + 700, t0 + 710)];
    assert.equal(figuresOf({disruptionAt: t0, observed, writes: w, lost: 0, committedUnacked: 0}).firstAckMs, 710);
  });

  it('failures after the last acknowledgement: the gap stays open until the writer stopped', () => {
    const w = [acked(1, t0 - 20, t0 - 10), failed(2, t0, t0 + 10_000), failed(3, t0 + 10_000, t0 + 20_000)];
    assert.deepEqual(longestAckGap(w, t0, t0 + 20_000), {fromMs: -10, toMs: 20_000, ms: 20_010, open: true});
    assert.equal(longestAckGap([], t0), undefined);
    assert.equal(figuresOf({disruptionAt: t0, observed: [], writes: [], lost: 0, committedUnacked: 0}).unavailabilityMs, undefined);
  });

  it('the timeline is sorted, relative to the disruption, and adds the first failed and first acknowledged write', () => {
    const tl = buildTimeline(t0, [...observed].reverse(), writes);
    assert.deepEqual(
      tl.map((e) => [e.event, e.tMs]),
      [
        ['disruption-sent', 0],
        ['leader-lost', 80],
        ['first-write-failed', 300],
        ['new-leader', 450],
        ['first-ack-after-disruption', 520],
        ['member-back', 9000],
        ['followers-synced', 9050],
        ['recovered', 9100],
      ],
    );
    assert.equal(tl[0]!.time, new Date(t0).toISOString());
    assert.match(tl[2]!.detail, /^w-0000000003: ConnectionLoss$/);
  });

  it('min/median/max: odd and even counts, nothing for no values', () => {
    assert.deepEqual(statsOf([300, 100, 200]), {min: 100, median: 200, max: 300, n: 3});
    assert.deepEqual(statsOf([400, 100]), {min: 100, median: 250, max: 400, n: 2});
    assert.deepEqual(statsOf([7]), {min: 7, median: 7, max: 7, n: 1});
    assert.equal(statsOf([]), undefined);
    const s = summarizeRounds([
      {figures: {acked: 10, failed: 1, lost: 0, committedUnacked: 0, electionMs: 400}},
      {figures: {acked: 20, failed: 3, lost: 0, committedUnacked: 1, electionMs: 600, recoveryMs: 5000}},
    ]);
    assert.deepEqual(s.electionMs, {min: 400, median: 500, max: 600, n: 2});
    assert.deepEqual(s.recoveryMs, {min: 5000, median: 5000, max: 5000, n: 1});
    assert.deepEqual(s.acked, {min: 10, median: 15, max: 20, n: 2});
    assert.equal(s.firstAckMs, undefined);
  });
});

describe('failover-test: the audit', () => {
  const writes = [acked(1, 0, 1), acked(2, 2, 3), failed(3, 4, 5), failed(4, 6, 7), acked(5, 8, 9)];

  it('an acknowledged write missing on ANY member is lost; members are compared one by one', () => {
    const present = new Map([
      ['zk-0', new Set([writeName(1), writeName(2), writeName(5), writeName(3)])],
      ['zk-1', new Set([writeName(1), writeName(5), writeName(3)])],
      ['zk-2', new Set([writeName(1), writeName(2), writeName(5), writeName(3)])],
    ]);
    const a = auditWrites(writes, present);
    assert.deepEqual(
      a.lost.map((w) => w.seq),
      [2],
    );
    assert.deepEqual(a.missingByPod.get('zk-1'), [writeName(2)]);
    assert.deepEqual(a.missingByPod.get('zk-0'), []);
    assert.deepEqual(a.committedUnacked, [writeName(3)], 'a failed write present everywhere was committed, never acknowledged: not loss');
  });

  it('the barrier write failed: a member that lacks writes is unverified, not lost (no false alarm); the audit is incomplete', () => {
    const check = (pod: string): MemberCheck => ({pod, reachable: true, caughtUp: false, marker: 'ok', missing: []});
    const lagging = new Set([writeName(1)]);
    const v = judgeAudit(
      writes,
      [
        {check: check('zk-0'), names: lagging},
        {check: check('zk-1'), names: lagging},
      ],
      {barrier: false, barrierError: 'ConnectionLoss', writesChecked: true},
    );
    assert.deepEqual(v.lost, []);
    assert.equal(v.complete, false);
    assert.equal(v.barrierError, 'ConnectionLoss');
    // the same reads after a barrier the members applied: the loss is real
    const caught = (pod: string): MemberCheck => ({...check(pod), caughtUp: true});
    const w = judgeAudit(
      writes,
      [
        {check: caught('zk-0'), names: lagging},
        {check: caught('zk-1'), names: lagging},
      ],
      {barrier: true, writesChecked: true},
    );
    assert.deepEqual(
      w.lost.map((x) => x.seq),
      [2, 5],
    );
  });

  it('audit(): every barrier write fails (ConnectionLoss) while a member lags: reported as a failed barrier, nothing lost', async () => {
    const t = fakeTime();
    const lagging = {
      exists: async () => null,
      get: async () => ({data: Buffer.from('m'), stat: {}}),
      ls: async () => [writeName(1)],
      close: async () => undefined,
    } as unknown as ZkClient;
    const main = {create: async () => Promise.reject(new ZkError('ConnectionLoss', 'connection loss'))} as unknown as ZkClient;
    const deps = {clock: t.clock, sleep: t.sleep, connect: async () => lagging, verifyTimeoutMs: 5000} as unknown as FailoverDeps;
    const req = {timeoutMs: 60_000} as FailoverRequest;
    const endpoints = new Map([
      ['zk-0', {host: '127.0.0.1', port: 1}],
      ['zk-1', {host: '127.0.0.1', port: 2}],
    ]);
    const a = await audit({deps, req, endpoints, client: main, markerPath: '/m', markerValue: 'm', writesDir: '/w', barrierPath: '/b', writes});
    assert.equal(a.barrier, false);
    assert.match(a.barrierError ?? '', /connection loss|ConnectionLoss/i);
    assert.deepEqual(a.lost, [], 'a failed barrier write is not data loss');
    assert.equal(a.complete, false);
    assert.ok(a.members.every((m) => m.reachable && /barrier write failed/.test(m.error ?? '')));
  });

  it('all present: nothing lost; failed writes absent everywhere are just unavailability', () => {
    const all = new Set([writeName(1), writeName(2), writeName(5)]);
    const a = auditWrites(
      writes,
      new Map([
        ['zk-0', all],
        ['zk-1', all],
      ]),
    );
    assert.deepEqual(a.lost, []);
    assert.deepEqual(a.committedUnacked, []);
  });
});

describe('failover-test: preconditions', () => {
  it('a healthy 3-voter ensemble may run', () => {
    assert.deepEqual(preconditionProblems(statusReport()), []);
  });

  it('names what is wrong: no quorum, members not serving (with their errors), pods not ready, followers not synced', () => {
    const r = statusReport({
      quorum: {has: false, voters: 3, needed: 2, servingVoters: 1, tolerates: 0},
      sync: undefined,
      replicas: {desired: 3, ready: 2},
      members: [member('zk-0', 'unreachable', {error: 'connect ECONNREFUSED', ready: false}), member('zk-1', 'not serving'), member('zk-2', 'follower')],
      health: 'no-quorum',
    });
    assert.deepEqual(preconditionProblems(r), ['no quorum: 1/3 voters serving, 2 needed', 'zk-0: unreachable (connect ECONNREFUSED)', 'zk-1: not serving', '2/3 pods ready']);
  });

  it('a follower not synced, a pod not Ready, pending syncs (the first sync gap is named: ensemble/sync.ts)', () => {
    const r = statusReport({sync: {followers: 1, pendingSyncs: 1}, members: [member('zk-0', 'follower', {ready: false}), member('zk-1', 'leader'), member('zk-2', 'follower')], health: 'degraded'});
    assert.deepEqual(preconditionProblems(r), ['zk-0: pod is not Ready', 'leader zk-1: 1/2 followers in sync']);
    const pending = statusReport({sync: {followers: 2, pendingSyncs: 1}, members: [member('zk-0', 'follower'), member('zk-1', 'leader'), member('zk-2', 'follower')], health: 'degraded'});
    assert.deepEqual(preconditionProblems(pending), ['leader zk-1: 1 syncs pending']);
  });

  it('fewer than 3 voters is refused (losing the leader would lose the quorum)', () => {
    const one = statusReport({
      quorum: {has: true, voters: 1, needed: 1, servingVoters: 1, tolerates: 0, leader: 'zk-0'},
      replicas: {desired: 1, ready: 1},
      sync: {followers: 0},
      members: [member('zk-0', 'leader')],
    });
    assert.deepEqual(preconditionProblems(one), ['1 voter: losing the leader loses the quorum; a failover test needs at least 3']);
    const two = statusReport({
      quorum: {has: true, voters: 2, needed: 2, servingVoters: 2, tolerates: 0, leader: 'zk-0'},
      replicas: {desired: 2, ready: 2},
      sync: {followers: 1},
      members: [member('zk-0', 'leader'), member('zk-1', 'follower')],
    });
    assert.deepEqual(preconditionProblems(two), ['2 voters: losing the leader loses the quorum; a failover test needs at least 3']);
  });
});

// ---------------------------------------------------------------- renderers

function round(over: Partial<FailoverRound> = {}): FailoverRound {
  const t0 = Date.parse('2025-01-31T14:25:01.000Z');
  const writes = [acked(1, t0 - 100, t0 - 90), failed(2, t0 - 40, t0 + 300), acked(3, t0 + 310, t0 + 512)];
  const observed: Observed[] = [
    {event: 'disruption-sent', at: t0, detail: "delete the leader's pod (zk-1)"},
    {event: 'leader-lost', at: t0 + 61, detail: 'no member leads (zk-1 unreachable)'},
    {event: 'new-leader', at: t0 + 412, detail: 'zk-2 leads (epoch 2, was 1)'},
    {event: 'member-back', at: t0 + 8100, detail: 'zk-1 follower'},
    {event: 'followers-synced', at: t0 + 8150, detail: '2/2 followers synced with zk-2'},
    {event: 'recovered', at: t0 + 8200, detail: 'healthy'},
  ];
  return {
    round: 1,
    path: '/kubectl-zk/failover/run/round-1',
    outcome: 'pass',
    problems: [],
    before: {leader: 'zk-1', epoch: 1, members: []},
    disruption: {pods: ['zk-1'], detail: 'deleted pod zk-1', time: new Date(t0).toISOString()},
    newLeader: {pod: 'zk-2', epoch: 2},
    timeline: buildTimeline(t0, observed, writes),
    figures: figuresOf({disruptionAt: t0, observed, writes, lost: 0, committedUnacked: 0}),
    unavailability: longestAckGap(writes, t0),
    writes: {ratePerSec: 20, attempted: 3, acked: 2, failed: 1, failures: [writes[1]!], lost: []},
    audit: {
      complete: true,
      barrier: true,
      lost: [],
      markerOk: true,
      committedUnacked: [],
      members: ['zk-0', 'zk-1', 'zk-2'].map((pod) => ({pod, reachable: true, caughtUp: true, marker: 'ok' as const, present: 2, missing: []})),
    },
    polling: {intervalMs: 100, polls: 80, longestMs: 35},
    cleanup: {removed: true},
    ...over,
  };
}

function report(rounds: FailoverRound[], over: Partial<FailoverReport> = {}): FailoverReport {
  const outcome = worstOutcome(rounds.map((r) => r.outcome));
  return {
    name: 'zk',
    namespace: 'ns',
    mode: 'delete-pod',
    runId: '20250131-142501-3f9a1c',
    path: '/kubectl-zk/failover/20250131-142501-3f9a1c',
    startedAt: '2025-01-31T14:25:00.000Z',
    roundsRequested: rounds.length,
    rounds,
    summary: summarizeRounds(rounds),
    outcome,
    exitCode: exitCodeOfOutcome(outcome),
    forced: [],
    ...over,
  };
}

describe('failover-test: renderers', () => {
  it('a passing round: timeline table relative to the disruption, key figures, each member verified, outcome line', () => {
    const text = renderFailover(report([round()]), noPaint);
    assert.equal(
      text,
      [
        'Failover test of ensemble zk (namespace ns), mode delete-pod, run 20250131-142501-3f9a1c',
        '',
        'Result: PASS   leader zk-1 (epoch 1) → new leader zk-2 (epoch 2)',
        '  Disruption:      deleted pod zk-1',
        '',
        '  T        EVENT                        DETAIL',
        "  +0ms     disruption-sent              delete the leader's pod (zk-1)",
        '  +61ms    leader-lost                  no member leads (zk-1 unreachable)',
        '  +300ms   first-write-failed           w-0000000002: ConnectionLoss',
        '  +412ms   new-leader                   zk-2 leads (epoch 2, was 1)',
        '  +512ms   first-ack-after-disruption   w-0000000003 (issued 310ms after the disruption)',
        '  +8.10s   member-back                  zk-1 follower',
        '  +8.15s   followers-synced             2/2 followers synced with zk-2',
        '  +8.20s   recovered                    healthy',
        '',
        '  Election:        412ms   (leader loss seen after 61ms)',
        '  Unavailability:  602ms   (longest gap between acknowledged writes, -90ms → +512ms)',
        '  First write ack: 512ms after the disruption',
        '  Member back:     8.10s',
        '  Synced again:    8.15s',
        '  Full recovery:   8.20s',
        '  Writes:          3 issued at 20/s: acknowledged 2, failed 1 (unavailability, not loss), lost 0',
        '  Resolution:      membership polled every 100ms, 80 polls, longest 35ms',
        '  Verified:        each member read alone, after it applied a barrier write',
        '    ✓ zk-0: marker ok, 2 writes present',
        '    ✓ zk-1: marker ok, 2 writes present',
        '    ✓ zk-2: marker ok, 2 writes present',
        '',
        'Outcome: PASS (exit 0)',
        '',
      ].join('\n'),
    );
  });

  it('data loss is loud: every lost write listed, the member that lacks it marked, exit 10', () => {
    const lostW = acked(3, Date.parse('2025-01-31T14:25:01.310Z'), Date.parse('2025-01-31T14:25:01.512Z'));
    const r = round({
      outcome: 'data-loss',
      problems: ['1 acknowledged write(s) missing: w-0000000003'],
      writes: {ratePerSec: 20, attempted: 3, acked: 2, failed: 1, failures: [], lost: [lostW]},
      audit: {
        complete: true,
        barrier: true,
        lost: [lostW],
        markerOk: true,
        committedUnacked: [],
        members: [
          {pod: 'zk-0', reachable: true, caughtUp: true, marker: 'ok', present: 2, missing: []},
          {pod: 'zk-1', reachable: true, caughtUp: true, marker: 'ok', present: 1, missing: ['w-0000000003']},
        ],
      },
      ensemble: {time: '', health: 'healthy', leader: 'zk-2', members: [{pod: 'zk-0', role: 'follower'}]},
    });
    r.figures!.lost = 1;
    const text = renderFailover(report([r]), noPaint);
    assert.match(text, /^Result: FAIL: DATA LOSS/m);
    assert.match(text, /^ {4}✗ zk-1: marker ok, 1 writes present, 1 acknowledged missing$/m);
    assert.match(text, /^ {2}ACKNOWLEDGED BUT LOST \(1\):$/m);
    assert.match(text, /^ {4}w-0000000003 {2}issued 2025-01-31T14:25:01\.310Z, acknowledged 2025-01-31T14:25:01\.512Z$/m);
    assert.match(text, /lost 1/);
    assert.match(text, /^ {2}problem: 1 acknowledged write\(s\) missing: w-0000000003$/m);
    assert.match(text, /^Outcome: FAIL: DATA LOSS \(exit 10\)$/m);
  });

  it('rounds: each round titled, then min/median/max per figure', () => {
    const a = round();
    const b = round({round: 2});
    b.figures = {...b.figures!, electionMs: 612, recoveryMs: 9000};
    const text = renderFailover(report([a, b]), noPaint);
    assert.match(text, /^Round 1: PASS/m);
    assert.match(text, /^Round 2: PASS/m);
    assert.match(text, /^Summary over 2 rounds$/m);
    assert.match(text, /^election \(new leader seen\)\s+412ms\s+512ms\s+612ms\s+2\/2$/m);
    assert.match(text, /^full recovery\s+8\.20s\s+8\.60s\s+9\.00s\s+2\/2$/m);
    assert.match(text, /^writes lost\s+0\s+0\s+0\s+2\/2$/m);
    assert.match(text, /^Overall: PASS \(exit 0\)$/m);
    assert.match(renderSummary({}, 2), /^FIGURE {3}MIN {3}MEDIAN {3}MAX {3}ROUNDS\n$/);
  });

  it('no new leader / interrupted: the ensemble as it was left; offsets are signed', () => {
    const r = round({
      outcome: 'no-new-leader',
      newLeader: undefined,
      problems: ['no new leader within 5m of the disruption'],
      audit: {complete: false, barrier: false, members: [], lost: [], markerOk: false, committedUnacked: [], skipped: 'no leader: nothing can be read back consistently'},
      ensemble: {
        time: '',
        health: 'no-quorum',
        members: [
          {pod: 'zk-0', role: 'not serving'},
          {pod: 'zk-1', role: 'unreachable'},
        ],
      },
    });
    const text = renderFailover(report([r]), noPaint);
    assert.match(text, /^Result: FAIL: no new leader {3}leader zk-1 \(epoch 1\)$/m);
    assert.match(text, /not verified: no leader/);
    assert.match(text, /^ {2}Ensemble now: {4}no-quorum, leader none: zk-0 not serving, zk-1 unreachable$/m);
    assert.match(text, /^Outcome: FAIL: no new leader \(exit 11\)$/m);
    assert.equal(offset(-1520), '-1.52s');
    assert.equal(offset(0), '+0ms');
  });
});

// ---------------------------------------------------------------- the writer

/** A ZkClient whose creates answer as the test says. */
function scriptedClient(answer: (path: string) => Promise<void>): ZkClient & {created: string[]} {
  const created: string[] = [];
  let state: ConnectionState = 'connected';
  const c = {
    created,
    sessionId: '0x1',
    get state() {
      return state;
    },
    onState: () => () => undefined,
    create: async (path: string) => {
      await answer(path);
      created.push(path);
      return path;
    },
    close: async () => {
      state = 'closed';
    },
  };
  return c as unknown as ZkClient & {created: string[]};
}

describe('failover-test: the writer', () => {
  it('paces creates at the rate, records acknowledgements and failures with their times, freezes the in-flight write as failed on stop', async () => {
    const t = fakeTime(0);
    let n = 0;
    let hang: (() => void) | undefined;
    const client = scriptedClient(async () => {
      n++;
      if (n === 3) throw new ZkError('ConnectionLoss', 'Connection lost');
      if (n === 5) await new Promise<void>((r) => (hang = r));
    });
    const w = startWriter({dir: '/d', ratePerSec: 10, client, reconnect: async () => client, clock: t.clock, sleep: t.sleep});
    for (let i = 0; i < 50 && n < 5; i++) await new Promise((r) => setImmediate(r));
    const recs = await w.stop(1000);
    hang?.();
    assert.deepEqual(
      recs.map((r) => [r.name, r.startedAt, r.ackedAt ?? null, r.error ?? null]),
      [
        ['w-0000000001', 0, 0, null],
        ['w-0000000002', 100, 100, null],
        ['w-0000000003', 200, null, 'ConnectionLoss'],
        ['w-0000000004', 300, 300, null],
        ['w-0000000005', 400, null, 'no answer before the writer stopped'],
      ],
    );
    assert.deepEqual(client.created, ['/d/w-0000000001', '/d/w-0000000002', '/d/w-0000000004']);
  });
});

// ---------------------------------------------------------------- the kill script and the disruptors

describe('failover-test: disruptors', () => {
  const t = {namespace: 'ns', name: 'zk', leader: 'zk-1', pods: ['zk-0', 'zk-1', 'zk-2']};

  it("delete-pod evicts the leader's pod (Eviction API, no direct delete); all-pods deletes every pod", async () => {
    const kube = new FakeKube('ns');
    for (const p of t.pods) kube.seed(fakePod('ns', p, {}, 'ready'));
    assert.deepEqual(await kubeDisruptor(kube)({...t, mode: 'delete-pod'}), {pods: ['zk-1'], detail: 'evicted pod zk-1'});
    assert.deepEqual(
      kube.all('Pod').map((p) => p.metadata.name),
      ['zk-0', 'zk-2'],
    );
    assert.deepEqual(
      kube.calls.filter((c) => /^(delete|evict)/.test(c)),
      ['evict Pod/zk-1'],
    );
    assert.deepEqual(await kubeDisruptor(kube)({...t, mode: 'all-pods'}), {pods: t.pods, detail: 'deleted pods zk-0, zk-1, zk-2'});
    assert.deepEqual(kube.all('Pod'), []);
  });

  it('delete-pod retries an eviction a budget refuses, then stops naming the budget', async () => {
    const refused = "Cannot evict pod as it would violate the pod's disruption budget.: The disruption budget zk needs 3 healthy pods and has 3 currently";
    const time = fakeTime();
    const kube = new FakeKube('ns');
    for (const p of t.pods) kube.seed(fakePod('ns', p, {}, 'ready'));
    kube.fail('evict', 'Pod', 429, {times: 2, message: refused});
    assert.deepEqual(await kubeDisruptor(kube, {clock: time.clock, sleep: time.sleep})({...t, mode: 'delete-pod'}), {pods: ['zk-1'], detail: 'evicted pod zk-1'});
    assert.equal(kube.calls.filter((c) => c === 'evict Pod/zk-1').length, 3);
    const blocked = new FakeKube('ns');
    for (const p of t.pods) blocked.seed(fakePod('ns', p, {}, 'ready'));
    blocked.fail('evict', 'Pod', 429, {message: refused});
    await assert.rejects(kubeDisruptor(blocked, {clock: time.clock, sleep: time.sleep})({...t, mode: 'delete-pod'}), (e: unknown) => e instanceof EvictionBlocked && e.budget === 'zk');
    assert.equal(blocked.all('Pod').length, 3, 'nothing removed');
  });

  it('kill execs bash (nothing else) in the zookeeper container; reports the signal; survives the exec dying with PID 1', async () => {
    const calls: {pod: string; command: string[]; container?: string}[] = [];
    const kube = (out: string, fail?: Error) =>
      Object.assign(new FakeKube('ns'), {
        exec: async (_ns: string, pod: string, command: string[], o: {container?: string} = {}) => {
          calls.push({pod, command, container: o.container});
          if (fail) throw fail;
          return {stdout: out, stderr: '', exitCode: 0};
        },
      });
    const r = await kubeDisruptor(kube('target pid=57 signal=SIGKILL\nexited\n'))({...t, mode: 'kill'});
    assert.deepEqual(r, {pods: ['zk-1'], detail: 'SIGKILL to pid 57 in zk-1'});
    assert.deepEqual(calls[0]!.command.slice(0, 2), ['bash', '-c']);
    assert.deepEqual(calls[0]!.command.slice(3), ['kubectl-zk-kill', 'QuorumPeerMain']);
    assert.equal(calls[0]!.container, 'zookeeper');
    assert.equal(calls[0]!.pod, 'zk-1');
    // PID 1: the exec stream may end abruptly once the line was printed
    const r1 = await kubeDisruptor(Object.assign(new FakeKube('ns'), {exec: async () => ({stdout: 'target pid=1 signal=SIGTERM\n', stderr: '', exitCode: 137})}))({...t, mode: 'kill'});
    assert.equal(r1.detail, 'SIGTERM to pid 1 in zk-1 (PID 1 ignores SIGKILL from inside its PID namespace)');
    await assert.rejects(
      kubeDisruptor(kube('', new Error('pods "zk-1" is forbidden')))({...t, mode: 'kill'}),
      (e: unknown) => e instanceof CliError && /could not kill the ZooKeeper server in pod zk-1: pods "zk-1" is forbidden/.test(e.message) && /--mode delete-pod/.test(e.hint ?? ''),
    );
  });

  it('kill: when the exec stream dies with PID 1 before its output arrives, the container restart confirms the kill; no restart: an error', async () => {
    const t = fakeTime();
    const kube = Object.assign(new FakeKube('ns'), {
      exec: async () => {
        throw new Error('websocket closed (1006)');
      },
    });
    const pod = fakePod('ns', 'zk-1', {}, 'ready');
    kube.seed(pod);
    let sleeps = 0;
    t.onSleep(() => {
      if (++sleeps === 3) {
        const restarted = structuredClone(pod) as typeof pod & {status: {containerStatuses: {restartCount: number}[]}};
        restarted.status.containerStatuses[0]!.restartCount = 1;
        kube.seed(restarted);
      }
    });
    const target = {namespace: 'ns', name: 'zk', mode: 'kill' as const, leader: 'zk-1', pods: ['zk-0', 'zk-1', 'zk-2']};
    const r = await kubeDisruptor(kube, {clock: t.clock, sleep: t.sleep})(target);
    assert.equal(r.detail, "killed the ZooKeeper server in zk-1 (the exec's output was lost: websocket closed (1006); the container restarted)");
    assert.equal(sleeps, 3);
    const stuck = Object.assign(new FakeKube('ns'), {exec: kube.exec}).seed(fakePod('ns', 'zk-1', {}, 'ready'));
    const t2 = fakeTime();
    await assert.rejects(kubeDisruptor(stuck, {clock: t2.clock, sleep: t2.sleep, confirmMs: 1000})(target), /could not kill the ZooKeeper server in pod zk-1: websocket closed \(1006\)/);
    assert.deepEqual(t2.slept, [250, 250, 250, 250]); // confirmMs / 250
  });

  it('parseKillOutput', () => {
    assert.deepEqual(parseKillOutput('target pid=12 signal=SIGKILL\nexited\n'), {pid: 12, signal: 'SIGKILL', exited: true});
    assert.deepEqual(parseKillOutput('target pid=1 signal=SIGTERM\n'), {pid: 1, signal: 'SIGTERM', exited: false});
    assert.equal(parseKillOutput(''), undefined);
  });

  it('the kill script finds a process whose argv[0] is java by an argument, with only bash and sleep on PATH, and SIGKILLs it (not itself)', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(tmpdir(), 'kzk-kill-'));
    try {
      // a stand-in "java": bash under that name, with a QuorumPeerMain-like argument
      symlinkSync(
        ['/usr/bin/bash', '/bin/bash'].find((p) => existsSync(p))!,
        join(dir, 'java'),
      );
      symlinkSync(
        ['/usr/bin/sleep', '/bin/sleep'].find((p) => existsSync(p))!,
        join(dir, 'sleep'),
      );
      symlinkSync(
        ['/usr/bin/bash', '/bin/bash'].find((p) => existsSync(p))!,
        join(dir, 'bash'),
      );
      const marker = `org.example.Fake${process.pid}QuorumPeerMain`;
      const victim = spawn(join(dir, 'java'), ['-c', 'sleep 15; :', 'fake', marker], {stdio: 'ignore'});
      const gone = new Promise<NodeJS.Signals | null>((r) => victim.once('exit', (_c, s) => r(s)));
      // 'spawn' comes once the exec has succeeded: the stand-in's argv (the marker) is in /proc from then on
      await once(victim, 'spawn');
      const [cmd, ...args] = killCommand(`Fake${process.pid}QuorumPeerMain`);
      const r = spawnSync(join(dir, cmd!), args, {env: {PATH: dir}, encoding: 'utf8', timeout: 15_000});
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(parseKillOutput(r.stdout), {pid: victim.pid, signal: 'SIGKILL', exited: true});
      assert.equal(await gone, 'SIGKILL');
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});

// ---------------------------------------------------------------- refusals (in-memory API, nothing disrupted)

describe('failover-test: refusals', () => {
  let closedPort = 0;
  before(async () => {
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    closedPort = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
  });

  function seeded(replicas = 3): FakeKube {
    const kube = new FakeKube('ns');
    const o = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas}).options;
    kube.seed(...renderEnsemble(o, {superPassword: 'pw'}, loadAssets()));
    for (let i = 0; i < replicas; i++) kube.seed(fakePod('ns', `zk-${i}`, ensembleLabels('zk', o.image), 'ready'));
    return kube;
  }

  const req = (over: Partial<FailoverRequest> = {}): FailoverRequest => ({
    name: 'zk',
    namespace: 'ns',
    mode: 'delete-pod',
    rounds: 1,
    pauseMs: 0,
    pollMs: 100,
    timeoutMs: 60_000,
    writeRate: 20,
    force: false,
    keepData: false,
    basePath: '/kubectl-zk/failover',
    runId: 'r1',
    ...over,
  });

  function deps(kube: FakeKube, confirm: (q: string) => Promise<boolean> = async () => true) {
    const t = fakeTime();
    const seen = {asked: [] as string[], connects: 0, disruptions: 0};
    const d: FailoverDeps = {
      kube,
      clock: t.clock,
      sleep: t.sleep,
      progress: recordingProgress(),
      endpoint: async () => ({host: '127.0.0.1', port: closedPort}),
      connect: async () => {
        seen.connects++;
        throw new ZkError('Timeout', 'no ZooKeeper session');
      },
      disruptor: async () => {
        seen.disruptions++;
        return {pods: [], detail: ''};
      },
      confirm: (q) => {
        seen.asked.push(q);
        return confirm(q);
      },
      probeTimeoutMs: 500,
    };
    return {d, seen};
  }

  it('an unhealthy ensemble: refused with exit 13, every problem listed, nothing asked, connected or disrupted', async () => {
    const kube = seeded();
    const {d, seen} = deps(kube);
    await assert.rejects(runFailoverTest(req(), d), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.equal(e.exitCode, 13);
      assert.match(e.message, /^ensemble "zk" is not ready for a failover test: no quorum: 0\/3 voters serving, 2 needed \(and \d+ more\)$/);
      assert.match(e.hint!, /--force/);
      assert.ok(
        e.details.some((x) => /^zk-0: unreachable \(.*connection refused.*\)$/.test(x)),
        JSON.stringify(e.details),
      );
      return true;
    });
    assert.deepEqual(seen, {asked: [], connects: 0, disruptions: 0});
    assert.ok(!kube.calls.some((c) => c.startsWith('delete') || c.startsWith('exec')));
  });

  it('an ensemble that does not exist: the status error, nothing else', async () => {
    const {d, seen} = deps(new FakeKube('ns'));
    await assert.rejects(runFailoverTest(req(), d), /ensemble "zk" not found in namespace "ns"/);
    assert.deepEqual(seen.asked, []);
  });

  it('--mode all-pods without --force, and bad numbers: usage errors before any API call', async () => {
    for (const [over, re] of [
      [{mode: 'all-pods'}, /--mode all-pods deletes every pod/],
      [{rounds: 0}, /--rounds must be a positive integer/],
      [{pollMs: 0}, /--poll must be more than 0/],
      [{basePath: 'relative'}, /--path must be an absolute znode path/],
      [{basePath: '/zookeeper/x'}, /--path must be an absolute znode path outside \/zookeeper/],
    ] as [Partial<FailoverRequest>, RegExp][]) {
      const kube = seeded();
      const {d} = deps(kube);
      await assert.rejects(runFailoverTest(req(over), d), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message));
      assert.deepEqual(kube.calls, []);
    }
  });

  it('--force runs past the problems, but still asks: "no" aborts (exit 1), no terminal and no --yes refuses (exit 2), both before any session or disruption', async () => {
    const kube = seeded();
    const no = deps(kube, async () => false);
    await assert.rejects(runFailoverTest(req({force: true}), no.d), (e: unknown) => e instanceof AbortedError && e.exitCode === 1);
    assert.equal(no.seen.asked.length, 1);
    assert.match(no.seen.asked[0]!, /^Failover test on ensemble ns\/zk: delete the leader's pod \(the leader\)\. Continue\?$/);
    assert.deepEqual([no.seen.connects, no.seen.disruptions], [0, 0]);
    assert.ok((no.d.progress as ReturnType<typeof recordingProgress>).lines.some((l) => /^warn --force: running although no quorum/.test(l)));

    const tty = deps(kube, async (q) => {
      throw new UsageError(`${q.replace(/\?$/, '')}: refusing without confirmation`, 'no terminal to ask on; pass --yes to confirm');
    });
    await assert.rejects(
      runFailoverTest(req({force: true, mode: 'all-pods', rounds: 3}), tty.d),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /delete EVERY pod.*3 rounds/.test(e.message),
    );
    assert.deepEqual([tty.seen.connects, tty.seen.disruptions], [0, 0]);
  });

  it('forced, confirmed, but no session: a clear error and nothing disrupted', async () => {
    const {d, seen} = deps(seeded());
    await assert.rejects(runFailoverTest(req({force: true}), d), /cannot open a ZooKeeper session to ensemble "zk": no ZooKeeper session/);
    assert.equal(seen.disruptions, 0);
  });
});

describe('failover-test --mode partition', () => {
  const cm = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'zk-config', namespace: 'ns'}, data: {'zoo.cfg': 'tickTime=1000\nsyncLimit=4\n'}};
  const policy = () => {
    const o = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas: 3}).options;
    return renderEnsemble(o, {superPassword: 'pw'}, loadAssets()).find((x) => x.kind === 'NetworkPolicy')!;
  };

  it('cuts the leader off and stops its JVM; continues it once another member leads (not before the followers could time out); heals when the cut ends', async () => {
    const calls: string[] = [];
    const kube = Object.assign(new FakeKube('ns').seed(cm, policy()), {
      exec: async (_ns: string, pod: string, command: string[]) => {
        const sig = command[5] ?? 'KILL';
        calls.push(`${sig} ${pod}`);
        return {stdout: `target pid=7 signal=SIG${sig}\n`, stderr: '', exitCode: 0};
      },
    });
    const time = fakeTime();
    let led = false;
    const r = await kubeDisruptor(kube, {clock: time.clock, sleep: time.sleep})({
      namespace: 'ns',
      name: 'zk',
      mode: 'partition',
      leader: 'zk-1',
      pods: ['zk-0', 'zk-1', 'zk-2'],
      stopForMs: 60_000,
      newLeaderSeen: () => led,
    });
    const t0 = time.clock.now();
    assert.match(r.detail, /^zk-1 cut off by NetworkPolicy \(zk-partition; zk narrowed to the others\), and SIGSTOP to pid 7 in zk-1/);
    assert.deepEqual(calls, ['STOP zk-1']);
    assert.ok(await kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk-partition'}));
    // the first step waits syncLimit × tickTime + 5 s, then until a new leader is seen
    assert.equal(r.undo!.afterMs, 4 * 1000 + 5000);
    time.onSleep((now) => {
      if (now - t0 > 20_000) led = true;
    });
    assert.equal(await r.undo!.run(), 'SIGCONT to pid 7 in zk-1: it runs, still cut off');
    assert.ok(time.clock.now() - t0 > 20_000, 'not continued before another member led');
    assert.deepEqual(calls, ['STOP zk-1', 'CONT zk-1']);
    assert.ok(await kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk-partition'}), 'still cut off');
    assert.match(await r.undo!.then!.run(), /^NetworkPolicy zk restored and zk-partition deleted: zk-1 is reachable again$/);
    assert.ok(time.clock.now() - t0 >= 60_000, 'healed when --stop-for ended');
    assert.equal(await kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk-partition'}), null);
    const healed = (await kube.get<any>({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk'}))!;
    assert.deepEqual(JSON.parse(JSON.stringify(healed.spec)), JSON.parse(JSON.stringify((policy() as any).spec)));
  });

  it('a JVM that cannot be stopped: the cut is healed before the error', async () => {
    const kube = Object.assign(new FakeKube('ns').seed(cm, policy()), {exec: async () => ({stdout: '', stderr: 'the ZooKeeper JVM is PID 1 here\n', exitCode: 6})});
    const time = fakeTime();
    await assert.rejects(
      kubeDisruptor(kube, {clock: time.clock, sleep: time.sleep})({namespace: 'ns', name: 'zk', mode: 'partition', leader: 'zk-1', pods: ['zk-0', 'zk-1', 'zk-2'], stopForMs: 30_000}),
      /could not send SIGSTOP/,
    );
    assert.equal(await kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk-partition'}), null);
  });
});

describe('failover-test --mode pause', () => {
  const t = {namespace: 'ns', name: 'zk', mode: 'pause' as const, leader: 'zk-1', pods: ['zk-0', 'zk-1', 'zk-2'], stopForMs: 15_000};

  it('SIGSTOP through kill.sh in the zookeeper container; the undo sends SIGCONT after --stop-for', async () => {
    const calls: string[][] = [];
    const kube = Object.assign(new FakeKube('ns'), {
      exec: async (_ns: string, _pod: string, command: string[]) => {
        calls.push(command.slice(3));
        const sig = command[5] ?? 'KILL';
        return {stdout: `target pid=7 signal=SIG${sig}\nstate=T\n`, stderr: '', exitCode: 0};
      },
    });
    const r = await kubeDisruptor(kube)(t);
    assert.equal(r.detail, 'SIGSTOP to pid 7 in zk-1');
    assert.equal(r.undo?.afterMs, 15_000);
    assert.equal(await r.undo!.run(), 'SIGCONT to pid 7 in zk-1');
    assert.deepEqual(calls, [
      ['kubectl-zk-kill', 'QuorumPeerMain', 'STOP'],
      ['kubectl-zk-kill', 'QuorumPeerMain', 'CONT'],
    ]);
    assert.deepEqual(killCommand().slice(3), ['kubectl-zk-kill', 'QuorumPeerMain'], 'kill keeps its default (SIGKILL)');
  });

  it('a JVM that is PID 1 cannot be stopped: a clear error', async () => {
    const kube = Object.assign(new FakeKube('ns'), {
      exec: async () => ({stdout: '', stderr: 'the ZooKeeper JVM is PID 1 here: SIGSTOP cannot reach it (the pod needs shareProcessNamespace)\n', exitCode: 6}),
    });
    await assert.rejects(kubeDisruptor(kube)(t), /could not send SIGSTOP to the ZooKeeper server in pod zk-1: the ZooKeeper JVM is PID 1/);
  });

  it('--stop-for must be positive', () => {
    const req: FailoverRequest = {
      name: 'zk',
      namespace: 'ns',
      mode: 'pause',
      rounds: 1,
      pauseMs: 0,
      pollMs: 100,
      timeoutMs: 60_000,
      writeRate: 20,
      force: false,
      keepData: false,
      basePath: '/kubectl-zk/failover',
      runId: 'r1',
      stopForMs: 0,
    };
    assert.throws(() => validateFailoverRequest(req), /--stop-for/);
    assert.doesNotThrow(() => validateFailoverRequest({...req, stopForMs: 15_000}));
  });
});
