import type {
  Actor,
  ActorContext,
  ActorEnvironment,
  ActorFactory,
  MessageMeta,
  Replier,
  RequestOptions,
  SendResult,
} from './actor.js';
import type { CancelTimer } from './clock.js';
import type { DnsSocket } from './dns-sockets/dns-socket.js';
import { Endpoint } from './endpoint.js';
import { ActorStoppedError, PeerUnavailableError, serializeError } from './errors.js';
import type { Frame, ReplyFrame, Transferable } from './frames.js';
import { Mailbox, type MailboxConfig } from './mailbox.js';
import type { Message, ReplyOf } from './message.js';
import type { PeerTransport } from './transport.js';

/** What waits in the mailbox: a frame from a linked actor, or a message from a local source. */
type Inbound = { readonly frame: Extract<Frame, { k: 'tell' | 'ask' }> } | { readonly local: Message };

/**
 * How messages reach the actor.
 * - `auto`: the host runs the next turn as soon as the previous one ends (worker threads).
 * - `stepped`: an outside scheduler picks every delivery (the simulator), including replies.
 */
export type DeliveryMode = 'auto' | 'stepped';

export type HostState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

export interface HostMetrics {
  received: number;
  processed: number;
  localDropped: number;
  refusedWhileStopping: number;
}

/** Local sources that are not actors: they enqueue directly and the mailbox policy applies here. */
export const TIMER_SOURCE = 'timer';
export const SELF_SOURCE = 'self';
export const DNS_SOCKET_SOURCE = 'dns-socket';

/**
 * Runs one actor: its mailbox, its turns, its context. The same class serves both
 * placements; only the `FramePort`s and the environment differ.
 */
export class ActorHost<M extends Message> extends Endpoint {
  private readonly mailbox: Mailbox<Inbound>;
  private readonly replyQueue: Array<{ readonly from: string; readonly frame: ReplyFrame }> = [];
  private readonly owedCredits = new Map<string, number>();
  private readonly timers = new Set<CancelTimer>();
  private readonly transports: PeerTransport[] = [];
  private readonly dnsSockets: DnsSocket[] = [];
  private actor: Actor<M> | undefined;
  private hostState: HostState = 'new';
  private inTurn = false;
  private idleWaiters: Array<() => void> = [];
  readonly hostMetrics: HostMetrics = { received: 0, processed: 0, localDropped: 0, refusedWhileStopping: 0 };

  constructor(
    name: string,
    env: ActorEnvironment,
    private readonly factory: ActorFactory<M, unknown>,
    private readonly options: unknown,
    readonly mailboxConfig: MailboxConfig,
    private readonly delivery: DeliveryMode,
    maxInFlightRequests?: number,
  ) {
    super(name, env, maxInFlightRequests);
    this.mailbox = new Mailbox<Inbound>(mailboxConfig);
  }

  get state(): HostState {
    return this.hostState;
  }

  get busy(): boolean {
    return this.inTurn;
  }

  get queued(): number {
    return this.mailbox.size;
  }

  /** Builds the actor and lets it recover from durable state. Messages queue meanwhile. */
  async start(): Promise<void> {
    if (this.hostState !== 'new') throw new Error(`actor ${this.name} started twice`);
    this.hostState = 'starting';
    try {
      this.actor = this.factory(this.makeContext(), this.options);
      this.inTurn = true;
      await this.actor.start?.();
      this.inTurn = false;
    } catch (error) {
      // A failed recovery is a crash, and the placement that asked for the start hears of it too.
      this.crash(error);
      throw error;
    }
    if (this.state !== 'starting') return;
    this.hostState = 'running';
    this.afterTurn();
  }

  /** Frames from a linked actor. */
  receiveFrames(from: string, frames: readonly Frame[]): void {
    for (const frame of frames) {
      if (frame.k === 'credit') {
        this.handleControlFrame(from, frame);
      } else if (frame.k === 'reply') {
        if (this.delivery === 'auto') this.settle(frame);
        else this.replyQueue.push({ from, frame });
      } else {
        this.acceptMessage(from, frame);
      }
    }
    if (this.delivery === 'auto') this.pump();
  }

  /** A message from a local source (timer, transport, the process's own code). */
  deliverLocal(source: string, message: Message): SendResult {
    if (this.hostState === 'stopping' || this.hostState === 'stopped' || this.hostState === 'crashed') {
      this.hostMetrics.refusedWhileStopping++;
      return { status: 'rejected', error: new ActorStoppedError(this.name) };
    }
    if (!this.mailbox.enqueue(source, { local: message })) {
      this.hostMetrics.localDropped++;
      return { status: 'dropped' };
    }
    this.hostMetrics.received++;
    if (this.delivery === 'auto') this.pump();
    return { status: 'sent' };
  }

