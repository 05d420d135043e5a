/**
 * A DNS server over TCP (RFC 1035 §4.2.2, RFC 7766): each message has a 2-byte length
 * prefix; a connection carries many queries, read as they come (pipelining) and answered
 * as each answer is ready, possibly out of order (RFC 7766 §6.2.1.1). Frames may arrive
 * split over any number of reads; the prefix makes a message over 65535 octets impossible.
 *
 * Limits (RFC 7766 §6.2.3, §10): a connection idle for `idleTimeoutMs` (no query read, no
 * answer written, nothing pending) is closed; at most `maxConnections` connections (one
 * more is closed at once); at most `maxInFlightPerConnection` pending answers per
 * connection, beyond which the connection is not read (backpressure, not loss); the same
 * while the socket's write buffer is full. A client that half-closes still gets its
 * pending answers. Errors are logged and counted, never thrown.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DNS_MESSAGE_BYTES_MAX } from '../../../protocol/limits.js';
import { type CancelTimer, realTimers, type Timers } from '../../../runtime/clock.js';
import { addressText, type BoundAddress, type DnsHandler, type DnsServerLogger } from './dns-handler.js';

export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 10_000;
export const DEFAULT_TCP_MAX_CONNECTIONS = 256;
export const DEFAULT_TCP_MAX_IN_FLIGHT_PER_CONNECTION = 32;
/** After a clean close (FIN) is sent, how long the peer has to close before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export interface TcpDnsServerOptions {
  /** An IP address (`127.0.0.1`, `::1`, `0.0.0.0`, `::`). */
  readonly host: string;
  /** 0 for an ephemeral port. */
  readonly port: number;
  readonly handler: DnsHandler;
  readonly logger: DnsServerLogger;
  /** Default 10 s. */
  readonly idleTimeoutMs?: number;
  /** Default 256. */
  readonly maxConnections?: number;
  /** Default 32. */
  readonly maxInFlightPerConnection?: number;
  /** Default: real timers. */
  readonly timers?: Timers;
}

export interface TcpDnsCounters {
  readonly queries: number;
  readonly answers: number;
  /** Queries given no answer: the handler said null or threw, the answer was too big, or the connection went away. */
  readonly drops: number;
  readonly handlerErrors: number;
  /** Open connections. */
  readonly connections: number;
  readonly connectionsAccepted: number;
  /** Connections closed at once for the connection limit. */
  readonly connectionsRejected: number;
  readonly idleCloses: number;
}

interface Connection {
  readonly socket: Socket;
  readonly remote: { readonly address: string; readonly port: number };
  pending: Buffer;
  inFlight: number;
  readEnded: boolean;
  writeBlocked: boolean;
  paused: boolean;
  cancelIdle: CancelTimer | undefined;
  cancelGrace: CancelTimer | undefined;
  /** Resolves on the socket's 'close'. */
  readonly closed: Promise<void>;
}

