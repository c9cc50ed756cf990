/** The scale plan (pure): shapes, one member per step at the tail, the guards before and after each step. */
import {CliError, UsageError} from '../../errors.js';
import {podName} from '../../manifests/names.js';
import {MAX_REPLICAS} from '../../manifests/options.js';
import type {ServerRole} from '../../zk/parse.js';
import {isServing, VOTING_ROLES} from '../ensemble/member.js';
import {hasQuorum, quorumSize} from '../ensemble/quorum.js';
import {ensembleSyncGap} from '../ensemble/sync.js';
import type {StatusReport} from '../status.js';
import type {MemberRef} from './types.js';

// ---------------------------------------------------------------- shapes and the plan (pure)

/** Voting members and observers of an ensemble. */
export interface Shape {
  voters: number;
  observers: number;
}

export type StepAction = 'add' | 'remove' | 'retire';

export interface PlanStep {
  /** add: join a member; remove: take a member out of the membership and stop it; retire: stop a pod that is not a member (left by an interrupted scale) */
  action: StepAction;
  ordinal: number;
  /** server id = ordinal + 1 */
  id: number;
  pod: string;
  /** the member's role in the membership (absent for retire: it never was a member) */
  role?: ServerRole;
  /** the committed membership after this step */
  after: Shape;
}

export interface ScalePlan {
  from: Shape;
  to: Shape;
  steps: PlanStep[];
  /** what the plan does beyond the obvious, in words */
  notes: string[];
}

/** Usage errors (exit 2) for the requested shape; nothing has been contacted yet. */
export function validateShape(voters: number, observers?: number): void {
  if (!Number.isInteger(voters) || voters < 1 || voters > MAX_REPLICAS) {
    throw new UsageError(`--replicas must be between 1 and ${MAX_REPLICAS}, got ${voters}`, 'ZooKeeper server ids are 1-255 (id = ordinal + 1)');
  }
  if (observers !== undefined && (!Number.isInteger(observers) || observers < 0 || voters + observers > MAX_REPLICAS)) {
    throw new UsageError(`--observers must be between 0 and ${MAX_REPLICAS - voters} with --replicas ${voters}, got ${observers}`, `voters and observers together are at most ${MAX_REPLICAS}`);
  }
}

/**
 * The committed membership as a Shape; refuses a membership that does not
 * follow the layout (participants = ids 1..V, observers = ids V+1..V+O), which
 * kubectl-zk never makes: someone changed it by hand.
 */
export function shapeOf(servers: readonly {id: number; role: string}[]): Shape {
  const sorted = [...servers].sort((a, b) => a.id - b.id);
  const voters = sorted.filter((s) => s.role === 'participant').length;
  const observers = sorted.length - voters;
  const layout = sorted.every((s, i) => s.id === i + 1 && (i < voters ? s.role === 'participant' : s.role === 'observer'));
  if (!layout || voters === 0) {
    const got = sorted.map((s) => `server.${s.id} ${s.role}`).join(', ') || 'no servers';
    throw new CliError(`the committed membership (${got}) does not follow kubectl-zk's layout: voters are servers 1..N, observers the ids after them`, {
      hint: 'it was changed outside kubectl zk scale; restore that layout with a reconfig (zkCli.sh reconfig) before scaling',
    });
  }
  return {voters, observers};
}

export function describeShape(s: Shape): string {
  return `${s.voters} voter${s.voters === 1 ? '' : 's'}${s.observers > 0 ? ` + ${s.observers} observer${s.observers === 1 ? '' : 's'}` : ''}`;
}

/**
 * From the committed shape to the desired one, one member per step, at the
 * tail. Pods beyond the membership (`strays`: an interrupted earlier scale)
 * are retired first. When the voter count changes while observers exist, the
 * observers are removed first (their ordinals follow the voters'), the voters
 * changed, and the observers added back at their new ordinals: a member
 * never changes role in place (observer→participant can fail in ZooKeeper).
 */
