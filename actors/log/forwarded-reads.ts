import type { ReplicaId } from '../raft/types.js';

/** What a follower does with its state machine's read-index request (thesis §6.4). */
export type ForwardDecision =
  /** No leader known (or this replica believes it leads, yet is not leading): answer not-leader. */
  | { readonly action: 'not-leader' }
  | { readonly action: 'overloaded' }
  /** Send a ReadIndex request with `requestId` to the leader `to`. */
  | { readonly action: 'send'; readonly to: ReplicaId; readonly requestId: number };

/**
 * A follower's read-index requests forwarded to the leader, by request id, until the
 * leader answers or the term ends. At most `maxWaiting` wait at once. `Reply` is whatever
 * the caller answers the read with.
 */
export class ForwardedReads<Reply> {
  private nextRequestId = 1;
  private readonly waiting = new Map<number, Reply>();

  constructor(private readonly maxWaiting: number) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Admits a read to forward to `leaderId`, recording `reply` under a new request id when sent. */
  forward(leaderId: ReplicaId | null, self: ReplicaId, reply: Reply): ForwardDecision {
    if (leaderId === null || leaderId === self) return { action: 'not-leader' };
    if (this.waiting.size >= this.maxWaiting) return { action: 'overloaded' };
    const requestId = this.nextRequestId++;
    this.waiting.set(requestId, reply);
    return { action: 'send', to: leaderId, requestId };
  }

  /** The leader answered `requestId`: the reply to answer, or undefined when none waits under it. */
  settle(requestId: number): { readonly reply: Reply } | undefined {
    if (!this.waiting.has(requestId)) return undefined;
    const reply = this.waiting.get(requestId) as Reply;
    this.waiting.delete(requestId);
    return { reply };
  }

  /** The term ended: removes and returns every waiting reply, oldest first. */
  takeAll(): Reply[] {
    const replies = [...this.waiting.values()];
    this.waiting.clear();
    return replies;
  }
}
