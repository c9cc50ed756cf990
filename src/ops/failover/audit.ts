/** After the failover: prove from every member alone that nothing acknowledged was lost. */
import {errorMessage} from '../../errors.js';
import type {ZkClient} from '../../zk/client.js';
import {type Endpoint, formatEndpoint} from '../../zk/endpoint.js';
import {isZkError} from '../../zk/errors.js';
import {poll} from '../../util/poll.js';
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
  /** why the barrier write failed: then nothing could be verified, and no loss is claimed */
  barrierError?: string;
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
    missingByPod.set(
      pod,
      missing.map((w) => w.name),
    );
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
  const until = deps.clock.now() + verifyMs;
  const barrierError = await writeBarrier(a, until);
  const barrier = barrierError === undefined;
  const checks = await Promise.all([...a.endpoints].map(([pod, ep]) => verifyMember(a, pod, ep, barrier, until)));
  return judgeAudit(a.writes, checks, {barrier, barrierError, writesChecked: a.writesDir !== undefined});
}

/**
 * The audit's verdict from each member's check (pure). Without the barrier a
 * member's read proves nothing (it may simply lag behind): such a member is
 * unverified and its missing writes are not called lost, so a failed barrier
 * write makes the audit incomplete, never a false data-loss alarm.
 */
export function judgeAudit(writes: readonly WriteRecord[], checks: {check: MemberCheck; names?: Set<string>}[], o: {barrier: boolean; barrierError?: string; writesChecked: boolean}): AuditResult {
  const present = new Map<string, Set<string>>();
  const byPod = new Map(checks.map((c) => [c.check.pod, c]));
  for (const c of checks) if (c.names && o.barrier && c.check.caughtUp) present.set(c.check.pod, c.names);
  const {lost, missingByPod, committedUnacked} = o.writesChecked ? auditWrites(writes, present) : {lost: [], missingByPod: new Map<string, string[]>(), committedUnacked: []};
  for (const [pod, missing] of missingByPod) byPod.get(pod)!.check.missing = missing;
  const members = checks.map((c) => c.check);
  const judged = (m: MemberCheck) => o.barrier && m.caughtUp;
  return {
    complete: o.barrier && members.every((m) => m.reachable && m.caughtUp && m.marker !== 'unread' && (!o.writesChecked || m.present !== undefined)),
    barrier: o.barrier,
    ...(o.barrierError !== undefined ? {barrierError: o.barrierError} : {}),
    members,
    lost,
    markerOk: members.every((m) => !judged(m) || m.marker === 'ok' || m.marker === 'unread'),
    committedUnacked,
  };
}

/** The barrier write through the ensemble, retried until `until`; undefined when written, else the last error. */
async function writeBarrier(a: AuditArgs, until: number): Promise<string | undefined> {
  const {deps} = a;
  let lastError = 'not attempted';
  const failed = new Error('barrier');
  return poll<undefined>(
    async () => {
      try {
        await a.client.create(a.barrierPath, 'barrier');
        return {ok: undefined};
      } catch (e) {
        if (isZkError(e, 'NodeExists')) return {ok: undefined};
        lastError = errorMessage(e);
        return {why: lastError};
      }
    },
    {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 200, deadline: until, onTimeout: () => failed},
  ).then(
    () => undefined,
    (e: unknown) => (e === failed ? lastError : aborted(deps) ? 'interrupted' : errorMessage(e)),
  );
}

async function verifyMember(a: AuditArgs, pod: string, ep: Endpoint, barrier: boolean, until: number): Promise<{check: MemberCheck; names?: Set<string>}> {
  const check: MemberCheck = {pod, endpoint: formatEndpoint(ep), reachable: false, caughtUp: false, marker: 'unread', missing: []};
  const session = await memberSession(a, ep, until);
  if (!('client' in session)) {
    check.error = session.error;
    return {check};
  }
  const c = session.client;
  try {
    check.reachable = true;
    if (!barrier) {
      check.error = 'not verified: the barrier write failed (a member read without it may just lag behind)';
      return {check};
    }
    const behind = await waitForBarrier(a, c, until);
    if (behind !== undefined) {
      check.error = `the barrier write never showed up here${behind ? ` (${behind})` : ''}`;
      return {check};
    }
    check.caughtUp = true;
    return await readBack(a, c, check);
  } finally {
    await c.close().catch(() => undefined);
  }
}

/** A session to this member alone, retried until `until`. */
async function memberSession(a: AuditArgs, ep: Endpoint, until: number): Promise<{client: ZkClient} | {error: string}> {
  const {deps} = a;
  let lastError = '';
  const gaveUp = new Error('no session');
  return poll<{client: ZkClient}>(
    async () => {
      try {
        return {ok: {client: await deps.connect([ep], {connectTimeoutMs: Math.max(1000, Math.min(10_000, until - deps.clock.now())), operationTimeoutMs: 10_000})}};
      } catch (e) {
        lastError = errorMessage(e);
        return {why: lastError};
      }
    },
    {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 250, deadline: until, onTimeout: () => gaveUp},
  ).catch((e: unknown) => ({error: e === gaveUp ? lastError || 'no session' : lastError || errorMessage(e)}));
}

/** Waits until the member shows the barrier: undefined once it does, else the last error ('' for none). */
async function waitForBarrier(a: AuditArgs, c: ZkClient, until: number): Promise<string | undefined> {
  const {deps} = a;
  let lastError = '';
  return poll<undefined>(
    async () => {
      try {
        return (await c.exists(a.barrierPath)) !== null ? {ok: undefined} : {why: 'not yet'};
      } catch (e) {
        lastError = errorMessage(e);
        return {why: lastError};
      }
    },
    {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: 100, deadline: until},
  ).then(
    () => undefined,
    () => lastError,
  );
}

/** The marker and the writes as this member has them (after it applied the barrier). */
async function readBack(a: AuditArgs, c: ZkClient, check: MemberCheck): Promise<{check: MemberCheck; names?: Set<string>}> {
  try {
    const {data} = await c.get(a.markerPath);
    check.markerValue = data.toString('utf8');
    check.marker = check.markerValue === a.markerValue ? 'ok' : 'wrong';
  } catch (e) {
    if (!isZkError(e, 'NoNode')) {
      check.error = `marker: ${errorMessage(e)}`;
      return {check};
    }
    check.marker = 'missing';
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
}
