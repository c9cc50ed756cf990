/**
 * restore-quorum's pure rules: which member survives (the highest last
 * logged zxid, as ZooKeeper's own election compares them), what it may lack,
 * and which members are rebuilt around it.
 */
import {podName} from '../../manifests/names.js';
import {type DynamicConfig, parseZxid, type ServerRole} from '../../zk/parse.js';

/**
 * The zxid a ZooKeeper server proposes in its latest election: its last
 * logged transaction (FastLeaderElection logs "New election. My id = N,
 * proposed zxid=0x…" each time it starts one). A member without a quorum
 * keeps looking, so its log holds this line; undefined when it has none.
 */
export function electionZxid(log: string): {id: number; zxid: bigint} | undefined {
  let last: {id: number; zxid: bigint} | undefined;
  for (const m of log.matchAll(/New election\. My id = (\d+), proposed zxid=0x([0-9a-fA-F]{1,16})/g)) last = {id: Number(m[1]), zxid: BigInt(`0x${m[2]}`)};
  return last;
}

/** One voter of the recorded membership, as restore-quorum found it. */
export interface VoterLook {
  ordinal: number;
  pod: string;
  id: number;
  /** its last logged zxid (hex), when its running server said it */
  zxid?: string;
  /** why its zxid is unknown */
  why?: string;
}

/** The survivor: the highest zxid, then the highest server id (ZooKeeper's own election order). */
export function pickSurvivor(looks: readonly VoterLook[]): VoterLook | undefined {
  let best: VoterLook | undefined;
  for (const l of looks) {
    if (l.zxid === undefined) continue;
    if (!best || BigInt(l.zxid) > BigInt(best.zxid!) || (BigInt(l.zxid) === BigInt(best.zxid!) && l.id > best.id)) best = l;
  }
  return best;
}

/**
 * How far the survivor may be behind: against the highest zxid anything
 * recorded (another member's log, the membership version the ConfigMap
 * recorded, itself a committed zxid). What the lost members committed after
 * that cannot be known.
 */
export function behind(survivor: string, known: readonly (string | undefined)[]): {lastKnown: string; summary: string} {
  const s = parseZxid(survivor);
  let top = s;
  for (const k of known) {
    if (!k) continue;
    const z = parseZxid(k);
    if (z.value > top.value) top = z;
  }
  if (top.value === s.value) {
    return {
      lastKnown: s.hex,
      summary: `nothing recorded is newer than the survivor's ${s.hex}; transactions the lost members logged after it (if any) cannot be known and are lost`,
    };
  }
  const gap = top.epoch === s.epoch ? `${top.counter - s.counter} transaction(s)` : `${top.epoch - s.epoch} epoch(s)`;
  return {lastKnown: top.hex, summary: `the survivor's ${s.hex} is ${gap} behind the last known ${top.hex}: those transactions are lost`};
}

/** The members rebuilt around the survivor: every other ordinal of the recorded membership, in order, in its recorded role. */
export function rebuildOrder(name: string, recorded: DynamicConfig, survivorId: number): {ordinal: number; pod: string; role: ServerRole}[] {
  return recorded.servers.filter((s) => s.id !== survivorId).map((s) => ({ordinal: s.id - 1, pod: podName(name, s.id - 1), role: (s.role === 'observer' ? 'observer' : 'participant') as ServerRole}));
}
