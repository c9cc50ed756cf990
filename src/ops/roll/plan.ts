/**
 * The roll's plan and checks (pure): the order (members that do not serve
 * first, then observers, then followers by highest ordinal, the leader last:
 * one leader election per roll), the preconditions, whether a member may be
 * stopped now and whether it is back. "Serving" and "in sync" are the
 * ensemble core's (src/ops/ensemble/).
 */
import {isServing, isServingVoter, leads} from '../ensemble/member.js';
import {hasQuorum} from '../ensemble/quorum.js';
import {ensembleSyncGap} from '../ensemble/sync.js';
import {FATAL_WAITING, isReady, ordinalOf, podProblem, type PodLike, type PodProblem} from '../pods.js';
import type {MemberReport, Role, StatusReport} from '../status.js';
import {imageOf, revisionOf} from './template.js';

/** Container states that stop a roll at once: waiting longer will not make the new pod start. */
export const ROLL_STOPPERS: ReadonlySet<string> = new Set([...FATAL_WAITING, 'ImagePullBackOff', 'CrashLoopBackOff']);

export type OrderReason = 'not ready' | 'observer' | 'follower' | 'leader';

export interface MemberState {
  pod: string;
  ordinal: number;
  role: Role;
  ready: boolean;
  revision?: string;
  image?: string;
  problem?: PodProblem;
}

export interface PlannedMember {
  pod: string;
  serverId: number;
  role: Role;
  why: OrderReason;
  revision?: string;
  image?: string;
  /** the pod's own reason when it does not serve */
  problem?: string;
}

const RANK: Record<OrderReason, number> = {'not ready': 0, observer: 1, follower: 2, leader: 3};

export function memberStates(pods: PodLike[], report: Pick<StatusReport, 'members'>): MemberState[] {
  return pods.map((p) => {
    const row = report.members.find((m) => m.pod === p.metadata.name);
    return {
      pod: p.metadata.name,
      ordinal: ordinalOf(p),
      role: row?.role ?? 'unreachable',
      ready: isReady(p),
      revision: revisionOf(p),
      image: imageOf(p),
      problem: podProblem(p) ?? undefined,
    };
  });
}

export function orderReason(m: Pick<MemberState, 'role' | 'ready'>): OrderReason {
  if (!isServing(m) || !m.ready) return 'not ready';
  if (m.role === 'observer') return 'observer';
  if (m.role === 'leader' || m.role === 'standalone') return 'leader';
  return 'follower';
}

/**
 * Which members still need a new pod (not on `target`; all of them when the
 * target revision is not known yet because this run changes the template),
 * in roll order: not serving first, observers, followers, the leader last;
 * highest ordinal first within each group.
 */
export function rollOrder(members: readonly MemberState[], target: string | undefined): {pending: PlannedMember[]; done: string[]} {
  const pending = members
    .filter((m) => target === undefined || m.revision !== target)
    .map((m): PlannedMember & {ordinal: number} => ({
      pod: m.pod,
      serverId: m.ordinal + 1,
      ordinal: m.ordinal,
      role: m.role,
      why: orderReason(m),
      revision: m.revision,
      image: m.image,
      ...(m.problem && orderReason(m) === 'not ready' ? {problem: `${m.problem.reason}${m.problem.message ? `: ${m.problem.message}` : ''}`} : {}),
    }))
    .sort((a, b) => RANK[a.why] - RANK[b.why] || b.ordinal - a.ordinal)
    .map(({ordinal: _o, ...rest}) => rest);
  const done = members.filter((m) => target !== undefined && m.revision === target).map((m) => m.pod);
  return {pending, done};
}

// ---------------------------------------------------------------- checks (pure)

export type Check = {ok: true} | {ok: false; why: string};
const ok: Check = {ok: true};
const no = (why: string): Check => ({ok: false, why});

function memberText(m: MemberReport, problems: ReadonlyMap<string, PodProblem>): string {
  const p = problems.get(m.pod);
  return `${m.pod}: ${m.role}${p && p.reason !== 'NotReady' ? ` (${p.reason}${p.message ? `: ${p.message}` : ''})` : m.error ? ` (${m.error})` : ''}`;
}

/**
 * What stands between this ensemble and a safe roll: no quorum, a member
 * that does not serve or whose pod is not Ready, a missing pod, voters not in
 * sync. Members in `exempt` (pods stuck on a start problem that this roll
 * replaces first) do not count. Empty when the roll may start.
 */
