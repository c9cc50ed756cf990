/** Watching the failover: leader loss, new leader, the disrupted member back, every follower in sync, healthy. */
import {errorMessage} from '../../errors.js';
import {formatDuration} from '../../util/duration.js';
import {poll, type PollStep} from '../../util/poll.js';
import {isNewLeadership} from '../ensemble/leader.js';
import {isServing} from '../ensemble/member.js';
import {gatherStatus, type MemberReport, type StatusReport} from '../status.js';
import type {Observed, TimelineEvent} from './figures.js';
import {followersSynced} from './plan.js';
import {aborted, type FailoverDeps, type FailoverRequest, type Outcome, type StatusDepsLike} from './types.js';

interface WatchArgs {
  req: FailoverRequest;
  deps: FailoverDeps;
  sdeps: StatusDepsLike;
  t0: number;
  oldLeader: string;
  oldEpoch?: number;
  targets: string[];
  note: (event: TimelineEvent, detail: string, at?: number) => void;
  step: {update(t: string): void};
  observed: Observed[];
}

interface WatchOutcome {
  outcome: Outcome;
  why: string;
  newLeader?: {pod: string; epoch?: number};
  last?: StatusReport;
  polls: number;
  longestMs: number;
}

/**
 * Polls the members (gatherStatus) every pollMs and timestamps, in order:
 * leader loss, a new leader (another member, or the same with a newer
 * epoch), the disrupted member(s) serving again, and full health. Each
 * timestamp is the report's own (stamped once every member answered), so it
 * lags the change by at most one poll: the interval plus the poll's own
 * duration (`longestMs`), the resolution.
 */
export async function watchFailover(a: WatchArgs): Promise<WatchOutcome> {
  return new FailoverWatch(a).run();
}

const TIMED_OUT = new Error('failover watch timed out');

/** The watch's state between polls; `look` is one poll (util/poll.ts is the loop). */
class FailoverWatch {
  private lostAt?: number;
  private newLeader?: {pod: string; epoch?: number};
  private backAt?: number;
  private syncedAt?: number;
  private readonly down = new Set<string>();
  private last?: StatusReport;
  private lastError?: string;
  private polls = 0;
  private longestMs = 0;
  private started = 0;

  constructor(private readonly a: WatchArgs) {}

  async run(): Promise<WatchOutcome> {
    const {req, deps, t0} = this.a;
    try {
      await poll(() => this.look(), {
        clock: deps.clock,
        sleep: deps.sleep,
        signal: deps.signal,
        intervalMs: () => Math.max(0, req.pollMs - (deps.clock.now() - this.started)),
        deadline: t0 + req.timeoutMs,
        onTimeout: () => TIMED_OUT,
      });
      return this.outcome('pass', '');
    } catch (e) {
      if (e === TIMED_OUT) return this.timedOut();
      if (aborted(deps)) return this.outcome('interrupted', 'interrupted');
      throw e;
    }
  }

  private outcome(outcome: Outcome, why: string): WatchOutcome {
    return {outcome, why, newLeader: this.newLeader, last: this.last, polls: this.polls, longestMs: this.longestMs};
  }

  private timedOut(): WatchOutcome {
    const {req, targets} = this.a;
    if (!this.newLeader) return this.outcome('no-new-leader', `no new leader within ${formatDuration(req.timeoutMs)} of the disruption`);
    const why = this.backAt === undefined ? `${targets.join(', ')} not serving again` : `ensemble ${this.last?.health ?? 'unknown'}`;
    return this.outcome('not-recovered', `not fully recovered within ${formatDuration(req.timeoutMs)} of the disruption (${why})`);
  }

  /** One poll of the members; done once the ensemble is healthy again after a new leader. */
  private async look(): Promise<PollStep<true>> {
    const {deps, note} = this.a;
    this.started = deps.clock.now();
    let r: StatusReport | undefined;
    try {
      r = await gatherStatus(this.a.req, this.a.sdeps);
      this.lastError = undefined;
    } catch (e) {
      const msg = errorMessage(e);
      if (msg !== this.lastError) note('status-error', msg);
      this.lastError = msg;
    }
    this.polls++;
    this.longestMs = Math.max(this.longestMs, deps.clock.now() - this.started);
    if (!r) return {why: this.lastError ?? 'no report'};
    // the members' answers are in when the report is stamped (before its conf read): the tighter time
    const stamped = Date.parse(r.time);
    this.last = r;
    return this.observe(r, Number.isFinite(stamped) ? stamped : deps.clock.now());
  }

  private observe(r: StatusReport, at: number): PollStep<true> {
    const {oldLeader, oldEpoch, targets, note, step} = this.a;
    const leader = r.members.find((m) => m.role === 'leader');
    const isNew = (m: MemberReport) => isNewLeadership({pod: oldLeader, epoch: oldEpoch}, m);
    for (const pod of targets) {
      const m = r.members.find((x) => x.pod === pod);
      if (!this.down.has(pod) && !isServing(m)) {
        this.down.add(pod);
        note('member-down', `${pod} ${m?.role ?? 'gone'}${m?.error ? ` (${m.error})` : ''}`, at);
      }
    }
    if (this.lostAt === undefined && (!leader || isNew(leader))) {
      this.lostAt = at;
      note('leader-lost', leader ? `${oldLeader} no longer leads` : `no member leads (${oldLeader} ${r.members.find((m) => m.pod === oldLeader)?.role ?? 'gone'})`, at);
      step.update('leader lost');
    }
    if (this.lostAt !== undefined && !this.newLeader && leader && isNew(leader) && r.quorum.has) {
      this.newLeader = {pod: leader.pod, epoch: leader.epoch};
      note('new-leader', `${leader.pod} leads (epoch ${leader.epoch ?? '?'}${oldEpoch !== undefined ? `, was ${oldEpoch}` : ''})`, at);
      step.update(`new leader ${leader.pod}; waiting for ${targets.join(', ')} to serve again`);
    }
    this.observeRecovery(r, at, isNew);
    if (this.newLeader && this.backAt !== undefined && this.syncedAt !== undefined && r.health === 'healthy') {
      note('recovered', `healthy: ${r.members.map((m) => `${m.pod} ${m.role}`).join(', ')}`, at);
      return {ok: true};
    }
    return {why: this.newLeader ? `ensemble ${r.health}` : 'no new leader yet'};
  }

  /** The disrupted members serving again, then every follower in sync. */
  private observeRecovery(r: StatusReport, at: number, isNew: (m: MemberReport) => boolean): void {
    const {targets, note, step} = this.a;
    if (this.lostAt !== undefined && this.backAt === undefined) {
      const back = targets.every((pod) => {
        const m = r.members.find((x) => x.pod === pod);
        return isServing(m) && (this.down.has(pod) || m!.role !== 'leader' || isNew(m!));
      });
      if (back) {
        this.backAt = at;
        note('member-back', targets.map((pod) => `${pod} ${r.members.find((x) => x.pod === pod)?.role}`).join(', '), at);
        step.update('waiting for every follower to sync');
      }
    }
    if (this.newLeader && this.backAt !== undefined && this.syncedAt === undefined && r.members.every(isServing) && followersSynced(r)) {
      this.syncedAt = at;
      note('followers-synced', `${r.sync?.followers ?? 0}/${Math.max(0, r.quorum.voters - 1)} followers synced with ${r.quorum.leader}`, at);
    }
  }
}
