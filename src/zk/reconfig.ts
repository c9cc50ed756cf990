/**
 * ZooKeeper dynamic reconfiguration (opcode 16) over the native session in
 * wire.ts, plus reading /zookeeper/config back.
 */
import {createHash} from 'node:crypto';
import {ZkError, isZkError} from './errors.js';
import type {Endpoint} from './endpoint.js';
import type {Stat} from './jute.js';
import {parseDynamicConfig, parseServerLine, type DynamicConfig, type ServerSpec} from './parse.js';
import {pollUntil, type Clock, type Sleep} from './poll.js';
import {NativeSession, type AuthInfo, type NativeSessionOptions} from './wire.js';

export const CONFIG_NODE = '/zookeeper/config';

/** The value for -Dzookeeper.DigestAuthenticationProvider.superDigest: "user:base64(sha1(user:password))". */
export function superDigest(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64')}`;
}

/** `addauth digest user:password` as an AuthInfo. */
export function digestAuth(user: string, password: string): AuthInfo {
  return {scheme: 'digest', auth: `${user}:${password}`};
}

export interface ConfigSnapshot {
  /** The znode content as text. */
  raw: string;
  config: DynamicConfig;
  /** `version=` (hex, no 0x); undefined only for a server without dynamic config. */
  version: string | undefined;
  stat: Stat;
}

export interface ReconfigChange {
  /** Incremental: server lines to add ("server.4=host:q:e:participant;host:client"). */
  add?: readonly string[];
  /** Incremental: ids to remove. */
  remove?: readonly number[];
  /** Non-incremental: the complete new member list (server lines). Excludes add/remove. */
  members?: readonly string[];
  /** Only apply when the current config version is this one (hex, "0x" optional). */
  fromConfigVersion?: string | bigint;
  /** Credentials (normally [digestAuth('super', password)]); overrides options.auth. */
  auth?: readonly AuthInfo[];
}

export interface ReconfigOptions extends NativeSessionOptions {
  /** Wait for the reply this long. Default 30000. */
  timeoutMs?: number;
}

/** Check a change locally (BadArguments) and build the request fields. */
export function buildReconfigRequest(change: ReconfigChange): {
  joiningServers: string | null;
  leavingServers: string | null;
  newMembers: string | null;
  curConfigId: bigint;
} {
  const add = change.add ?? [];
  const remove = change.remove ?? [];
  const members = change.members;
  if (members !== undefined && (add.length > 0 || remove.length > 0)) {
    throw new ZkError('BadArguments', 'reconfig: "members" (non-incremental) cannot be combined with add/remove');
  }
  if (members === undefined && add.length === 0 && remove.length === 0) {
    throw new ZkError('BadArguments', 'reconfig: nothing to change (give add, remove or members)');
  }
  if (members !== undefined && members.length === 0) throw new ZkError('BadArguments', 'reconfig: empty member list');
  for (const line of [...add, ...(members ?? [])]) parseServerLine(line); // throws BadArguments
  for (const id of remove) {
    if (!Number.isInteger(id) || id < 0) throw new ZkError('BadArguments', `reconfig: bad server id ${id}`);
  }
  const addIds = add.map((l) => parseServerLine(l).id);
  const both = addIds.filter((id) => remove.includes(id));
  if (both.length > 0) throw new ZkError('BadArguments', `reconfig: server ${both.join(',')} both added and removed`);
  return {
    joiningServers: add.length > 0 ? add.map((l) => l.trim()).join(',') : null,
    leavingServers: remove.length > 0 ? remove.join(',') : null,
    newMembers: members !== undefined ? members.map((l) => l.trim()).join(',') : null,
    curConfigId: change.fromConfigVersion === undefined ? -1n : toConfigId(change.fromConfigVersion),
  };
}

function toConfigId(v: string | bigint): bigint {
  if (typeof v === 'bigint') return v;
  const s = v.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) throw new ZkError('BadArguments', `reconfig: bad config version ${JSON.stringify(v)}`);
  return BigInt('0x' + s);
}

function snapshot(data: Buffer, stat: Stat): ConfigSnapshot {
  const raw = data.toString('utf8');
  const config = parseDynamicConfig(raw);
  return {raw, config, version: config.version, stat};
}

/**
 * Run one reconfig against the ensemble (first endpoint that accepts a
 * session; followers forward to the leader). Resolves with the new config.
 * Server errors arrive as ZkError: NoAuth, BadVersion, BadArguments,
 * NewConfigNoQuorum, ReconfigInProgress, ReconfigDisabled; a dropped
 * connection as ConnectionLoss (the change may still have committed — see
 * reconfigAndConfirm).
 */
