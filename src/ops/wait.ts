import {CliError} from '../errors.js';
import type {Kube} from '../kube/types.js';
import {selectorLabels} from '../manifests/labels.js';
import {formatDuration} from '../util/duration.js';
import type {PhaseTimer} from '../util/phases.js';
import type {Progress} from '../util/progress.js';
import {poll, type PollStep} from '../util/poll.js';
import type {Clock, Sleep} from '../util/time.js';
import {isServing} from './ensemble/member.js';
import {ensembleSyncGap, syncGap} from './ensemble/sync.js';
import type {StatusReport} from './status.js';
import {byOrdinal, isReady, isRunning, isScheduled, podProblem, type PodLike, type PodProblem} from './pods.js';

/** What one member says about itself (from srvr/mntr), as the wait loop needs it. */
export interface MemberProbe {
  pod: string;
  /** leader | follower | observer | standalone | read-only; undefined when not serving */
  mode?: string;
  /** leader only: followers in sync (mntr zk_synced_followers) */
  syncedFollowers?: number;
  /** leader only: mntr zk_pending_syncs */
  pendingSyncs?: number;
  error?: string;
}

/** Asks the members themselves; src/ops/members.ts implements it over port-forwards. */
export type ProbeMembers = (namespace: string, pods: string[]) => Promise<MemberProbe[]>;

export interface WaitDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  probe: ProbeMembers;
  signal?: AbortSignal;
  /** told each wait phase (WAIT_PHASES) as it starts; ended when the last is reached */
  timer?: PhaseTimer;
}

export interface WaitOptions {
  namespace: string;
  name: string;
  /** voting members expected */
  replicas: number;
  timeoutMs: number;
  pollMs?: number;
}

export interface QuorumState {
  leader: string;
  members: {pod: string; role: string}[];
}

export const WAIT_PHASES = ['pods scheduled', 'containers running', 'members serving', 'leader elected, followers synced'] as const;

