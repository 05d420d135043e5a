/**
 * A DNS server over UDP (RFC 1035 §4.2.1): one datagram is one query, one datagram the
 * answer. Never crashes on a bad datagram or a failing handler: errors are logged and
 * counted. Asynchronous answers are bounded (`maxInFlight`): beyond the bound a query is
 * dropped, as a loaded server should (the client retries).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { addressText, type BoundAddress, type DnsHandler, type DnsServerLogger } from './dns-handler.js';

export const DEFAULT_UDP_MAX_IN_FLIGHT = 1024;
/**
 * Receive buffer asked of the kernel (SO_RCVBUF; Linux caps it at net.core.rmem_max). The
 * default (~208 KiB) holds only a few hundred datagrams: a burst that arrives while the
 * thread is descheduled overflows it and the kernel drops queries (RcvbufErrors).
 */
export const DEFAULT_UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpDnsServerOptions {
  /** An IP address (`127.0.0.1`, `::1`, `0.0.0.0`, `::`). */
  readonly host: string;
  /** 0 for an ephemeral port. */
  readonly port: number;
  readonly handler: DnsHandler;
  readonly logger: DnsServerLogger;
  /** Queries whose asynchronous answer is pending, at most; default 1024. */
  readonly maxInFlight?: number;
  /** SO_RCVBUF to ask for; default `DEFAULT_UDP_RECV_BUFFER_BYTES`. */
  readonly recvBufferBytes?: number;
}

export interface UdpDnsCounters {
  readonly queries: number;
  readonly answers: number;
  /** Queries given no answer: the handler said null, threw, or the in-flight bound was reached. */
  readonly drops: number;
  /** Of the drops, those for the in-flight bound. */
  readonly overloadDrops: number;
  readonly handlerErrors: number;
  readonly sendErrors: number;
  readonly inFlight: number;
}

export class UdpDnsServer {
  readonly bound: BoundAddress;
  readonly #socket: Socket;
  readonly #handler: DnsHandler;
  readonly #logger: DnsServerLogger;
  readonly #maxInFlight: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #counters = {
    queries: 0,
    answers: 0,
    drops: 0,
    overloadDrops: 0,
    handlerErrors: 0,
    sendErrors: 0,
    inFlight: 0,
  };

  private constructor(socket: Socket, options: UdpDnsServerOptions) {
    this.#socket = socket;
    this.#handler = options.handler;
    this.#logger = options.logger;
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_UDP_MAX_IN_FLIGHT;
    const { address, port } = socket.address();
    this.bound = { transport: 'udp', host: address, port, text: addressText(address, port) };
    socket.on('message', (message, remote) => this.#onMessage(message, remote.address, remote.port));
    socket.on('error', (error) =>
      this.#logger.warn({ err: error.message, address: this.bound.text }, 'DNS UDP socket error'),
    );
  }

  /** Binds and starts serving; rejects when the address cannot be bound. */
  static start(options: UdpDnsServerOptions): Promise<UdpDnsServer> {
    const v6 = isIPv6(options.host);
    const socket = createSocket({
      type: v6 ? 'udp6' : 'udp4',
      ipv6Only: v6,
      reuseAddr: false,
      recvBufferSize: options.recvBufferBytes ?? DEFAULT_UDP_RECV_BUFFER_BYTES,
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        socket.close();
        reject(error);
      };
      socket.once('error', onError);
      socket.bind({ address: options.host, port: options.port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(new UdpDnsServer(socket, options));
      });
    });
  }

  counters(): UdpDnsCounters {
    return { ...this.#counters };
  }

  /** Stops receiving; pending answers are not sent. Resolves when the socket is closed. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      this.#closed = true;
      this.#socket.close(() => resolve());
    });
    return this.#closing;
  }

  #onMessage(query: Buffer, address: string, port: number): void {
    if (this.#closed) return;
    const c = this.#counters;
    c.queries++;
    if (c.inFlight >= this.#maxInFlight) {
      c.drops++;
      c.overloadDrops++;
      return;
    }
    let result: Uint8Array | null | Promise<Uint8Array | null>;
    try {
      result = this.#handler(query, 'udp', { address, port });
    } catch (error) {
      this.#handlerFailed(error, address);
      return;
    }
    if (!(result instanceof Promise)) {
      this.#send(result, address, port);
      return;
    }
    c.inFlight++;
    result.then(
      (answer) => {
        c.inFlight--;
        this.#send(answer, address, port);
      },
      (error: unknown) => {
        c.inFlight--;
        this.#handlerFailed(error, address);
      },
    );
  }

  #handlerFailed(error: unknown, address: string): void {
    this.#counters.drops++;
    this.#counters.handlerErrors++;
    this.#logger.warn({ err: String(error), remote: address }, 'DNS handler failed on a UDP query');
  }

  #send(answer: Uint8Array | null, address: string, port: number): void {
    if (answer === null || this.#closed) {
      this.#counters.drops++;
      return;
    }
    this.#counters.answers++;
    try {
      this.#socket.send(answer, port, address, (error) => {
        if (error) this.#counters.sendErrors++;
      });
    } catch {
      this.#counters.sendErrors++;
    }
  }
}
