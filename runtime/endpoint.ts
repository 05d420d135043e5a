import type { ActorEnvironment, RequestOptions, SendResult } from './actor.js';
import {
  deserializeError,
  MailboxFullError,
  PeerUnavailableError,
  RequestTimeoutError,
  type RuntimeError,
  TooManyRequestsError,
  UnknownActorError,
} from './errors.js';
import type { Frame, FramePort, ReplyFrame, Transferable } from './frames.js';
import type { MailboxConfig } from './mailbox.js';
import type { Message, ReplyOf } from './message.js';
import { OutboundLink } from './outbound-link.js';

export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 4096;

interface PendingRequest {
  readonly target: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly cancelTimer: () => void;
}

export interface EndpointMetrics {
  sent: number;
  sendsRejected: number;
  sendsDropped: number;
  requestsTimedOut: number;
  requestsFailed: number;
}

/**
 * The sending side of an actor (and of the main thread, which talks to actors without
 * being one): links to peers with their credits, request/reply with a deadline on every
 * request, and one `post` per peer per turn.
 */
export class Endpoint {
  protected readonly links = new Map<string, OutboundLink>();
  /** Names known to the placement whose link is down (restarting): sends fail with PEER_UNAVAILABLE. */
  protected readonly unavailable = new Set<string>();
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private flushScheduled = false;
  readonly metrics: EndpointMetrics = {
    sent: 0,
    sendsRejected: 0,
    sendsDropped: 0,
    requestsTimedOut: 0,
    requestsFailed: 0,
  };

  constructor(
    readonly name: string,
    protected readonly env: ActorEnvironment,
    private readonly maxInFlightRequests: number = DEFAULT_MAX_IN_FLIGHT_REQUESTS,
  ) {}

  /**
   * Bumped whenever the link to a peer changes, so that an answer to an ask from a dead
   * incarnation of the peer is never delivered to its successor (whose request ids
   * start over).
   */
  private readonly linkEpochs = new Map<string, number>();

  /** Connects (or reconnects, after a restart) the link to `peer`. */
  attachLink(peer: string, port: FramePort, peerMailbox: MailboxConfig): void {
    this.links.get(peer)?.flush();
    this.links.set(peer, new OutboundLink(peer, port, peerMailbox));
    this.unavailable.delete(peer);
    this.bumpLinkEpoch(peer);
  }

  /** The peer went away: its outstanding requests fail now rather than at their deadline. */
  detachLink(peer: string): void {
    this.links.delete(peer);
    this.unavailable.add(peer);
    this.bumpLinkEpoch(peer);
    for (const [id, request] of this.pending) {
      if (request.target !== peer) continue;
      this.pending.delete(id);
      request.cancelTimer();
      request.reject(new PeerUnavailableError(peer));
    }
  }

  protected linkEpoch(peer: string): number {
    return this.linkEpochs.get(peer) ?? 0;
  }

  private bumpLinkEpoch(peer: string): void {
    this.linkEpochs.set(peer, this.linkEpoch(peer) + 1);
  }

  get requestsInFlight(): number {
    return this.pending.size;
  }

  /**
   * Credits over every link: `inUse` messages sent and not yet consumed by their receiver,
   * `available` more that the receivers' mailboxes would take now.
   */
  credits(): { readonly inUse: number; readonly available: number } {
    let inUse = 0;
    let available = 0;
    for (const link of this.links.values()) {
      inUse += link.messagesInFlight;
      available += Math.max(0, link.peerMailbox.capacityPerSender - link.messagesInFlight);
    }
    return { inUse, available };
  }

  /** Whether `send` to `to` would be taken now: linked, with a credit left. */
  canSend(to: string): boolean {
    return this.links.get(to)?.hasCredit() ?? false;
  }

