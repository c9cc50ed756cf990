/** Whether an ensemble is ready for a failover test (pure). */
import {isServing} from '../ensemble/member.js';
import {ensembleSyncGap} from '../ensemble/sync.js';
import {healthOf, type StatusReport} from '../status.js';
import type {FailoverMode} from './types.js';

// ---------------------------------------------------------------- preconditions (pure)

/** A quorum, and the leader has every other voter (and observer) in sync: the one sync rule (ensemble/sync.ts). */
export function followersSynced(r: StatusReport): boolean {
  return r.quorum.has && ensembleSyncGap(r) === undefined;
}

/** What stands between this ensemble and a meaningful failover test; empty when it may run. */
export function preconditionProblems(r: StatusReport): string[] {
  const p: string[] = [];
  const q = r.quorum;
  if (!q.has) p.push(`no quorum: ${q.servingVoters}/${q.voters} voters serving, ${q.needed} needed`);
  else if (!q.leader) p.push('no member reports itself leader');
  for (const m of r.members) {
    if (!isServing(m)) p.push(`${m.pod}: ${m.role}${m.error ? ` (${m.error})` : ''}`);
    else if (!m.ready) p.push(`${m.pod}: pod is not Ready`);
  }
  if (r.replicas.ready < r.replicas.desired) p.push(`${r.replicas.ready}/${r.replicas.desired} pods ready`);
  const gap = q.has ? ensembleSyncGap(r) : undefined;
  if (gap) p.push(gap);
  if (q.voters < 3) {
    p.push(`${q.voters} voter${q.voters === 1 ? '' : 's'}: losing the leader loses the quorum; a failover test needs at least 3`);
  }
  if (p.length === 0 && healthOf(r) !== 'healthy') p.push(`health is ${healthOf(r)}`);
  return p;
}

export function modeText(mode: FailoverMode, leader: string | undefined): string {
  const l = leader ?? 'the leader';
  switch (mode) {
    case 'delete-pod':
      return `delete the leader's pod (${l})`;
    case 'kill':
      return `kill the ZooKeeper process in the leader's pod (${l})`;
    case 'pause':
      return `stop (SIGSTOP) the ZooKeeper process in the leader's pod (${l}), then let it continue`;
    case 'partition':
      return `cut the leader (${l}) off from the other members with NetworkPolicies, then heal`;
    case 'all-pods':
      return 'delete EVERY pod (the quorum is lost on purpose)';
  }
}
