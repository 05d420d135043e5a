import type { Random } from '../../runtime/random.js';
import type { ReplicaId } from '../raft/types.js';

/** What a follower does with its state machine's read-index request (thesis §6.4). */
export type ForwardDecision =
  /** No leader known (or this replica believes it leads, yet is not leading): answer not-leader. */
  | { readonly action: 'not-leader' }
  | { readonly action: 'overloaded' }
  /** Send a ReadIndex request with `requestId` to the leader `to`. */
  | { readonly action: 'send'; readonly to: ReplicaId; readonly requestId: number };

/** Request ids are safe integers in [1, REQUEST_ID_MAX]; the codec sends them as varints. */
const REQUEST_ID_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Where an incarnation's request ids start: a uniform draw over all 53 bits of the id space.
 *
 * A leader answers a ReadIndex request (thesis §6.4) only once a heartbeat round sent after
 * it arrived is acknowledged, so an answer can reach this replica long after it was asked,
 * after this log actor (or the whole replica) crashed and restarted. The answer carries the
 * read index for the old request: the leader's commit index when the old request arrived.
 * A read taken after a later write was acknowledged must not be served at it, so a new
 * incarnation must not reuse its predecessor's ids. Counting from 1 on every start reuses
 * them; starting at a random point of 2^53 makes the ranges of two incarnations overlap
 * only with probability (ids used) / 2^53.
 */
export function firstRequestId(random: Random): number {
  const high = random.nextUint32() & 0x1f_ffff; // 21 bits: with the low 32, 53 bits
  const low = random.nextUint32();
  return ((high * 2 ** 32 + low) % REQUEST_ID_MAX) + 1;
}

/**
 * A follower's read-index requests forwarded to the leader, by request id, until the
 * leader answers or the term ends. At most `maxWaiting` wait at once. `Reply` is whatever
 * the caller answers the read with. Request ids count up from `firstRequestId` (drawn at
 * random per incarnation, see `firstRequestId`), wrapping within [1, 2^53).
 */
export class ForwardedReads<Reply> {
  private nextRequestId: number;
  private readonly waiting = new Map<number, Reply>();

  constructor(
    private readonly maxWaiting: number,
    firstRequestId: number,
  ) {
    if (!Number.isSafeInteger(firstRequestId) || firstRequestId < 1)
      throw new RangeError(`first request id must be a positive safe integer, got ${firstRequestId}`);
    this.nextRequestId = firstRequestId;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Admits a read to forward to `leaderId`, recording `reply` under a new request id when sent. */
  forward(leaderId: ReplicaId | null, self: ReplicaId, reply: Reply): ForwardDecision {
    if (leaderId === null || leaderId === self) return { action: 'not-leader' };
    if (this.waiting.size >= this.maxWaiting) return { action: 'overloaded' };
    const requestId = this.nextRequestId;
    this.nextRequestId = requestId >= REQUEST_ID_MAX ? 1 : requestId + 1;
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
