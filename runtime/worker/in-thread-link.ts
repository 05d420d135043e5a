import type { Frame, FramePort, Transferable } from '../frames.js';

/** Where a link delivers: the receiving actor's host, taking frames from one sender. */
export type FrameReceiver = (frames: readonly Frame[]) => void;

/**
 * Delivers the frames of every in-thread link of this thread, in the order they were
 * posted (so FIFO per sender holds), on a later turn of the event loop. Never
 * synchronously: a turn's flush must not run the receiver's turn inside it (re-entrancy,
 * unbounded recursion between two actors), and `setImmediate` rather than a microtask lets
 * I/O and timers in between, as a `MessagePort` delivery would.
 */
export class InThreadDelivery {
  private queue: Array<{ readonly link: InThreadLink; readonly frames: readonly Frame[] }> = [];
  private scheduled = false;

  enqueue(link: InThreadLink, frames: readonly Frame[]): void {
    this.queue.push({ link, frames });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const { link, frames } of batch) link.deliver(frames);
  }
}

/**
 * One direction of a link between two actors hosted on the same thread: what a
 * `MessagePort` does for actors on different threads, without leaving the thread. Frames
 * are structured-cloned with their transfer list, as `postMessage` would (the simulator
 * does the same), so a sender that reuses an object after sending it cannot change what
 * the receiver got, and transferred buffers are detached in the sender. Credits, mailbox
 * bounds and backpressure are the hosts' (runtime/endpoint.ts) and work unchanged.
 * Closing drops frames not yet delivered, as closing a port does.
 */
export class InThreadLink implements FramePort {
  private open = true;

  constructor(
    private readonly delivery: InThreadDelivery,
    private readonly receiver: FrameReceiver,
  ) {}

  post(frames: Frame[], transfer: Transferable[]): void {
    if (!this.open) return;
    const carried = transfer.length === 0 ? structuredClone(frames) : structuredClone(frames, { transfer });
    this.delivery.enqueue(this, carried);
  }

  deliver(frames: readonly Frame[]): void {
    if (this.open) this.receiver(frames);
  }

  close(): void {
    this.open = false;
  }
}