  /**
   * The peer's incarnation is gone: besides failing our requests to it, forget what it
   * had queued here (asks it can no longer receive answers to) and the credits we owed
   * it, so its successor starts with a clean link and full credit.
   */
  override detachLink(peer: string): void {
    super.detachLink(peer);
    this.mailbox.dropFrom(peer);
    this.owedCredits.delete(peer);
    for (let i = this.replyQueue.length - 1; i >= 0; i--) {
      if (this.replyQueue[i]?.from === peer) this.replyQueue.splice(i, 1);
    }
  }

  // ---- stepped delivery (the simulator's scheduler drives these) ----

  /** Senders whose next message could be delivered now. */
  readySenders(): readonly string[] {
    if (this.inTurn || (this.hostState !== 'running' && this.hostState !== 'stopping')) return [];
    return this.mailbox.readySenders();
  }

  hasReplyReady(): boolean {
    return this.replyQueue.length > 0 && this.hostState !== 'crashed';
  }

  /** Delivers the oldest message from `sender`; returns the turn's promise when it is asynchronous. */
  step(sender: string): Promise<void> | undefined {
    const next = this.mailbox.dequeueFrom(sender);
    if (next === undefined)
      throw new Error(`step(${sender}): nothing queued from ${sender} for ${this.name}`);
    return this.runTurn(next.sender, next.item);
  }

  /** Settles the oldest reply that arrived for this actor's requests. */
  stepReply(): void {
    const next = this.replyQueue.shift();
    if (next !== undefined) this.settle(next.frame);
  }

  // ---- lifecycle ----

  /**
   * Graceful stop: refuse new work, let queued messages drain until `drainDeadlineMs`,
   * then run the actor's own `stop` (flush, close) and close its transports.
   */
  async stop(drainDeadlineMs: number): Promise<void> {
    if (this.hostState === 'stopped' || this.hostState === 'crashed') return;
    this.hostState = 'stopping';
    if (this.delivery === 'auto') this.pump();
    await this.waitIdle(drainDeadlineMs);
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    try {
      await this.actor?.stop?.();
    } finally {
      await Promise.allSettled([...this.transports, ...this.dnsSockets].map((t) => t.close()));
      this.hostState = 'stopped';
      this.abandonRequests((target) => new PeerUnavailableError(target));
      this.flush();
    }
  }

  inspect(): unknown {
    return {
      name: this.name,
      state: this.hostState,
      queued: this.mailbox.size,
      requestsInFlight: this.requestsInFlight,
      metrics: { ...this.metrics, ...this.hostMetrics },
      actor: this.actor?.inspect?.(),
    };
  }

  // ---- internals ----

  private acceptMessage(from: string, frame: Extract<Frame, { k: 'tell' | 'ask' }>): void {
    if (this.hostState === 'stopping' || this.hostState === 'stopped' || this.hostState === 'crashed') {
      this.hostMetrics.refusedWhileStopping++;
      this.grantCredit(from, 1);
      if (frame.k === 'ask') {
        this.pushControl(from, {
          k: 'reply',
          id: frame.id,
          ok: false,
          error: serializeError(new ActorStoppedError(this.name)),
        });
      }
      return;
    }
    // Senders respect our credits, so a full queue here means a sender broke the protocol.
    if (!this.mailbox.enqueue(from, { frame })) {
      throw new Error(`credit protocol violated: ${from} overflowed the mailbox of ${this.name}`);
    }
    this.hostMetrics.received++;
  }

  /** Runs turns back to back while messages wait (auto delivery only). */
  private pump(): void {
    while (!this.inTurn && (this.hostState === 'running' || this.hostState === 'stopping')) {
      const next = this.mailbox.dequeue();
      if (next === undefined) break;
      const pending = this.runTurn(next.sender, next.item);
      if (pending !== undefined) break;
    }
    if (!this.inTurn && this.mailbox.size === 0) this.notifyIdle();
  }

  private runTurn(sender: string, inbound: Inbound): Promise<void> | undefined {
    const actor = this.actor;
    if (actor === undefined) throw new Error(`actor ${this.name} has no instance`);
    let message: Message;
    let reply: Replier | undefined;
    if ('local' in inbound) {
      message = inbound.local;
    } else {
      message = inbound.frame.body;
      if (inbound.frame.k === 'ask') reply = this.replier(sender, inbound.frame.id);
      this.oweCredit(sender);
    }
    const meta: MessageMeta = { from: sender, reply };
    this.inTurn = true;
    let result: Promise<void> | void;
    try {
      result = actor.receive(message as M, meta);
    } catch (error) {
      this.crash(error);
      return undefined;
    }
    if (result instanceof Promise) {
      return result.then(
        () => this.endTurn(),
        (error: unknown) => this.crash(error),
      );
    }
    this.endTurn();
    return undefined;
  }