export async function reconfig(endpoints: readonly Endpoint[], change: ReconfigChange, opts: ReconfigOptions = {}): Promise<ConfigSnapshot> {
  const req = buildReconfigRequest(change);
  const session = await NativeSession.connect(endpoints, {...opts, auth: change.auth ?? opts.auth ?? []});
  try {
    const reply = await session.reconfig(req, opts.timeoutMs ?? 30_000);
    return snapshot(reply.data, reply.stat);
  } finally {
    await session.close();
  }
}

/** Read /zookeeper/config (after a sync, so a follower answers with the leader's latest). */
export async function readConfig(endpoints: readonly Endpoint[], opts: NativeSessionOptions & {timeoutMs?: number} = {}): Promise<ConfigSnapshot> {
  const session = await NativeSession.connect(endpoints, opts);
  try {
    await session.sync(CONFIG_NODE, opts.timeoutMs);
    const reply = await session.getData(CONFIG_NODE, opts.timeoutMs);
    return snapshot(reply.data, reply.stat);
  } finally {
    await session.close();
  }
}

function sameServer(a: ServerSpec, b: ServerSpec): boolean {
  const ca = (s: ServerSpec): string | undefined => (s.clientAddress === '0.0.0.0' ? undefined : s.clientAddress);
  return a.id === b.id && a.host === b.host && a.quorumPort === b.quorumPort && a.electionPort === b.electionPort && a.role === b.role && a.clientPort === b.clientPort && ca(a) === ca(b);
}

/** Does `config` show `change` applied? (Removed ids absent, added lines present, or exactly `members`.) */
export function isChangeApplied(config: DynamicConfig, change: ReconfigChange): boolean {
  if (config.servers.length === 0) return false; // not a dynamic config at all
  if (change.fromConfigVersion !== undefined && config.versionZxid === toConfigId(change.fromConfigVersion)) return false;
  for (const id of change.remove ?? []) if (config.servers.some((s) => s.id === id)) return false;
  for (const line of change.add ?? []) {
    const want = parseServerLine(line);
    if (!config.servers.some((s) => sameServer(s, want))) return false;
  }
  if (change.members !== undefined) {
    const want = change.members.map((l) => parseServerLine(l));
    if (want.length !== config.servers.length) return false;
    if (!want.every((w) => config.servers.some((s) => sameServer(s, w)))) return false;
  }
  return true;
}

export interface ConfirmOptions extends ReconfigOptions {
  /** How often to read the config back after a ConnectionLoss. Default 250. */
  pollIntervalMs?: number;
  /** How long to keep reading back. Default 30000. */
  confirmTimeoutMs?: number;
  sleep?: Sleep;
  now?: Clock;
}

export interface ConfirmedReconfig {
  config: ConfigSnapshot;
  /** True when the reply was lost (ConnectionLoss/Timeout) and the config read back showed the change. */
  confirmedByReadBack: boolean;
  /** The error that made the read-back necessary. */
  lostReplyError: ZkError | undefined;
}

/**
 * reconfig, and when the reply is lost (ConnectionLoss or Timeout, as when
 * the leader is removed and hands off), reconnect and poll
 * /zookeeper/config until it shows the change. Throws the original error
 * (with the read-back failure as cause) if the change never shows up.
 */
export async function reconfigAndConfirm(endpoints: readonly Endpoint[], change: ReconfigChange, opts: ConfirmOptions = {}): Promise<ConfirmedReconfig> {
  try {
    return {config: await reconfig(endpoints, change, opts), confirmedByReadBack: false, lostReplyError: undefined};
  } catch (e) {
    if (!isZkError(e, 'ConnectionLoss') && !isZkError(e, 'Timeout')) throw e;
    const lost = e;
    try {
      const config = await pollUntil(
        'reconfig visible in /zookeeper/config',
        async () => {
          const snap = await readConfig(endpoints, {...opts, connectTimeoutMs: opts.connectTimeoutMs ?? 2000, timeoutMs: 5000});
          return isChangeApplied(snap.config, change) ? snap : undefined;
        },
        {
          intervalMs: opts.pollIntervalMs ?? 250,
          timeoutMs: opts.confirmTimeoutMs ?? 30_000,
          ...(opts.sleep ? {sleep: opts.sleep} : {}),
          ...(opts.now ? {now: opts.now} : {}),
        },
      );
      return {config, confirmedByReadBack: true, lostReplyError: lost};
    } catch (readBackError) {
      throw new ZkError(lost.code, `${lost.message}; reconfig not confirmed by reading ${CONFIG_NODE} back`, {cause: readBackError});
    }
  }
}
