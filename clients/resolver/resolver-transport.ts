/**
 * One DNS exchange of the iterative resolver: a non-recursive query to one server over UDP
 * or TCP, and the reply that belongs to it.
 *
 * - The query: a fresh random 16-bit id from the caller (crypto in production), RD clear
 *   (we walk the tree ourselves, RFC 1034 §5.3.3), one question, EDNS0 with a 1232-octet
 *   payload (DNS flag day 2020), DO clear.
 * - UDP (RFC 5452 spirit): one new socket per exchange (a fresh source port); a datagram
 *   that does not come from the server's address and port, does not decode, or does not
 *   match the query (id, QR, opcode, the question) is ignored and counted, and we keep
 *   waiting until the timeout: an off-path forger must not be able to end the exchange.
 * - TCP (RFC 1035 §4.2.2, RFC 7766): 2-octet length framing; the connection is ours, so a
 *   reply that does not decode or match is a `bad-response`, not something to wait past.
 * - Every exchange has a timeout; the outcome is a value, `exchange` never rejects.
 */
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { decodeMessage, encodeMessage, type Message, messageFlags } from '../../protocol/dns/wire/message.js';
import type { Question } from '../../protocol/dns/wire/record.js';
import { DNS_MESSAGE_BYTES_MAX, EDNS_UDP_PAYLOAD_BYTES_DEFAULT } from '../../protocol/limits.js';
import type { Timers } from '../../runtime/clock.js';

export type ExchangeProtocol = 'udp' | 'tcp';

/** A server to ask: an IP literal (no brackets) and a port. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export class ServerAddressError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerAddressError';
  }
}

/**
 * `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:5353` → host and port
 * (`defaultPort` when none is given). Hosts must be IP literals: the resolver resolves
 * names itself. Throws `ServerAddressError`.
 */
export function parseServerAddress(text: string, defaultPort: number): ServerAddress {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::([0-9]{1,5}))?$/.exec(trimmed);
  const v4 = /^([0-9.]+)(?::([0-9]{1,5}))?$/.exec(trimmed);
  let host: string;
  let portText: string | undefined;
  if (bracketed !== null) {
    host = bracketed[1] as string;
    portText = bracketed[2];
    if (isIP(host) !== 6) throw new ServerAddressError(text, `${text}: not an IPv6 address`);
  } else if (v4 !== null) {
    host = v4[1] as string;
    portText = v4[2];
    if (isIP(host) !== 4) throw new ServerAddressError(text, `${text}: not an IPv4 address`);
  } else if (isIP(trimmed) === 6) {
    host = trimmed;
  } else {
    throw new ServerAddressError(text, `${text}: expected ADDR, ADDR:PORT or [IPV6]:PORT`);
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!(Number.isInteger(port) && port >= 1 && port <= 0xffff))
    throw new ServerAddressError(text, `${text}: port ${portText ?? port} out of range 1..65535`);
  return { host, port };
}

