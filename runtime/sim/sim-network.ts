import type { Random } from '../random.js';
import type { PeerTransport } from '../transport.js';
import type { EventQueue } from './event-queue.js';
import { pick, type Range, validateProbability, validateRange } from './range.js';
import type { VirtualClock } from './virtual-clock.js';

export interface SimNetworkConfig {
  /** Each frame is lost with this probability. */
  readonly dropProbability: number;
  /** Each frame that is not lost arrives twice with this probability (each copy with its own delay). */
  readonly duplicateProbability: number;
  /** One-way delay per copy; independent draws reorder frames. */
  readonly delayMs: Range;
  /** Frames in flight per (from, to, channel); a send beyond it is dropped and counted. */
  readonly maxInFlightPerLink: number;
  /** Larger frames are refused at `send` (returns false). */
  readonly frameBytesMax: number;
}

export const DEFAULT_SIM_NETWORK: SimNetworkConfig = {
  dropProbability: 0,
  duplicateProbability: 0,
  delayMs: { min: 1, max: 5 },
  maxInFlightPerLink: 1024,
  frameBytesMax: 1 << 20,
};

export interface SimNetworkStats {
  /** Frames accepted by `send`. */
  sent: number;
  /** Sends refused locally: unknown peer, frame too large, transport closed. */
  refused: number;
  delivered: number;
  duplicated: number;
  /** Lost to `dropProbability`. */
  dropped: number;
  /** Lost to a partition (at send or on arrival). */
  partitionDropped: number;
  /** Lost because the sender or the receiver was down. */
  downDropped: number;
  /** Lost to the per-link in-flight bound. */
  overflowDropped: number;
  /** Arrived where no handler listens on the channel. */
  unheardDropped: number;
}

/** Who holds a transport: once the owner dies, its transport neither sends nor receives. */
export interface NetworkOwner {
  readonly alive: boolean;
}

type FrameHandler = (from: string, bytes: Uint8Array) => void;

interface Listener {
  readonly transport: object;
  readonly owner: NetworkOwner;
  readonly handler: FrameHandler;
}

/**
 * The packet simulator between replicas (actors of one replica talk over links, not over
 * this). Each send is lost, duplicated and delayed at random, so frames reorder; a
 * partition cuts traffic both ways between two groups; a down replica receives nothing.
 * Frames are copied on send, so sender and receiver never share a buffer.
 */
export class SimNetwork {
  private readonly replicas = new Set<string>();
  private readonly down = new Set<string>();
  /** Directed pairs that cannot talk, as `from\0to`. */
  private readonly cut = new Set<string>();
  private readonly inFlight = new Map<string, number>();
  private readonly listeners = new Map<string, Listener>();
  private config: SimNetworkConfig;
  readonly stats: SimNetworkStats = {
    sent: 0,
    refused: 0,
    delivered: 0,
    duplicated: 0,
    dropped: 0,
    partitionDropped: 0,
    downDropped: 0,
    overflowDropped: 0,
    unheardDropped: 0,
  };

  constructor(
    private readonly deps: {
      readonly clock: VirtualClock;
      readonly queue: EventQueue;
      readonly random: Random;
    },
    config: Partial<SimNetworkConfig> = {},
  ) {
    this.config = validateConfig({ ...DEFAULT_SIM_NETWORK, ...config });
  }

  get currentConfig(): SimNetworkConfig {
    return this.config;
  }

  /** Changes loss, duplication, delay or bounds from now on (frames in flight keep their fate). */
  configure(config: Partial<SimNetworkConfig>): void {
    this.config = validateConfig({ ...this.config, ...config });
  }

  addReplica(replica: string): void {
    this.replicas.add(replica);
  }

  setUp(replica: string, up: boolean): void {
    if (up) this.down.delete(replica);
    else this.down.add(replica);
  }

  isUp(replica: string): boolean {
    return this.replicas.has(replica) && !this.down.has(replica);
  }

