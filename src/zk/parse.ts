/**
 * Pure parsers for what ZooKeeper servers print: four-letter-word replies
 * (srvr/stat, mntr, conf, ruok, isro) and dynamic configuration text
 * (`/zookeeper/config`, `zoo.cfg.dynamic.*`). No I/O here.
 */
import {ZkError} from './errors.js';

export type ZkMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';
const MODES: readonly ZkMode[] = ['leader', 'follower', 'observer', 'standalone', 'read-only'];

export const NOT_SERVING_TEXT = 'This ZooKeeper instance is not currently serving requests';
const NOT_WHITELISTED_RE = /^(\w+) is not executed because it is not in the whitelist\.?\s*$/;

/** A reply that did not carry data: the server is up but not in a quorum, or the command is disabled. */
export type FourLetterRefusal = {status: 'notServing'; raw: string} | {status: 'notWhitelisted'; command: string; raw: string};

/** Recognise the refusals every 4lw can answer with; undefined for a normal reply. */
export function fourLetterRefusal(text: string): FourLetterRefusal | undefined {
  const t = text.trim();
  if (t.startsWith(NOT_SERVING_TEXT)) return {status: 'notServing', raw: text};
  const m = NOT_WHITELISTED_RE.exec(t);
  if (m && m[1] !== undefined) return {status: 'notWhitelisted', command: m[1], raw: text};
  return undefined;
}

// ---------------------------------------------------------------- zxid

export interface Zxid {
  /** "0x" + lowercase hex, as srvr prints it. */
  hex: string;
  value: bigint;
  /** High 32 bits: the leader epoch. */
  epoch: number;
  /** Low 32 bits: the transaction counter within the epoch. */
  counter: number;
}

/** Accepts "0x100000000", "100000000" (hex, as in `version=`), or a bigint/number. */
export function parseZxid(input: string | bigint | number): Zxid {
  let value: bigint;
  if (typeof input === 'bigint') value = input;
  else if (typeof input === 'number') value = BigInt(input);
  else {
    const s = input.trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]{1,16}$/.test(s)) throw new ZkError('ProtocolError', `not a zxid: ${JSON.stringify(input)}`);
    value = BigInt('0x' + s);
  }
  if (value < 0n) value = BigInt.asUintN(64, value);
  return {
    hex: '0x' + value.toString(16),
    value,
    epoch: Number(value >> 32n),
    counter: Number(value & 0xffffffffn),
  };
}

// ---------------------------------------------------------------- srvr / stat

export interface SrvrStats {
  status: 'ok';
  /** Full version line value, e.g. "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC". */
  version: string;
  /** Leading x.y.z of the version, e.g. "3.8.0". */
  versionNumber: string | undefined;
  latency: {min: number; avg: number; max: number};
  received: number;
  sent: number;
  connections: number;
  outstanding: number;
  zxid: Zxid;
  mode: ZkMode;
  nodeCount: number;
  /** Leader only. */
  proposalSizes: {last: number; min: number; max: number} | undefined;
  /** Every "Key: value" line as printed. */
  raw: Record<string, string>;
}

export type SrvrResult = SrvrStats | FourLetterRefusal;

/**
 * Whether a `srvr` reply has fully arrived (for fourLetterWord's `complete`):
 * the Node count line ends it, and a leader's Proposal sizes line after it; a
 * refusal is one line.
 */
export function srvrComplete(text: string): boolean {
  if (/\n/.test(text) && fourLetterRefusal(text)) return true;
  if (!/^Node count: \d+\r?\n/m.test(text)) return false;
  return !/^Mode: leader\r?$/m.test(text) || /^Proposal sizes last\/min\/max: [^\n]*\n/m.test(text);
}

