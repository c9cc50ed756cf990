/**
 * `kubectl zk restore-quorum`: when a majority of the voters is gone for
 * good, the surviving voter with the highest last logged zxid restarts as the
 * only voter with its own data (reconfig needs a quorum, so its dynamic config
 * is rewritten, as ZooKeeper's admin guide leaves to the operator), and the
 * others are rebuilt around it one at a time with member replace's add step:
 * empty, synced from the survivor as non-voting learners, then reconfig add.
 *
 * The other members are deleted with their volumes before the survivor
 * restarts: an old majority must never come back beside it (it would elect
 * on the old membership). What the survivor lacks is lost; the result says
 * how far behind anything recorded it was.
 */
import {AbortedError, CliError, errorMessage} from '../errors.js';
import {podName} from '../manifests/names.js';
import {poll} from '../util/poll.js';
import {formatServerLine, type DynamicConfig, type ServerRole} from '../zk/parse.js';
import {readConfig} from '../zk/reconfig.js';
import {behind, pickSurvivor, rebuildOrder, type VoterLook} from './quorum/plan.js';
import {replaceMember} from './scale.js';
import type {ScaleDeps, ScaleResult, StepContext} from './scale/types.js';
import type {Health, StatusReport} from './status.js';

/** What differs between Kubernetes and a loopback ensemble. */
export interface QuorumMembers {
  /** The membership recorded for members that start later (Kubernetes: the ConfigMap) and the committed version it was taken from. */
  recorded(): Promise<{config: DynamicConfig; version?: string}>;
  /** A voter's last logged zxid as its running server states it, or why it is unknown. */
  lastZxid(ordinal: number): Promise<{zxid: bigint} | {why: string}>;
  /**
   * Deletes the `others` with their volumes (no old majority may come back),
   * then restarts `survivor` as the only voter (`line`) with its data;
   * resolves once it runs again.
   */
  reset(survivor: number, line: string, others: readonly number[], ctx: StepContext): Promise<void>;
  /** Drops the reset marker once the survivor serves (a later empty volume of its ordinal must not be reset). */
  clearReset(): Promise<void>;
}

export interface RestoreQuorumRequest {
  name: string;
  namespace: string;
  dryRun: boolean;
  /** wait until every member serves and is in sync at the end */
  wait: boolean;
  /** limit per step (the reset, each member rebuilt, the final wait) */
  timeoutMs: number;
}

export interface RestoreQuorumResult {
  name: string;
  namespace: string;
  dryRun: boolean;
  changed: boolean;
  /** each voter of the recorded membership and what it said of its last zxid */
  voters: VoterLook[];
  survivor: VoterLook;
  /** the highest zxid anything recorded (other members' logs, the recorded membership version) */
  lastKnownZxid: string;
  /** what may be lost, in words */
  loss: string;
  /** the members rebuilt around the survivor, in order */
  rebuild: {pod: string; role: ServerRole}[];
  /** member replace's result for each rebuilt member */
  rebuilt: ScaleResult[];
  health?: Health;
  leader?: string;
  warnings: string[];
  durationMs: number;
}

export async function restoreQuorum(req: RestoreQuorumRequest, deps: ScaleDeps & {quorum: QuorumMembers}): Promise<RestoreQuorumResult> {
  const started = deps.clock.now();
  const report = await deps.status();
  const status = `see kubectl zk status ${req.name} -n ${req.namespace}`;
  if (report.quorum.has) {
    throw new CliError(`"${req.name}" has a quorum (${report.quorum.servingVoters}/${report.quorum.voters} voters serving): restore-quorum is for a majority lost for good`, {
      hint: `rebuild a lost member with kubectl zk member replace ${req.name} ORDINAL; ${status}`,
      exitCode: 3,
    });
  }
  const recorded = await deps.quorum.recorded();
  const voters = await lookAtVoters(req.name, recorded.config, deps.quorum);
  const survivor = pickSurvivor(voters);
  if (!survivor) {
    throw new CliError(`no voter of "${req.name}" said its last zxid (${voters.map((v) => `${v.pod}: ${v.why}`).join('; ')})`, {
      hint: `restore-quorum needs a surviving voter that runs ZooKeeper and holds its data; ${status}`,
    });
  }
  const loss = behind(survivor.zxid!, [...voters.map((v) => v.zxid), recorded.version]);
  const order = rebuildOrder(req.name, recorded.config, survivor.id);
  const result: RestoreQuorumResult = {
    name: req.name,
    namespace: req.namespace,
    dryRun: req.dryRun,
    changed: false,
    voters,
    survivor,
    lastKnownZxid: loss.lastKnown,
    loss: loss.summary,
    rebuild: order.map((o) => ({pod: o.pod, role: o.role})),
    rebuilt: [],
    warnings: [],
    durationMs: 0,
  };
  const unknown = voters.filter((v) => v.zxid === undefined);
  if (unknown.length) result.warnings.push(`zxid unknown for ${unknown.map((v) => `${v.pod} (${v.why})`).join(', ')}: they are rebuilt empty`);
  if (req.dryRun) return done(result, deps, started);
  for (const w of result.warnings) deps.progress.warn(w);
  deps.progress.warn(`${survivor.pod} (last zxid ${survivor.zxid}) becomes the only voter; ${loss.summary}`);
  const others = order.map((o) => o.pod).join(', ');
  const question = `Restore the quorum of "${req.name}" in namespace "${req.namespace}" from ${survivor.pod} alone? ${others ? `${others} and their volumes are deleted and rebuilt from it; ` : ''}anything committed after ${survivor.zxid} is lost`;
  if (!(await deps.confirm(question))) throw new AbortedError('restore-quorum cancelled; nothing was changed');
  await resetSurvivor(req, deps, survivor, recorded.config, order);
  result.changed = true;
  for (const o of order) {
    deps.progress.info(`rebuilding ${o.pod} (${o.role}) from ${survivor.pod}`);
    const r = await replaceMember(
      {name: req.name, namespace: req.namespace, ordinal: o.ordinal, role: o.role, force: true, dryRun: false, wait: false, timeoutMs: req.timeoutMs},
      {...deps, confirm: async () => true, announce: undefined},
    ).catch((e: unknown) => {
      throw new CliError(`${errorMessage(e)}; ${survivor.pod} serves alone or with the members rebuilt so far`, {
        hint: `rebuild the rest with kubectl zk member replace ${req.name} ORDINAL; ${status}`,
        cause: e,
      });
    });
    result.rebuilt.push(r);
  }
  return finish(req, deps, result, started);
}

