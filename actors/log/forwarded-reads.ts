import type { Random } from '../../runtime/random.js';
import type { ReplicaId } from '../raft/types.js';
import type { ReadIndexMode } from './protocol.js';

/** What a follower does with its state machine's read-index request (thesis §6.4). */
export type ForwardDecision =
  /** No leader known (or this replica believes it leads, yet is not leading): answer not-leader. */
  | { readonly action: 'not-leader' }
  | { readonly action: 'overloaded' }
  /**
   * Send a request with `requestId` to the leader `to`: `lease-read-index` when `lease`
   * (the leader may answer under its lease, thesis §6.4.1), `read-index` otherwise.
   */
  | { readonly action: 'send'; readonly to: ReplicaId; readonly requestId: number; readonly lease: boolean };

interface WaitingRead<Reply> {
  readonly reply: Reply;
  readonly to: ReplicaId;
  readonly lease: boolean;
  /** The tick count when it was sent. */
  readonly sentAtTick: number;
}

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
 * leader answers, the term ends, or `maxAgeTicks` pass (NATS may lose a message, and a
 * leader of an earlier release drops a `lease-read-index` it cannot decode): an expired
 * read is answered not-leader, which its asker retries. At most `maxWaiting` wait at once.
 * `Reply` is whatever the caller answers the read with. Request ids count up from
 * `firstRequestId` (drawn at random per incarnation, see `firstRequestId`), wrapping
 * within [1, 2^53).
 *
 * A `lease` read goes as `lease-read-index` unless such a request to the same leader
 * expired unanswered: from then until the term ends, that leader gets `read-index`,
 * which every release answers (a round, where a lease would have done).
 */
export class ForwardedReads<Reply> {
  private nextRequestId: number;
  /** Insertion order is send order, so the oldest are first. */
  private readonly waiting = new Map<number, WaitingRead<Reply>>();
  private ticks = 0;
  /** A leader that left a `lease-read-index` unanswered this term. */
  private leaseUnansweredBy: ReplicaId | null = null;

  constructor(
    private readonly maxWaiting: number,
    firstRequestId: number,
    private readonly maxAgeTicks: number,
  ) {
    if (!Number.isSafeInteger(firstRequestId) || firstRequestId < 1)
      throw new RangeError(`first request id must be a positive safe integer, got ${firstRequestId}`);
    if (!Number.isSafeInteger(maxAgeTicks) || maxAgeTicks < 1)
      throw new RangeError(`max age must be a positive number of ticks, got ${maxAgeTicks}`);
    this.nextRequestId = firstRequestId;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Admits a read to forward to `leaderId`, recording `reply` under a new request id when sent. */
  forward(leaderId: ReplicaId | null, self: ReplicaId, mode: ReadIndexMode, reply: Reply): ForwardDecision {
    if (leaderId === null || leaderId === self) return { action: 'not-leader' };
    if (this.waiting.size >= this.maxWaiting) return { action: 'overloaded' };
    const requestId = this.nextRequestId;
    this.nextRequestId = requestId >= REQUEST_ID_MAX ? 1 : requestId + 1;
    const lease = mode === 'lease' && this.leaseUnansweredBy !== leaderId;
    this.waiting.set(requestId, { reply, to: leaderId, lease, sentAtTick: this.ticks });
    return { action: 'send', to: leaderId, requestId, lease };
  }

  /** The leader answered `requestId`: the reply to answer, or undefined when none waits under it. */
  settle(requestId: number): { readonly reply: Reply } | undefined {
    const read = this.waiting.get(requestId);
    if (read === undefined) return undefined;
    this.waiting.delete(requestId);
    return { reply: read.reply };
  }

  /** One tick passed: removes and returns, oldest first, the replies of reads that expired. */
  tick(): Reply[] {
    this.ticks++;
    const expired: Reply[] = [];
    for (const [requestId, read] of this.waiting) {
      if (this.ticks - read.sentAtTick < this.maxAgeTicks) break;
      this.waiting.delete(requestId);
      if (read.lease) this.leaseUnansweredBy = read.to;
      expired.push(read.reply);
    }
    return expired;
  }

  /** The term ended: removes and returns every waiting reply, oldest first. */
  takeAll(): Reply[] {
    const replies = [...this.waiting.values()].map((read) => read.reply);
    this.waiting.clear();
    this.leaseUnansweredBy = null;
    return replies;
  }
}