/** Parse `srvr` (or `stat`, whose client list is skipped). */
export function parseSrvr(text: string): SrvrResult {
  const refusal = fourLetterRefusal(text);
  if (refusal) return refusal;
  const raw: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z /]*?):\s?(.*)$/.exec(line);
    if (m && m[1] !== undefined && m[2] !== undefined && !line.startsWith(' ')) raw[m[1]] = m[2].trim();
  }
  const need = (k: string): string => {
    const v = raw[k];
    if (v === undefined) throw new ZkError('ProtocolError', `srvr reply has no "${k}:" line`);
    return v;
  };
  const int = (k: string): number => toNumber(need(k), k);
  const version = need('Zookeeper version');
  const lat = need('Latency min/avg/max')
    .split('/')
    .map((x) => toNumber(x, 'Latency'));
  const modeText = need('Mode');
  if (!MODES.includes(modeText as ZkMode)) throw new ZkError('ProtocolError', `unknown mode ${JSON.stringify(modeText)}`);
  const ps = raw['Proposal sizes last/min/max'];
  const psv = ps?.split('/').map((x) => toNumber(x, 'Proposal sizes'));
  return {
    status: 'ok',
    version,
    versionNumber: /^(\d+\.\d+\.\d+)/.exec(version)?.[1],
    latency: {min: lat[0] ?? 0, avg: lat[1] ?? 0, max: lat[2] ?? 0},
    received: int('Received'),
    sent: int('Sent'),
    connections: int('Connections'),
    outstanding: int('Outstanding'),
    zxid: parseZxid(need('Zxid')),
    mode: modeText as ZkMode,
    nodeCount: int('Node count'),
    proposalSizes: psv ? {last: psv[0] ?? -1, min: psv[1] ?? -1, max: psv[2] ?? -1} : undefined,
    raw,
  };
}

function toNumber(s: string, what: string): number {
  const n = Number(s.trim());
  if (s.trim() === '' || !Number.isFinite(n)) throw new ZkError('ProtocolError', `${what}: not a number: ${JSON.stringify(s)}`);
  return n;
}

// ---------------------------------------------------------------- mntr

export interface MntrStats {
  status: 'ok';
  version: string;
  /** zk_server_state: leader | follower | observer | standalone | read-only. */
  serverState: ZkMode;
  /** zk_peer_state (3.6+): "leading - broadcast", "following - broadcast", "looking"… */
  peerState: string | undefined;
  avgLatency: number;
  minLatency: number;
  maxLatency: number;
  packetsReceived: number;
  packetsSent: number;
  numAliveConnections: number;
  outstandingRequests: number;
  znodeCount: number;
  watchCount: number;
  ephemeralsCount: number;
  approximateDataSize: number;
  openFileDescriptorCount: number | undefined;
  maxFileDescriptorCount: number | undefined;
  quorumSize: number | undefined;
  uptimeMs: number | undefined;
  /** Older servers only (neither 3.8.0 nor 3.9 print zk_zxid): take the zxid from srvr. */
  zxid: Zxid | undefined;
  // leader only
  learners: number | undefined;
  syncedFollowers: number | undefined;
  syncedNonVotingFollowers: number | undefined;
  syncedObservers: number | undefined;
  pendingSyncs: number | undefined;
  leaderUptimeMs: number | undefined;
  /** zk_followers: printed by servers before 3.6 only. */
  followers: number | undefined;
  /** Every zk_ line, key without the "zk_" prefix. */
  raw: Record<string, string>;
}

export type MntrResult = MntrStats | FourLetterRefusal;

export function parseMntr(text: string): MntrResult {
  const refusal = fourLetterRefusal(text);
  if (refusal) return refusal;
  const raw: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const tab = line.indexOf('\t');
    if (!line.startsWith('zk_') || tab < 0) continue;
    raw[line.slice(3, tab)] = line.slice(tab + 1).trim();
  }
  if (raw['version'] === undefined || raw['server_state'] === undefined) {
    throw new ZkError('ProtocolError', 'mntr reply has no zk_version / zk_server_state');
  }
  const opt = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const num = (k: string): number => opt(k) ?? 0;
  const state = raw['server_state'];
  if (!MODES.includes(state as ZkMode)) throw new ZkError('ProtocolError', `unknown zk_server_state ${JSON.stringify(state)}`);
  return {
    status: 'ok',
    version: raw['version'],
    serverState: state as ZkMode,
    peerState: raw['peer_state'],
    avgLatency: num('avg_latency'),
    minLatency: num('min_latency'),
    maxLatency: num('max_latency'),
    packetsReceived: num('packets_received'),
    packetsSent: num('packets_sent'),
    numAliveConnections: num('num_alive_connections'),
    outstandingRequests: num('outstanding_requests'),
    znodeCount: num('znode_count'),
    watchCount: num('watch_count'),
    ephemeralsCount: num('ephemerals_count'),
    approximateDataSize: num('approximate_data_size'),
    openFileDescriptorCount: opt('open_file_descriptor_count'),
    maxFileDescriptorCount: opt('max_file_descriptor_count'),
    quorumSize: opt('quorum_size'),
    uptimeMs: opt('uptime'),
    zxid: raw['zxid'] !== undefined ? parseZxid(raw['zxid']) : undefined,
    learners: opt('learners'),
    syncedFollowers: opt('synced_followers'),
    syncedNonVotingFollowers: opt('synced_non_voting_followers'),
    syncedObservers: opt('synced_observers'),
    pendingSyncs: opt('pending_syncs'),
    leaderUptimeMs: opt('leader_uptime'),
    followers: opt('followers'),
    raw,
  };
}

