/**
 * DNS messages (RFC 1035 §4.1) with EDNS (RFC 6891): encode with compression and
 * truncation, decode untrusted bytes into a value or a FORMERR, and peek at a query's
 * first question without decoding the rest.
 *
 * Encoding. The uncompressed size is computed first and is the buffer's size (compression
 * only shrinks). Records are written in order with compression; when the message exceeds
 * `maxBytes`, whole records are dropped from the end (additional, then authority, then
 * answer: the longest prefix that fits is kept). The header, the questions and the OPT
 * record are never dropped; if they alone exceed `maxBytes`, encoding throws.
 *
 * The TC rule (RFC 2181 §9, RFC 1035 §4.1.1, RFC 9471): TC is set when an answer or
 * authority record was dropped, or one of the first `requiredAdditionals` additional
 * records (the caller puts required glue, such as in-domain glue of a referral, first).
 * Dropping only optional additional records leaves TC clear: the answer is complete
 * without them, and the client would gain nothing by retrying over TCP.
 *
 * Decoding rules (every violation is FORMERR; see `DecodeProblem`):
 *   - fewer than 12 bytes: no id is reported (there is nothing to answer to);
 *   - counts that cannot fit the remaining bytes (a question needs at least 5, a record
 *     11) are rejected before any record is read;
 *   - names: the pointer rules of reader.ts, labels of type 01/10, names over 255 octets;
 *   - RDATA must have exactly the length and format of its type (rdata.ts);
 *   - at most one OPT record, only in the additional section, owned by the root;
 *   - trailing bytes after the last counted record are rejected, as BIND and Knot do: they
 *     are outside every record (and outside a TSIG signature), so nothing good follows.
 * Values that are legal but odd (a TTL over 2^31 - 1, unknown flag bits, EDNS version
 * above 0, an unknown opcode) decode; answering them is the server's decision. The
 * header's Z bit and OPT's Z flags other than DO are dropped.
 */

import { DNS_MESSAGE_BYTES_MAX } from '../../limits.js';
import { RR_TYPE } from './codes.js';
import { type DecodeError, WireEncodeError, WireFormatFailure } from './errors.js';
import { rdataSize, rdataType, readRdata, writeRdata } from './rdata.js';
import { WireReader } from './reader.js';
import type { Question, ResourceRecord } from './record.js';
import { WireWriter } from './writer.js';

export const HEADER_BYTES = 12;
/** The smallest possible question (root name, type, class) and record (plus TTL and RDLENGTH). */
const MIN_QUESTION_BYTES = 5;
const MIN_RECORD_BYTES = 11;

export interface MessageFlags {
  /** Response (true) or query. */
  readonly qr: boolean;
  /** 0 ..= 15 (see `OPCODE`). */
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  /** The header's 4 bits; with EDNS the full rcode is `fullRcode(message)`. */
  readonly rcode: number;
}

/** Header flags: every bit clear, opcode QUERY, NOERROR, but for `overrides`. */
export function messageFlags(overrides: Partial<MessageFlags> = {}): MessageFlags {
  return {
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    ...overrides,
  };
}

export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** The OPT pseudo-record (RFC 6891 §6.1.2, §6.1.3). */
export interface Edns {
  readonly udpPayloadSize: number;
  /** The upper 8 bits of the 12-bit rcode. */
  readonly extendedRcode: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly options: readonly EdnsOption[];
}

export interface Message {
  readonly id: number;
  readonly flags: MessageFlags;
  readonly questions: readonly Question[];
  readonly answers: readonly ResourceRecord[];
  readonly authorities: readonly ResourceRecord[];
  /** Additional records, without the OPT record (that is `edns`). */
  readonly additionals: readonly ResourceRecord[];
  readonly edns?: Edns;
}

export interface EncodeOptions {
  /** Compress names (RFC 1035 §4.1.4). Passed explicitly: there is no default. */
  readonly compress: boolean;
  /** The largest message to produce (the client's UDP payload size, or 65535 for TCP). */
  readonly maxBytes?: number;
  /** How many leading additional records are required (glue): dropping one sets TC. */
  readonly requiredAdditionals?: number;
}

export interface EncodeResult {
  readonly bytes: Uint8Array;
  /** The TC bit of the encoded message. */
  readonly truncated: boolean;
  /** How many records were left out to fit `maxBytes`. */
  readonly droppedRecords: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly error: DecodeError };

/** The 12-bit rcode: the header's 4 bits and EDNS's upper 8 (RFC 6891 §6.1.3). */
export function fullRcode(message: Message): number {
  return ((message.edns?.extendedRcode ?? 0) << 4) | message.flags.rcode;
}

