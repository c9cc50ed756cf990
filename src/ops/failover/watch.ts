/** Watching the failover: leader loss, new leader, the disrupted member back, every follower in sync, healthy. */
import {errorMessage} from '../../errors.js';
import {formatDuration} from '../../util/duration.js';
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
  const {req, deps, t0, oldLeader, oldEpoch, targets, note, step} = a;
  const {clock} = deps;
  let lostAt: number | undefined;
  let newLeader: {pod: string; epoch?: number} | undefined;
  let backAt: number | undefined;
  let syncedAt: number | undefined;
  const down = new Set<string>();
  let last: StatusReport | undefined;
  let lastError: string | undefined;
  let polls = 0;
  let longestMs = 0;
  for (;;) {
    if (aborted(deps)) return {outcome: 'interrupted', why: 'interrupted', newLeader, last, polls, longestMs};
    const started = clock.now();
    let r: StatusReport | undefined;
    try {
      r = await gatherStatus(req, a.sdeps);
      lastError = undefined;
    } catch (e) {
      const msg = errorMessage(e);
      if (msg !== lastError) note('status-error', msg);
      lastError = msg;
    }
    polls++;
    longestMs = Math.max(longestMs, clock.now() - started);
    // the members' answers are in when the report is stamped (before its conf read): the tighter time
    const stamped = r ? Date.parse(r.time) : NaN;
    const at = Number.isFinite(stamped) ? stamped : clock.now();
    if (r) {
      last = r;
      const leader = r.members.find((m) => m.role === 'leader');
      const isNew = (m: MemberReport) => isNewLeadership({pod: oldLeader, epoch: oldEpoch}, m);
      for (const pod of targets) {
        const m = r.members.find((x) => x.pod === pod);
        if (!down.has(pod) && !isServing(m)) {
          down.add(pod);
          note('member-down', `${pod} ${m?.role ?? 'gone'}${m?.error ? ` (${m.error})` : ''}`, at);
        }
      }
      if (lostAt === undefined && (!leader || isNew(leader))) {
        lostAt = at;
        note('leader-lost', leader ? `${oldLeader} no longer leads` : `no member leads (${oldLeader} ${r.members.find((m) => m.pod === oldLeader)?.role ?? 'gone'})`, at);
        step.update('leader lost');
      }
      if (lostAt !== undefined && !newLeader && leader && isNew(leader) && r.quorum.has) {
        newLeader = {pod: leader.pod, epoch: leader.epoch};
        note('new-leader', `${leader.pod} leads (epoch ${leader.epoch ?? '?'}${oldEpoch !== undefined ? `, was ${oldEpoch}` : ''})`, at);
        step.update(`new leader ${leader.pod}; waiting for ${targets.join(', ')} to serve again`);
      }
      if (lostAt !== undefined && backAt === undefined) {
        const back = targets.every((pod) => {
          const m = r.members.find((x) => x.pod === pod);
          return isServing(m) && (down.has(pod) || m!.role !== 'leader' || isNew(m!));
        });
        if (back) {
          backAt = at;
          note('member-back', targets.map((pod) => `${pod} ${r.members.find((x) => x.pod === pod)?.role}`).join(', '), at);
          step.update('waiting for every follower to sync');
        }
      }
      if (newLeader && backAt !== undefined && syncedAt === undefined && r.members.every(isServing) && followersSynced(r)) {
        syncedAt = at;
        note('followers-synced', `${r.sync?.followers ?? 0}/${Math.max(0, r.quorum.voters - 1)} followers synced with ${r.quorum.leader}`, at);
      }
      if (newLeader && backAt !== undefined && syncedAt !== undefined && r.health === 'healthy') {
        note('recovered', `healthy: ${r.members.map((m) => `${m.pod} ${m.role}`).join(', ')}`, at);
        return {outcome: 'pass', why: '', newLeader, last, polls, longestMs};
      }
    }
    const elapsed = clock.now() - t0;
    if (!newLeader && elapsed >= req.timeoutMs) {
      return {outcome: 'no-new-leader', why: `no new leader within ${formatDuration(req.timeoutMs)} of the disruption`, newLeader, last, polls, longestMs};
    }
    if (elapsed >= req.timeoutMs) {
      const why = backAt === undefined ? `${targets.join(', ')} not serving again` : `ensemble ${last?.health ?? 'unknown'}`;
      return {outcome: 'not-recovered', why: `not fully recovered within ${formatDuration(req.timeoutMs)} of the disruption (${why})`, newLeader, last, polls, longestMs};
    }
    try {
      await deps.sleep(Math.max(0, req.pollMs - (clock.now() - started)), deps.signal);
    } catch {
      return {outcome: 'interrupted', why: 'interrupted', newLeader, last, polls, longestMs};
    }
  }
}