export function podSelector(name: string): string {
  return Object.entries(selectorLabels(name))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Pods of an ensemble (only the StatefulSet's ordinals below replicas count). */
export async function listMemberPods(kube: Kube, namespace: string, name: string): Promise<PodLike[]> {
  return membersOf(await kube.list<PodLike>('v1', 'Pod', {namespace, labelSelector: podSelector(name)}), name);
}

/** The ensemble's member pods among `pods`: its selector labels and a StatefulSet ordinal name, by ordinal. */
export function membersOf(pods: readonly PodLike[], name: string): PodLike[] {
  const labels = Object.entries(selectorLabels(name));
  const ordinal = new RegExp(`^${name}-\\d+$`);
  return byOrdinal(pods.filter((p) => ordinal.test(p.metadata.name) && labels.every(([k, v]) => p.metadata.labels?.[k] === v)));
}

/** The quorum is complete: one leader, every other expected member following and synced. */
export function quorumComplete(probes: MemberProbe[], replicas: number): {ok: boolean; leader?: string; why: string} {
  const leaders = probes.filter((p) => p.mode === 'leader');
  if (replicas === 1) {
    const only = probes[0];
    if (only?.mode === 'leader' || only?.mode === 'standalone') return {ok: true, leader: only.pod, why: ''};
    return {ok: false, why: only?.error ?? 'the member is not serving yet'};
  }
  if (leaders.length === 0) return {ok: false, why: 'no leader yet'};
  if (leaders.length > 1) return {ok: false, why: `${leaders.length} members claim to lead`};
  const leader = leaders[0]!;
  const followers = probes.filter((p) => p.mode === 'follower').length;
  if (followers < replicas - 1) return {ok: false, leader: leader.pod, why: `leader ${leader.pod}: ${followers}/${replicas - 1} members follow`};
  const gap = syncGap(leader.syncedFollowers === undefined ? undefined : {followers: leader.syncedFollowers, pendingSyncs: leader.pendingSyncs}, {followers: replicas - 1}, leader.pod);
  return gap ? {ok: false, leader: leader.pod, why: gap} : {ok: true, leader: leader.pod, why: ''};
}

async function describeProblems(kube: Kube, namespace: string, problems: PodProblem[]): Promise<string[]> {
  const details: string[] = [];
  for (const p of problems) {
    details.push(`${p.pod}: ${p.reason}${p.message ? `: ${p.message}` : ''}`);
    if (p.crashed) {
      const logs = await kube.logs(namespace, p.pod, {tailLines: 8, previous: true}).catch(() => kube.logs(namespace, p.pod, {tailLines: 8}).catch(() => ''));
      for (const line of logs.trimEnd().split('\n').filter(Boolean)) details.push(`  ${p.pod} | ${line}`);
    }
  }
  return details;
}

/**
 * Waits, phase by phase, until the ensemble serves: pods scheduled → containers
 * running → members serving (Ready = srvr reports a role) → one leader with every
 * follower synced. On timeout, or on a problem retrying cannot fix, it fails with
 * the pods' own reasons.
 */
export async function waitForQuorum(o: WaitOptions, deps: WaitDeps): Promise<QuorumState> {
  const {kube, clock, progress} = deps;
  const start = clock.now();
  let phaseIndex = 0;
  let step = progress.step(WAIT_PHASES[0]);
  deps.timer?.enter(WAIT_PHASES[0]);
  let problems: PodProblem[] = [];

  const advance = () => {
    deps.timer?.enter(WAIT_PHASES[phaseIndex + 1] ?? '');
    step.succeed(`${WAIT_PHASES[phaseIndex]} (${formatDuration(clock.now() - start)})`);
    phaseIndex++;
    if (phaseIndex < WAIT_PHASES.length) step = progress.step(WAIT_PHASES[phaseIndex]!);
  };

  /** One look: the phases this poll completes, and the quorum once the last one is reached. */
  const attempt = async (): Promise<PollStep<QuorumState>> => {
    const pods = await listMemberPods(kube, o.namespace, o.name);
    const expected = pods.filter((p) => Number(/-(\d+)$/.exec(p.metadata.name)?.[1]) < o.replicas);
    problems = expected.map(podProblem).filter((p): p is PodProblem => p !== null);
    const fatal = problems.find((p) => p.fatal);
    if (fatal) {
      step.fail();
      throw new CliError(`${fatal.pod} cannot start: ${fatal.reason}${fatal.message ? ` (${fatal.message})` : ''}`, {
        hint: `the ensemble's objects were created; fix the cause and recreate, or remove it with: kubectl zk teardown ${o.name} -n ${o.namespace}`,
        details: await describeProblems(kube, o.namespace, problems),
      });
    }
    const counts = [expected.length >= o.replicas ? expected.filter(isScheduled).length : 0, expected.filter(isRunning).length, expected.filter(isReady).length];
    const words = ['scheduled', 'running', 'serving'];
    while (phaseIndex < 3) {
      if (counts[phaseIndex] !== o.replicas) return {why: `${phaseIndex === 0 ? expected.filter(isScheduled).length : counts[phaseIndex]}/${o.replicas} ${words[phaseIndex]}`};
      advance();
    }
    const probes = await deps.probe(
      o.namespace,
      expected.map((p) => p.metadata.name),
    );
    const q = quorumComplete(probes, o.replicas);
    if (!q.ok) return {why: q.why};
    advance();
    return {ok: {leader: q.leader!, members: probes.map((p) => ({pod: p.pod, role: p.mode ?? 'not serving'}))}};
  };

  return poll(attempt, {
    clock,
    sleep: deps.sleep,
    signal: deps.signal,
    intervalMs: o.pollMs ?? 1000,
    timeoutMs: o.timeoutMs,
    onWhy: (why) => step.update(why),
    onTimeout: async (why) => {
      step.fail(`${WAIT_PHASES[phaseIndex]}: ${why}`);
      const details = await describeProblems(kube, o.namespace, problems);
      const first = problems.find((p) => p.reason !== 'NotReady') ?? problems[0];
      const stuck = first ? `; ${first.pod}: ${first.reason}${first.message ? ` (${first.message})` : ''}` : '';
      return new CliError(`timed out after ${formatDuration(o.timeoutMs)} waiting for ${WAIT_PHASES[phaseIndex]} (${why})${stuck}`, {
        hint: `inspect with: kubectl describe pods -n ${o.namespace} -l ${podSelector(o.name)}`,
        details,
      });
    },
  });
}

/**
 * How long a sync gap alone is given before a command judges it: the leader's own patience with a
 * silent follower under the rendered defaults (syncLimit 5 × tickTime 2000 ms). A leader counts a
 * follower in sync only while its acks arrive within syncLimit ticks, so right after a member
 * rejoined, or on a loaded node, every member can serve while the count is briefly short.
 */
export const SYNC_SETTLE_MS = 10_000;

/** Every member serves and is Ready, a quorum stands, and only the leader's sync count is short. */
export function onlySyncGap(r: StatusReport): boolean {
  return r.quorum.has && r.members.length > 0 && r.members.every((m) => isServing(m) && m.ready) && ensembleSyncGap(r) !== undefined;
}

/**
 * `first`, or when its only problem is a sync gap, the first report within SYNC_SETTLE_MS that has
 * none (else the last one read): the commands that refuse an ensemble out of sync (restart,
 * upgrade, failover-test) judge what lasts, not one reading of the leader's count.
 */
export async function settleSyncGap(first: StatusReport, read: () => Promise<StatusReport>, o: {clock: Clock; sleep: Sleep; signal?: AbortSignal; intervalMs?: number}): Promise<StatusReport> {
  if (!onlySyncGap(first)) return first;
  let last = first;
  const settled = new Error('sync gap lasted');
  return poll<StatusReport>(
    async () => {
      last = await read();
      return onlySyncGap(last) ? {why: ensembleSyncGap(last) ?? ''} : {ok: last};
    },
    {clock: o.clock, sleep: o.sleep, signal: o.signal, intervalMs: o.intervalMs ?? 500, timeoutMs: SYNC_SETTLE_MS, onTimeout: () => settled},
  ).catch((e: unknown) => {
    if (e === settled) return last;
    throw e;
  });
}