export function rollPreconditions(r: StatusReport, pods: readonly PodLike[] | undefined, exempt: ReadonlySet<string> = new Set()): string[] {
  const p: string[] = [];
  const problems = new Map(
    (pods ?? []).flatMap((x) => {
      const pr = podProblem(x);
      return pr ? [[x.metadata.name, pr] as const] : [];
    }),
  );
  const q = r.quorum;
  if (!q.has) p.push(`no quorum: ${q.servingVoters}/${q.voters} voters serving, ${q.needed} needed`);
  for (const m of r.members) {
    if (exempt.has(m.pod)) continue;
    if (!isServing(m)) p.push(memberText(m, problems));
    else if (!m.ready) p.push(`${m.pod}: pod is not Ready`);
  }
  if (pods) {
    const existing = new Set(pods.map((x) => x.metadata.name));
    const missing = Array.from({length: r.replicas.desired}, (_, i) => `${r.name}-${i}`).filter((x) => !existing.has(x));
    if (missing.length > 0) p.push(`member pod${missing.length === 1 ? '' : 's'} missing: ${missing.join(', ')}`);
  }
  const sync = ensembleSyncGap(r, {except: exempt});
  if (q.has && sync) p.push(sync);
  return p;
}

/**
 * May `pod` be stopped now? Every other member serves and is Ready, and every
 * remaining voter is in sync with the leader (the member itself may be down:
 * it is about to be replaced). With --force only the quorum is protected:
 * a serving voter is never stopped when the other voters would not form a
 * quorum (ensembles of 1-2 voters lose it by design; that was confirmed).
 */
export function readyToStop(r: StatusReport, pod: string, force: boolean): Check {
  const row = r.members.find((m) => m.pod === pod);
  const q = r.quorum;
  if (force) {
    if (isServingVoter(row) && q.voters >= 3 && !hasQuorum(q.servingVoters - 1, q.voters)) {
      return no(`stopping ${pod} would leave ${q.servingVoters - 1} of ${q.voters} voters serving, ${q.needed} needed for a quorum`);
    }
    return ok;
  }
  const problems = rollPreconditions(r, undefined, new Set([pod]));
  return problems.length === 0 ? ok : no(problems.join('; '));
}

/** Is `pod` back: serving, Ready, and (when it is a voter) counted in sync by the leader, with every serving voter in sync? */
export function memberBack(r: StatusReport, pod: string): Check {
  const row = r.members.find((m) => m.pod === pod);
  if (!row || !isServing(row)) return no(`${pod} is ${row?.role ?? 'absent'}${row?.error ? ` (${row.error})` : ''}`);
  if (!row.ready) return no(`${pod} serves as ${row.role}; its pod is not Ready yet`);
  if (!r.quorum.has) return no(`no quorum (${r.quorum.servingVoters}/${r.quorum.voters} voters serving)`);
  if (r.quorum.voters <= 1) return ok;
  const gap = ensembleSyncGap(r, {servingOnly: true});
  return gap ? no(gap) : ok;
}

export function leaderEpoch(r: StatusReport): number | undefined {
  return r.members.find(leads)?.epoch;
}

/** The oldest ZooKeeper a member may run: 3.5.0 brought dynamic reconfiguration, which every kubectl-zk ensemble uses. */
export const MIN_ZOOKEEPER_VERSION = '3.5.0';

/** a >= b for dotted numeric versions ("3.10.0" >= "3.9.5"). */
export function versionAtLeast(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * Why a rolled member cannot be part of this ensemble, from what its srvr said
 * (the status row's version): a ZooKeeper older than MIN_ZOOKEEPER_VERSION.
 * undefined when it is fine or has not said its version yet.
 */
export function memberVersionProblem(row: Pick<MemberReport, 'pod' | 'version'> | undefined, image: string | undefined): string | undefined {
  if (!row?.version || versionAtLeast(row.version, MIN_ZOOKEEPER_VERSION)) return undefined;
  return `${row.pod} runs ZooKeeper ${row.version}${image ? ` (image ${image})` : ''}: older than ${MIN_ZOOKEEPER_VERSION}, it has no dynamic reconfiguration and cannot join this ensemble`;
}

/** What a member's own ZooKeeper said during its turn, for the message when it never came back. */
export function zkSaid(row: Pick<MemberReport, 'role' | 'version' | 'error'> | undefined): string {
  if (!row) return 'no answer';
  if (row.role === 'unreachable' || row.role === 'no pod') return `no ZooKeeper answered on its client port${row.error ? ` (${row.error})` : ''}`;
  return `${row.version ? `ZooKeeper ${row.version}, ` : ''}${row.role}${row.error ? ` (${row.error})` : ''}`;
}

/** The container's last exit, with the runtime's message (e.g. an executable missing from the image). */
export function lastExit(p: PodLike, container = 'zookeeper'): string | undefined {
  const c = p.status?.containerStatuses?.find((x) => x.name === container) ?? p.status?.containerStatuses?.[0];
  const t = c?.state?.terminated ?? c?.lastState?.terminated;
  if (!t) return undefined;
  return `${p.metadata.name} | last exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `: ${t.message.trim()}` : ''}`;
}
