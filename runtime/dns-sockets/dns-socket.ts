/**
 * The DNS actor's edge, as a port: one listening address serving UDP and TCP on the same
 * port number (RFC 1035 §4.2), reduced to events in and answers out. The actor never
 * touches a socket: what arrives (a datagram, a TCP connection, a whole TCP frame, a
 * half-close) becomes a message in its mailbox, handled in a turn, and its answers leave
 * through the methods below. Production implements the port with `node:dgram` and
 * `node:net` (`node-dns-socket.ts`), the simulator with its own network
 * (`runtime/sim/sim-dns-network.ts`).
 *
 * Framing (the 2-byte length prefix of RFC 1035 §4.2.2) and the kernel's write buffer are
 * the implementation's business; connection policy (limits, idle timeouts, when to stop
 * reading, when to close) is the actor's, on its own clock.
 */

export type DnsTransport = 'udp' | 'tcp';

export interface DnsRemote {
  readonly address: string;
  readonly port: number;
}

export interface ListenAddress {
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is in `bound`. */
  readonly port: number;
}

/** A bound socket, as `host:port` text and parts (IPv6 hosts in brackets in the text). */
export interface BoundAddress {
  readonly transport: DnsTransport;
  readonly host: string;
  readonly port: number;
  readonly text: string;
}

/** What a DNS socket reports; `connection` ids are unique within one socket. */
export type DnsSocketEvent =
  | { readonly kind: 'udp-query'; readonly remote: DnsRemote; readonly query: Uint8Array }
  | { readonly kind: 'tcp-open'; readonly connection: number; readonly remote: DnsRemote }
  /** One complete frame's message, without its length prefix. */
  | { readonly kind: 'tcp-query'; readonly connection: number; readonly query: Uint8Array }
  /** The client half-closed: no more queries will come, answers may still go out. */
  | { readonly kind: 'tcp-read-end'; readonly connection: number }
  | { readonly kind: 'tcp-closed'; readonly connection: number };

export interface DnsSocketCounters {
  /** Answers the socket could not hand to the kernel (or the simulated network). */
  readonly sendErrors: number;
  /** Answers over 65535 octets, which no TCP frame can carry. */
  readonly oversizeDrops: number;
}

export interface DnsSocket {
  /** The UDP socket, then the TCP listener, on the same port. */
  readonly bound: readonly [BoundAddress, BoundAddress];
  sendUdp(remote: DnsRemote, answer: Uint8Array): void;
  /** Frames `answer` onto `connection`; dropped (and counted) when the connection is gone. */
  sendTcp(connection: number, answer: Uint8Array): void;
  /**
   * Stops or resumes delivering `connection`'s frames (backpressure: unread bytes stay in
   * the kernel, so the client slows down instead of losing queries).
   */
  setTcpReading(connection: number, reading: boolean): void;
  /** A clean close: FIN once pending answers are written. */
  endTcp(connection: number): void;
  /** An abrupt close (the peer ignored the FIN). */
  destroyTcp(connection: number): void;
  counters(): DnsSocketCounters;
  /** Stops listening and destroys every connection; no event follows. */
  close(): Promise<void>;
}

/** Binds `address` (UDP and TCP) and reports every event to `onEvent`; rejects when it cannot bind. */
export type DnsSocketOpener = (
  address: ListenAddress,
  onEvent: (event: DnsSocketEvent) => void,
) => Promise<DnsSocket>;

export function addressText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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