export function planScale(name: string, current: Shape & {strays?: readonly number[]}, desired: Shape): ScalePlan {
  const steps: PlanStep[] = [];
  const notes: string[] = [];
  let v = current.voters;
  let o = current.observers;
  const push = (action: StepAction, ordinal: number, role: ServerRole | undefined) =>
    steps.push({action, ordinal, id: ordinal + 1, pod: podName(name, ordinal), ...(role ? {role} : {}), after: {voters: v, observers: o}});

  const strays = [...(current.strays ?? [])].sort((a, b) => b - a);
  for (const ordinal of strays) push('retire', ordinal, undefined);
  if (strays.length > 0) notes.push(`pod(s) ${strays.map((x) => podName(name, x)).join(', ')} are not in the committed membership (an interrupted scale?): they are stopped first`);

  if (desired.voters !== v && o > 0) {
    notes.push(
      `the voter count changes while ${o} observer${o === 1 ? '' : 's'} exist: observers sit at the ordinals after the voters, so the observers are removed first, the voters changed, then ${desired.observers} observer${desired.observers === 1 ? '' : 's'} added back at the new ordinals (reads are served by the voters alone meanwhile)`,
    );
    while (o > 0) {
      o--;
      push('remove', v + o, 'observer');
    }
  }
  while (v < desired.voters) {
    v++;
    push('add', v - 1, 'participant');
  }
  while (v > desired.voters) {
    v--;
    push('remove', v, 'participant');
  }
  while (o < desired.observers) {
    o++;
    push('add', v + o - 1, 'observer');
  }
  while (o > desired.observers) {
    o--;
    push('remove', v + o, 'observer');
  }
  if (current.voters === 1 && desired.voters > 1) notes.push('growing from 1 voter works because the servers run with standaloneEnabled=false');
  return {from: {voters: current.voters, observers: current.observers}, to: {...desired}, steps, notes};
}

export function isDestructive(plan: ScalePlan): boolean {
  return plan.steps.some((s) => s.action !== 'add');
}

/**
 * Why removing voters would put the quorum at risk, judged from the members'
 * own answers: after each removal, a majority of the remaining voters must be
 * serving. Removing a dead member is fine; removing a live one while others
 * are dead is not. Empty when the plan is safe.
 */
export function removalRisks(plan: ScalePlan, report: StatusReport): string[] {
  const risks: string[] = [];
  const role = (id: number) => report.members.find((m) => m.serverId === id)?.role ?? 'no pod';
  for (const s of plan.steps) {
    if (s.action !== 'remove' || s.role !== 'participant') continue;
    const remaining = s.after.voters;
    const needed = quorumSize(remaining);
    const ids = Array.from({length: remaining}, (_, i) => i + 1);
    const serving = ids.filter((id) => VOTING_ROLES.has(role(id)));
    if (!hasQuorum(serving.length, remaining)) {
      const down = ids.filter((id) => !VOTING_ROLES.has(role(id))).map((id) => `${podName(report.name, id - 1)} (${role(id)})`);
      risks.push(
        `after removing ${s.pod}, ${serving.length} of the ${remaining} remaining voter${remaining === 1 ? '' : 's'} serve and ${needed} are needed for a quorum; not serving: ${down.join(', ')}`,
      );
      break; // later removals only get worse
    }
  }
  return risks;
}

/** The membership a shape stands for in the layout: ids 1..V participants, then observers. */
export function predictedMembers(name: string, s: Shape): MemberRef[] {
  return Array.from({length: s.voters + s.observers}, (_, i) => ({id: i + 1, pod: podName(name, i), role: i < s.voters ? 'participant' : 'observer'}));
}

export function refs(name: string, servers: readonly {id: number; role: string}[]): MemberRef[] {
  return [...servers].sort((a, b) => a.id - b.id).map((s) => ({id: s.id, pod: podName(name, s.id - 1), role: s.role as ServerRole}));
}

const SERVING_AS: Record<ServerRole, Set<string>> = {participant: new Set(['leader', 'follower']), observer: new Set(['observer'])};

/** After an add: the committed config lists the joiner, it serves in its role and the leader counts it synced. */
export function joinedAndSynced(r: StatusReport, step: PlanStep): {ok: true} | {why: string} {
  const listed = r.config?.members.find((m) => m.id === step.id);
  if (!listed) return {why: `server.${step.id} is not in the committed config yet`};
  if (listed.role !== step.role) return {why: `server.${step.id} is committed as ${listed.role}, not ${step.role}`};
  if (!r.quorum.has) return {why: `no quorum (${r.quorum.servingVoters}/${r.quorum.voters} voters serving)`};
  const row = r.members.find((m) => m.serverId === step.id);
  if (!row || !SERVING_AS[step.role!].has(row.role)) return {why: `${step.pod} is ${row?.role ?? 'absent'}`};
  const gap = ensembleSyncGap(r);
  return gap ? {why: gap} : {ok: true};
}

