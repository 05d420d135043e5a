import type { ReplicaId } from '../raft/types.js';
import type { ReadIndexMode } from './protocol.js';

/**
 * The leader's read-index requests (thesis §6.4): each waits, with the commit index it
 * arrived at, for a heartbeat round sent after it arrived; once a majority has acknowledged
 * that round the leader knew it still led when the read arrived, and the read may be
 * served at that index. `Reply` is whatever the caller answers a local read with.
 */
export type PendingRead<Reply> =
  | {
      readonly kind: 'local';
      readonly readIndex: number;
      readonly round: number;
      readonly reply: Reply;
    }
  | {
      readonly kind: 'remote';
      readonly readIndex: number;
      readonly round: number;
      readonly from: ReplicaId;
      readonly requestId: number;
    };

/** A read that arrived before this term's no-op committed: it is admitted again once it has. */
export interface ReadAwaitingNoop<Reply> {
  readonly mode: ReadIndexMode;
  readonly reply: Reply;
}

export interface LocalReadInput {
  readonly leading: boolean;
  readonly mode: ReadIndexMode;
  /** Reads pending or awaiting the no-op. */
  readonly queued: number;
  readonly maxPendingReads: number;
  readonly commitIndex: number;
  /** Index of this term's no-op. */
  readonly termStartIndex: number;
  /** Whether the leader holds its lease now (thesis §6.4.1); read only for `lease` mode. */
  readonly leaseHeld: boolean;
  /** The next heartbeat round: the first sent after the read arrived. */
  readonly nextRound: number;
}

/** What to do with a read-index request from this replica's own state machine. */
export type LocalReadDecision =
  /** Not leading: ask the leader (forwarded-reads.ts). */
  | { readonly action: 'forward' }
  | { readonly action: 'overloaded' }
  /** Thesis §6.4 step 1: the commit index is current only once this term's no-op commits. */
  | { readonly action: 'await-noop' }
  /** Thesis §6.4.1: the lease holds, no round needed. */
  | { readonly action: 'answer'; readonly readIndex: number }
  /** Thesis §6.4 steps 2–3: wait for a majority to acknowledge `round`. */
  | { readonly action: 'confirm'; readonly readIndex: number; readonly round: number };

export function decideLocalRead(input: LocalReadInput): LocalReadDecision {
  if (!input.leading) return { action: 'forward' };
  if (input.queued >= input.maxPendingReads) return { action: 'overloaded' };
  if (input.commitIndex < input.termStartIndex) return { action: 'await-noop' };
  if (input.mode === 'lease' && input.leaseHeld) return { action: 'answer', readIndex: input.commitIndex };
  return { action: 'confirm', readIndex: input.commitIndex, round: input.nextRound };
}

export interface RemoteReadInput {
  readonly leading: boolean;
  /** Reads pending a round (reads awaiting the no-op do not count: a follower's are refused). */
  readonly pending: number;
  readonly maxPendingReads: number;
  readonly commitIndex: number;
  readonly termStartIndex: number;
  /** Whether the follower asked with `lease-read-index` and the leader holds its lease now. */
  readonly leaseHeld: boolean;
  readonly nextRound: number;
}

/** What the leader does with a follower's ReadIndex request (thesis §6.4, reads on followers). */
export type RemoteReadDecision =
  | { readonly action: 'refuse' }
  /**
   * Thesis §6.4.1 for a follower's lease read: the request reached the leader after the
   * follower's read began, and while the lease holds no other leader can have committed
   * anything, so the commit index now covers every write acknowledged before the read.
   */
  | { readonly action: 'answer'; readonly readIndex: number }
  | { readonly action: 'confirm'; readonly readIndex: number; readonly round: number };

export function decideRemoteRead(input: RemoteReadInput): RemoteReadDecision {
  if (!input.leading || input.commitIndex < input.termStartIndex) return { action: 'refuse' };
  if (input.leaseHeld) return { action: 'answer', readIndex: input.commitIndex };
  if (input.pending >= input.maxPendingReads) return { action: 'refuse' };
  return { action: 'confirm', readIndex: input.commitIndex, round: input.nextRound };
}

/** The reads a leader holds until a heartbeat round confirms them (bounded by the caller's admission). */
export class ReadIndexQueue<Reply> {
  private pending: PendingRead<Reply>[] = [];
  private awaitingNoop: ReadAwaitingNoop<Reply>[] = [];

  /** Reads waiting for a round. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Reads waiting for a round or for the no-op. */
  get queuedCount(): number {
    return this.pending.length + this.awaitingNoop.length;
  }

  add(read: PendingRead<Reply>): void {
    this.pending.push(read);
  }

  awaitNoop(read: ReadAwaitingNoop<Reply>): void {
    this.awaitingNoop.push(read);
  }

  /** Removes and returns the reads that waited for the no-op, oldest first. */
  takeAwaitingNoop(): ReadAwaitingNoop<Reply>[] {
    const waiting = this.awaitingNoop;
    this.awaitingNoop = [];
    return waiting;
  }

  /**
   * Thesis §6.4 steps 3–4: removes and returns, oldest first, the reads whose round a
   * majority has acknowledged (`confirmedRound`, the highest such round).
   */
  takeConfirmed(confirmedRound: number): PendingRead<Reply>[] {
    const confirmed: PendingRead<Reply>[] = [];
    const waiting: PendingRead<Reply>[] = [];
    for (const read of this.pending) {
      if (read.round > confirmedRound) waiting.push(read);
      else confirmed.push(read);
    }
    this.pending = waiting;
    return confirmed;
  }

  /** Leadership is gone: removes and returns every read, to be failed. */
  takeAll(): { readonly pending: PendingRead<Reply>[]; readonly awaitingNoop: ReadAwaitingNoop<Reply>[] } {
    const taken = { pending: this.pending, awaitingNoop: this.awaitingNoop };
    this.pending = [];
    this.awaitingNoop = [];
    return taken;
  }
}
