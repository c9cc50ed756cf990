/** Ensemble-level status from four-letter words: who answers, in which mode, who leads. */
import {ZkError} from '../../src/zk/errors.js';
import type {Endpoint} from '../../src/zk/endpoint.js';
import {fourLetterWord, type FourLetterOptions} from '../../src/zk/fourletter.js';
import {parseMntr, parseSrvr, type MntrResult, type SrvrResult, type SrvrStats} from '../../src/zk/parse.js';
import {pollUntil, realClock, type Clock, type Sleep} from '../../src/zk/poll.js';

export async function srvr(ep: Endpoint, opts: FourLetterOptions = {}): Promise<SrvrResult> {
  return parseSrvr(await fourLetterWord(ep, 'srvr', opts));
}

export async function mntr(ep: Endpoint, opts: FourLetterOptions = {}): Promise<MntrResult> {
  return parseMntr(await fourLetterWord(ep, 'mntr', opts));
}

export type MemberStatus =
  | {endpoint: Endpoint; index: number; state: 'serving'; srvr: SrvrStats}
  | {endpoint: Endpoint; index: number; state: 'notServing'}
  | {endpoint: Endpoint; index: number; state: 'unreachable'; error: ZkError};

/** srvr against every endpoint in parallel; never throws for a dead member. */
export async function ensembleStatus(endpoints: readonly Endpoint[], opts: FourLetterOptions = {}): Promise<MemberStatus[]> {
  return Promise.all(
    endpoints.map(async (endpoint, index): Promise<MemberStatus> => {
      try {
        const r = await srvr(endpoint, opts);
        if (r.status === 'ok') return {endpoint, index, state: 'serving', srvr: r};
        if (r.status === 'notServing') return {endpoint, index, state: 'notServing'};
        return {endpoint, index, state: 'unreachable', error: new ZkError('NotWhitelisted', `srvr is not whitelisted on ${endpoint.host}:${endpoint.port}`)};
      } catch (e) {
        const error = e instanceof ZkError ? e : new ZkError('Unknown', String(e), {cause: e});
        return {endpoint, index, state: 'unreachable', error};
      }
    }),
  );
}

export interface EnsembleSummary {
  leaders: number[];
  followers: number[];
  observers: number[];
  standalone: number[];
  readOnly: number[];
  notServing: number[];
  unreachable: number[];
}

/** Group member indexes by what they report. */
export function summarize(members: readonly MemberStatus[]): EnsembleSummary {
  const s: EnsembleSummary = {leaders: [], followers: [], observers: [], standalone: [], readOnly: [], notServing: [], unreachable: []};
  for (const m of members) {
    if (m.state === 'notServing') s.notServing.push(m.index);
    else if (m.state === 'unreachable') s.unreachable.push(m.index);
    else {
      const key = ({leader: 'leaders', follower: 'followers', observer: 'observers', standalone: 'standalone', 'read-only': 'readOnly'} as const)[m.srvr.mode];
      s[key].push(m.index);
    }
  }
  return s;
}

export interface WaitForLeaderOptions {
  intervalMs: number;
  timeoutMs: number;
  sleep?: Sleep;
  now?: Clock;
  /** Per-probe 4lw timeout. Default min(1000, intervalMs*4). */
  probeTimeoutMs?: number;
  /** Keep waiting while the leader is this endpoint index (for "a new leader"). */
  notIndex?: number;
}

export interface LeaderFound {
  index: number;
  endpoint: Endpoint;
  srvr: SrvrStats;
  /** Time from the call to the probe round that found it. */
  elapsedMs: number;
  members: MemberStatus[];
}

/** Poll srvr on all endpoints until exactly one reports Mode: leader (and it is not `notIndex`). */
export async function waitForLeader(endpoints: readonly Endpoint[], opts: WaitForLeaderOptions): Promise<LeaderFound> {
  const now = opts.now ?? realClock;
  const start = now();
  const probeTimeoutMs = opts.probeTimeoutMs ?? Math.min(1000, Math.max(200, opts.intervalMs * 4));
  return pollUntil(
    opts.notIndex === undefined ? 'a leader' : `a leader other than member ${opts.notIndex}`,
    async () => {
      const members = await ensembleStatus(endpoints, {timeoutMs: probeTimeoutMs});
      const leaders = members.filter((m): m is Extract<MemberStatus, {state: 'serving'}> => m.state === 'serving' && m.srvr.mode === 'leader');
      const only = leaders.length === 1 ? leaders[0] : undefined;
      if (!only || only.index === opts.notIndex) return undefined;
      return {index: only.index, endpoint: only.endpoint, srvr: only.srvr, elapsedMs: now() - start, members};
    },
    {intervalMs: opts.intervalMs, timeoutMs: opts.timeoutMs, now, ...(opts.sleep ? {sleep: opts.sleep} : {})},
  );
}