/** After a remove: the committed config no longer lists it and a leader among the remaining voters serves. */
export function removedAndLed(r: StatusReport, step: PlanStep): {ok: true} | {why: string} {
  if (!r.config) return {why: 'no member answered with the committed config'};
  if (r.config.members.some((m) => m.id === step.id)) return {why: `server.${step.id} is still in the committed config`};
  if (!r.quorum.has || !r.quorum.leader) return {why: `no quorum yet (${r.quorum.servingVoters}/${r.quorum.voters} voters serving)`};
  if (r.quorum.leader === step.pod) return {why: `${step.pod} still leads`};
  return {ok: true};
}

// ---------------------------------------------------------------- rebuilding one member (member replace)

/** What `member replace` will do, or why it may not (pure). */
export interface ReplacePlan {
  plan: ScalePlan;
  /** the member's role in the membership it goes back into */
  role: ServerRole;
  /** a reason that refuses the replace (no quorum, the only voter, a healthy member without --force) */
  refusal?: {message: string; hint: string};
  warnings: string[];
}

/**
 * Rebuild member `ordinal` on an empty volume: take it out of the
 * membership (reconfig remove, while the others keep a quorum), then add it
 * back once its new pod serves as a non-voting learner and is in sync: an
 * empty disk never votes before it holds the data. A member already out of
 * the committed membership (an interrupted replace) only gets the add step.
 */
export function planReplace(report: StatusReport, ordinal: number, force: boolean, outRole?: ServerRole): ReplacePlan {
  const name = report.name;
  const config = report.config!.members;
  const id = ordinal + 1;
  const pod = podName(name, ordinal);
  const listed = config.find((m) => m.id === id);
  const voters = config.filter((m) => m.role === 'participant').length;
  const observers = config.length - voters;
  // a member already removed (a replace stopped half-way) goes back in the role the layout gives its ordinal
  const role: ServerRole = listed ? (listed.role as ServerRole) : (outRole ?? (config.some((m) => m.role === 'observer' && m.id < id) ? 'observer' : 'participant'));
  const full: Shape = listed ? {voters, observers} : role === 'participant' ? {voters: voters + 1, observers} : {voters, observers: observers + 1};
  const less: Shape = role === 'participant' ? {...full, voters: full.voters - 1} : {...full, observers: full.observers - 1};
  const step = (action: StepAction, after: Shape): PlanStep => ({action, ordinal, id, pod, role, after});
  const plan: ScalePlan = {
    from: listed ? full : less,
    to: full,
    steps: listed ? [step('remove', less), step('add', full)] : [step('add', full)],
    notes: [
      `${pod} is rebuilt on an empty volume: ${listed ? `taken out of the membership (reconfig remove server.${id}), ` : `already out of the membership (an interrupted replace), `}its volume claim data-${pod} and its pod deleted, the new pod started as a non-voting learner, and server.${id} added back as ${role} once it is in sync: it never votes before it holds the data`,
    ],
  };
  const warnings: string[] = [];
  const row = report.members.find((m) => m.serverId === id);
  const refuse = (message: string, hint: string): ReplacePlan => ({plan, role, refusal: {message, hint}, warnings});
  const status = `see kubectl zk status ${name} -n ${report.namespace}`;
  if (!report.quorum.has) {
    return refuse(
      `"${name}" has no quorum (${report.quorum.servingVoters}/${report.quorum.voters} voters serving, ${report.quorum.needed} needed): a member can only be rebuilt while a quorum serves (its data comes from the leader)`,
      `bring members back first; ${status}`,
    );
  }
  if (role === 'participant' && full.voters <= 1) return refuse(`${pod} is the only voter: there is no other member to take the data from`, 'scale up first, or back up and restore');
  if (role === 'participant') {
    const others = config.filter((m) => m.role === 'participant' && m.id !== id).map((m) => report.members.find((x) => x.serverId === m.id));
    const serving = others.filter((m) => m && VOTING_ROLES.has(m.role)).length;
    if (!hasQuorum(serving, full.voters - 1)) {
      return refuse(
        `without ${pod}, ${serving} of the other ${full.voters - 1} voters serve and ${quorumSize(full.voters - 1)} are needed: taking it out of the membership would stop the ensemble`,
        `bring the other members back first; ${status}`,
      );
    }
  }
  if (row && isServing(row) && row.ready && listed && !force) {
    return refuse(`${pod} serves as ${row.role} and its pod is Ready: there is nothing to repair`, `--force rebuilds it on an empty volume anyway (its data is taken from the leader again)`);
  }
  if (row?.role === 'leader') warnings.push(`${pod} leads: taking it out of the membership hands leadership to another voter (one election)`);
  return {plan, role, warnings};
}