function invalid(message: string): never {
  throw new WireEncodeError('invalid-value', message);
}

function ednsSize(edns: Edns): number {
  return MIN_RECORD_BYTES + edns.options.reduce((sum, o) => sum + 4 + o.data.length, 0);
}

function recordSize(rr: ResourceRecord): number {
  return rr.name.wireLength + 10 + rdataSize(rr.rdata);
}

/** Octets of the message without compression: an upper bound on the encoded size. */
export function messageSize(m: Message): number {
  let size = HEADER_BYTES;
  for (const q of m.questions) size += q.name.wireLength + 4;
  for (const section of [m.answers, m.authorities, m.additionals])
    for (const rr of section) size += recordSize(rr);
  return m.edns === undefined ? size : size + ednsSize(m.edns);
}

function writeRecord(w: WireWriter, rr: ResourceRecord): void {
  const formatType = rdataType(rr.rdata);
  if (formatType !== undefined && formatType !== rr.type)
    invalid(`${rr.name}: ${rr.rdata.kind} RDATA in a record of type ${rr.type}`);
  if (rr.type === RR_TYPE.OPT) invalid('OPT records are written from Message.edns');
  w.name(rr.name, true);
  w.u16(rr.type, 'type');
  w.u16(rr.class, 'class');
  w.u32(rr.ttl, 'TTL');
  const lengthAt = w.pos;
  w.pos += 2;
  writeRdata(w, rr.rdata);
  const length = w.pos - lengthAt - 2;
  if (length > 0xffff) invalid(`${rr.name}: RDATA of ${length} octets`);
  w.patchU16(lengthAt, length);
}

function writeOpt(w: WireWriter, edns: Edns): void {
  const { extendedRcode, version } = edns;
  if (!(Number.isInteger(extendedRcode) && extendedRcode >= 0 && extendedRcode <= 0xff))
    invalid(`EDNS extended rcode ${extendedRcode}`);
  if (!(Number.isInteger(version) && version >= 0 && version <= 0xff)) invalid(`EDNS version ${version}`);
  w.u8(0);
  w.u16(RR_TYPE.OPT, 'type');
  w.u16(edns.udpPayloadSize, 'EDNS UDP payload size');
  w.u32(extendedRcode * 0x1000000 + version * 0x10000 + (edns.dnssecOk ? 0x8000 : 0), 'EDNS flags');
  const length = ednsSize(edns) - MIN_RECORD_BYTES;
  if (length > 0xffff) invalid(`EDNS options of ${length} octets`);
  w.u16(length, 'OPT RDLENGTH');
  for (const option of edns.options) {
    w.u16(option.code, 'EDNS option code');
    w.u16(option.data.length, 'EDNS option length');
    w.raw(option.data);
  }
}

/**
 * Encodes `m` (see the file comment for truncation and TC). Throws `WireEncodeError` for a
 * value without a wire form, or when the header, questions and OPT exceed `maxBytes`.
 */
