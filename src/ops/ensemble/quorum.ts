/** Quorum arithmetic: how many voters make a majority, and how many may fail. */

/** Voters needed for a quorum among `voters` (a strict majority). */
export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** How many more voters may stop serving before the quorum is lost (0 when it is already lost). */
export function tolerance(servingVoters: number, voters: number): number {
  return Math.max(0, servingVoters - quorumSize(voters));
}

/** Would `servingVoters` of `voters` still form a quorum? */
export function hasQuorum(servingVoters: number, voters: number): boolean {
  return servingVoters >= quorumSize(voters);
}
