/**
 * A minimal DNS UPDATE sender for the benchmark: builds an RFC 2136 UPDATE that replaces one
 * TXT RRset (delete the RRset, §2.5.2, then add the new record, §2.5.1), signs it with TSIG
 * (RFC 8945 §5.1) and exchanges it over one UDP socket or one TCP connection (RFC 1035
 * §4.2.2 two-octet length prefix), one message at a time. Concurrency comes from several
 * senders, as from several nsupdate processes.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import type { TsigKey } from '../protocol/dns/tsig/key.js';
import { signRequest } from '../protocol/dns/tsig/sign.js';
import { RR_CLASS, RR_TYPE } from '../protocol/dns/wire/codes.js';
import { encodeMessage, messageFlags } from '../protocol/dns/wire/message.js';
import type { Name } from '../protocol/dns/wire/name.js';

export type DnsTransport = 'udp' | 'tcp';

/** An answer's header fields the benchmark judges by. */
export interface UpdateAnswer {
  readonly id: number;
  readonly rcode: number;
}

/** A lost datagram or a stalled connection: no answer within the sender's timeout. */
export class UpdateTimeoutError extends Error {
  override readonly name = 'UpdateTimeoutError';
}

const DNS_HEADER_OCTETS = 12;

/** The signed UPDATE replacing the TXT RRset at `owner` (in `zone`) with one string. */
export function replaceTxtUpdate(
  id: number,
  zone: Name,
  owner: Name,
  text: string,
  key: TsigKey,
  nowSeconds: number,
): Uint8Array {
  const unsigned = encodeMessage(
    {
      id,
      flags: messageFlags({ opcode: 5 }),
      questions: [{ name: zone, type: RR_TYPE.SOA, class: RR_CLASS.IN }],
      answers: [],
      authorities: [
        {
          name: owner,
          type: RR_TYPE.TXT,
          class: RR_CLASS.ANY,
          ttl: 0,
          rdata: { kind: 'opaque', bytes: new Uint8Array(0) },
        },
        {
          name: owner,
          type: RR_TYPE.TXT,
          class: RR_CLASS.IN,
          ttl: 60,
          rdata: { kind: 'TXT', strings: [new TextEncoder().encode(text)] },
        },
      ],
      additionals: [],
    },
    { compress: true },
  ).bytes;
  return signRequest(unsigned, key, nowSeconds).bytes;
}

function header(bytes: Uint8Array): UpdateAnswer | undefined {
  if (bytes.length < DNS_HEADER_OCTETS) return undefined;
  return { id: ((bytes[0] as number) << 8) | (bytes[1] as number), rcode: (bytes[3] as number) & 0x0f };
}

/** Sends one message at a time to one DNS server and resolves with its answer's header. */
export class UpdateSender {
  private pending:
    | { readonly id: number; resolve(answer: UpdateAnswer): void; reject(error: Error): void }
    | undefined;
  private tcpBuffer = Buffer.alloc(0);

  private constructor(
    private readonly socket:
      | { readonly kind: 'udp'; readonly udp: UdpSocket }
      | { readonly kind: 'tcp'; readonly tcp: TcpSocket },
    private readonly timeoutMs: number,
  ) {
    if (socket.kind === 'udp') {
      socket.udp.on('message', (message) => this.answer(new Uint8Array(message)));
    } else {
      socket.tcp.on('data', (chunk: Buffer) => this.tcpData(chunk));
      socket.tcp.on('error', (error) => this.fail(error));
      socket.tcp.on('close', () => this.fail(new Error('the server closed the TCP connection')));
    }
  }

  static async open(
    transport: DnsTransport,
    address: string,
    port: number,
    timeoutMs: number,
  ): Promise<UpdateSender> {
    if (transport === 'udp') {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.connect(port, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      return new UpdateSender({ kind: 'udp', udp }, timeoutMs);
    }
    const tcp = connect({ host: address, port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.once('connect', () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    return new UpdateSender({ kind: 'tcp', tcp }, timeoutMs);
  }

  /** Sends `message` (its id is `id`); rejects with UpdateTimeoutError when no answer comes. */
  exchange(id: number, message: Uint8Array): Promise<UpdateAnswer> {
    if (this.pending !== undefined) return Promise.reject(new Error('one exchange at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new UpdateTimeoutError(`no answer to UPDATE ${id} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending = {
        id,
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (this.socket.kind === 'udp') {
        this.socket.udp.send(message);
      } else {
        const frame = Buffer.alloc(2 + message.length);
        frame.writeUInt16BE(message.length, 0);
        frame.set(message, 2);
        this.socket.tcp.write(frame);
      }
    });
  }

  close(): Promise<void> {
    this.fail(new Error('sender closed'));
    if (this.socket.kind === 'udp') {
      const { udp } = this.socket;
      return new Promise((resolve) => udp.close(() => resolve()));
    }
    const { tcp } = this.socket;
    return new Promise((resolve) => {
      tcp.once('close', () => resolve());
      tcp.end();
      if (tcp.destroyed) resolve();
    });
  }

  /** A late answer to a request that already timed out has another id and is dropped. */
  private answer(bytes: Uint8Array): void {
    const answer = header(bytes);
    const pending = this.pending;
    if (answer === undefined || pending === undefined || answer.id !== pending.id) return;
    this.pending = undefined;
    pending.resolve(answer);
  }

  /** Frames are at most 2 + 65,535 octets (the length prefix bounds them), so is the buffer. */
  private tcpData(chunk: Buffer): void {
    this.tcpBuffer = Buffer.concat([this.tcpBuffer, chunk]);
    while (this.tcpBuffer.length >= 2) {
      const length = this.tcpBuffer.readUInt16BE(0);
      if (this.tcpBuffer.length < 2 + length) return;
      const message = new Uint8Array(this.tcpBuffer.subarray(2, 2 + length));
      this.tcpBuffer = this.tcpBuffer.subarray(2 + length);
      this.answer(message);
    }
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}
