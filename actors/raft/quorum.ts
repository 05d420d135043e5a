import type { ReplicaId } from './types.js';

/**
 * The highest index a majority of `voters` hold (§5.3–5.4): sort the match indexes in
 * descending order and take the majority-th. Voters with no known match count as 0.
 */
export function quorumMatchIndex(
  voters: readonly ReplicaId[],
  matchOf: (voter: ReplicaId) => number,
): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[Math.floor(voters.length / 2)] ?? 0;
}

/** Whether the voters in `granted` form a majority of `voters`. */
export function hasQuorum(voters: readonly ReplicaId[], granted: ReadonlySet<ReplicaId>): boolean {
  let count = 0;
  for (const voter of voters) if (granted.has(voter)) count++;
  return count > voters.length / 2;
}

/** The highest round a majority has acknowledged (the leader counts itself at `selfRound`). */
export function quorumRound(voters: readonly ReplicaId[], roundOf: (voter: ReplicaId) => number): number {
  return quorumMatchIndex(voters, roundOf);
}