// ---------------------------------------------------------------- conf

export interface ConfResult {
  status: 'ok';
  /** key=value lines before "membership:". */
  values: Record<string, string>;
  serverId: number | undefined;
  clientPort: number | undefined;
  /** The dynamic membership printed after "membership:" (reconfig-enabled servers). */
  membership: DynamicConfig | undefined;
}

export function parseConf(text: string): ConfResult | FourLetterRefusal {
  const refusal = fourLetterRefusal(text);
  if (refusal) return refusal;
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  const mi = lines.findIndex((l) => l.trim() === 'membership:');
  for (const line of mi < 0 ? lines : lines.slice(0, mi)) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const membership = mi < 0 ? undefined : parseDynamicConfig(lines.slice(mi + 1).join('\n'));
  const n = (k: string): number | undefined => (values[k] === undefined ? undefined : Number(values[k]));
  return {status: 'ok', values, serverId: n('serverId'), clientPort: n('clientPort'), membership};
}

/** `ruok` → true for "imok". */
export function parseRuok(text: string): boolean {
  return text.trim() === 'imok';
}

/** `isro` → "rw" | "ro" | "null" (not running). */
export function parseIsro(text: string): 'rw' | 'ro' | 'null' | FourLetterRefusal {
  const refusal = fourLetterRefusal(text);
  if (refusal) return refusal;
  const t = text.trim();
  if (t === 'rw' || t === 'ro' || t === 'null') return t;
  throw new ZkError('ProtocolError', `unexpected isro reply ${JSON.stringify(t)}`);
}

// ---------------------------------------------------------------- dynamic config

export type ServerRole = 'participant' | 'observer';

export interface ServerSpec {
  id: number;
  /** Host of the (first) quorum address. */
  host: string;
  quorumPort: number;
  electionPort: number;
  role: ServerRole;
  /** Client listen address; undefined when only a port was given. */
  clientAddress: string | undefined;
  /** Undefined when the line has no ";client" part. */
  clientPort: number | undefined;
  /** Every "host:quorum:election" address (3.6+ allows several separated by "|"). */
  addresses: {host: string; quorumPort: number; electionPort: number}[];
}

export interface DynamicConfig {
  servers: ServerSpec[];
  /** The `version=` value as written (hex, no 0x), undefined when absent. */
  version: string | undefined;
  /** The version as a zxid (the reconfig's zxid); undefined when absent. */
  versionZxid: bigint | undefined;
  /** Lines that are neither server.N= nor version= (e.g. group./weight.), kept verbatim. */
  other: string[];
}

/** Parse `/zookeeper/config` content or a `zoo.cfg.dynamic.*` file. */
export function parseDynamicConfig(text: string): DynamicConfig {
  const servers: ServerSpec[] = [];
  const other: string[] = [];
  let version: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('version=')) {
      version = line.slice('version='.length).trim().replace(/^0x/i, '');
      parseZxid(version); // validate
      continue;
    }
    if (/^server\.\d+\s*=/.test(line)) {
      servers.push(parseServerLine(line));
      continue;
    }
    other.push(line);
  }
  servers.sort((a, b) => a.id - b.id);
  return {servers, version, versionZxid: version === undefined ? undefined : BigInt('0x' + version), other};
}