export function encodeMessage(m: Message, options: EncodeOptions): EncodeResult {
  const maxBytes = options.maxBytes ?? DNS_MESSAGE_BYTES_MAX;
  if (!(Number.isInteger(maxBytes) && maxBytes >= HEADER_BYTES && maxBytes <= DNS_MESSAGE_BYTES_MAX))
    invalid(`maxBytes ${maxBytes} is not in ${HEADER_BYTES} ..= ${DNS_MESSAGE_BYTES_MAX}`);
  const { flags } = m;
  if (!(Number.isInteger(flags.opcode) && flags.opcode >= 0 && flags.opcode <= 15))
    invalid(`opcode ${flags.opcode}`);
  if (!(Number.isInteger(flags.rcode) && flags.rcode >= 0 && flags.rcode <= 15))
    invalid(`header rcode ${flags.rcode} (larger rcodes go in edns.extendedRcode)`);
  const sections = [m.answers, m.authorities, m.additionals] as const;
  if (m.questions.length > 0xffff || sections.some((s) => s.length > 0xfffe)) invalid('too many records');
  const requiredAdditionals = options.requiredAdditionals ?? 0;
  const optBytes = m.edns === undefined ? 0 : ednsSize(m.edns);
  const fullBytes = messageSize(m);

  const w = new WireWriter(fullBytes, options.compress);
  w.u16(m.id, 'id');
  w.pos = HEADER_BYTES;
  for (const q of m.questions) {
    w.name(q.name, true);
    w.u16(q.type, 'question type');
    w.u16(q.class, 'question class');
  }
  if (w.pos + optBytes > maxBytes)
    throw new WireEncodeError(
      'header-too-large',
      `header, questions and OPT take ${w.pos + optBytes} bytes, over maxBytes ${maxBytes}`,
    );

  const limit = maxBytes - optBytes;
  const mayOverflow = fullBytes > maxBytes;
  const counts = [0, 0, 0];
  let droppedRecords = 0;
  let tc = flags.tc;
  for (let s = 0; s < sections.length && droppedRecords === 0; s++) {
    const records = sections[s] as readonly ResourceRecord[];
    for (let i = 0; i < records.length; i++) {
      const mark = mayOverflow ? w.mark() : undefined;
      writeRecord(w, records[i] as ResourceRecord);
      if (mark !== undefined && w.pos > limit) {
        w.rollback(mark);
        droppedRecords = records.length - i;
        for (let later = s + 1; later < sections.length; later++)
          droppedRecords += (sections[later] as readonly ResourceRecord[]).length;
        if (s < 2 || i < requiredAdditionals) tc = true;
        break;
      }
      counts[s] = (counts[s] as number) + 1;
    }
  }
  if (m.edns !== undefined) writeOpt(w, m.edns);

  const b = w.bytes;
  b[2] =
    (flags.qr ? 0x80 : 0) |
    (flags.opcode << 3) |
    (flags.aa ? 0x04 : 0) |
    (tc ? 0x02 : 0) |
    (flags.rd ? 0x01 : 0);
  b[3] = (flags.ra ? 0x80 : 0) | (flags.ad ? 0x20 : 0) | (flags.cd ? 0x10 : 0) | flags.rcode;
  w.patchU16(4, m.questions.length);
  w.patchU16(6, counts[0] as number);
  w.patchU16(8, counts[1] as number);
  w.patchU16(10, (counts[2] as number) + (m.edns === undefined ? 0 : 1));
  return { bytes: b.subarray(0, w.pos), truncated: tc, droppedRecords };
}

function readFlags(b2: number, b3: number): MessageFlags {
  return {
    qr: (b2 & 0x80) !== 0,
    opcode: (b2 >>> 3) & 0x0f,
    aa: (b2 & 0x04) !== 0,
    tc: (b2 & 0x02) !== 0,
    rd: (b2 & 0x01) !== 0,
    ra: (b3 & 0x80) !== 0,
    ad: (b3 & 0x20) !== 0,
    cd: (b3 & 0x10) !== 0,
    rcode: b3 & 0x0f,
  };
}

function readQuestion(r: WireReader): Question {
  return { name: r.name('question'), type: r.u16('question type'), class: r.u16('question class') };
}

function readEdnsOptions(r: WireReader, length: number): EdnsOption[] {
  const end = r.pos + length;
  const options: EdnsOption[] = [];
  while (r.pos < end) {
    if (end - r.pos < 4) r.fail('bad-opt', 'EDNS option header runs past the OPT RDATA');
    const code = r.u16('EDNS option code');
    const optionLength = r.u16('EDNS option length');
    if (r.pos + optionLength > end) r.fail('bad-opt', 'EDNS option runs past the OPT RDATA');
    options.push({ code, data: r.bytesCopy(optionLength, 'EDNS option') });
  }
  return options;
}

type Section = 'answer' | 'authority' | 'additional';

/** Reads `count` records; an OPT record (only legal in `additional`) goes to `opt.edns`. */
function readSection(
  r: WireReader,
  count: number,
  section: Section,
  opt: { edns: Edns | undefined },
): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const name = r.name(`${section} record`);
    const type = r.u16('type');
    const rrClass = r.u16('class');
    const ttl = r.u32('TTL');
    const length = r.u16('RDLENGTH');
    r.need(length, 'RDATA');
    if (type === RR_TYPE.OPT) {
      if (section !== 'additional') r.fail('bad-opt', `OPT record in the ${section} section`, start);
      if (opt.edns !== undefined) r.fail('multiple-opt', 'more than one OPT record', start);
      if (!name.isRoot) r.fail('bad-opt', 'OPT record not owned by the root', start);
      opt.edns = {
        udpPayloadSize: rrClass,
        extendedRcode: ttl >>> 24,
        version: (ttl >>> 16) & 0xff,
        dnssecOk: (ttl & 0x8000) !== 0,
        options: readEdnsOptions(r, length),
      };
      continue;
    }
    records.push({ name, type, class: rrClass, ttl, rdata: readRdata(r, type, rrClass, length) });
  }
  return records;
}

