/**
 * A member's role as the member itself reports it (srvr `Mode:`), or why there
 * is no answer, and the two predicates every command uses: does it serve, and
 * does it serve as a voter.
 */

export type Role = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only' | 'not serving' | 'unreachable' | 'no pod';

/** Roles of a member that answers client requests as part of the ensemble. */
export const SERVING_ROLES: ReadonlySet<Role> = new Set<Role>(['leader', 'follower', 'observer', 'standalone']);

/** Serving roles that vote (count toward the quorum). */
export const VOTING_ROLES: ReadonlySet<Role> = new Set<Role>(['leader', 'follower', 'standalone']);

export function isServing(m: {role: Role} | undefined): boolean {
  return m !== undefined && SERVING_ROLES.has(m.role);
}

export function isServingVoter(m: {role: Role} | undefined): boolean {
  return m !== undefined && VOTING_ROLES.has(m.role);
}

/** The member that leads: a leader, or a standalone server (an ensemble of one). */
export function leads(m: {role: Role} | undefined): boolean {
  return m?.role === 'leader' || m?.role === 'standalone';
}
