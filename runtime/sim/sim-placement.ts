import type { Actor, ActorEnvironment, ActorFactory, ActorSpec } from '../actor.js';
import { ActorHost } from '../actor-host.js';
import type { DnsSocket } from '../dns-sockets/dns-socket.js';
import { EXTERNAL_ENDPOINT, EXTERNAL_MAILBOX, type ExternalEndpoint } from '../external-endpoint.js';
import type { Frame, FramePort, ReplyFrame, Transferable } from '../frames.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { Random } from '../random.js';
import type { Placement } from '../supervisor/supervisor.js';
import type { PeerTransport } from '../transport.js';
import type { EventQueue } from './event-queue.js';
import type { SimDisk } from './sim-disk.js';
import type { SimDnsNetwork } from './sim-dns-network.js';
import type { SimNetwork } from './sim-network.js';
import { type DriftingClock, type VirtualClock, VirtualTimers } from './virtual-clock.js';

/** Something that can die and whose outstanding promises the scheduler counts while it lives. */
export interface PromiseOwner {
  readonly alive: boolean;
  pending: number;
}

/** What the placement needs from the simulator (implemented by `Simulator`). */
export interface SimWorld {
  readonly clock: VirtualClock;
  /** A replica's own clock, drifting at its rate; its timers take the same rate. */
  replicaClock(replica: string): DriftingClock;
  readonly queue: EventQueue;
  readonly network: SimNetwork;
  /** Between DNS clients and the replicas' DNS sockets. */
  readonly dnsNetwork: SimDnsNetwork;
  /** Copy frames between actors as `postMessage` would (structured clone, transfers detach). */
  readonly cloneFrames: boolean;
  factory(spec: ActorSpec): ActorFactory<Message, unknown>;
  /** A fresh id for an actor's new life, unique within this simulation. */
  nextIncarnationId(): number;
  forkRandom(): Random;
  logger(bindings: Readonly<Record<string, string>>): Logger;
  /** Runs `fn` at the end of the current step. */
  defer(fn: () => void): void;
  /** Counts `promise` as outstanding work of `owner` until it settles or the owner dies. */
  track(owner: PromiseOwner, promise: Promise<unknown>): void;
  /** The owner died: its outstanding promises no longer hold the scheduler. */
  untrack(owner: PromiseOwner): void;
  /** Something settled a promise outside a turn: drain microtasks before going on. */
  markSettled(): void;
  traceDeliver(actor: Incarnation, from: string, message: Message): void;
  traceCrash(replica: string, actor: string, error: Error): void;
  /** A runtime invariant broke outside any actor (a host threw at a link): the run fails. */
  fail(error: unknown): void;
}

/** The process hosting one replica's actors; it dies as a whole when the replica crashes. */
export interface ProcessOwner extends PromiseOwner {
  alive: boolean;
  readonly replica: string;
  readonly actor: string;
}

/** One life of one actor: its host, its links, its handles; all dead together when it crashes. */
export class Incarnation implements PromiseOwner {
  alive = true;
  pending = 0;
  linked = false;
  /** The actor object the factory built (for `inspect`). */
  instance: Actor<Message> | undefined;
  /** Replies queued at the host, mirrored so the trace can show the one `stepReply` settles. */
  readonly replies: Array<{ readonly from: string; readonly frame: ReplyFrame }> = [];
  readonly transports: PeerTransport[] = [];
  readonly dnsSockets: DnsSocket[] = [];
  host!: ActorHost<Message>;

  constructor(
    readonly replica: string,
    readonly spec: ActorSpec,
    /** Unique within the simulation. */
    readonly id: number,
  ) {}

  get actor(): string {
    return this.spec.name;
  }
}

/** One end of a link: who sends, who receives, and whether it still exists. */
interface LinkEnd {
  readonly name: string;
  readonly alive: boolean;
  receive(from: string, frames: Frame[]): void;
}

/**
 * Places a replica's actors the way `WorkerPlacement` does, but in this thread: each actor
 * in a `stepped` `ActorHost`, every pair linked by a port that hands frames synchronously
 * to the receiver's mailbox (the scheduler then picks deliveries), every actor linked to
 * the process's external endpoint. Exits go to `onExit`, so the real `Supervisor` decides.
 */
export class SimPlacement implements Placement {
  private readonly placed = new Map<string, Incarnation>();
  onExit: (name: string, error: Error) => void = () => undefined;

  constructor(
    private readonly world: SimWorld,
    private readonly process: ProcessOwner,
    private readonly disk: SimDisk,
    private readonly external: ExternalEndpoint,
  ) {}

  get(name: string): Incarnation | undefined {
    return this.placed.get(name);
  }

  /** Live actors in placement order (deterministic: the order they were spawned). */
  actors(): IterableIterator<Incarnation> {
    return this.placed.values();
  }

