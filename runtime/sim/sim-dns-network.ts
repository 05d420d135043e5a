/**
 * DNS clients and the replicas' DNS sockets in the simulator: the `DnsSocket` port of the
 * DNS actor, implemented over the event queue. A client's query reaches the socket bound
 * at (replica, port) after a seeded delay, or is lost; the answer comes back the same way.
 * Clients stand outside the replicas' network, so partitions between replicas do not cut
 * them off; a replica that is down, or whose DNS actor is down, has no socket bound and
 * the query is lost. UDP and single-query TCP connections are simulated; the TCP stream
 * itself (framing, the kernel's buffers) is the production socket's and is not.
 */
import type {
  BoundAddress,
  DnsRemote,
  DnsSocket,
  DnsSocketCounters,
  DnsSocketEvent,
  DnsTransport,
  ListenAddress,
} from '../dns-sockets/dns-socket.js';
import { addressText } from '../dns-sockets/dns-socket.js';
import type { Random } from '../random.js';
import type { EventQueue } from './event-queue.js';
import { pick, type Range, validateProbability, validateRange } from './range.js';
import type { VirtualClock } from './virtual-clock.js';

export interface SimDnsNetworkConfig {
  /** Each query and each answer is lost with this probability. */
  readonly dropProbability: number;
  /** One-way delay between a client and a replica. */
  readonly delayMs: Range;
}

export const DEFAULT_SIM_DNS_NETWORK: SimDnsNetworkConfig = {
  dropProbability: 0,
  delayMs: { min: 1, max: 5 },
};

/** Client exchanges waiting for an answer, at most (a scenario bug beyond it). */
const PENDING_EXCHANGES_MAX = 100_000;

export interface SimDnsNetworkStats {
  queries: number;
  answers: number;
  lost: number;
  /** Arrived where no socket is bound (replica or DNS actor down). */
  unheard: number;
  timedOut: number;
}

/** Who holds a socket: once the owner dies, its socket neither receives nor sends. */
export interface DnsSocketOwner {
  readonly alive: boolean;
}

interface Exchange {
  readonly resolve: (answer: Uint8Array | null) => void;
  readonly cancelTimeout: () => void;
  readonly transport: DnsTransport;
}

export class SimDnsNetwork {
  private readonly sockets = new Map<string, SimDnsSocket>();
  private readonly exchanges = new Map<number, Exchange>();
  private nextClientPort = 1;
  private readonly config: SimDnsNetworkConfig;
  readonly stats: SimDnsNetworkStats = { queries: 0, answers: 0, lost: 0, unheard: 0, timedOut: 0 };

  constructor(
    private readonly world: {
      readonly clock: VirtualClock;
      readonly queue: EventQueue;
      readonly random: Random;
    },
    config: Partial<SimDnsNetworkConfig> = {},
  ) {
    const merged = { ...DEFAULT_SIM_DNS_NETWORK, ...config };
    validateProbability('dropProbability', merged.dropProbability);
    validateRange('delayMs', merged.delayMs);
    this.config = merged;
  }

  /** Binds (replica, port) for the DNS actor of `replica`; a bound port is refused. */
  open(
    replica: string,
    address: ListenAddress,
    onEvent: (event: DnsSocketEvent) => void,
    owner: DnsSocketOwner,
  ): SimDnsSocket {
    const key = socketKey(replica, address.port);
    const existing = this.sockets.get(key);
    if (existing?.open) throw new Error(`DNS port ${key} is already bound`);
    const socket = new SimDnsSocket(this, replica, address, onEvent, owner);
    this.sockets.set(key, socket);
    return socket;
  }