/** Parse one `server.N=host:quorum:election[:role][;[clientAddr:]clientPort]` line. */
export function parseServerLine(line: string): ServerSpec {
  const bad = (why: string): never => {
    throw new ZkError('BadArguments', `invalid server line ${JSON.stringify(line)}: ${why}`);
  };
  const m = /^server\.(\d+)\s*=\s*(.+)$/.exec(line.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return bad('expected server.<id>=…');
  const id = Number(m[1]);
  const [addrPart = '', clientPart, ...rest] = m[2].split(';');
  if (rest.length > 0) bad('more than one ";"');
  let role: ServerRole = 'participant';
  const addresses = addrPart.split('|').map((a, i, all) => {
    const parts = splitHostParts(a.trim());
    const host = parts[0];
    // a role suffix may appear on the last address only
    if (parts.length === 4 && i === all.length - 1) {
      const r = parts[3];
      if (r !== 'participant' && r !== 'observer') bad(`unknown role ${JSON.stringify(r)}`);
      role = r as ServerRole;
    } else if (parts.length !== 3) bad('expected host:quorumPort:electionPort[:role]');
    const quorumPort = port(parts[1], bad);
    const electionPort = port(parts[2], bad);
    if (host === undefined || host === '') bad('empty host');
    return {host: host as string, quorumPort, electionPort};
  });
  const first = addresses[0] as {host: string; quorumPort: number; electionPort: number};
  let clientAddress: string | undefined;
  let clientPort: number | undefined;
  if (clientPart !== undefined && clientPart.trim() !== '') {
    const c = clientPart.trim();
    if (/^\d+$/.test(c)) clientPort = port(c, bad);
    else {
      const parts = splitHostParts(c);
      if (parts.length !== 2) bad('client part must be [addr:]port');
      clientAddress = parts[0];
      clientPort = port(parts[1], bad);
    }
  }
  return {id, host: first.host, quorumPort: first.quorumPort, electionPort: first.electionPort, role, clientAddress, clientPort, addresses};
}

/** Inverse of parseServerLine, in ZooKeeper's canonical form (role always written). */
export function formatServerLine(s: Omit<ServerSpec, 'addresses'> & {addresses?: ServerSpec['addresses']}): string {
  const addrs = s.addresses && s.addresses.length > 0 ? s.addresses : [{host: s.host, quorumPort: s.quorumPort, electionPort: s.electionPort}];
  const addr = addrs.map((a) => `${bracket(a.host)}:${a.quorumPort}:${a.electionPort}`).join('|');
  let client = '';
  if (s.clientPort !== undefined) client = s.clientAddress !== undefined ? `;${bracket(s.clientAddress)}:${s.clientPort}` : `;${s.clientPort}`;
  return `server.${s.id}=${addr}:${s.role}${client}`;
}

/** Render a whole dynamic config (server lines sorted by id, then other lines, then version). */
export function formatDynamicConfig(cfg: Pick<DynamicConfig, 'servers'> & Partial<Pick<DynamicConfig, 'version' | 'other'>>): string {
  const lines = [...cfg.servers].sort((a, b) => a.id - b.id).map(formatServerLine);
  lines.push(...(cfg.other ?? []));
  if (cfg.version !== undefined) lines.push(`version=${cfg.version}`);
  return lines.join('\n') + '\n';
}

/** Voting members (participants) of a config. */
export function participants(cfg: DynamicConfig): ServerSpec[] {
  return cfg.servers.filter((s) => s.role === 'participant');
}

/** Same membership (ids, roles, addresses, client ports), ignoring versions and line order. */
export function sameMembership(a: readonly ServerSpec[], b: readonly ServerSpec[]): boolean {
  const key = (s: ServerSpec): string => formatServerLine({...s, clientAddress: normaliseClientAddress(s.clientAddress)});
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function normaliseClientAddress(a: string | undefined): string | undefined {
  return a === undefined || a === '0.0.0.0' || a === '0:0:0:0:0:0:0:0' || a === '::' ? undefined : a;
}

function splitHostParts(s: string): string[] {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return [s];
    return [
      s.slice(1, end),
      ...s
        .slice(end + 2)
        .split(':')
        .filter((_, i, a) => !(a.length === 1 && a[0] === '')),
    ];
  }
  return s.split(':');
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function port(s: string | undefined, bad: (why: string) => never): number {
  const n = Number(s);
  if (s === undefined || !/^\d+$/.test(s) || n < 1 || n > 65535) bad(`bad port ${JSON.stringify(s)}`);
  return n;
}