function failure(
  error: WireFormatFailure,
  id: number | undefined,
): { readonly ok: false; readonly error: DecodeError } {
  const base = {
    code: 'FORMERR',
    problem: error.problem,
    message: error.message,
    offset: error.offset,
  } as const;
  return { ok: false, error: id === undefined ? base : { id, ...base } };
}

function readCounts(bytes: Uint8Array): [number, number, number, number] {
  const u16 = (at: number) => ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  return [u16(4), u16(6), u16(8), u16(10)];
}

/** Decodes a whole message (the view `bytes`, which may sit inside a larger buffer). Never throws. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length < HEADER_BYTES)
    return failure(
      new WireFormatFailure('short-header', 0, `${bytes.length} bytes, a header needs 12`),
      undefined,
    );
  const id = ((bytes[0] as number) << 8) | (bytes[1] as number);
  try {
    const r = new WireReader(bytes, 0, bytes.length, HEADER_BYTES);
    r.pos = HEADER_BYTES;
    const [qd, an, ns, ar] = readCounts(bytes);
    if (qd * MIN_QUESTION_BYTES + (an + ns + ar) * MIN_RECORD_BYTES > r.remaining)
      r.fail('count-exceeds-data', `counts ${qd}/${an}/${ns}/${ar} cannot fit in ${r.remaining} bytes`);
    const questions: Question[] = [];
    for (let i = 0; i < qd; i++) questions.push(readQuestion(r));
    const opt: { edns: Edns | undefined } = { edns: undefined };
    const answers = readSection(r, an, 'answer', opt);
    const authorities = readSection(r, ns, 'authority', opt);
    const additionals = readSection(r, ar, 'additional', opt);
    if (r.remaining > 0) r.fail('trailing-bytes', `${r.remaining} bytes after the last record`);
    const flags = readFlags(bytes[2] as number, bytes[3] as number);
    const message: Message =
      opt.edns === undefined
        ? { id, flags, questions, answers, authorities, additionals }
        : { id, flags, questions, answers, authorities, additionals, edns: opt.edns };
    return { ok: true, message };
  } catch (error) {
    if (error instanceof WireFormatFailure) return failure(error, id);
    throw error;
  }
}

/** Most labels a question name may have (255 octets hold at most 127 labels and the root). */
const QUESTION_LABELS_MAX = 128;

/**
 * The type of the first question of `bytes` (a query, or an answer echoing it), or
 * undefined when there is none or it is unreadable (a compressed or truncated name).
 * Allocates nothing: the DNS hot path counts every query's type with it. Never throws.
 */
export function firstQuestionType(bytes: Uint8Array): number | undefined {
  if (bytes.length < HEADER_BYTES + 5 || (((bytes[4] as number) << 8) | (bytes[5] as number)) === 0)
    return undefined;
  let p = HEADER_BYTES;
  for (let labels = 0; labels < QUESTION_LABELS_MAX; labels++) {
    const length = bytes[p] as number | undefined;
    if (length === undefined || length > 63) return undefined;
    p += 1 + length;
    if (length === 0) {
      if (p + 4 > bytes.length) return undefined;
      return ((bytes[p] as number) << 8) | (bytes[p + 1] as number);
    }
  }
  return undefined;
}

export interface QueryPeek {
  readonly id: number;
  readonly flags: MessageFlags;
  readonly questionCount: number;
  /** The first question, if the count is at least 1. */
  readonly question: Question | undefined;
}

/**
 * Reads the header and the first question only, for the hot path (routing a query to the
 * zone that serves it). Checks nothing beyond the question; `decodeMessage` is still
 * needed before answering. Never throws.
 */
export function peekQuestion(
  bytes: Uint8Array,
): { readonly ok: true; readonly peek: QueryPeek } | { readonly ok: false; readonly error: DecodeError } {
  if (bytes.length < HEADER_BYTES)
    return failure(
      new WireFormatFailure('short-header', 0, `${bytes.length} bytes, a header needs 12`),
      undefined,
    );
  const id = ((bytes[0] as number) << 8) | (bytes[1] as number);
  const flags = readFlags(bytes[2] as number, bytes[3] as number);
  const questionCount = ((bytes[4] as number) << 8) | (bytes[5] as number);
  if (questionCount === 0) return { ok: true, peek: { id, flags, questionCount, question: undefined } };
  try {
    const r = new WireReader(bytes, 0, bytes.length, HEADER_BYTES);
    r.pos = HEADER_BYTES;
    return { ok: true, peek: { id, flags, questionCount, question: readQuestion(r) } };
  } catch (error) {
    if (error instanceof WireFormatFailure) return failure(error, id);
    throw error;
  }
}