  /**
   * A client's query to (replica, port): resolves with the answer, or null when nothing
   * came back within `timeoutMs` (lost, unheard, or not answered). `tcp` opens a connection
   * for this one query and half-closes it, as `dig +tcp` does.
   */
  query(
    replica: string,
    port: number,
    transport: DnsTransport,
    query: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array | null> {
    if (this.exchanges.size >= PENDING_EXCHANGES_MAX) throw new Error('too many pending DNS exchanges');
    this.stats.queries++;
    const clientPort = this.nextClientPort++;
    const remote: DnsRemote = { address: 'client', port: clientPort };
    const bytes = query.slice();
    return new Promise((resolve) => {
      const timeout = this.world.queue.schedule(this.world.clock.nowMs() + timeoutMs, {
        kind: 'net',
        replica,
        actor: 'dns-client',
        detail: `timeout ${clientPort}`,
        settles: true,
        fire: () => {
          this.stats.timedOut++;
          this.settle(clientPort, null);
        },
      });
      this.exchanges.set(clientPort, { resolve, cancelTimeout: () => timeout.cancel(), transport });
      this.carry(replica, `${transport} query ${clientPort}`, bytes, () => {
        const socket = this.sockets.get(socketKey(replica, port));
        if (socket === undefined || !socket.open) {
          this.stats.unheard++;
          return;
        }
        if (transport === 'udp') socket.deliver({ kind: 'udp-query', remote, query: bytes });
        else {
          socket.deliver({ kind: 'tcp-open', connection: clientPort, remote });
          socket.deliver({ kind: 'tcp-query', connection: clientPort, query: bytes });
          socket.deliver({ kind: 'tcp-read-end', connection: clientPort });
        }
      });
    });
  }

  /** An answer leaving `replica` for the client exchange `clientPort`. */
  answer(replica: string, clientPort: number, answer: Uint8Array): void {
    const bytes = answer.slice();
    this.carry(replica, `answer ${clientPort}`, bytes, () => {
      this.stats.answers++;
      this.settle(clientPort, bytes);
    });
  }

  /** Forgets `socket`'s binding (closed, or its owner died). */
  unbind(socket: SimDnsSocket): void {
    const key = socketKey(socket.replica, socket.address.port);
    if (this.sockets.get(key) === socket) this.sockets.delete(key);
  }

  private settle(clientPort: number, answer: Uint8Array | null): void {
    const exchange = this.exchanges.get(clientPort);
    if (exchange === undefined) return;
    this.exchanges.delete(clientPort);
    exchange.cancelTimeout();
    exchange.resolve(answer);
  }

  /** Delivers after a delay unless lost. */
  private carry(replica: string, detail: string, bytes: Uint8Array, arrive: () => void): void {
    if (this.world.random.chance(this.config.dropProbability)) {
      this.stats.lost++;
      return;
    }
    this.world.queue.schedule(this.world.clock.nowMs() + pick(this.world.random, this.config.delayMs), {
      kind: 'net',
      replica,
      actor: 'dns',
      detail,
      body: bytes,
      settles: true,
      fire: arrive,
    });
  }
}

/** One replica's simulated DNS socket. TCP connections carry one query each (see `query`). */
export class SimDnsSocket implements DnsSocket {
  readonly bound: readonly [BoundAddress, BoundAddress];
  private closed = false;
  private readonly connections = new Set<number>();
  private readonly stats = { sendErrors: 0, oversizeDrops: 0 };

  constructor(
    private readonly network: SimDnsNetwork,
    readonly replica: string,
    readonly address: ListenAddress,
    private readonly onEvent: (event: DnsSocketEvent) => void,
    private readonly owner: DnsSocketOwner,
  ) {
    const text = addressText(address.host, address.port);
    this.bound = [
      { transport: 'udp', host: address.host, port: address.port, text },
      { transport: 'tcp', host: address.host, port: address.port, text },
    ];
  }

  get open(): boolean {
    return !this.closed && this.owner.alive;
  }

  deliver(event: DnsSocketEvent): void {
    if (!this.open) return;
    if (event.kind === 'tcp-open') this.connections.add(event.connection);
    this.onEvent(event);
  }

  sendUdp(remote: DnsRemote, answer: Uint8Array): void {
    if (!this.open) {
      this.stats.sendErrors++;
      return;
    }
    this.network.answer(this.replica, remote.port, answer);
  }

  sendTcp(connection: number, answer: Uint8Array): void {
    if (!this.open || !this.connections.has(connection)) {
      this.stats.sendErrors++;
      return;
    }
    if (answer.length > 0xffff) {
      this.stats.oversizeDrops++;
      return;
    }
    this.network.answer(this.replica, connection, answer);
  }

  setTcpReading(): void {
    // One query per simulated connection: nothing more to hold back.
  }

  endTcp(connection: number): void {
    this.closeConnection(connection);
  }

  destroyTcp(connection: number): void {
    this.closeConnection(connection);
  }

  counters(): DnsSocketCounters {
    return { ...this.stats };
  }

  close(): Promise<void> {
    this.closed = true;
    this.connections.clear();
    this.network.unbind(this);
    return Promise.resolve();
  }

  private closeConnection(connection: number): void {
    if (!this.connections.delete(connection) || !this.open) return;
    this.onEvent({ kind: 'tcp-closed', connection });
  }
}

function socketKey(replica: string, port: number): string {
  return `${replica}:${port}`;
}
