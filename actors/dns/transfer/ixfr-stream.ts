/**
 * The messages of an incremental zone transfer (RFC 1995 §4), made on demand (`next`):
 *
 *   current SOA, then per version step oldest first: the step's old SOA, the records it
 *   removed, its new SOA, the records it added; then the current SOA again.
 *
 * Over TCP as many messages as needed, each at most 65535 octets with its TSIG, the
 * question in the first only, names compressed, every message signed in sequence when
 * the request was (RFC 8945 §5.3.1), exactly as `AxfrStream` does. Over UDP (`udpBytesMax`
 * set) one message: the whole sequence when it fits, else our SOA alone (RFC 1995 §2: "If
 * the UDP reply does not fit, the query is responded to with a single SOA record of the
 * server's current version to inform the client that a TCP query should be initiated").
 *
 * `ixfrRecords` turns retained changes (zone-history.ts) into the records; it returns
 * undefined for a record that does not decode, which the store never keeps (the caller
 * then answers in AXFR form).
 */
import type { TsigStreamSigner } from '../../../protocol/dns/tsig/stream.js';
import { type Edns, encodeMessage, type Message, messageFlags } from '../../../protocol/dns/wire/message.js';
import { parseName } from '../../../protocol/dns/wire/name.js';
import { decodeRdata } from '../../../protocol/dns/wire/rdata.js';
import type { Question, ResourceRecord } from '../../../protocol/dns/wire/record.js';
import { DNS_MESSAGE_BYTES_MAX } from '../../../protocol/limits.js';
import type { HistoryRecord, ZoneChange } from '../store/zone-history.js';
import { TransferTooLargeRecordError } from './axfr-stream.js';

export interface IxfrStreamOptions {
  readonly id: number;
  readonly rd: boolean;
  readonly question: Question;
  readonly edns: Edns | undefined;
  readonly signer: TsigStreamSigner | undefined;
  /** Octets each message leaves for its TSIG. */
  readonly reserveBytes: number;
  /** UDP: one message of at most this many octets (before the TSIG). */
  readonly udpBytesMax: number | undefined;
}

/** Records tried in the first message; later batches follow what fit before. */
const FIRST_BATCH_RECORDS = 256;
const BATCH_RECORDS_MAX = 8_192;

/** The RFC 1995 §4 sequence from `changes` (oldest first) to `currentSoa`; undefined if a record does not decode. */
export function ixfrRecords(
  currentSoa: ResourceRecord,
  changes: readonly ZoneChange[],
  rrClass: number,
): ResourceRecord[] | undefined {
  const out: ResourceRecord[] = [currentSoa];
  const push = (record: HistoryRecord): boolean => {
    const name = parseName(record.owner);
    const rdata = decodeRdata(record.type, record.rdata);
    if (!name.ok || !rdata.ok) return false;
    out.push({ name: name.name, type: record.type, class: rrClass, ttl: record.ttl, rdata: rdata.rdata });
    return true;
  };
  for (const change of changes) {
    if (!push(change.soaFrom)) return undefined;
    for (const record of change.removed) if (!push(record)) return undefined;
    if (!push(change.soaTo)) return undefined;
    for (const record of change.added) if (!push(record)) return undefined;
  }
  out.push(currentSoa);
  return out;
}

export class IxfrStream {
  #position = 0;
  #messages = 0;
  #batch = FIRST_BATCH_RECORDS;
  #done = false;
  #octets = 0;
  #soaOnly = false;

  /** `records` as `ixfrRecords` gives them: the current SOA first and last. */
  constructor(
    readonly records: readonly ResourceRecord[],
    private readonly options: IxfrStreamOptions,
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

  /** True once a UDP answer fell back to the SOA alone. */
  get soaOnly(): boolean {
    return this.#soaOnly;
  }

  /**
   * The next message, signed at `nowSeconds` when the request was; undefined after the
   * last. Throws `TransferTooLargeRecordError` for a record no message can hold.
   */
  next(nowSeconds: number): Uint8Array | undefined {
    if (this.#done) return undefined;
    const bytes =
      this.options.udpBytesMax === undefined ? this.#nextTcp() : this.#udp(this.options.udpBytesMax);
    this.#messages++;
    const out = this.options.signer === undefined ? bytes : this.options.signer.sign(bytes, nowSeconds);
    this.#octets += out.length;
    return out;
  }

  #nextTcp(): Uint8Array {
    const candidates = this.records.slice(this.#position, this.#position + this.#batch);
    const encoded = this.#encode(candidates, DNS_MESSAGE_BYTES_MAX - this.options.reserveBytes);
    const kept = candidates.length - encoded.droppedRecords;
    if (kept === 0) throw new TransferTooLargeRecordError(candidates[0] as ResourceRecord);
    this.#position += kept;
    this.#batch =
      encoded.droppedRecords > 0 ? Math.max(1, kept) : Math.min(BATCH_RECORDS_MAX, this.#batch * 2);
    if (this.#position >= this.records.length) this.#done = true;
    // A message cut short by our own packing is not truncated (TC clear, as for AXFR).
    const bytes = encoded.bytes;
    bytes[2] = (bytes[2] as number) & ~0x02;
    return bytes;
  }

  #udp(bytesMax: number): Uint8Array {
    this.#done = true;
    const limit = bytesMax - this.options.reserveBytes;
    const whole = this.#encode(this.records, limit);
    if (whole.droppedRecords === 0) return whole.bytes;
    this.#soaOnly = true;
    const soaAlone = this.#encode(this.records.slice(0, 1), limit);
    return soaAlone.bytes;
  }

  #encode(answers: readonly ResourceRecord[], maxBytes: number) {
    const message: Message = {
      id: this.options.id,
      flags: messageFlags({ qr: true, aa: true, rd: this.options.rd }),
      questions: this.#messages === 0 ? [this.options.question] : [],
      answers: [...answers],
      authorities: [],
      additionals: [],
      ...(this.options.edns === undefined ? {} : { edns: this.options.edns }),
    };
    return encodeMessage(message, { compress: true, maxBytes });
  }
}