  send<T extends Message>(to: string, message: T, transfer?: readonly Transferable[]): SendResult {
    const link = this.usableLink(to);
    if (!(link instanceof OutboundLink)) return this.refuse(link);
    if (!link.hasCredit()) return this.overloaded(link);
    link.pushMessage({ k: 'tell', body: message }, transfer);
    this.metrics.sent++;
    this.scheduleFlush();
    return { status: 'sent' };
  }

  request<Q extends Message>(to: string, message: Q, options: RequestOptions): Promise<ReplyOf<Q>> {
    const link = this.usableLink(to);
    if (!(link instanceof OutboundLink)) return Promise.reject(link);
    if (!link.hasCredit()) {
      const result = this.overloaded(link);
      return Promise.reject(
        result.status === 'rejected'
          ? result.error
          : new MailboxFullError(to, link.peerMailbox.capacityPerSender),
      );
    }
    if (this.pending.size >= this.maxInFlightRequests) {
      this.metrics.sendsRejected++;
      return Promise.reject(new TooManyRequestsError(this.name, this.maxInFlightRequests));
    }
    const id = this.nextRequestId++;
    return new Promise<ReplyOf<Q>>((resolve, reject) => {
      const cancelTimer = this.env.timers.after(options.timeoutMs, () => {
        if (!this.pending.delete(id)) return;
        this.metrics.requestsTimedOut++;
        reject(new RequestTimeoutError(to, message.type, options.timeoutMs));
      });
      this.pending.set(id, { target: to, resolve: resolve as (value: unknown) => void, reject, cancelTimer });
      link.pushMessage({ k: 'ask', id, body: message }, options.transfer);
      this.metrics.sent++;
      this.scheduleFlush();
    });
  }

  /** Settles the request a reply answers; a late reply (after the deadline) is ignored. */
  protected settle(frame: ReplyFrame): void {
    const request = this.pending.get(frame.id);
    if (request === undefined) return;
    this.pending.delete(frame.id);
    request.cancelTimer();
    if (frame.ok) {
      request.resolve(frame.value);
    } else {
      this.metrics.requestsFailed++;
      request.reject(deserializeError(frame.error));
    }
  }

  /** Handles a frame that needs no turn: replies and credits. Returns false for message frames. */
  protected handleControlFrame(from: string, frame: Frame): boolean {
    if (frame.k === 'credit') {
      this.links.get(from)?.grant(frame.n);
      return true;
    }
    if (frame.k === 'reply') {
      this.settle(frame);
      return true;
    }
    return false;
  }

  /** Queues a frame that takes no credit to `peer`, if linked. */
  protected pushControl(peer: string, frame: Frame, transfer?: readonly Transferable[]): void {
    const link = this.links.get(peer);
    if (link === undefined) return;
    link.push(frame, transfer);
    this.scheduleFlush();
  }

  /** Posts everything buffered, one `post` per peer. */
  flush(): void {
    this.flushScheduled = false;
    for (const link of this.links.values()) link.flush();
  }

  protected scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.env.defer(() => this.flush());
  }

  /** Fails every outstanding request (the endpoint is going away). */
  protected abandonRequests(error: (target: string) => Error): void {
    for (const [id, request] of this.pending) {
      this.pending.delete(id);
      request.cancelTimer();
      request.reject(error(request.target));
    }
  }

  private usableLink(to: string): OutboundLink | RuntimeError {
    const link = this.links.get(to);
    if (link !== undefined) return link;
    this.metrics.sendsRejected++;
    return this.unavailable.has(to) ? new PeerUnavailableError(to) : new UnknownActorError(to);
  }

  private refuse(error: RuntimeError): SendResult {
    return { status: 'rejected', error };
  }

  private overloaded(link: OutboundLink): SendResult {
    if (link.peerMailbox.policy === 'drop') {
      this.metrics.sendsDropped++;
      return { status: 'dropped' };
    }
    this.metrics.sendsRejected++;
    return { status: 'rejected', error: new MailboxFullError(link.peer, link.peerMailbox.capacityPerSender) };
  }
}