export class TcpDnsServer {
  readonly bound: BoundAddress;
  readonly #server: Server;
  readonly #handler: DnsHandler;
  readonly #logger: DnsServerLogger;
  readonly #timers: Timers;
  readonly #idleTimeoutMs: number;
  readonly #maxConnections: number;
  readonly #maxInFlight: number;
  readonly #connections = new Set<Connection>();
  #closing: Promise<void> | undefined;
  #counters = {
    queries: 0,
    answers: 0,
    drops: 0,
    handlerErrors: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    idleCloses: 0,
  };

  private constructor(server: Server, options: TcpDnsServerOptions) {
    this.#server = server;
    this.#handler = options.handler;
    this.#logger = options.logger;
    this.#timers = options.timers ?? realTimers;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS;
    this.#maxConnections = options.maxConnections ?? DEFAULT_TCP_MAX_CONNECTIONS;
    this.#maxInFlight = options.maxInFlightPerConnection ?? DEFAULT_TCP_MAX_IN_FLIGHT_PER_CONNECTION;
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('TCP server has no IP address');
    this.bound = {
      transport: 'tcp',
      host: address.address,
      port: address.port,
      text: addressText(address.address, address.port),
    };
    server.on('connection', (socket) => this.#onConnection(socket));
    server.on('error', (error) =>
      this.#logger.warn({ err: error.message, address: this.bound.text }, 'DNS TCP server error'),
    );
  }

  /** Listens and starts serving; rejects when the address cannot be bound. */
  static start(options: TcpDnsServerOptions): Promise<TcpDnsServer> {
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        server.close();
        reject(error);
      };
      server.once('error', onError);
      server.listen({ host: options.host, port: options.port, ipv6Only: options.host.includes(':') }, () => {
        server.off('error', onError);
        resolve(new TcpDnsServer(server, options));
      });
    });
  }

  counters(): TcpDnsCounters {
    return { ...this.#counters, connections: this.#connections.size };
  }

  /**
   * Stops accepting, closes every connection (FIN, then destroyed after a grace period if
   * the peer does not close) and resolves when all are closed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      const connections = [...this.#connections];
      for (const connection of connections) this.#end(connection);
      this.#closing = Promise.all([serverClosed, ...connections.map((c) => c.closed)]).then(() => undefined);
    }
    return this.#closing;
  }

  #onConnection(socket: Socket): void {
    if (this.#closing !== undefined || this.#connections.size >= this.#maxConnections) {
      this.#counters.connectionsRejected++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.#counters.connectionsAccepted++;
    const connection: Connection = {
      socket,
      remote: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      pending: Buffer.alloc(0),
      inFlight: 0,
      readEnded: false,
      writeBlocked: false,
      paused: false,
      cancelIdle: undefined,
      cancelGrace: undefined,
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
    };
    this.#connections.add(connection);
    this.#armIdle(connection);
    socket.on('data', (chunk: Buffer) => {
      connection.pending =
        connection.pending.length === 0 ? chunk : Buffer.concat([connection.pending, chunk]);
      this.#armIdle(connection);
      this.#readFrames(connection);
    });
    socket.on('end', () => {
      connection.readEnded = true;
      if (connection.inFlight === 0) this.#end(connection);
    });
    socket.on('drain', () => {
      connection.writeBlocked = false;
      this.#updateFlow(connection);
      this.#readFrames(connection);
    });
    socket.on('error', () => {
      // ECONNRESET and the like: 'close' follows; nothing to answer.
    });
    socket.on('close', () => {
      connection.cancelIdle?.();
      connection.cancelGrace?.();
      this.#connections.delete(connection);
    });
  }

  /** Handles every complete frame, unless the connection is at its in-flight bound. */
  #readFrames(connection: Connection): void {
    while (connection.inFlight < this.#maxInFlight && !connection.writeBlocked) {
      const pending = connection.pending;
      if (pending.length < 2) break;
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      connection.pending = pending.subarray(2 + length);
      this.#query(connection, pending.subarray(2, 2 + length));
    }
    this.#updateFlow(connection);
  }

  #updateFlow(connection: Connection): void {
    const stop = connection.inFlight >= this.#maxInFlight || connection.writeBlocked;
    if (stop && !connection.paused) connection.socket.pause();
    else if (!stop && connection.paused) connection.socket.resume();
    connection.paused = stop;
  }

  #query(connection: Connection, query: Uint8Array): void {
    this.#counters.queries++;
    connection.inFlight++;
    let result: Uint8Array | null | Promise<Uint8Array | null>;
    try {
      result = this.#handler(query, 'tcp', connection.remote);
    } catch (error) {
      this.#handlerFailed(connection, error);
      return;
    }
    if (!(result instanceof Promise)) {
      this.#answer(connection, result);
      return;
    }
    result.then(
      (answer) => {
        this.#answer(connection, answer);
        this.#readFrames(connection);
      },
      (error: unknown) => {
        this.#handlerFailed(connection, error);
        this.#readFrames(connection);
      },
    );
  }

  #handlerFailed(connection: Connection, error: unknown): void {
    this.#counters.handlerErrors++;
    this.#logger.warn(
      { err: String(error), remote: connection.remote.address },
      'DNS handler failed on a TCP query',
    );
    this.#answer(connection, null);
  }

  #answer(connection: Connection, answer: Uint8Array | null): void {
    connection.inFlight--;
    const socket = connection.socket;
    if (answer === null || answer.length > DNS_MESSAGE_BYTES_MAX || socket.destroyed || !socket.writable) {
      this.#counters.drops++;
    } else {
      const frame = Buffer.allocUnsafe(2 + answer.length);
      frame.writeUInt16BE(answer.length, 0);
      frame.set(answer, 2);
      this.#counters.answers++;
      if (!socket.write(frame)) connection.writeBlocked = true;
      this.#armIdle(connection);
    }
    if (connection.readEnded && connection.inFlight === 0) this.#end(connection);
  }

  #armIdle(connection: Connection): void {
    connection.cancelIdle?.();
    connection.cancelIdle = this.#timers.after(this.#idleTimeoutMs, () => {
      connection.cancelIdle = undefined;
      if (connection.inFlight > 0) this.#armIdle(connection);
      else {
        this.#counters.idleCloses++;
        this.#end(connection);
      }
    });
  }

  /** A clean close: FIN now, destroy if the peer has not closed after the grace period. */
  #end(connection: Connection): void {
    connection.cancelIdle?.();
    connection.cancelIdle = undefined;
    if (connection.cancelGrace !== undefined) return;
    connection.socket.end();
    connection.cancelGrace = this.#timers.after(CLOSE_GRACE_MS, () => connection.socket.destroy());
  }
}
