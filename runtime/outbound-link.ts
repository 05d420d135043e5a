import type { Frame, FramePort, Transferable } from './frames.js';
import type { MailboxConfig } from './mailbox.js';

/**
 * The sending half of a link to one peer actor. It holds the credits the peer granted
 * (its mailbox capacity for us) and buffers the frames of the current turn so they leave
 * in one `post`.
 */
export class OutboundLink {
  /** Messages sent and not yet reported consumed by the peer. */
  private inFlight = 0;
  private buffer: Frame[] = [];
  private transfer: Transferable[] = [];

  constructor(
    readonly peer: string,
    private readonly port: FramePort,
    readonly peerMailbox: MailboxConfig,
  ) {}

  /** Whether one more message fits the peer's mailbox. */
  hasCredit(): boolean {
    return this.inFlight < this.peerMailbox.capacityPerSender;
  }

  get messagesInFlight(): number {
    return this.inFlight;
  }

  /** Queues a message frame; the caller checked `hasCredit` first. */
  pushMessage(frame: Frame, transfer: readonly Transferable[] | undefined): void {
    this.inFlight++;
    this.push(frame, transfer);
  }

  /** Queues a frame that takes no credit (replies, credits). */
  push(frame: Frame, transfer?: readonly Transferable[]): void {
    this.buffer.push(frame);
    if (transfer !== undefined && transfer.length > 0) this.transfer.push(...transfer);
  }

  /** The peer consumed `n` of our messages. */
  grant(n: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
  }

  get pendingFrames(): number {
    return this.buffer.length;
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const frames = this.buffer;
    const transfer = this.transfer;
    this.buffer = [];
    this.transfer = [];
    this.port.post(frames, transfer);
  }
}
