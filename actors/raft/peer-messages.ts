import type { LogEntry, ReplicaId, SnapshotMeta } from './types.js';

/**
 * The messages replicas of one group exchange (paper Figure 2, thesis §9.6 PreVote,
 * §3.10 leadership transfer, §6.4 ReadIndex). Every message carries the sender's term;
 * the receiver's election actor gates it by term before anything else sees it.
 */
export type RaftMessage =
  | PreVote
  | PreVoteResponse
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | InstallSnapshot
  | InstallSnapshotResponse
  | TimeoutNow
  | ReadIndexRequest
  | LeaseReadIndexRequest
  | ReadIndexResponse;

interface Envelope {
  /** For PreVote this is the term the sender *would* campaign in; it has not moved to it. */
  readonly term: number;
  readonly from: ReplicaId;
  readonly to: ReplicaId;
}

export interface PreVote extends Envelope {
  readonly type: 'pre-vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
}

export interface PreVoteResponse extends Envelope {
  readonly type: 'pre-vote-response';
  readonly granted: boolean;
}

export interface RequestVote extends Envelope {
  readonly type: 'request-vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when the old leader asked for this election (TimeoutNow): voters skip the leader-stickiness check. */
  readonly transfer: boolean;
}

export interface RequestVoteResponse extends Envelope {
  readonly type: 'request-vote-response';
  readonly granted: boolean;
}

export interface AppendEntries extends Envelope {
  readonly type: 'append-entries';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly LogEntry[];
  readonly leaderCommit: number;
  /**
   * Whether the sender held its leader lease (thesis §6.4.1, less the wait for a
   * predecessor's lease) when it sent this: then no leader of a later term can have been
   * elected yet, so `leaderCommit` covers every write acknowledged before the send. Only
   * such messages make a follower's bounded-staleness reads fresh; a deposed leader that
   * has not noticed yet sends false.
   */
  readonly leaderCommitCurrent: boolean;
  /**
   * The leader's heartbeat round. Followers echo it, so the leader can tell which round a
   * majority has acknowledged: ReadIndex and leases are confirmed by rounds, not by time.
   */
  readonly round: number;
}

export interface AppendEntriesResponse extends Envelope {
  readonly type: 'append-entries-response';
  readonly success: boolean;
  /** On success: the index of the last entry the follower now holds durably from this request. */
  readonly matchIndex: number;
  /**
   * On failure, the fast back-off hint (§5.3, "conflicting term" optimisation): the term of
   * the follower's entry at prevLogIndex (0 when it has none) and the first index it holds
   * of that term, or its last index + 1 when its log is shorter.
   */
  readonly conflictTerm: number;
  readonly conflictIndex: number;
  readonly round: number;
}

export interface InstallSnapshot extends Envelope {
  readonly type: 'install-snapshot';
  readonly meta: SnapshotMeta;
  /** Byte offset of this chunk in the snapshot. */
  readonly offset: number;
  readonly chunk: Uint8Array;
  readonly done: boolean;
}

export interface InstallSnapshotResponse extends Envelope {
  readonly type: 'install-snapshot-response';
  /** The offset the follower expects next (its progress), or the snapshot's length once installed. */
  readonly nextOffset: number;
  readonly installed: boolean;
  readonly lastIndex: number;
}

/**
 * Leadership transfer (thesis §3.10): the leader tells an up-to-date follower to campaign now.
 * With `vote` set, the leader has already durably voted for that follower in the next term
 * (`term + 1`), so the follower counts that vote at once instead of asking for it.
 */
export interface TimeoutNow extends Envelope {
  readonly type: 'timeout-now';
  readonly vote: boolean;
}

export type RaftMessageType = RaftMessage['type'];

/** A follower asks the leader for a read index on behalf of its clients (thesis §6.4). */
export interface ReadIndexRequest extends Envelope {
  readonly type: 'read-index';
  /** The follower's id for this request, echoed in the response. */
  readonly requestId: number;
}

/**
 * A follower asks the leader for a read index it may answer under its lease (thesis
 * §6.4.1), without a heartbeat round: for the follower's `lease`-mode reads. A leader
 * without a lease confirms it by a round, as for `read-index`. A message of its own, not
 * a flag on `read-index`, so a leader of a release without it drops it as an unknown type
 * and the follower falls back to `read-index` (forwarded-reads.ts).
 */
export interface LeaseReadIndexRequest extends Envelope {
  readonly type: 'lease-read-index';
  readonly requestId: number;
}

/** The leader's commit index once it confirmed its leadership, or a refusal (not leader). */
export interface ReadIndexResponse extends Envelope {
  readonly type: 'read-index-response';
  readonly requestId: number;
  readonly ok: boolean;
  readonly readIndex: number;
}
