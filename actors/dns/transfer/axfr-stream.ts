/**
 * The messages of one transfer, made on demand (`next`), each at most 65535 octets with
 * its TSIG (RFC 1035 §4.2.2: a TCP frame's length is 16 bits), names compressed:
 *
 *   - RFC 5936 §2.2: the zone's SOA first, every other record, the SOA again last; the
 *     question in the first message only (§2.2.1 lets later ones leave it empty); AA set,
 *     the id and RD copied, RCODE NOERROR; our OPT in each message when asked with one
 *     (§2.2.5). The records after the first SOA are in no particular order (§2.2);
 *   - RFC 1995 §4: an IXFR answered with the whole zone has the same shape, its question
 *     the IXFR; RFC 1995 §2: an IXFR whose serial is not older than ours gets one message
 *     holding our SOA alone (`soaOnly`);
 *   - RFC 8945 §5.3.1: when the request was signed, every message is signed, the first
 *     over the request's MAC, each later one over the previous MAC and the timers
 *     (`TsigStreamSigner`).
 *
 * Records are packed greedily: a message takes as many as fit, found by encoding a batch
 * and keeping the prefix the codec kept (it drops whole records from the end).
 */
import type { TsigStreamSigner } from '../../../protocol/dns/tsig/stream.js';
import { type Edns, encodeMessage, type Message, messageFlags } from '../../../protocol/dns/wire/message.js';
import type { Question, ResourceRecord } from '../../../protocol/dns/wire/record.js';
import { DNS_MESSAGE_BYTES_MAX } from '../../../protocol/limits.js';
import type { ZoneSnapshot } from './zone-snapshot.js';

export interface AxfrStreamOptions {
  readonly id: number;
  readonly rd: boolean;
  readonly question: Question;
  readonly edns: Edns | undefined;
  readonly signer: TsigStreamSigner | undefined;
  /** Octets each message leaves for its TSIG. */
  readonly reserveBytes: number;
  /** One message with the SOA alone (RFC 1995 §2). */
  readonly soaOnly: boolean;
}

/** Records tried in the first message; later batches follow what fit before. */
const FIRST_BATCH_RECORDS = 256;
const BATCH_RECORDS_MAX = 8_192;

export class TransferTooLargeRecordError extends Error {
  constructor(readonly record: ResourceRecord) {
    super(`a record of ${record.name} does not fit in a 65535-octet message`);
    this.name = 'TransferTooLargeRecordError';
  }
}

export class AxfrStream {
  /** Position: node index, RRset index within it, rdata index within that. */
  #node = 0;
  #set = 0;
  #rdata = 0;
  #soaSent = 0;
  #messages = 0;
  #batch = FIRST_BATCH_RECORDS;
  #done = false;
  #octets = 0;

  constructor(
    readonly snapshot: ZoneSnapshot,
    private readonly options: AxfrStreamOptions,
  ) {}

  get done(): boolean {
    return this.#done;
  }

  get messages(): number {
    return this.#messages;
  }

  get octets(): number {
    return this.#octets;
  }

  /**
   * The next message, signed at `nowSeconds` when the request was; undefined when the
   * last was given. Throws `TransferTooLargeRecordError` for a record no message can hold.
   */
  next(nowSeconds: number): Uint8Array | undefined {
    if (this.#done) return undefined;
    const candidates = this.#peek(this.options.soaOnly ? 1 : this.#batch);
    const maxBytes = DNS_MESSAGE_BYTES_MAX - this.options.reserveBytes;
    const message: Message = {
      id: this.options.id,
      flags: messageFlags({ qr: true, aa: true, rd: this.options.rd }),
      questions: this.#messages === 0 ? [this.options.question] : [],
      answers: candidates,
      authorities: [],
      additionals: [],
      ...(this.options.edns === undefined ? {} : { edns: this.options.edns }),
    };
    const encoded = encodeMessage(message, { compress: true, maxBytes });
    const kept = candidates.length - encoded.droppedRecords;
    if (kept === 0) throw new TransferTooLargeRecordError(candidates[0] as ResourceRecord);
    const bytes = encoded.bytes;
    // A message cut short by our own packing is not truncated (RFC 5936 §2.2.1: TC clear).
    bytes[2] = (bytes[2] as number) & ~0x02;
    this.#advance(kept);
    this.#batch =
      encoded.droppedRecords > 0 ? Math.max(1, kept) : Math.min(BATCH_RECORDS_MAX, this.#batch * 2);
    this.#messages++;
    if (this.options.soaOnly || this.#soaSent === 2) this.#done = true;
    const out = this.options.signer === undefined ? bytes : this.options.signer.sign(bytes, nowSeconds);
    this.#octets += out.length;
    return out;
  }

  /** Up to `count` records from the current position, without moving it. */
  #peek(count: number): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    const { nodes, soa, apex, rrClass } = this.snapshot;
    if (this.#soaSent === 0) out.push(soa);
    let node = this.#node;
    let set = this.#set;
    let rdata = this.#rdata;
    while (out.length < count && node < nodes.length) {
      const n = nodes[node] as (typeof nodes)[number];
      const s = n.rrsets[set];
      if (s === undefined) {
        node++;
        set = 0;
        rdata = 0;
        continue;
      }
      const r = s.rdatas[rdata];
      if (r === undefined) {
        set++;
        rdata = 0;
        continue;
      }
      out.push({ name: n.name, type: s.type, class: rrClass, ttl: s.ttl, rdata: r });
      rdata++;
    }
    if (out.length < count && node >= nodes.length && this.#soaSent < 2) out.push({ ...soa, name: apex });
    return out;
  }

  /** Moves past `kept` records of what `#peek` gave. */
  #advance(kept: number): void {
    let left = kept;
    if (this.#soaSent === 0 && left > 0) {
      this.#soaSent = 1;
      left--;
    }
    const { nodes } = this.snapshot;
    while (left > 0 && this.#node < nodes.length) {
      const n = nodes[this.#node] as (typeof nodes)[number];
      const s = n.rrsets[this.#set];
      if (s === undefined) {
        this.#node++;
        this.#set = 0;
        this.#rdata = 0;
        continue;
      }
      if (this.#rdata >= s.rdatas.length) {
        this.#set++;
        this.#rdata = 0;
        continue;
      }
      this.#rdata++;
      left--;
    }
    // Normalise: step past exhausted sets and nodes so "all records sent" is visible.
    while (this.#node < nodes.length) {
      const s = (nodes[this.#node] as (typeof nodes)[number]).rrsets[this.#set];
      if (s === undefined) {
        this.#node++;
        this.#set = 0;
        this.#rdata = 0;
      } else if (this.#rdata >= s.rdatas.length) {
        this.#set++;
        this.#rdata = 0;
      } else break;
    }
    if (left > 0 && this.#node >= nodes.length && this.#soaSent === 1) this.#soaSent = 2;
  }
}
