/**
 * Raft's vocabulary (Ongaro & Ousterhout 2014, Figure 2), shared by the election, log,
 * storage and state machine actors.
 */

/** A replica's id within its group; stable across restarts (the instance id). */
export type ReplicaId = string;

/**
 * - `noop`: the entry a new leader commits at the start of its term (§8, thesis §6.4).
 * - `command`: a client command, opaque to Raft, decoded by the state machine.
 * - `config`: a membership change (thesis §4).
 */
export type EntryKind = 'noop' | 'command' | 'config';

export interface LogEntry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  /**
   * The leader's clock when it appended the entry. The state machine expires client
   * sessions by this log time, never by its own clock, so every replica expires the same
   * sessions at the same index.
   */
  readonly timeMs: number;
  readonly data: Uint8Array;
}

/** What must be durable before any reply that depends on it (Figure 2, "persistent state"). */
export interface HardState {
  readonly term: number;
  readonly votedFor: ReplicaId | null;
}

/** The voting members of a group. */
export interface Membership {
  readonly voters: readonly ReplicaId[];
}

/** Describes what a snapshot replaces: the log up to and including `lastIndex`. */
export interface SnapshotMeta {
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly membership: Membership;
  /**
   * The log's hash chain at `lastIndex` (see actors/log/raft-log.ts): a fingerprint of
   * everything the snapshot replaces, so a replica restored from it keeps a chain that
   * agrees with its peers'.
   */
  readonly chain: number;
}

/** The last entry of a log, as the vote's up-to-date check compares them (§5.4.1). */
export interface LogTail {
  readonly lastIndex: number;
  readonly lastTerm: number;
}

/** §5.4.1: a candidate's log is at least as up-to-date as ours. */
export function isUpToDate(candidate: LogTail, ours: LogTail): boolean {
  return (
    candidate.lastTerm > ours.lastTerm ||
    (candidate.lastTerm === ours.lastTerm && candidate.lastIndex >= ours.lastIndex)
  );
}
