import type { ReplicaId } from './types.js';

/**
 * Raft's tunables, all in ticks where they are times (the core never reads a clock;
 * the runtime turns ticks into timer messages). Defaults give the brief's 150–300 ms
 * election timeout at a 50 ms heartbeat with a 10 ms tick.
 */
export interface RaftConfig {
  readonly group: string;
  readonly self: ReplicaId;
  /** The voters a brand-new group starts with; afterwards membership comes from the log. */
  readonly initialVoters: readonly ReplicaId[];
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  /** Randomized election timeout in [min, max] ticks (§5.2). */
  readonly electionTicksMin: number;
  readonly electionTicksMax: number;
  /** Thesis §9.6: campaign only after a majority says it would vote for us. */
  readonly preVote: boolean;
  /** A leader that has not heard from a majority within an election timeout steps down (thesis §6.2). */
  readonly checkQuorum: boolean;
  /** Flow control: entries and bytes in one AppendEntries, and unacknowledged appends per follower. */
  readonly maxEntriesPerAppend: number;
  readonly maxBytesPerAppend: number;
  readonly maxInflightAppends: number;
  /** Proposals waiting to be appended or committed, beyond which proposals are refused. */
  readonly maxPendingProposals: number;
  /** Reads waiting for a read index. */
  readonly maxPendingReads: number;
  /** Take a snapshot and compact the log once this many applied entries follow the last snapshot (§7). */
  readonly snapshotThresholdEntries: number;
  /**
   * ... or once the applied entries after the last snapshot hold this many bytes: what a
   * restart replays and the log keeps in memory stays bounded whatever the entries' size.
   */
  readonly snapshotThresholdBytes: number;
  /** InstallSnapshot sends the snapshot in chunks of at most this many bytes. */
  readonly snapshotChunkBytes: number;
}

export const DEFAULT_RAFT_TIMING = {
  tickMs: 10,
  heartbeatTicks: 5,
  electionTicksMin: 15,
  electionTicksMax: 30,
  preVote: true,
  checkQuorum: true,
  maxEntriesPerAppend: 512,
  // NATS servers refuse messages above 1 MiB by default: stay well under it.
  maxBytesPerAppend: 512 << 10,
  maxInflightAppends: 64,
  maxPendingProposals: 8192,
  maxPendingReads: 8192,
  snapshotThresholdEntries: 8192,
  snapshotThresholdBytes: 16 << 20,
  snapshotChunkBytes: 256 << 10,
} as const;

export function raftConfig(
  group: string,
  self: ReplicaId,
  initialVoters: readonly ReplicaId[],
  overrides: Partial<RaftConfig> = {},
): RaftConfig {
  const config: RaftConfig = { ...DEFAULT_RAFT_TIMING, group, self, initialVoters, ...overrides };
  validateRaftConfig(config);
  return config;
}

export function validateRaftConfig(config: RaftConfig): void {
  const problems: string[] = [];
  // A replica that is not among the initial voters is joining: it waits to be added (thesis §4.2.1).
  if (config.initialVoters.length === 0) problems.push('initial voters must not be empty');
  if (new Set(config.initialVoters).size !== config.initialVoters.length)
    problems.push('initial voters repeat');
  if (!(config.heartbeatTicks >= 1)) problems.push('heartbeatTicks must be >= 1');
  if (!(config.electionTicksMin > config.heartbeatTicks))
    problems.push('electionTicksMin must exceed heartbeatTicks');
  if (!(config.electionTicksMax >= config.electionTicksMin))
    problems.push('electionTicksMax must be >= electionTicksMin');
  for (const key of [
    'maxEntriesPerAppend',
    'maxBytesPerAppend',
    'maxInflightAppends',
    'maxPendingProposals',
    'maxPendingReads',
    'snapshotThresholdEntries',
    'snapshotThresholdBytes',
    'snapshotChunkBytes',
  ] as const) {
    if (!(Number.isInteger(config[key]) && config[key] >= 1))
      problems.push(`${key} must be a positive integer`);
  }
  if (problems.length > 0) throw new RangeError(`invalid raft config: ${problems.join('; ')}`);
}

export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