/** `192.0.2.1:53`, `[2001:db8::1]:53`. */
export function formatServerAddress(server: ServerAddress): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** The query message: RD clear, EDNS0 with our payload size. */
export function buildQuery(id: number, question: Question): Message {
  return {
    id,
    flags: messageFlags(),
    questions: [{ name: question.name, type: question.type, class: question.class }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: {
      udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES_DEFAULT,
      extendedRcode: 0,
      version: 0,
      dnssecOk: false,
      options: [],
    },
  };
}

/** Whether `reply` answers `query`: same id, QR set, same opcode, the same single question. */
export function replyMatches(query: Message, reply: Message): boolean {
  const asked = query.questions[0];
  const echoed = reply.questions[0];
  return (
    reply.id === query.id &&
    reply.flags.qr &&
    reply.flags.opcode === query.flags.opcode &&
    reply.questions.length === 1 &&
    asked !== undefined &&
    echoed !== undefined &&
    echoed.type === asked.type &&
    echoed.class === asked.class &&
    echoed.name.equals(asked.name)
  );
}

export type ExchangeOutcome =
  | {
      readonly ok: true;
      readonly message: Message;
      /** Octets of the reply. */
      readonly bytes: number;
      /** Datagrams ignored before it (wrong source, undecodable, not matching). */
      readonly ignored: number;
    }
  | {
      readonly ok: false;
      readonly failure: 'timeout' | 'network' | 'bad-response';
      readonly detail: string;
      readonly ignored: number;
    };

/** The resolver's network seam; tests may replace it with a fake. */
export interface ResolverTransport {
  /**
   * Sends `query` to `server` over `protocol` and resolves with the first matching reply,
   * or a failure after `timeoutMs`. Never rejects.
   */
  exchange(
    server: ServerAddress,
    query: Message,
    protocol: ExchangeProtocol,
    timeoutMs: number,
  ): Promise<ExchangeOutcome>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The transport over real sockets. */
export class SocketTransport implements ResolverTransport {
  readonly #timers: Timers;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  exchange(
    server: ServerAddress,
    query: Message,
    protocol: ExchangeProtocol,
    timeoutMs: number,
  ): Promise<ExchangeOutcome> {
    const bytes = encodeMessage(query, { compress: true }).bytes;
    return protocol === 'udp'
      ? this.#udp(server, query, bytes, timeoutMs)
      : this.#tcp(server, query, bytes, timeoutMs);
  }

  #udp(
    server: ServerAddress,
    query: Message,
    bytes: Uint8Array,
    timeoutMs: number,
  ): Promise<ExchangeOutcome> {
    const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    let ignored = 0;
    return new Promise((resolve) => {
      let done = false;
      const finish = (outcome: ExchangeOutcome) => {
        if (done) return;
        done = true;
        cancel();
        socket.close();
        resolve(outcome);
      };
      const cancel = this.#timers.after(timeoutMs, () =>
        finish({ ok: false, failure: 'timeout', detail: `no reply within ${timeoutMs} ms`, ignored }),
      );
      socket.on('message', (datagram, remote) => {
        if (remote.address !== server.host || remote.port !== server.port) {
          ignored++;
          return;
        }
        const decoded = decodeMessage(datagram);
        if (!decoded.ok || !replyMatches(query, decoded.message)) {
          ignored++;
          return;
        }
        finish({ ok: true, message: decoded.message, bytes: datagram.length, ignored });
      });
      socket.on('error', (error) =>
        finish({ ok: false, failure: 'network', detail: errorText(error), ignored }),
      );
      socket.send(bytes, server.port, server.host, (error) => {
        if (error) finish({ ok: false, failure: 'network', detail: errorText(error), ignored });
      });
    });
  }

  #tcp(
    server: ServerAddress,
    query: Message,
    bytes: Uint8Array,
    timeoutMs: number,
  ): Promise<ExchangeOutcome> {
    return new Promise((resolve) => {
      const socket = connect({ host: server.host, port: server.port });
      let done = false;
      let received = Buffer.alloc(0);
      const finish = (outcome: ExchangeOutcome) => {
        if (done) return;
        done = true;
        cancel();
        socket.destroy();
        resolve(outcome);
      };
      const cancel = this.#timers.after(timeoutMs, () =>
        finish({ ok: false, failure: 'timeout', detail: `no TCP reply within ${timeoutMs} ms`, ignored: 0 }),
      );
      socket.on('connect', () => {
        const framed = Buffer.allocUnsafe(2 + bytes.length);
        framed.writeUInt16BE(bytes.length, 0);
        framed.set(bytes, 2);
        socket.write(framed);
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length > 2 + DNS_MESSAGE_BYTES_MAX) {
          finish({
            ok: false,
            failure: 'bad-response',
            detail: 'TCP reply longer than its frame',
            ignored: 0,
          });
          return;
        }
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        const decoded = decodeMessage(received.subarray(2, 2 + length));
        if (!decoded.ok) {
          finish({ ok: false, failure: 'bad-response', detail: decoded.error.message, ignored: 0 });
          return;
        }
        if (!replyMatches(query, decoded.message)) {
          finish({
            ok: false,
            failure: 'bad-response',
            detail: 'TCP reply does not match the query',
            ignored: 0,
          });
          return;
        }
        finish({ ok: true, message: decoded.message, bytes: length, ignored: 0 });
      });
      socket.on('error', (error) =>
        finish({ ok: false, failure: 'network', detail: errorText(error), ignored: 0 }),
      );
      socket.on('close', () =>
        finish({ ok: false, failure: 'network', detail: 'TCP connection closed before a reply', ignored: 0 }),
      );
    });
  }
}
