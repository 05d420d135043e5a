/**
 * The DNS listeners of a replica: UDP and TCP on each of a list of `host:port` addresses
 * (`127.0.0.1:5353`, `[::1]:5353`, `0.0.0.0:53`). Port 0 binds an ephemeral port: TCP is
 * bound first and UDP on the same port number (retried on a fresh port when that UDP port
 * is taken), so one address serves both transports as DNS clients expect.
 */
import type { Timers } from '../../../runtime/clock.js';
import type { BoundAddress, DnsHandler, DnsServerLogger } from './dns-handler.js';
import { type TcpDnsCounters, TcpDnsServer, type TcpDnsServerOptions } from './tcp-server.js';
import { type UdpDnsCounters, UdpDnsServer } from './udp-server.js';

export type { BoundAddress, DnsHandler, DnsRemote, DnsServerLogger, DnsTransport } from './dns-handler.js';

const EPHEMERAL_BIND_ATTEMPTS = 8;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export class ListenAddressError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'ListenAddressError';
  }
}

/** `127.0.0.1:53` or `[::1]:53` → host and port. Throws `ListenAddressError`. */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+|[A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(text.trim());
  if (match === null) throw new ListenAddressError(text, `${text}: expected host:port or [ipv6]:port`);
  const port = Number(match[3]);
  if (port > 0xffff) throw new ListenAddressError(text, `${text}: port ${port} out of range`);
  return { host: (match[1] ?? match[2]) as string, port };
}

export interface DnsListenersOptions {
  readonly addresses: readonly string[];
  readonly handler: DnsHandler;
  readonly logger: DnsServerLogger;
  readonly udpMaxInFlight?: number;
  readonly tcpIdleTimeoutMs?: number;
  readonly tcpMaxConnections?: number;
  readonly tcpMaxInFlightPerConnection?: number;
  readonly timers?: Timers;
}

export interface DnsListenerCounters {
  readonly udp: UdpDnsCounters;
  readonly tcp: TcpDnsCounters;
}

export class DnsListeners {
  readonly #udp: readonly UdpDnsServer[];
  readonly #tcp: readonly TcpDnsServer[];
  #closing: Promise<void> | undefined;

  private constructor(udp: readonly UdpDnsServer[], tcp: readonly TcpDnsServer[]) {
    this.#udp = udp;
    this.#tcp = tcp;
  }

  /**
   * Binds UDP and TCP on every address; on any failure closes what was bound and rejects
   * (with `ListenAddressError` for unparsable text, or the socket error).
   */
  static async start(options: DnsListenersOptions): Promise<DnsListeners> {
    const addresses = options.addresses.map(parseListenAddress);
    const udp: UdpDnsServer[] = [];
    const tcp: TcpDnsServer[] = [];
    const tcpOptions = (host: string, port: number): TcpDnsServerOptions => ({
      host,
      port,
      handler: options.handler,
      logger: options.logger,
      ...(options.tcpIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.tcpIdleTimeoutMs }),
      ...(options.tcpMaxConnections === undefined ? {} : { maxConnections: options.tcpMaxConnections }),
      ...(options.tcpMaxInFlightPerConnection === undefined
        ? {}
        : { maxInFlightPerConnection: options.tcpMaxInFlightPerConnection }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    const udpOptions = (host: string, port: number) => ({
      host,
      port,
      handler: options.handler,
      logger: options.logger,
      ...(options.udpMaxInFlight === undefined ? {} : { maxInFlight: options.udpMaxInFlight }),
    });
    try {
      for (const { host, port } of addresses) {
        for (let attempt = 1; ; attempt++) {
          const t = await TcpDnsServer.start(tcpOptions(host, port));
          try {
            udp.push(await UdpDnsServer.start(udpOptions(host, t.bound.port)));
            tcp.push(t);
            break;
          } catch (error) {
            await t.close();
            if (port !== 0 || attempt >= EPHEMERAL_BIND_ATTEMPTS) throw error;
          }
        }
      }
    } catch (error) {
      await Promise.all([...udp, ...tcp].map((s) => s.close()));
      throw error;
    }
    const listeners = new DnsListeners(udp, tcp);
    options.logger.info(
      { addresses: listeners.bound.map((b) => `${b.transport}:${b.text}`) },
      'DNS listening',
    );
    return listeners;
  }

  /** Every bound socket, UDP and TCP, in the order of the addresses given. */
  get bound(): readonly BoundAddress[] {
    const out: BoundAddress[] = [];
    for (let i = 0; i < this.#tcp.length; i++) {
      out.push((this.#udp[i] as UdpDnsServer).bound, (this.#tcp[i] as TcpDnsServer).bound);
    }
    return out;
  }

  /** Counters summed over every address. */
  counters(): DnsListenerCounters {
    const udp = sum(this.#udp.map((s) => s.counters()));
    const tcp = sum(this.#tcp.map((s) => s.counters()));
    return {
      udp: udp ?? {
        queries: 0,
        answers: 0,
        drops: 0,
        overloadDrops: 0,
        handlerErrors: 0,
        sendErrors: 0,
        inFlight: 0,
      },
      tcp: tcp ?? {
        queries: 0,
        answers: 0,
        drops: 0,
        handlerErrors: 0,
        connections: 0,
        connectionsAccepted: 0,
        connectionsRejected: 0,
        idleCloses: 0,
      },
    };
  }

  /** Closes every socket; resolves when all are closed. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([...this.#udp, ...this.#tcp].map((s) => s.close())).then(() => undefined);
    return this.#closing;
  }
}

function sum<T extends object>(items: readonly T[]): T | undefined {
  if (items.length === 0) return undefined;
  const total: Record<string, number> = {};
  for (const item of items)
    for (const [key, value] of Object.entries(item)) total[key] = (total[key] ?? 0) + (value as number);
  return total as T;
}
