/**
 * "Synced": the one rule for whether the leader has its learners in sync.
 * Every command that waits for or checks sync (status health, create's wait,
 * failover-test, scale, restart/upgrade) asks `syncGap`; only what each
 * expects (which voters and observers) differs, and `expectedSync` says it.
 * docs/design.md explains the choice.
 */
import type {Role} from './member.js';
import {VOTING_ROLES} from './member.js';

/** What the leader says (mntr): zk_synced_followers, zk_synced_observers, zk_pending_syncs. */
export interface LeaderSync {
  followers: number;
  observers?: number;
  pendingSyncs?: number;
}

/** How many learners must be in sync. */
export interface SyncWant {
  followers: number;
  observers?: number;
}

/**
 * THE sync rule. In sync when the leader counts at least `want.followers`
 * followers and (when it reports them) `want.observers` observers in sync,
 * with no sync pending. Nothing is needed when nothing is expected (an
 * ensemble of one). Returns why not, or undefined when in sync.
 */
export function syncGap(sync: LeaderSync | undefined, want: SyncWant, leader?: string): string | undefined {
  const observers = want.observers ?? 0;
  if (want.followers <= 0 && observers <= 0) return undefined;
  const who = `leader ${leader ?? '?'}`;
  if (!sync) return 'the leader did not say how many followers are in sync (mntr)';
  if (sync.followers < want.followers) return `${who}: ${sync.followers}/${want.followers} followers in sync`;
  if ((sync.pendingSyncs ?? 0) > 0) return `${who}: ${sync.pendingSyncs} syncs pending`;
  // zk_synced_observers is absent before ZooKeeper 3.6: then observers are not judged
  if (observers > 0 && sync.observers !== undefined && sync.observers < observers) return `${who}: ${sync.observers}/${observers} observers in sync`;
  return undefined;
}

/** The parts of an ensemble report the sync rule reads. */
export interface SyncView {
  quorum: {voters: number; servingVoters: number; leader?: string};
  sync?: LeaderSync;
  config?: {members: {role: string}[]};
  members: {pod: string; role: Role; configRole?: 'participant' | 'observer'}[];
}

export interface SyncScope {
  /** members about to be replaced: a voter or observer among them that does not serve is not expected */
  except?: ReadonlySet<string>;
  /** expect only the members that serve now (after a member came back while another may be down) */
  servingOnly?: boolean;
}

/** Who must be in sync: every voter but the leader, every configured observer (less the scope's exceptions). */
export function expectedSync(r: SyncView, scope: SyncScope = {}): SyncWant {
  if (scope.servingOnly) {
    return {followers: Math.max(0, r.quorum.servingVoters - 1), observers: r.members.filter((m) => m.role === 'observer').length};
  }
  const except = scope.except ?? new Set<string>();
  const isVoterRow = (m: SyncView['members'][number]) => (m.configRole ? m.configRole === 'participant' : m.role !== 'observer');
  const exemptVoters = r.members.filter((m) => except.has(m.pod) && isVoterRow(m) && !VOTING_ROLES.has(m.role)).length;
  const configured = r.config ? r.config.members.filter((m) => m.role === 'observer').length : 0;
  const exemptObservers = r.members.filter((m) => except.has(m.pod) && m.configRole === 'observer' && m.role !== 'observer').length;
  return {followers: Math.max(0, r.quorum.voters - 1 - exemptVoters), observers: Math.max(0, configured - exemptObservers)};
}

/** The ensemble's sync gap under `scope` (undefined: in sync). */
export function ensembleSyncGap(r: SyncView, scope: SyncScope = {}): string | undefined {
  return syncGap(r.sync, expectedSync(r, scope), r.quorum.leader);
}
