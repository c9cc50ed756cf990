/** A status report as `kubectl zk status` gathers it: a healthy three-member ensemble, zk-1 leading, for ops tests to bend. */
import type {StatusReport} from '../../src/ops/status.js';

export type MemberRow = StatusReport['members'][number];

export function memberRow(pod: string, role: MemberRow['role'], over: Partial<MemberRow> = {}): MemberRow {
  return {pod, serverId: Number(pod.split('-')[1]) + 1, role, ready: true, restarts: 0, epoch: 1, ...over};
}

export function statusReport(over: Partial<StatusReport> = {}): StatusReport {
  return {
    name: 'zk',
    namespace: 'ns',
    time: new Date(0).toISOString(),
    replicas: {desired: 3, ready: 3},
    quorum: {has: true, voters: 3, needed: 2, servingVoters: 3, tolerates: 1, leader: 'zk-1'},
    sync: {followers: 2, pendingSyncs: 0},
    members: [memberRow('zk-0', 'follower'), memberRow('zk-1', 'leader'), memberRow('zk-2', 'follower')],
    health: 'healthy',
    warnings: [],
    errors: [],
    ...over,
  };
}
