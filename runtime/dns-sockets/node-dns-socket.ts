/**
 * The production `DnsSocket`: a `node:dgram` socket and a `node:net` listener on one
 * address and port. Port 0 binds an ephemeral port: TCP is bound first and UDP on the same
 * port number (retried on a fresh port when that UDP port is taken), so one address serves
 * both transports as DNS clients expect.
 *
 * TCP (RFC 7766): frames may arrive split over any number of reads or several in one;
 * each complete one is reported on its own. A connection is not read while the actor asked
 * so (`setTcpReading`) or while the socket's write buffer is full, so a client that does
 * not read its answers is slowed down rather than buffered without bound. Errors are
 * counted, never thrown.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { DNS_MESSAGE_BYTES_MAX } from '../../protocol/limits.js';
import {
  addressText,
  type BoundAddress,
  type DnsRemote,
  type DnsSocket,
  type DnsSocketCounters,
  type DnsSocketEvent,
  type DnsSocketOpener,
  type ListenAddress,
} from './dns-socket.js';

/**
 * Receive buffer asked of the kernel (SO_RCVBUF; Linux caps it at net.core.rmem_max). The
 * default (~208 KiB) holds only a few hundred datagrams: a burst that arrives while the
 * thread is descheduled overflows it and the kernel drops queries (RcvbufErrors).
 */
export const DEFAULT_UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
const EPHEMERAL_BIND_ATTEMPTS = 8;

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  pending: Buffer;
  /** The actor's wish. */
  reading: boolean;
  /** The kernel's write buffer is full: wait for 'drain'. */
  writeBlocked: boolean;
  paused: boolean;
}

/** Opens a `NodeDnsSocket`: the `DnsSocketOpener` of a worker placement. */
export const openNodeDnsSocket: DnsSocketOpener = (address, onEvent) => NodeDnsSocket.open(address, onEvent);

export class NodeDnsSocket implements DnsSocket {
  readonly bound: readonly [BoundAddress, BoundAddress];
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  readonly #onEvent: (event: DnsSocketEvent) => void;
  readonly #connections = new Map<number, Connection>();
  #nextConnection = 1;
  #closed = false;
  #closing: Promise<void> | undefined;
  #counters = { sendErrors: 0, oversizeDrops: 0 };

