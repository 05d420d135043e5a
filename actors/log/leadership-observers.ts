/**
 * The log actor's leadership subscribers (hashicorp/raft's observer channel, across
 * threads): who subscribed, what each was last sent, and whether the current observation
 * is worth sending. Pure: the caller passes the time and a `send` that says whether the
 * message left.
 *
 * An observation goes to a subscriber at once when it first subscribes or renews, and
 * whenever the term, the leader, leading, the ready index or the presence of a lease
 * changes, or the lease shrinks (a subscriber must never believe in more lease than
 * there is). An extension of a lease the subscriber still holds is sent at most once per
 * `leaseExtensionIntervalMs` (the heartbeat interval), not once per acknowledged round.
 * A send that did not leave (full mailbox, subscriber restarting) is retried on the next
 * `publish`. Subscriptions lapse after `subscriptionTtlMs` without renewal; at most
 * `maxSubscribers` are held.
 */
import type { ActorName } from '../../runtime/message.js';
import type { Leadership } from './protocol.js';

export interface LeadershipObserversLimits {
  readonly maxSubscribers: number;
  readonly subscriptionTtlMs: number;
  readonly leaseExtensionIntervalMs: number;
}

export type SubscribeOutcome = 'subscribed' | 'renewed' | 'full';

/** What a subscriber was last sent, and when. */
export interface Delivered {
  readonly leadership: Leadership;
  readonly atMs: number;
}

interface Subscriber {
  expiresAtMs: number;
  /** Undefined: owes the current observation (new or renewed subscription). */
  delivered: Delivered | undefined;
}

/** Whether `current` must go to a subscriber that was last sent `delivered`. */
export function observationDue(
  delivered: Delivered | undefined,
  current: Leadership,
  nowMs: number,
  leaseExtensionIntervalMs: number,
): boolean {
  if (delivered === undefined) return true;
  const last = delivered.leadership;
  if (last.term !== current.term || last.leaderId !== current.leaderId) return true;
  if (!last.leading || !current.leading) return last.leading !== current.leading;
  if (last.readyIndex !== current.readyIndex) return true;
  const before = last.leaseUntilMs;
  const after = current.leaseUntilMs;
  if (before === after) return false;
  if (before === null || after === null || after < before) return true;
  // An extension: at once when the subscriber's lease has run out, else at the interval.
  return before <= nowMs || nowMs - delivered.atMs >= leaseExtensionIntervalMs;
}

export class LeadershipObservers {
  private readonly subscribers = new Map<ActorName, Subscriber>();

  constructor(private readonly limits: LeadershipObserversLimits) {
    if (!(limits.maxSubscribers >= 1)) throw new RangeError('maxSubscribers must be >= 1');
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Subscribes `name` or renews its subscription; either way it is owed the current observation. */
  subscribe(name: ActorName, nowMs: number): SubscribeOutcome {
    this.expire(nowMs);
    const expiresAtMs = nowMs + this.limits.subscriptionTtlMs;
    const known = this.subscribers.get(name);
    if (known !== undefined) {
      known.expiresAtMs = expiresAtMs;
      known.delivered = undefined;
      return 'renewed';
    }
    if (this.subscribers.size >= this.limits.maxSubscribers) return 'full';
    this.subscribers.set(name, { expiresAtMs, delivered: undefined });
    return 'subscribed';
  }

  /** Sends `current` to every live subscriber it is due to; `send` returns false when the message did not leave. */
  publish(
    current: Leadership,
    nowMs: number,
    send: (name: ActorName, leadership: Leadership) => boolean,
  ): void {
    this.expire(nowMs);
    for (const [name, subscriber] of this.subscribers) {
      if (!observationDue(subscriber.delivered, current, nowMs, this.limits.leaseExtensionIntervalMs))
        continue;
      if (send(name, current)) subscriber.delivered = { leadership: current, atMs: nowMs };
    }
  }

  private expire(nowMs: number): void {
    for (const [name, subscriber] of this.subscribers) {
      if (subscriber.expiresAtMs <= nowMs) this.subscribers.delete(name);
    }
  }
}
