/** The round's figures and timeline, from what was observed and written (pure). */
import {formatDuration} from '../../util/duration.js';
import type {FailoverRound} from './types.js';
import type {WriteRecord} from './writer.js';

// ---------------------------------------------------------------- figures and timeline (pure)

export type TimelineEvent =
  | 'writer-started'
  | 'leader-identified'
  | 'disruption-sent'
  | 'disruption-done'
  | 'disruption-undone'
  | 'member-down'
  | 'leader-lost'
  | 'new-leader'
  | 'first-write-failed'
  | 'first-ack-after-disruption'
  | 'member-back'
  | 'followers-synced'
  | 'recovered'
  | 'writer-stopped'
  | 'writer-session'
  | 'status-error';

export interface TimelineEntry {
  event: TimelineEvent;
  /** ISO 8601 */
  time: string;
  /** ms since the disruption was sent (negative before) */
  tMs: number;
  detail: string;
}

export interface Observed {
  event: TimelineEvent;
  at: number;
  detail: string;
}

export interface Gap {
  /** ms since the disruption */
  fromMs: number;
  toMs: number;
  ms: number;
  /** the gap is still open: no acknowledged write after it */
  open: boolean;
}

export interface RoundFigures {
  /** disruption → leader loss observed */
  leaderLossMs?: number;
  /** disruption → new leader observed (the election time as seen from outside) */
  electionMs?: number;
  /** disruption → first acknowledged write issued after it */
  firstAckMs?: number;
  /** longest gap between acknowledged writes */
  unavailabilityMs?: number;
  /** disruption → the disrupted member(s) serving again */
  memberBackMs?: number;
  /** disruption → every member serving and every follower synced with the leader */
  syncedMs?: number;
  /** disruption → healthy: every member serving, followers synced, pods ready */
  recoveryMs?: number;
  acked: number;
  failed: number;
  lost: number;
  /** failed writes that turned out to be committed (not acknowledged, present on every member) */
  committedUnacked: number;
}

export const FIGURE_KEYS = ['leaderLossMs', 'electionMs', 'firstAckMs', 'unavailabilityMs', 'memberBackMs', 'syncedMs', 'recoveryMs', 'acked', 'failed', 'lost', 'committedUnacked'] as const;
export type FigureKey = (typeof FIGURE_KEYS)[number];

/** Longest gap between consecutive acknowledged writes; a trailing stretch of failures counts up to the writer's stop. */
export function longestAckGap(writes: readonly WriteRecord[], disruptionAt: number, stoppedAt?: number): Gap | undefined {
  const acks = writes
    .filter((w) => w.ackedAt !== undefined)
    .map((w) => w.ackedAt!)
    .sort((a, b) => a - b);
  let best: Gap | undefined;
  const consider = (from: number, to: number, open: boolean) => {
    if (!best || to - from > best.ms) best = {fromMs: from - disruptionAt, toMs: to - disruptionAt, ms: to - from, open};
  };
  for (let i = 1; i < acks.length; i++) consider(acks[i - 1]!, acks[i]!, false);
  const lastAck = acks.at(-1);
  const failedAfter = writes.some((w) => w.ackedAt === undefined && w.startedAt >= (lastAck ?? -Infinity));
  if (stoppedAt !== undefined && failedAfter) consider(lastAck ?? writes[0]?.startedAt ?? stoppedAt, stoppedAt, true);
  return best;
}

export interface FigureInput {
  disruptionAt: number;
  observed: readonly Observed[];
  writes: readonly WriteRecord[];
  writerStoppedAt?: number;
  lost: number;
  committedUnacked: number;
}

function firstAt(observed: readonly Observed[], event: TimelineEvent): number | undefined {
  return observed.find((o) => o.event === event)?.at;
}

export function firstAckAfter(writes: readonly WriteRecord[], at: number): WriteRecord | undefined {
  return writes.filter((w) => w.ackedAt !== undefined && w.startedAt >= at).sort((a, b) => a.ackedAt! - b.ackedAt!)[0];
}

export function figuresOf(i: FigureInput): RoundFigures {
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - i.disruptionAt);
  const first = firstAckAfter(i.writes, i.disruptionAt);
  const gap = longestAckGap(i.writes, i.disruptionAt, i.writerStoppedAt);
  const f: RoundFigures = {
    acked: i.writes.filter((w) => w.ackedAt !== undefined).length,
    failed: i.writes.filter((w) => w.ackedAt === undefined).length,
    lost: i.lost,
    committedUnacked: i.committedUnacked,
  };
  const set = (k: Exclude<FigureKey, 'acked' | 'failed' | 'lost' | 'committedUnacked'>, v: number | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('leaderLossMs', rel(firstAt(i.observed, 'leader-lost')));
  set('electionMs', rel(firstAt(i.observed, 'new-leader')));
  set('firstAckMs', rel(first?.ackedAt));
  set('unavailabilityMs', gap?.ms);
  set('memberBackMs', rel(firstAt(i.observed, 'member-back')));
  set('syncedMs', rel(firstAt(i.observed, 'followers-synced')));
  set('recoveryMs', rel(firstAt(i.observed, 'recovered')));
  return f;
}

/** The observed events plus what the writer's log shows, in time order, relative to the disruption. */
export function buildTimeline(disruptionAt: number, observed: readonly Observed[], writes: readonly WriteRecord[]): TimelineEntry[] {
  const all: Observed[] = [...observed];
  const firstFail = writes.filter((w) => w.failedAt !== undefined && w.failedAt >= disruptionAt).sort((a, b) => a.failedAt! - b.failedAt!)[0];
  if (firstFail?.failedAt !== undefined) all.push({event: 'first-write-failed', at: firstFail.failedAt, detail: `${firstFail.name}: ${firstFail.error ?? 'failed'}`});
  const first = firstAckAfter(writes, disruptionAt);
  if (first?.ackedAt !== undefined)
    all.push({event: 'first-ack-after-disruption', at: first.ackedAt, detail: `${first.name} (issued ${formatDuration(first.startedAt - disruptionAt)} after the disruption)`});
  return all
    .map((o, idx) => ({o, idx}))
    .sort((a, b) => a.o.at - b.o.at || a.idx - b.idx)
    .map(({o}) => ({event: o.event, time: new Date(o.at).toISOString(), tMs: o.at - disruptionAt, detail: o.detail}));
}

export interface Stats {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function statsOf(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return {min: s[0]!, median, max: s.at(-1)!, n: s.length};
}

export function summarizeRounds(rounds: readonly Pick<FailoverRound, 'figures'>[]): Partial<Record<FigureKey, Stats>> {
  const out: Partial<Record<FigureKey, Stats>> = {};
  for (const k of FIGURE_KEYS) {
    const st = statsOf(rounds.map((r) => r.figures?.[k]).filter((v): v is number => typeof v === 'number'));
    if (st) out[k] = st;
  }
  return out;
}
