/**
 * The DNS actor's policy for the TCP connections of one socket (RFC 7766), on the actor's
 * clock: the socket reports connections and frames, this decides.
 *
 * - At most `maxConnections` open, and at most `maxConnectionsPerClient` from one client
 *   address; one more is destroyed at once (RFC 7766 §10: a server may limit the
 *   connections of one client, so that a single client cannot take every slot).
 * - Queries on a connection are answered as each answer is ready, possibly out of order
 *   (§6.2.1.1); at most `maxInFlightPerConnection` pending answers, beyond which the
 *   connection is not read (backpressure, not loss).
 * - A connection idle for `idleTimeoutMs` (no query read, no answer written, nothing
 *   pending) is closed (§6.2.3); so is a half-closed one once its answers are out. A
 *   closed connection whose peer has not closed its side within `closeGraceMs` is destroyed.
 *   Timeouts are checked by `sweep`, which the actor runs on its tick.
 */
import type { DnsRemote, DnsSocket } from '../../../runtime/dns-sockets/dns-socket.js';

export interface TcpConnectionLimits {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /** Open connections from one client address; connections of unknown address count only in the total. */
  readonly maxConnectionsPerClient: number;
  readonly maxInFlightPerConnection: number;
  readonly closeGraceMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpConnectionLimits = {
  idleTimeoutMs: 10_000,
  maxConnections: 256,
  maxConnectionsPerClient: 16,
  maxInFlightPerConnection: 32,
  closeGraceMs: 2_000,
};

export interface TcpDnsCounters {
  readonly queries: number;
  readonly answers: number;
  /** Queries given no answer: none was made, or the connection went away first. */
  readonly drops: number;
  /** Open connections. */
  readonly connections: number;
  readonly connectionsAccepted: number;
  /** Connections destroyed at once for a connection limit (the total or the client's). */
  readonly connectionsRejected: number;
  /** Of those, the ones over the client's own limit. */
  readonly connectionsRejectedPerClient: number;
  readonly idleCloses: number;
}

interface Connection {
  readonly remote: DnsRemote | undefined;
  inFlight: number;
  readEnded: boolean;
  reading: boolean;
  lastActiveMs: number;
  /** When the actor closed its side; null while open. */
  closedAtMs: number | null;
}

export class TcpConnections {
  private readonly open = new Map<number, Connection>();
  /** Open connections by client address (only addresses with at least one). */
  private readonly perClient = new Map<string, number>();
  private readonly stats = {
    queries: 0,
    answers: 0,
    drops: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    connectionsRejectedPerClient: 0,
    idleCloses: 0,
  };

  constructor(
    private readonly socket: DnsSocket,
    private readonly limits: TcpConnectionLimits,
  ) {}

  opened(connection: number, nowMs: number, remote?: DnsRemote): void {
    if (this.open.size >= this.limits.maxConnections) {
      this.stats.connectionsRejected++;
      this.socket.destroyTcp(connection);
      return;
    }
    const address = remote?.address;
    if (address !== undefined) {
      const held = this.perClient.get(address) ?? 0;
      if (held >= this.limits.maxConnectionsPerClient) {
        this.stats.connectionsRejected++;
        this.stats.connectionsRejectedPerClient++;
        this.socket.destroyTcp(connection);
        return;
      }
      this.perClient.set(address, held + 1);
    }
    this.stats.connectionsAccepted++;
    this.open.set(connection, {
      remote,
      inFlight: 0,
      readEnded: false,
      reading: true,
      lastActiveMs: nowMs,
      closedAtMs: null,
    });
  }

  /** A frame arrived: true when it is to be answered (through `answered`). */
  queryArrived(connection: number, nowMs: number): boolean {
    const c = this.open.get(connection);
    this.stats.queries++;
    if (c === undefined || c.closedAtMs !== null) {
      this.stats.drops++;
      return false;
    }
    c.inFlight++;
    c.lastActiveMs = nowMs;
    if (c.inFlight >= this.limits.maxInFlightPerConnection && c.reading) {
      c.reading = false;
      this.socket.setTcpReading(connection, false);
    }
    return true;
  }

  /** The answer to a query `queryArrived` accepted; null: nothing to send. */
  answered(connection: number, answer: Uint8Array | null, nowMs: number): void {
    const c = this.open.get(connection);
    if (c === undefined) {
      this.stats.drops++;
      return;
    }
    c.inFlight--;
    c.lastActiveMs = nowMs;
    if (answer === null || c.closedAtMs !== null) this.stats.drops++;
    else {
      this.stats.answers++;
      this.socket.sendTcp(connection, answer);
    }
    if (c.readEnded && c.inFlight === 0) this.close(connection, c, nowMs);
    else if (!c.reading && c.inFlight < this.limits.maxInFlightPerConnection) {
      c.reading = true;
      this.socket.setTcpReading(connection, true);
    }
  }

  /** The client's address, while the connection is open. */
  remoteOf(connection: number): DnsRemote | undefined {
    return this.open.get(connection)?.remote;
  }

  /**
   * One message of a multi-message answer (a zone transfer) that is not the last: sent
   * without settling the query (`answered` sends the last). False when the connection is
   * gone or closing, and the answer should stop.
   */
  sentPart(connection: number, part: Uint8Array, nowMs: number): boolean {
    const c = this.open.get(connection);
    if (c === undefined || c.closedAtMs !== null) return false;
    c.lastActiveMs = nowMs;
    this.socket.sendTcp(connection, part);
    return true;
  }

  /** The client half-closed: answer what is pending, then close. */
  readEnded(connection: number, nowMs: number): void {
    const c = this.open.get(connection);
    if (c === undefined) return;
    c.readEnded = true;
    if (c.inFlight === 0) this.close(connection, c, nowMs);
  }

  closed(connection: number): void {
    this.forget(connection);
  }

  /** Closes idle connections and destroys those whose peer ignored the close. */
  sweep(nowMs: number): void {
    for (const [id, c] of this.open) {
      if (c.closedAtMs !== null) {
        if (nowMs - c.closedAtMs >= this.limits.closeGraceMs) {
          this.forget(id);
          this.socket.destroyTcp(id);
        }
      } else if (c.inFlight === 0 && nowMs - c.lastActiveMs >= this.limits.idleTimeoutMs) {
        this.stats.idleCloses++;
        this.close(id, c, nowMs);
      }
    }
  }

  counters(): TcpDnsCounters {
    return { connections: this.open.size, ...this.stats };
  }

  private forget(connection: number): void {
    const c = this.open.get(connection);
    if (c === undefined) return;
    this.open.delete(connection);
    const address = c.remote?.address;
    if (address === undefined) return;
    const held = (this.perClient.get(address) ?? 1) - 1;
    if (held > 0) this.perClient.set(address, held);
    else this.perClient.delete(address);
  }

  private close(id: number, c: Connection, nowMs: number): void {
    if (c.closedAtMs !== null) return;
    c.closedAtMs = nowMs;
    this.socket.endTcp(id);
  }
}