  /** No traffic between any member of `a` and any member of `b`, either way, until `heal`. */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        this.cut.add(`${x}\0${y}`);
        this.cut.add(`${y}\0${x}`);
      }
    }
  }

  /** Cuts `replica` off from every other replica. */
  isolate(replica: string): void {
    this.partition(
      [replica],
      [...this.replicas].filter((r) => r !== replica),
    );
  }

  /** Removes every partition. */
  heal(): void {
    this.cut.clear();
  }

  canReach(from: string, to: string): boolean {
    return !this.cut.has(`${from}\0${to}`);
  }

  /** Frames in flight from `from` to `to` on `channel`. */
  framesInFlight(from: string, to: string, channel: string): number {
    return this.inFlight.get(linkKey(from, to, channel)) ?? 0;
  }

  /** Channel `channel` of `replica`; one listener per channel at a time. */
  open(replica: string, channel: string, owner: NetworkOwner = { alive: true }): PeerTransport {
    if (!this.replicas.has(replica)) throw new Error(`unknown replica ${replica}`);
    const network = this;
    let closed = false;
    const transport: PeerTransport = {
      self: replica,
      send(peer, bytes) {
        if (closed || !owner.alive || !network.replicas.has(peer) || peer === replica) {
          network.stats.refused++;
          return false;
        }
        if (!(bytes instanceof Uint8Array) || bytes.byteLength > network.config.frameBytesMax) {
          network.stats.refused++;
          return false;
        }
        network.transmit(replica, peer, channel, bytes);
        return true;
      },
      onFrame(handler) {
        if (closed || !owner.alive) return;
        const key = listenerKey(replica, channel);
        const current = network.listeners.get(key);
        if (current !== undefined && current.transport !== transport && current.owner.alive) {
          throw new Error(`replica ${replica} already listens on channel ${channel}`);
        }
        network.listeners.set(key, { transport, owner, handler });
      },
      close() {
        closed = true;
        const key = listenerKey(replica, channel);
        if (network.listeners.get(key)?.transport === transport) network.listeners.delete(key);
        return Promise.resolve();
      },
    };
    return transport;
  }

  private transmit(from: string, to: string, channel: string, bytes: Uint8Array): void {
    const { random } = this.deps;
    if (this.down.has(from)) {
      this.stats.downDropped++;
      return;
    }
    if (this.cut.has(`${from}\0${to}`)) {
      this.stats.partitionDropped++;
      return;
    }
    if (random.chance(this.config.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    const copies = random.chance(this.config.duplicateProbability) ? 2 : 1;
    const key = linkKey(from, to, channel);
    for (let i = 0; i < copies; i++) {
      const inFlight = this.inFlight.get(key) ?? 0;
      if (inFlight >= this.config.maxInFlightPerLink) {
        this.stats.overflowDropped++;
        continue;
      }
      this.inFlight.set(key, inFlight + 1);
      if (i === 0) this.stats.sent++;
      else this.stats.duplicated++;
      this.schedule(from, to, channel, key, bytes.slice());
    }
  }

  private schedule(from: string, to: string, channel: string, key: string, bytes: Uint8Array): void {
    const { clock, queue, random } = this.deps;
    queue.schedule(clock.nowMs() + pick(random, this.config.delayMs), {
      kind: 'net',
      replica: to,
      actor: '',
      detail: `${from}>${to}:${channel}`,
      body: bytes,
      settles: false,
      fire: () => this.arrive(from, to, channel, key, bytes),
    });
  }

  private arrive(from: string, to: string, channel: string, key: string, bytes: Uint8Array): void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    if (this.down.has(to)) {
      this.stats.downDropped++;
      return;
    }
    if (this.cut.has(`${from}\0${to}`)) {
      this.stats.partitionDropped++;
      return;
    }
    const listener = this.listeners.get(listenerKey(to, channel));
    if (listener === undefined || !listener.owner.alive) {
      this.stats.unheardDropped++;
      return;
    }
    this.stats.delivered++;
    listener.handler(from, bytes);
  }
}

function linkKey(from: string, to: string, channel: string): string {
  return `${from}\0${to}\0${channel}`;
}

function listenerKey(replica: string, channel: string): string {
  return `${replica}\0${channel}`;
}

function validateConfig(config: SimNetworkConfig): SimNetworkConfig {
  validateProbability('dropProbability', config.dropProbability);
  validateProbability('duplicateProbability', config.duplicateProbability);
  validateRange('delayMs', config.delayMs);
  if (!Number.isInteger(config.maxInFlightPerLink) || config.maxInFlightPerLink < 1) {
    throw new RangeError(`maxInFlightPerLink must be a positive integer, got ${config.maxInFlightPerLink}`);
  }
  if (!Number.isInteger(config.frameBytesMax) || config.frameBytesMax < 1) {
    throw new RangeError(`frameBytesMax must be a positive integer, got ${config.frameBytesMax}`);
  }
  return config;
}
