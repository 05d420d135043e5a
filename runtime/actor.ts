import type { CancelTimer, Clock, Timers } from './clock.js';
import type { DnsSocket, DnsSocketEvent, DnsSocketOpener, ListenAddress } from './dns-sockets/dns-socket.js';
import type { RuntimeError } from './errors.js';
import type { Transferable } from './frames.js';
import type { Logger } from './log.js';
import type { MailboxConfig } from './mailbox.js';
import type { ActorName, Message, ReplyOf } from './message.js';
import type { Random } from './random.js';
import type { StoreOpener } from './storage/kv-store.js';
import type { PeerTransport, TransportOpener } from './transport.js';

/**
 * An actor: private state behind one message handler. The runtime runs one turn at a
 * time per actor (a turn is `receive` until its promise settles), so an actor never sees
 * two of its messages at once. Everything outside the actor (time, randomness, logs, disk,
 * network, other actors) arrives through its `ActorContext`.
 */
export interface Actor<M extends Message> {
  /** Recovers from durable state. Runs before the first message, and again after each restart. */
  start?(): Promise<void> | void;
  /** Handles one message. Throwing crashes the actor: the supervisor restarts it from durable state. */
  receive(message: M, meta: MessageMeta): Promise<void> | void;
  /**
   * Called when the mailbox has run empty after a turn: the moment to flush what the
   * last turns batched (group commit, coalesced replication). Synchronous, like a turn.
   */
  idle?(): void;
  /** Flushes and closes what the actor opened. No message arrives after `stop` begins. */
  stop?(): Promise<void> | void;
  /** A JSON-able view of the actor's state for `inspect` (control plane, tests). */
  inspect?(): unknown;
}

export interface Replier {
  /** Answers the ask with `value`; only the first answer counts. */
  ok(value: unknown, transfer?: readonly Transferable[]): void;
  /** Fails the ask; the asker's promise rejects with a `RemoteError` carrying this error's code. */
  fail(error: unknown): void;
}

export interface MessageMeta {
  /** The sending actor, or a local source: `timer`, `transport:<channel>`, `external`. */
  readonly from: string;
  /** Present when the message is an ask. */
  readonly reply: Replier | undefined;
}

export type SendResult =
  | { readonly status: 'sent' }
  | { readonly status: 'rejected'; readonly error: RuntimeError }
  | { readonly status: 'dropped' };

export interface RequestOptions {
  /** Every request has a deadline; there is no default. */
  readonly timeoutMs: number;
  readonly transfer?: readonly Transferable[];
}

export interface ActorContext<M extends Message> {
  readonly name: ActorName;
  readonly replicaId: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly openStore: StoreOpener;
  /**
   * Opens a peer channel whose incoming frames arrive in this actor's mailbox as
   * `toMessage(from, bytes)`, and, if given, each reconnect of its connection as
   * `reconnectMessage()` (for transports that have connections).
   */
  openTransport(
    channel: string,
    toMessage: (from: string, bytes: Uint8Array) => M,
    reconnectMessage?: () => M,
  ): Promise<PeerTransport>;
  /**
   * Binds a DNS listening address (UDP and TCP); every datagram, connection and frame
   * arrives in this actor's mailbox as `toMessage(event)` and is handled in a turn. The
   * host closes the socket when the actor stops or crashes. Rejects when the placement
   * offers no DNS sockets or the address cannot be bound.
   */
  openDnsSocket(address: ListenAddress, toMessage: (event: DnsSocketEvent) => M): Promise<DnsSocket>;
  /** One-way message to another actor of this replica. Never blocks; says what happened. */
  send<T extends Message>(to: ActorName, message: T, transfer?: readonly Transferable[]): SendResult;
  /**
   * Whether a `send` to `to` would be taken now (linked, its mailbox has room for this
   * sender): lets an actor skip building a large message that would be refused.
   */
  canSend(to: ActorName): boolean;
  /**
   * Hands the messages sent so far in this turn to their receivers now, not at the turn's
   * end: a receiver on another thread can start on the first parts of a long turn's output
   * (a zone dump) while the turn goes on. Order per receiver is kept.
   */
  flush(): void;
  /** Ask another actor; resolves with its reply, rejects on timeout, overload or failure. */
  request<Q extends Message>(to: ActorName, message: Q, options: RequestOptions): Promise<ReplyOf<Q>>;
  /**
   * Queues `message` in this actor's own mailbox (source `self`): how a promise's
   * continuation becomes a turn of its own instead of touching state between turns.
   */
  self(message: M): SendResult;
  /** Delivers `message` to this actor after `delayMs` (a tick, a retry). */
  after(delayMs: number, message: M): CancelTimer;
}

export type ActorFactory<M extends Message, O> = (context: ActorContext<M>, options: O) => Actor<M>;

/**
 * How a placement finds and configures an actor. `module` is the URL of the compiled
 * module that exports the factory as `exportName`: a worker thread imports it by URL, the
 * simulator imports the same module, so both run the same actor code.
 */
export interface ActorSpec {
  readonly name: ActorName;
  readonly module: string;
  readonly exportName: string;
  /** Structured-cloneable options handed to the factory. */
  readonly options: unknown;
  readonly mailbox: MailboxConfig;
  /** Limit on this actor's own outstanding requests. */
  readonly maxInFlightRequests?: number;
}

/** What a placement gives the host of one actor. */
export interface ActorEnvironment {
  readonly replicaId: string;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly log: Logger;
  readonly openStore: StoreOpener;
  readonly openTransport: TransportOpener;
  /** DNS listening sockets: real ones in a worker, simulated ones in the simulator; absent elsewhere. */
  readonly openDnsSocket?: DnsSocketOpener;
  /** Runs `fn` once the current synchronous work is done (a microtask; the simulator's step end). */
  defer(fn: () => void): void;
  /** The actor threw: the placement tears it down and the supervisor decides what next. */
  onCrash(error: unknown): void;
}