  async spawn(spec: ActorSpec): Promise<void> {
    if (this.placed.has(spec.name)) throw new Error(`actor ${spec.name} is already placed`);
    if (!this.process.alive) return new Promise<void>(() => undefined);
    const world = this.world;
    const replica = this.process.replica;
    const incarnation = new Incarnation(replica, spec, world.nextIncarnationId());
    const clock = world.replicaClock(replica);
    const env: ActorEnvironment = {
      replicaId: replica,
      clock,
      timers: new VirtualTimers(world.clock, world.queue, incarnation, clock.rate),
      random: world.forkRandom(),
      log: world.logger({ replica, actor: spec.name }),
      openStore: (name) =>
        incarnation.alive ? Promise.resolve(this.disk.open(name, incarnation)) : new Promise(() => undefined),
      openTransport: (channel) => {
        if (!incarnation.alive) return new Promise(() => undefined);
        const transport = world.network.open(replica, channel, incarnation);
        incarnation.transports.push(transport);
        return Promise.resolve(transport);
      },
      openDnsSocket: (address, onEvent) => {
        if (!incarnation.alive) return new Promise(() => undefined);
        const socket = world.dnsNetwork.open(replica, address, onEvent, incarnation);
        incarnation.dnsSockets.push(socket);
        return Promise.resolve(socket);
      },
      defer: (fn) => world.defer(fn),
      onCrash: (error) => this.exited(incarnation, asError(error)),
    };
    const factory = world.factory(spec);
    const traced: ActorFactory<Message, unknown> = (context, options) => {
      const inner = factory(context, options);
      incarnation.instance = inner;
      return {
        start: () => inner.start?.(),
        receive: (message, meta) => {
          world.traceDeliver(incarnation, meta.from, message);
          return inner.receive(message, meta);
        },
        stop: () => inner.stop?.(),
        inspect: () => inner.inspect?.(),
      };
    };
    // Options cross a thread boundary in production: the actor gets its own copy here too.
    const options: unknown = structuredClone(spec.options);
    incarnation.host = new ActorHost<Message>(
      spec.name,
      env,
      traced,
      options,
      spec.mailbox,
      'stepped',
      spec.maxInFlightRequests,
    );
    this.placed.set(spec.name, incarnation);
    for (const peer of this.placed.values()) {
      if (peer !== incarnation && peer.linked) this.linkPair(incarnation, peer);
    }
    this.linkExternal(incarnation);
    incarnation.linked = true;
    const started = incarnation.host.start();
    world.track(incarnation, started);
    await started;
  }

  /** Graceful stop of every actor, in reverse placement order. */
  async stopAll(drainDeadlineMs: number): Promise<void> {
    for (const incarnation of [...this.placed.values()].reverse()) {
      await incarnation.host.stop(drainDeadlineMs);
      this.remove(incarnation);
    }
  }

  /** Ends an actor abruptly, as a killed worker would: it reports to the supervisor. */
  kill(name: string, reason: string): boolean {
    const incarnation = this.placed.get(name);
    if (incarnation === undefined) return false;
    this.exited(incarnation, new Error(`actor ${name} was killed: ${reason}`));
    return true;
  }

  /** The whole process died: every actor is gone at once and nobody is told. */
  killAll(): void {
    for (const incarnation of [...this.placed.values()]) this.remove(incarnation);
  }

  private exited(incarnation: Incarnation, error: Error): void {
    if (this.placed.get(incarnation.actor) !== incarnation) return;
    this.world.traceCrash(incarnation.replica, incarnation.actor, error);
    this.remove(incarnation);
    if (this.process.alive) this.onExit(incarnation.actor, error);
  }

  private remove(incarnation: Incarnation): void {
    const name = incarnation.actor;
    incarnation.alive = false;
    this.world.untrack(incarnation);
    this.placed.delete(name);
    for (const transport of incarnation.transports) void transport.close();
    for (const socket of incarnation.dnsSockets) void socket.close();
    incarnation.replies.length = 0;
    // Peers fail their requests to it now rather than at their deadlines (settles promises).
    this.external.detachLink(name);
    for (const peer of this.placed.values()) {
      if (peer.linked) peer.host.detachLink(name);
    }
    this.world.markSettled();
  }

  private linkPair(a: Incarnation, b: Incarnation): void {
    a.host.attachLink(b.actor, this.port(endOf(a), endOf(b)), b.spec.mailbox);
    b.host.attachLink(a.actor, this.port(endOf(b), endOf(a)), a.spec.mailbox);
  }

  private linkExternal(incarnation: Incarnation): void {
    const process = this.process;
    const external = this.external;
    const world = this.world;
    const externalEnd: LinkEnd = {
      name: EXTERNAL_ENDPOINT,
      get alive() {
        return process.alive;
      },
      receive(from, frames) {
        external.receiveFrames(from, frames);
        // Replies settle the external caller's promise at once.
        world.markSettled();
      },
    };
    external.attachLink(
      incarnation.actor,
      this.port(externalEnd, endOf(incarnation)),
      incarnation.spec.mailbox,
    );
    incarnation.host.attachLink(
      EXTERNAL_ENDPOINT,
      this.port(endOf(incarnation), externalEnd),
      EXTERNAL_MAILBOX,
    );
  }

  /** A link direction: frames leave only while both ends live, copied as `postMessage` copies them. */
  private port(from: LinkEnd, to: LinkEnd): FramePort {
    const world = this.world;
    return {
      post(frames: Frame[], transfer: Transferable[]) {
        if (!from.alive || !to.alive) return;
        const carried = world.cloneFrames ? structuredClone(frames, { transfer }) : frames;
        try {
          to.receive(from.name, carried);
        } catch (error) {
          world.fail(error);
        }
      },
    };
  }
}

function endOf(incarnation: Incarnation): LinkEnd {
  return {
    name: incarnation.actor,
    get alive() {
      return incarnation.alive;
    },
    receive(from, frames) {
      for (const frame of frames) {
        if (frame.k === 'reply') incarnation.replies.push({ from, frame });
      }
      incarnation.host.receiveFrames(from, frames);
    },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
