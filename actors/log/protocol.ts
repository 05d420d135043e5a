import type { Ask } from '../../runtime/message.js';
import type { MembershipChange } from '../raft/membership.js';
import type { RaftMessage } from '../raft/peer-messages.js';
import type { LogEntry, LogTail, ReplicaId, SnapshotMeta } from '../raft/types.js';
import type { SnapshotChunk } from '../storage/protocol.js';

export type NotLeader = {
  readonly ok: false;
  readonly reason: 'not-leader';
  readonly leaderId: ReplicaId | null;
};
export type Overloaded = { readonly ok: false; readonly reason: 'overloaded' };

/** The log's tail and the configuration in force at it (thesis §4.1: the newest in the log). */
export interface LogPosition extends LogTail {
  readonly voters: readonly ReplicaId[];
  /**
   * Whether `voters` is committed: a configuration applies once appended (thesis §4.1), so a
   * leader's may still be committing, and could be lost with that leader.
   */
  readonly votersCommitted: boolean;
}

export type ChangeResult =
  | { readonly ok: true; readonly index: number }
  | NotLeader
  | {
      readonly ok: false;
      readonly reason: 'invalid' | 'busy' | 'not-ready' | 'catch-up-timeout';
      readonly detail: string;
    };

export type TransferResult =
  | { readonly ok: true }
  | NotLeader
  | { readonly ok: false; readonly reason: 'invalid' | 'busy' | 'timeout'; readonly detail: string };

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | NotLeader
  | Overloaded;

/**
 * - `linearizable`: ReadIndex (thesis §6.4): the leader's commit index, confirmed by a
 *   heartbeat round a majority acknowledged after the read arrived.
 * - `lease`: the leader answers from its lease without a round while the lease holds
 *   (thesis §6.4.1), else as `linearizable`.
 */
export type ReadIndexMode = 'linearizable' | 'lease';

export type ReadIndexResult = { readonly ok: true; readonly readIndex: number } | NotLeader | Overloaded;

/** For bounded-staleness reads: how long ago this replica last had proof of the leader's commit index. */
export type ContactResult =
  | { readonly ok: true; readonly ageMs: number; readonly commitIndex: number }
  | { readonly ok: false; readonly reason: 'no-contact' };

/**
 * What the log actor tells its leadership subscribers (hashicorp/raft's observer channel):
 * the term and its leader as this replica knows them, and, while this replica leads:
 * - `readyIndex`: the index of the term's no-op once it has committed, null before — from
 *   then on the leader's commit index is current and it may serve (thesis §6.4);
 * - `leaseUntilMs`: when its read lease ends, by the actor clock (the process-wide
 *   monotonic clock, runtime/clock.ts), null while it holds none. Until then no other
 *   replica can have been elected (thesis §6.4.1). The value stays after the lease ran
 *   out: compare it with the clock at the moment of use.
 */
export type Leadership =
  | { readonly leading: false; readonly term: number; readonly leaderId: ReplicaId | null }
  | {
      readonly leading: true;
      readonly term: number;
      readonly leaderId: ReplicaId;
      readonly readyIndex: number | null;
      readonly leaseUntilMs: number | null;
    };

/** The message a leadership subscriber receives: on subscribing, and whenever the observation changes. */
export interface LeadershipObserved {
  readonly type: 'leadership-observed';
  readonly leadership: Leadership;
}

/**
 * A subscription lapses unless renewed within this time: a subscriber whose log actor
 * restarted (and forgot it) learns nothing until it subscribes again.
 */
export const LEADERSHIP_SUBSCRIPTION_TTL_MS = 5_000;
/** Subscribers renew this often, each renewal answered with the current observation. */
export const LEADERSHIP_RENEW_MS = 1_000;

/** This replica leads the term and its no-op has committed (thesis §6.4): it may act as the leader. */
export function leadsReady(
  leadership: Leadership | undefined,
): leadership is Extract<Leadership, { leading: true }> & { readonly readyIndex: number } {
  return leadership?.leading === true && leadership.readyIndex !== null;
}