async function lookAtVoters(name: string, config: DynamicConfig, quorum: QuorumMembers): Promise<VoterLook[]> {
  const voters = config.servers.filter((s) => s.role === 'participant');
  return Promise.all(
    voters.map(async (s) => {
      const ordinal = s.id - 1;
      const look: VoterLook = {ordinal, pod: podName(name, ordinal), id: s.id};
      const z = await quorum.lastZxid(ordinal).catch((e: unknown) => ({why: errorMessage(e)}));
      if ('zxid' in z) look.zxid = `0x${z.zxid.toString(16)}`;
      else look.why = z.why;
      return look;
    }),
  );
}

/** Fence the others, restart the survivor alone, wait until it leads, record its membership, drop the marker. */
async function resetSurvivor(req: RestoreQuorumRequest, deps: ScaleDeps & {quorum: QuorumMembers}, survivor: VoterLook, recorded: DynamicConfig, order: {ordinal: number}[]): Promise<void> {
  const ui = deps.progress.step(`restart ${survivor.pod} as the only voter`);
  const deadline = deps.clock.now() + req.timeoutMs;
  const ctx: StepContext = {phase: (n) => ui.update(n), note: (t) => ui.update(t), deadline, signal: deps.signal};
  try {
    const spec = recorded.servers.find((s) => s.id === survivor.id)!;
    await deps.quorum.reset(
      survivor.ordinal,
      formatServerLine({...spec, role: 'participant'}),
      order.map((o) => o.ordinal),
      ctx,
    );
    ctx.phase(`wait until ${survivor.pod} leads`);
    await poll(
      async () => {
        const r = await deps.status().catch((e: unknown) => ({error: errorMessage(e)}));
        if ('error' in r) return {why: r.error};
        return r.quorum.has && r.quorum.leader === survivor.pod ? {ok: undefined} : {why: `${r.quorum.leader ? `${r.quorum.leader} leads` : 'no leader yet'}`};
      },
      {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: deps.pollMs ?? 1000, deadline, onWhy: ctx.note, what: `${survivor.pod} to lead alone`},
    );
    ctx.phase('record its membership');
    const eps = await deps.members.endpoints([survivor.ordinal]);
    const committed = await readConfig(eps, {auth: await deps.auth(), connectTimeoutMs: 5000, timeoutMs: deps.zkTimeoutMs ?? 30_000});
    await deps.members.publish(committed);
    await deps.quorum.clearReset();
    ui.succeed(`${survivor.pod} serves alone (config 0x${committed.version ?? '?'})`);
  } catch (e) {
    ui.fail();
    throw new CliError(`could not restart ${survivor.pod} as the only voter: ${errorMessage(e)}`, {
      hint: `run kubectl zk restore-quorum ${req.name} again once the cause is fixed; see kubectl zk status ${req.name} -n ${req.namespace}`,
      cause: e,
    });
  }
}

async function finish(req: RestoreQuorumRequest, deps: ScaleDeps, result: RestoreQuorumResult, started: number): Promise<RestoreQuorumResult> {
  let last: StatusReport;
  if (req.wait) {
    const ui = deps.progress.step('waiting until every member serves and is in sync');
    last = await poll<StatusReport>(
      async () => {
        const r = await deps.status();
        return r.health === 'healthy' ? {ok: r} : {why: `${r.health}: ${r.warnings[0] ?? r.errors[0] ?? ''}`};
      },
      {clock: deps.clock, sleep: deps.sleep, signal: deps.signal, intervalMs: deps.pollMs ?? 1000, deadline: deps.clock.now() + req.timeoutMs, onWhy: (w) => ui.update(w), what: 'a healthy ensemble'},
    ).catch((e: unknown) => {
      ui.fail();
      throw e;
    });
    ui.succeed(`healthy (leader ${last.quorum.leader ?? '?'})`);
  } else last = await deps.status();
  result.health = last.health;
  result.leader = last.quorum.leader;
  return done(result, deps, started);
}

function done(result: RestoreQuorumResult, deps: ScaleDeps, started: number): RestoreQuorumResult {
  result.durationMs = deps.clock.now() - started;
  return result;
}