  private endTurn(): void {
    this.inTurn = false;
    this.hostMetrics.processed++;
    this.afterTurn();
  }

  private afterTurn(): void {
    if (this.mailbox.size === 0) this.runIdle();
    this.returnCredits();
    this.flush();
    if (this.delivery === 'auto') this.pump();
    else if (this.mailbox.size === 0) this.notifyIdle();
  }

  /** The actor's idle hook runs when a turn leaves the mailbox empty; a throw there is a crash. */
  private runIdle(): void {
    if (this.actor?.idle === undefined || this.hostState !== 'running') return;
    try {
      this.actor.idle();
    } catch (error) {
      this.crash(error);
    }
  }

  private replier(to: string, id: number): Replier {
    let answered = false;
    const epoch = this.linkEpoch(to);
    // An answer for a dead incarnation of the asker is dropped, never sent to its successor.
    const answer = (frame: Frame, transfer?: readonly Transferable[]) => {
      if (answered) return;
      answered = true;
      if (this.linkEpoch(to) === epoch) this.pushControl(to, frame, transfer);
    };
    return {
      ok: (value, transfer) => answer({ k: 'reply', id, ok: true, value }, transfer),
      fail: (error) => answer({ k: 'reply', id, ok: false, error: serializeError(error) }),
    };
  }

  private oweCredit(sender: string): void {
    this.owedCredits.set(sender, (this.owedCredits.get(sender) ?? 0) + 1);
  }

  /** Credits go back in batches: a quarter of the capacity, or whenever the sender's queue empties. */
  private returnCredits(): void {
    const batch = Math.max(1, Math.floor(this.mailboxConfig.capacityPerSender / 4));
    for (const [sender, owed] of this.owedCredits) {
      if (owed >= batch || this.mailbox.queuedFrom(sender) === 0) {
        this.owedCredits.delete(sender);
        this.grantCredit(sender, owed);
      }
    }
  }

  private grantCredit(sender: string, n: number): void {
    this.pushControl(sender, { k: 'credit', n });
  }

  private crash(error: unknown): void {
    if (this.hostState === 'crashed') return;
    this.hostState = 'crashed';
    this.inTurn = false;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.mailbox.clear();
    this.abandonRequests((target) => new PeerUnavailableError(target));
    for (const transport of this.transports) void transport.close().catch(() => undefined);
    for (const socket of this.dnsSockets) void socket.close().catch(() => undefined);
    this.notifyIdle();
    this.env.onCrash(error);
  }

  private waitIdle(deadlineMs: number): Promise<void> {
    if (!this.inTurn && this.mailbox.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.env.timers.after(deadlineMs, () => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve();
      });
      const done = () => {
        cancel();
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private makeContext(): ActorContext<M> {
    const env = this.env;
    return {
      name: this.name,
      replicaId: env.replicaId,
      clock: env.clock,
      random: env.random,
      log: env.log,
      openStore: env.openStore,
      openTransport: async (channel, toMessage, reconnectMessage) => {
        const transport = await env.openTransport(channel);
        const source = `transport:${channel}`;
        transport.onFrame((from, bytes) => {
          this.deliverLocal(source, toMessage(from, bytes));
        });
        if (reconnectMessage !== undefined)
          transport.onReconnect?.(() => {
            this.deliverLocal(source, reconnectMessage());
          });
        this.transports.push(transport);
        return transport;
      },
      openDnsSocket: async (address, toMessage) => {
        if (env.openDnsSocket === undefined)
          throw new Error(`actor ${this.name}: this placement offers no DNS sockets`);
        const socket = await env.openDnsSocket(address, (event) => {
          this.deliverLocal(DNS_SOCKET_SOURCE, toMessage(event));
        });
        if (this.hostState === 'crashed' || this.hostState === 'stopped') {
          await socket.close();
          throw new ActorStoppedError(this.name);
        }
        this.dnsSockets.push(socket);
        return socket;
      },
      send: (to, message, transfer) => this.send(to, message, transfer),
      canSend: (to) => this.canSend(to),
      flush: () => this.flush(),
      request: <Q extends Message>(to: string, message: Q, options: RequestOptions) =>
        this.request(to, message, options) as Promise<ReplyOf<Q>>,
      self: (message) => this.deliverLocal(SELF_SOURCE, message),
      after: (delayMs, message) => {
        const cancel = env.timers.after(delayMs, () => {
          this.timers.delete(cancel);
          this.deliverLocal(TIMER_SOURCE, message);
        });
        this.timers.add(cancel);
        return () => {
          this.timers.delete(cancel);
          cancel();
        };
      },
    };
  }
}