  private constructor(udp: UdpSocket, tcp: Server, onEvent: (event: DnsSocketEvent) => void) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.#onEvent = onEvent;
    const u = udp.address();
    const t = tcp.address();
    if (t === null || typeof t === 'string') throw new Error('TCP listener has no IP address');
    this.bound = [
      { transport: 'udp', host: u.address, port: u.port, text: addressText(u.address, u.port) },
      { transport: 'tcp', host: t.address, port: t.port, text: addressText(t.address, t.port) },
    ];
    udp.on('message', (query, remote) => {
      if (!this.#closed)
        this.#onEvent({ kind: 'udp-query', remote: { address: remote.address, port: remote.port }, query });
    });
    udp.on('error', () => {
      this.#counters.sendErrors++;
    });
    tcp.on('connection', (socket) => this.#onConnection(socket));
    tcp.on('error', () => undefined);
  }

  /** Binds UDP and TCP on `address`; rejects with the socket error when it cannot. */
  static async open(
    address: ListenAddress,
    onEvent: (event: DnsSocketEvent) => void,
  ): Promise<NodeDnsSocket> {
    for (let attempt = 1; ; attempt++) {
      const tcp = await listenTcp(address);
      const port = (tcp.address() as { port: number }).port;
      try {
        const udp = await bindUdp({ host: address.host, port });
        return new NodeDnsSocket(udp, tcp, onEvent);
      } catch (error) {
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        if (address.port !== 0 || attempt >= EPHEMERAL_BIND_ATTEMPTS) throw error;
      }
    }
  }

  sendUdp(remote: DnsRemote, answer: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#udp.send(answer, remote.port, remote.address, (error) => {
        if (error) this.#counters.sendErrors++;
      });
    } catch {
      this.#counters.sendErrors++;
    }
  }

  sendTcp(connection: number, answer: Uint8Array): void {
    const c = this.#connections.get(connection);
    if (c === undefined || c.socket.destroyed || !c.socket.writable) {
      this.#counters.sendErrors++;
      return;
    }
    if (answer.length > DNS_MESSAGE_BYTES_MAX) {
      this.#counters.oversizeDrops++;
      return;
    }
    const frame = Buffer.allocUnsafe(2 + answer.length);
    frame.writeUInt16BE(answer.length, 0);
    frame.set(answer, 2);
    if (!c.socket.write(frame)) {
      c.writeBlocked = true;
      this.#updateFlow(c);
    }
  }

  setTcpReading(connection: number, reading: boolean): void {
    const c = this.#connections.get(connection);
    if (c === undefined || c.reading === reading) return;
    c.reading = reading;
    if (!reading) {
      this.#updateFlow(c);
      return;
    }
    // After the caller's turn: each frame then reaches an actor that can pause again at once.
    queueMicrotask(() => this.#readFrames(c));
  }

  endTcp(connection: number): void {
    const c = this.#connections.get(connection);
    if (c !== undefined && !c.socket.destroyed) c.socket.end();
  }

  destroyTcp(connection: number): void {
    this.#connections.get(connection)?.socket.destroy();
  }

  counters(): DnsSocketCounters {
    return { ...this.#counters };
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      const udpClosed = new Promise<void>((resolve) => this.#udp.close(() => resolve()));
      const tcpClosed = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
      for (const c of this.#connections.values()) c.socket.destroy();
      this.#connections.clear();
      this.#closing = Promise.all([udpClosed, tcpClosed]).then(() => undefined);
    }
    return this.#closing;
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const c: Connection = {
      id: this.#nextConnection++,
      socket,
      pending: Buffer.alloc(0),
      reading: true,
      writeBlocked: false,
      paused: false,
    };
    this.#connections.set(c.id, c);
    socket.on('data', (chunk: Buffer) => {
      c.pending = c.pending.length === 0 ? chunk : Buffer.concat([c.pending, chunk]);
      this.#readFrames(c);
    });
    socket.on('end', () => {
      if (!this.#closed) this.#onEvent({ kind: 'tcp-read-end', connection: c.id });
    });
    socket.on('drain', () => {
      c.writeBlocked = false;
      this.#readFrames(c);
    });
    socket.on('error', () => {
      // ECONNRESET and the like: 'close' follows; nothing to answer.
    });
    socket.on('close', () => {
      if (this.#connections.get(c.id) !== c) return;
      this.#connections.delete(c.id);
      if (!this.#closed) this.#onEvent({ kind: 'tcp-closed', connection: c.id });
    });
    this.#onEvent({
      kind: 'tcp-open',
      connection: c.id,
      remote: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    });
  }

  /** Reports every complete frame while the connection may be read. */
  #readFrames(c: Connection): void {
    while (c.reading && !c.writeBlocked && !this.#closed && this.#connections.get(c.id) === c) {
      const pending = c.pending;
      if (pending.length < 2) break;
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      c.pending = pending.subarray(2 + length);
      this.#onEvent({ kind: 'tcp-query', connection: c.id, query: pending.subarray(2, 2 + length) });
    }
    this.#updateFlow(c);
  }

  #updateFlow(c: Connection): void {
    const stop = !c.reading || c.writeBlocked;
    if (stop && !c.paused) c.socket.pause();
    else if (!stop && c.paused) c.socket.resume();
    c.paused = stop;
  }
}

function listenTcp(address: ListenAddress): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.close();
      reject(error);
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port, ipv6Only: isIPv6(address.host) }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function bindUdp(address: ListenAddress): Promise<UdpSocket> {
  const v6 = isIPv6(address.host);
  const socket = createSocket({
    type: v6 ? 'udp6' : 'udp4',
    ipv6Only: v6,
    reuseAddr: false,
    recvBufferSize: DEFAULT_UDP_RECV_BUFFER_BYTES,
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address: address.host, port: address.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
