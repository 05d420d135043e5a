import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

/** Sends one datagram and resolves with the first reply, or null after `timeoutMs`. */
export function udpExchange(
  host: string,
  port: number,
  query: Uint8Array,
  timeoutMs = 2000,
): Promise<Buffer | null> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (reply: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (reply) => finish(reply));
    socket.on('error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.send(query, port, host);
  });
}

/**
 * Sends `query`, then `probe` (a valid query the server answers), from one socket, and
 * resolves with every datagram received up to and including the probe's answer (known by
 * its id). A server that answers in order on one socket would have answered `query`
 * before the probe, so "no reply" is a condition, not a wait.
 */
export function udpExchangeWithProbe(
  host: string,
  port: number,
  query: Uint8Array,
  probe: Uint8Array,
  timeoutMs = 2000,
): Promise<Buffer[]> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const probeId = ((probe[0] as number) << 8) | (probe[1] as number);
  const received: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`no answer to the probe within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    };
    socket.on('message', (reply) => {
      received.push(reply);
      if (reply.length >= 2 && reply.readUInt16BE(0) === probeId && received.length >= 1) {
        clearTimeout(timer);
        socket.close();
        resolve(received);
      }
    });
    socket.on('error', fail);
    socket.send(query, port, host, () => socket.send(probe, port, host));
  });
}

/** A TCP client that reads length-prefixed DNS messages. */
export class TcpClient {
  readonly #messages: Buffer[] = [];
  readonly #waiters: Array<() => void> = [];
  #pending = Buffer.alloc(0);
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      while (this.#pending.length >= 2) {
        const length = this.#pending.readUInt16BE(0);
        if (this.#pending.length < 2 + length) break;
        this.#messages.push(this.#pending.subarray(2, 2 + length));
        this.#pending = this.#pending.subarray(2 + length);
      }
      this.#wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  /** `localAddress`: the client's own address (another loopback address, a second client). */
  static connect(host: string, port: number, localAddress?: string): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
      socket.once('connect', () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  static frame(message: Uint8Array): Buffer {
    const out = Buffer.alloc(2 + message.length);
    out.writeUInt16BE(message.length, 0);
    out.set(message, 2);
    return out;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves with `count` messages, or rejects when the connection closes or `timeoutMs` passes first. */
  async read(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    const deadline = setTimeout(() => this.#wake(), timeoutMs);
    const started = Date.now();
    try {
      while (this.#messages.length < count) {
        if (this.closed)
          throw new Error(`connection closed after ${this.#messages.length} of ${count} messages`);
        if (Date.now() - started >= timeoutMs)
          throw new Error(`timeout after ${this.#messages.length} of ${count}`);
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
      return this.#messages.splice(0, count);
    } finally {
      clearTimeout(deadline);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
