/**
 * What the simulator can schedule: a timer firing, a network frame arriving, an fsync
 * completing, a fault. Every event carries labels for the trace; `fire` does the work.
 */
export type SimEventKind = 'timer' | 'net' | 'fsync' | 'fault' | 'restart' | 'scenario';

export interface SimEvent {
  readonly kind: SimEventKind;
  readonly replica: string;
  readonly actor: string;
  /** A short, stable description for the trace (a channel, a store name, a fault). */
  readonly detail: string;
  /** Digested into the trace when the event fires (a frame's bytes, ...). */
  readonly body?: unknown;
  /** Whether firing may settle promises, so the scheduler must drain microtasks afterwards. */
  readonly settles: boolean;
  fire(): void;
}

export interface ScheduledEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly event: SimEvent;
  cancelled: boolean;
}

export interface EventHandle {
  /** Removes the event if it has not fired yet; idempotent. */
  cancel(): void;
}

/**
 * A min-heap of timed events ordered by (time, insertion sequence): two events at the same
 * virtual millisecond leave in the order they were scheduled, so ties are deterministic.
 * Cancelling marks the entry; it is discarded when it reaches the top (cheap for the many
 * request timeouts that are cancelled by their reply).
 */
export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private nextSeq = 0;
  private live = 0;

  /** Events scheduled and neither fired nor cancelled. */
  get size(): number {
    return this.live;
  }

  schedule(atMs: number, event: SimEvent): EventHandle {
    if (!Number.isFinite(atMs)) throw new RangeError(`event ${event.kind} scheduled at ${atMs}`);
    const entry: ScheduledEvent = { atMs, seq: this.nextSeq++, event, cancelled: false };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    this.live++;
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.live--;
      },
    };
  }

  /** The next live event without removing it. */
  peek(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** Removes and returns the next live event. */
  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined) return undefined;
    this.removeTop();
    this.live--;
    // A fired event can no longer be cancelled: mark it so a late cancel does not count it twice.
    top.cancelled = true;
    return top;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && (this.heap[0] as ScheduledEvent).cancelled) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop() as ScheduledEvent;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const item = heap[at] as ScheduledEvent;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const p = heap[parent] as ScheduledEvent;
      if (!this.less(item, p)) break;
      heap[at] = p;
      at = parent;
    }
    heap[at] = item;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[at] as ScheduledEvent;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.less(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent)) child = right;
      const c = heap[child] as ScheduledEvent;
      if (!this.less(c, item)) break;
      heap[at] = c;
      at = child;
    }
    heap[at] = item;
  }
}
