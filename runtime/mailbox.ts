/**
 * A bounded mailbox that keeps FIFO order per sender.
 *
 * Every sender has its own queue of at most `capacityPerSender` items, so one chatty
 * sender cannot starve the others, and the bound is enforced *by the sender* through
 * credits (see `OutboundLink`): a sender never has more than `capacityPerSender`
 * unconsumed messages at the receiver, across threads included, so nothing queues
 * unbounded inside a `MessagePort` either. Local sources (timers, transport) enqueue
 * directly and are checked here.
 */
export type OverloadPolicy =
  /** The sender gets a typed `MailboxFullError` (requests reject with it). */
  | 'reject'
  /** The message is dropped and counted in the receiver's and sender's metrics. */
  | 'drop';

export interface MailboxConfig {
  readonly capacityPerSender: number;
  readonly policy: OverloadPolicy;
}

export const DEFAULT_MAILBOX: MailboxConfig = { capacityPerSender: 1024, policy: 'reject' };

export function validateMailboxConfig(config: MailboxConfig): MailboxConfig {
  if (!Number.isInteger(config.capacityPerSender) || config.capacityPerSender < 1) {
    throw new RangeError(
      `mailbox capacityPerSender must be a positive integer, got ${config.capacityPerSender}`,
    );
  }
  if (config.policy !== 'reject' && config.policy !== 'drop') {
    throw new RangeError(`mailbox policy must be 'reject' or 'drop', got ${String(config.policy)}`);
  }
  return config;
}

/** A ring-buffer-free FIFO: an array with a moving head, compacted when half is consumed. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export interface Dequeued<T> {
  readonly sender: string;
  readonly item: T;
}

export class Mailbox<T> {
  private readonly queues = new Map<string, Fifo<T>>();
  /** Senders with a non-empty queue, in the order they will be served (round robin). */
  private readonly ready: string[] = [];
  private total = 0;

  constructor(readonly config: MailboxConfig) {
    validateMailboxConfig(config);
  }

  get size(): number {
    return this.total;
  }

  queuedFrom(sender: string): number {
    return this.queues.get(sender)?.length ?? 0;
  }

  /** False when `sender`'s queue is already at capacity; the caller applies the policy. */
  enqueue(sender: string, item: T): boolean {
    let queue = this.queues.get(sender);
    if (queue === undefined) {
      queue = new Fifo<T>();
      this.queues.set(sender, queue);
    }
    if (queue.length >= this.config.capacityPerSender) return false;
    if (queue.length === 0) this.ready.push(sender);
    queue.push(item);
    this.total++;
    return true;
  }

  /** The next item, taking senders in turn. */
  dequeue(): Dequeued<T> | undefined {
    const sender = this.ready[0];
    if (sender === undefined) return undefined;
    return this.dequeueFrom(sender);
  }

  /** The oldest item from `sender` (the simulator picks the sender; FIFO within it holds). */
  dequeueFrom(sender: string): Dequeued<T> | undefined {
    const queue = this.queues.get(sender);
    const item = queue?.shift();
    if (queue === undefined || item === undefined) return undefined;
    this.total--;
    const at = this.ready.indexOf(sender);
    if (at >= 0) this.ready.splice(at, 1);
    if (queue.length > 0) this.ready.push(sender);
    return { sender, item };
  }

  /** Senders that have something queued, in service order. */
  readySenders(): readonly string[] {
    return this.ready;
  }

  /** Forgets everything queued from `sender` (its incarnation died); returns how many were dropped. */
  dropFrom(sender: string): number {
    const queue = this.queues.get(sender);
    if (queue === undefined) return 0;
    const dropped = queue.clear().length;
    this.queues.delete(sender);
    this.total -= dropped;
    const at = this.ready.indexOf(sender);
    if (at >= 0) this.ready.splice(at, 1);
    return dropped;
  }

  /** Empties the mailbox (a crash loses it) and returns what was queued, oldest first per sender. */
  clear(): Array<Dequeued<T>> {
    const lost: Array<Dequeued<T>> = [];
    for (const [sender, queue] of this.queues) {
      for (const item of queue.clear()) lost.push({ sender, item });
    }
    this.queues.clear();
    this.ready.length = 0;
    this.total = 0;
    return lost;
  }
}
