/** After the failover: prove from every member alone that nothing acknowledged was lost. */
import {errorMessage} from '../../errors.js';
import type {ZkClient} from '../../zk/client.js';
import {type Endpoint, formatEndpoint} from '../../zk/endpoint.js';
import {isZkError} from '../../zk/errors.js';
import {aborted, type FailoverDeps, type FailoverRequest} from './types.js';
import type {WriteRecord} from './writer.js';

// ---------------------------------------------------------------- the audit (pure part)

export interface MemberCheck {
  pod: string;
  endpoint?: string;
  /** a session to this member alone was opened */
  reachable: boolean;
  /** the member has applied the barrier written after the writer stopped */
  caughtUp: boolean;
  marker: 'ok' | 'wrong' | 'missing' | 'unread';
  markerValue?: string;
  /** children of the writes znode this member has */
  present?: number;
  /** acknowledged writes this member does not have */
  missing: string[];
  error?: string;
}

export interface AuditResult {
  /** every member was read (reachable, caught up, marker and writes read) */
  complete: boolean;
  barrier: boolean;
  members: MemberCheck[];
  /** acknowledged writes missing on at least one member: the data loss */
  lost: WriteRecord[];
  markerOk: boolean;
  /** failed writes present on every member read (committed but never acknowledged) */
  committedUnacked: string[];
  skipped?: string;
}

/** Compares what the writer was told with what each member holds. */
export function auditWrites(writes: readonly WriteRecord[], present: ReadonlyMap<string, ReadonlySet<string>>): {lost: WriteRecord[]; missingByPod: Map<string, string[]>; committedUnacked: string[]} {
  const acked = writes.filter((w) => w.ackedAt !== undefined);
  const missingByPod = new Map<string, string[]>();
  const lost = new Set<WriteRecord>();
  for (const [pod, names] of present) {
    const missing = acked.filter((w) => !names.has(w.name));
    for (const w of missing) lost.add(w);
    missingByPod.set(pod, missing.map((w) => w.name));
  }
  const sets = [...present.values()];
  const committedUnacked = sets.length === 0 ? [] : writes.filter((w) => w.ackedAt === undefined && sets.every((s) => s.has(w.name))).map((w) => w.name);
  return {lost: [...lost].sort((a, b) => a.seq - b.seq), missingByPod, committedUnacked};
}

interface AuditArgs {
  deps: FailoverDeps;
  req: FailoverRequest;
  endpoints: Map<string, Endpoint>;
  client: ZkClient;
  markerPath: string;
  markerValue: string;
  writesDir?: string;
  barrierPath: string;
  writes: WriteRecord[];
}

/**
 * A barrier write through the ensemble, then a session to each member alone:
 * once a member shows the barrier it has applied every transaction before it,
 * so the marker and every acknowledged write must be there. (ZkClient has no
 * `sync`; the barrier gives the same guarantee and is checkable.)
 */
export async function audit(a: AuditArgs): Promise<AuditResult> {
  const {deps} = a;
  const verifyMs = deps.verifyTimeoutMs ?? Math.min(a.req.timeoutMs, 30_000);
  let barrier = false;
  const until = deps.clock.now() + verifyMs;
  while (!barrier && deps.clock.now() < until && !aborted(deps)) {
    try {
      await a.client.create(a.barrierPath, 'barrier');
      barrier = true;
    } catch (e) {
      if (isZkError(e, 'NodeExists')) barrier = true;
      else await deps.sleep(200, deps.signal).catch(() => undefined);
    }
  }
  const checks = await Promise.all([...a.endpoints].map(([pod, ep]) => verifyMember(a, pod, ep, barrier, until)));
  const present = new Map<string, Set<string>>();
  const byPod = new Map(checks.map((c) => [c.check.pod, c]));
  for (const c of checks) if (c.names) present.set(c.check.pod, c.names);
  const {lost, missingByPod, committedUnacked} = a.writesDir ? auditWrites(a.writes, present) : {lost: [], missingByPod: new Map<string, string[]>(), committedUnacked: []};
  for (const [pod, missing] of missingByPod) byPod.get(pod)!.check.missing = missing;
  const members = checks.map((c) => c.check);
  return {
    complete: barrier && members.every((m) => m.reachable && m.caughtUp && m.marker !== 'unread' && (a.writesDir === undefined || m.present !== undefined)),
    barrier,
    members,
    lost,
    markerOk: members.every((m) => m.marker === 'ok' || m.marker === 'unread'),
    committedUnacked,
  };
}

async function verifyMember(a: AuditArgs, pod: string, ep: Endpoint, barrier: boolean, until: number): Promise<{check: MemberCheck; names?: Set<string>}> {
  const {deps} = a;
  const check: MemberCheck = {pod, endpoint: formatEndpoint(ep), reachable: false, caughtUp: false, marker: 'unread', missing: []};
  let c: ZkClient | undefined;
  let lastError = '';
  try {
    while (!c && deps.clock.now() < until && !aborted(deps)) {
      try {
        c = await deps.connect([ep], {connectTimeoutMs: Math.max(1000, Math.min(10_000, until - deps.clock.now())), operationTimeoutMs: 10_000});
      } catch (e) {
        lastError = errorMessage(e);
        await deps.sleep(250, deps.signal).catch(() => undefined);
      }
    }
    if (!c) {
      check.error = lastError || 'no session';
      return {check};
    }
    check.reachable = true;
    while (barrier && !check.caughtUp && deps.clock.now() < until && !aborted(deps)) {
      try {
        if ((await c.exists(a.barrierPath)) !== null) check.caughtUp = true;
        else await deps.sleep(100, deps.signal).catch(() => undefined);
      } catch (e) {
        lastError = errorMessage(e);
        await deps.sleep(100, deps.signal).catch(() => undefined);
      }
    }
    if (barrier && !check.caughtUp) {
      check.error = `the barrier write never showed up here${lastError ? ` (${lastError})` : ''}`;
      return {check};
    }
    try {
      const {data} = await c.get(a.markerPath);
      check.markerValue = data.toString('utf8');
      check.marker = check.markerValue === a.markerValue ? 'ok' : 'wrong';
    } catch (e) {
      if (isZkError(e, 'NoNode')) check.marker = 'missing';
      else {
        check.error = `marker: ${errorMessage(e)}`;
        return {check};
      }
    }
    if (!a.writesDir) return {check};
    try {
      const names = new Set(await c.ls(a.writesDir));
      check.present = names.size;
      return {check, names};
    } catch (e) {
      if (isZkError(e, 'NoNode')) {
        check.present = 0;
        return {check, names: new Set()};
      }
      check.error = `writes: ${errorMessage(e)}`;
      return {check};
    }
  } finally {
    await c?.close().catch(() => undefined);
  }
}