/** The log actor's inbox. */
export type LogMessage =
  // ---- from the election actor ----
  /**
   * Enter `term` as a follower (of `leaderId` when known); answers with the log's tail, which
   * includes every entry acknowledged so far. `campaigning`: this replica is a candidate in
   * `term` (proposals are then held until the election is settled: held-proposals.ts).
   */
  | ({
      readonly type: 'enter-term';
      readonly term: number;
      readonly leaderId: ReplicaId | null;
      readonly campaigning: boolean;
    } & Ask<LogPosition>)
  /** The election was won: lead `term` (ignored unless it is the log's current term). */
  | { readonly type: 'become-leader'; readonly term: number }
  /** CheckQuorum failed: stop leading `term`, stay in it as a follower. */
  | { readonly type: 'step-down'; readonly term: number }
  /** The transport reconnected: if leading `term`, send a heartbeat round now, not at the next heartbeat tick. */
  | { readonly type: 'heartbeat-now'; readonly term: number }
  | ({ readonly type: 'tail' } & Ask<LogPosition>)
  /** A peer's message, already gated by the election actor to the current term. */
  | {
      readonly type: 'peer';
      readonly message: RaftMessage;
      /**
       * When its frame reached the replica, by our clock: a frame may wait behind the
       * election actor's fsyncs, and what it says is only as fresh as its arrival.
       */
      readonly receivedAtMs: number;
    }
  // ---- from operators (through the replica's external endpoint) ----
  /** Thesis §4.1: one voter added (after catching up, §4.2.1) or removed; answered once committed. */
  | ({ readonly type: 'change-membership'; readonly change: MembershipChange } & Ask<ChangeResult>)
  /** Thesis §3.10: hand leadership to `to` once its log is up to date. */
  | ({ readonly type: 'transfer-leadership'; readonly to: ReplicaId } & Ask<TransferResult>)
  /**
   * The same, to the follower chooseSuccessor picks (leadership-transfer.ts): what a leader
   * that is about to stop asks for. Answers `invalid` when no follower is eligible.
   */
  | ({ readonly type: 'hand-off-leadership' } & Ask<TransferResult>)
  // ---- from the state machine ----
  | ({ readonly type: 'propose'; readonly data: Uint8Array } & Ask<ProposeResult>)
  | ({ readonly type: 'read-index'; readonly mode: ReadIndexMode } & Ask<ReadIndexResult>)
  | ({ readonly type: 'contact' } & Ask<ContactResult>)
  // ---- from leadership subscribers (the AWS-lease actor, the main thread's external endpoint) ----
  /**
   * Subscribe the sender (or renew its subscription) to `leadership-observed` messages:
   * the current observation at once, then every change (lease extensions at most once per
   * heartbeat interval). Expires after LEADERSHIP_SUBSCRIPTION_TTL_MS without renewal.
   */
  | { readonly type: 'subscribe-leadership' }
  /** Shared memory where the leader publishes its read lease (lease-board.ts), from the DNS actor. */
  | { readonly type: 'lease-board'; readonly buffer: SharedArrayBuffer }
  /** The state machine has applied everything up to `index` (sent on its start and after restores). */
  | { readonly type: 'applied-index'; readonly index: number }
  // ---- from itself ----
  | { readonly type: 'tick' }
  | { readonly type: 'persisted'; readonly seq: number; readonly tail: LogTail }
  | { readonly type: 'storage-failed'; readonly error: string }
  /** The state machine's snapshot for compaction (§7), or null when it could not give one. */
  | { readonly type: 'snapshot-taken'; readonly snapshot: StateMachineSnapshot | null }
  | { readonly type: 'snapshot-saved'; readonly meta: SnapshotMeta }
  /** The next chunk to send `peer` (leader), or null when the snapshot changed meanwhile. */
  | {
      readonly type: 'snapshot-chunk';
      readonly peer: ReplicaId;
      readonly offset: number;
      readonly chunk: SnapshotChunk | null;
    }
  /** A snapshot received from the leader is durable: adopt it (follower). */
  | {
      readonly type: 'snapshot-installed';
      readonly meta: SnapshotMeta;
      readonly data: Uint8Array;
      readonly discardLog: boolean;
    };

/** What the state machine hands over for a snapshot: its state as of `index`. */
export interface StateMachineSnapshot {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** What the log actor sends the state machine: committed entries, in order, without gaps. */
export type ApplyMessage =
  | { readonly type: 'apply'; readonly entries: readonly LogEntry[] }
  | { readonly type: 'log-started' }
  /**
   * The last index the log holds (answering the state machine's `applied-index`): what a
   * replay after a start may reach, if it all commits.
   */
  | { readonly type: 'log-tail'; readonly lastIndex: number }
  /** Replace all state with this snapshot (InstallSnapshot, §7); applying continues after `meta.lastIndex`. */
  | { readonly type: 'restore'; readonly meta: SnapshotMeta; readonly data: Uint8Array }
  | ({ readonly type: 'take-snapshot' } & Ask<StateMachineSnapshot | null>);
