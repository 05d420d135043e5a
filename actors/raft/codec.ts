/**
 * The wire codec for `RaftMessage`: compact binary, one frame per message, with a version
 * byte first so the format can evolve (DESIGN §5).
 *
 * Frame layout (every multi-byte integer is an unsigned LEB128 varint, at most 8 bytes,
 * canonical: no redundant trailing zero groups, value <= 2^53 - 1):
 *
 *   offset 0   u8       CODEC_VERSION (2)
 *   offset 1   u8       type tag (MESSAGE_TAGS below)
 *              varint   term
 *              string   from
 *              string   to
 *              ...      the type's body fields, in the order of its layout in LAYOUTS
 *
 *   string   = u8 byte length (1..255) + that many bytes of well-formed UTF-8
 *   bool     = u8, 0 or 1 (any other value is 'invalid-field')
 *   bytes    = varint length + that many bytes
 *   entries  = varint count (<= MAX_ENTRIES_PER_MESSAGE), then per entry:
 *              varint index, varint term, u8 kind (ENTRY_KIND_CODES), varint timeMs, bytes data
 *   snapshot-meta = varint lastIndex, varint lastTerm, varint chain (u32),
 *              varint voter count (<= MAX_VOTERS_PER_MESSAGE), then that many strings
 *
 * Every frame has exactly one encoding: the decoder rejects anything the encoder would not
 * produce, so `encode(decode(bytes))` reproduces `bytes` whenever decoding succeeds.
 *
 * The codec checks structure only. Raft-level validity (entry indexes consecutive from
 * prevLogIndex + 1, terms not above the message's term, and so on) is the receiving
 * actor's job, as is gating by term.
 *
 * Migration log (a breaking change to this layout bumps CODEC_VERSION and is noted here):
 *   v1: first version.
 *   v2: AppendEntries carries `leaderCommitCurrent` (bool, after leaderCommit), without
 *       which a follower cannot tell a live leader's commit index from a deposed one's.
 *   Added within v2 (a new tag; a decoder without it refuses the frame as 'unknown-type'):
 *       12 `lease-read-index`.
 */

import { readVarint, VARINT_PROBLEM_TEXT, varintSize, writeVarint } from '../../protocol/binary.js';
import { PEER_FRAME_BYTES_MAX } from '../../protocol/limits.js';
import type { RaftMessage, RaftMessageType } from './peer-messages.js';
import type { EntryKind, LogEntry, SnapshotMeta } from './types.js';

export const CODEC_VERSION = 2;

/** Most log entries one AppendEntries may carry. */
export const MAX_ENTRIES_PER_MESSAGE = 4096;
/** Most voters one snapshot's membership may list. */
export const MAX_VOTERS_PER_MESSAGE = 255;
/** Longest replica id, in UTF-8 bytes (its length prefix is one byte). */
export const MAX_REPLICA_ID_BYTES = 255;

export type CodecErrorCode =
  | 'truncated'
  | 'bad-version'
  | 'unknown-type'
  | 'too-large'
  | 'bad-varint'
  | 'bad-utf8'
  | 'trailing-bytes'
  | 'invalid-field';

/**
 * Why a frame was refused. A plain value (no stack trace): bad frames come from the
 * network and are dropped and counted, not debugged one by one.
 */
export interface CodecError {
  readonly code: CodecErrorCode;
  readonly message: string;
  /** Byte offset in the frame where the problem was found, when decoding. */
  readonly offset?: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly message: RaftMessage }
  | { readonly ok: false; readonly error: CodecError };

export type EncodeResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: CodecError };

// ---------------------------------------------------------------------------------------
// Code tables

/** Type tags on the wire. Never reuse a retired tag. */
export const MESSAGE_TAGS: { readonly [T in RaftMessageType]: number } = {
  'pre-vote': 1,
  'pre-vote-response': 2,
  'request-vote': 3,
  'request-vote-response': 4,
  'append-entries': 5,
  'append-entries-response': 6,
  'install-snapshot': 7,
  'install-snapshot-response': 8,
  'timeout-now': 9,
  'read-index': 10,
  'read-index-response': 11,
  'lease-read-index': 12,
};

/** Entry kinds on the wire. */
export const ENTRY_KIND_CODES: { readonly [K in EntryKind]: number } = {
  noop: 0,
  command: 1,
  config: 2,
};

type FieldKind = 'uint' | 'bool' | 'bytes' | 'entries' | 'snapshot-meta';

/** The wire kind of a message field of type `V`; `never` for a type the codec cannot carry. */
type KindOf<V> = V extends number
  ? 'uint'
  : V extends boolean
    ? 'bool'
    : V extends Uint8Array
      ? 'bytes'
      : V extends readonly LogEntry[]
        ? 'entries'
        : V extends SnapshotMeta
          ? 'snapshot-meta'
          : never;

type EnvelopeKey = 'type' | 'term' | 'from' | 'to';
type MessageOf<T extends RaftMessageType> = Extract<RaftMessage, { readonly type: T }>;

/**
 * Every body field of the message with its wire kind. The compiler checks that each field
 * is listed with the right kind; **key order is wire order** (the golden-bytes test pins it).
 */
type BodyLayout<M> = { readonly [K in Exclude<keyof M, EnvelopeKey>]-?: KindOf<M[K]> };

const LAYOUTS: { readonly [T in RaftMessageType]: BodyLayout<MessageOf<T>> } = {
  'pre-vote': { lastLogIndex: 'uint', lastLogTerm: 'uint' },
  'pre-vote-response': { granted: 'bool' },
  'request-vote': { lastLogIndex: 'uint', lastLogTerm: 'uint', transfer: 'bool' },
  'request-vote-response': { granted: 'bool' },
  'append-entries': {
    prevLogIndex: 'uint',
    prevLogTerm: 'uint',
    leaderCommit: 'uint',
    leaderCommitCurrent: 'bool',
    round: 'uint',
    entries: 'entries',
  },
  'append-entries-response': {
    success: 'bool',
    matchIndex: 'uint',
    conflictTerm: 'uint',
    conflictIndex: 'uint',
    round: 'uint',
  },
  'install-snapshot': { meta: 'snapshot-meta', offset: 'uint', done: 'bool', chunk: 'bytes' },
  'install-snapshot-response': { nextOffset: 'uint', installed: 'bool', lastIndex: 'uint' },
  'timeout-now': { vote: 'bool' },
  'read-index': { requestId: 'uint' },
  'read-index-response': { requestId: 'uint', ok: 'bool', readIndex: 'uint' },
  'lease-read-index': { requestId: 'uint' },
};

interface CompiledLayout {
  readonly type: RaftMessageType;
  readonly tag: number;
  readonly fields: ReadonlyArray<readonly [name: string, kind: FieldKind]>;
}

const BY_TYPE = new Map<string, CompiledLayout>();
const BY_TAG: Array<CompiledLayout | undefined> = [];
for (const type of Object.keys(MESSAGE_TAGS) as RaftMessageType[]) {
  const tag = MESSAGE_TAGS[type];
  const fields = Object.entries(LAYOUTS[type] as Readonly<Record<string, FieldKind>>);
  const layout: CompiledLayout = { type, tag, fields };
  BY_TYPE.set(type, layout);
  BY_TAG[tag] = layout;
}

const KIND_BY_CODE: readonly EntryKind[] = (() => {
  const kinds: EntryKind[] = [];
  for (const [kind, code] of Object.entries(ENTRY_KIND_CODES)) kinds[code] = kind as EntryKind;
  return kinds;
})();

/** Smallest encodings, for rejecting absurd counts before allocating anything. */
const ENTRY_BYTES_MIN = 5; // index, term, kind, timeMs, data length: one byte each
const VOTER_BYTES_MIN = 2; // length byte + one byte of id

// ---------------------------------------------------------------------------------------
// Encoding

/**
 * The exact size of `m`'s frame in bytes, whatever its size (it may exceed PEER_FRAME_BYTES_MAX).
 * Lets a sender size its batches before encoding. Throws RangeError like `encodeRaftMessage`.
 */
export function encodingLength(m: RaftMessage): number {
  const layout = layoutOf(m);
  let size = 2 + uintSize(m.term, 'term') + stringSize(m.from, 'from') + stringSize(m.to, 'to');
  const record = m as unknown as Readonly<Record<string, unknown>>;
  for (const [name, kind] of layout.fields) {
    const value = record[name];
    switch (kind) {
      case 'uint':
        size += uintSize(value, name);
        break;
      case 'bool':
        checkBool(value, name);
        size += 1;
        break;
      case 'bytes':
        size += bytesSize(value, name);
        break;
      case 'entries':
        size += entriesSize(value, name);
        break;
      case 'snapshot-meta':
        size += snapshotMetaSize(value, name);
        break;
    }
  }
  return size;
}

/**
 * Encodes `m` into a new buffer of exactly its size (computed first, allocated once).
 *
 * Returns `{ ok: false }` with code 'too-large' when the frame would exceed PEER_FRAME_BYTES_MAX,
 * or it carries more than MAX_ENTRIES_PER_MESSAGE entries or MAX_VOTERS_PER_MESSAGE voters:
 * batch sizes depend on load, so the caller must be able to react.
 *
 * Throws RangeError only for programming errors: a number that is not a safe non-negative
 * integer, an empty or over-long replica id, a string with a lone surrogate, a field of the
 * wrong type, an unknown message type or entry kind.
 */
export function encodeRaftMessage(m: RaftMessage): EncodeResult {
  const size = encodingLength(m);
  if (m.type === 'append-entries' && m.entries.length > MAX_ENTRIES_PER_MESSAGE) {
    return tooLarge(
      `${m.entries.length} entries exceed MAX_ENTRIES_PER_MESSAGE (${MAX_ENTRIES_PER_MESSAGE})`,
    );
  }
  if (m.type === 'install-snapshot' && m.meta.membership.voters.length > MAX_VOTERS_PER_MESSAGE) {
    return tooLarge(
      `${m.meta.membership.voters.length} voters exceed MAX_VOTERS_PER_MESSAGE (${MAX_VOTERS_PER_MESSAGE})`,
    );
  }
  if (size > PEER_FRAME_BYTES_MAX) {
    return tooLarge(`frame of ${size} bytes exceeds PEER_FRAME_BYTES_MAX (${PEER_FRAME_BYTES_MAX})`);
  }
  const layout = layoutOf(m);
  const out = new Uint8Array(size);
  out[0] = CODEC_VERSION;
  out[1] = layout.tag;
  let pos = writeVarint(out, 2, m.term);
  pos = writeString(out, pos, m.from);
  pos = writeString(out, pos, m.to);
  const record = m as unknown as Readonly<Record<string, unknown>>;
  for (const [name, kind] of layout.fields) {
    const value = record[name];
    switch (kind) {
      case 'uint':
        pos = writeVarint(out, pos, value as number);
        break;
      case 'bool':
        out[pos++] = value === true ? 1 : 0;
        break;
      case 'bytes':
        pos = writeBytes(out, pos, value as Uint8Array);
        break;
      case 'entries':
        pos = writeEntries(out, pos, value as readonly LogEntry[]);
        break;
      case 'snapshot-meta':
        pos = writeSnapshotMeta(out, pos, value as SnapshotMeta);
        break;
    }
  }
  if (pos !== size) throw new Error(`codec bug: wrote ${pos} bytes of a ${size}-byte ${m.type} frame`);
  return { ok: true, bytes: out };
}

function tooLarge(message: string): EncodeResult {
  return { ok: false, error: { code: 'too-large', message } };
}

function layoutOf(m: RaftMessage): CompiledLayout {
  const layout = BY_TYPE.get(m.type);
  if (layout === undefined) throw new RangeError(`unknown message type ${String(m.type)}`);
  return layout;
}

function uintSize(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a safe non-negative integer, got ${String(value)}`);
  }
  return varintSize(value);
}

function checkBool(value: unknown, name: string): void {
  if (typeof value !== 'boolean') throw new RangeError(`${name} must be a boolean, got ${String(value)}`);
}

function bytesSize(value: unknown, name: string): number {
  if (!(value instanceof Uint8Array)) throw new RangeError(`${name} must be a Uint8Array`);
  return varintSize(value.byteLength) + value.byteLength;
}

/** UTF-8 length of a replica id; throws for empty, over-long or ill-formed strings. */
function stringSize(value: unknown, name: string): number {
  if (typeof value !== 'string') throw new RangeError(`${name} must be a string, got ${String(value)}`);
  const length = utf8Length(value);
  if (length < 0) throw new RangeError(`${name} contains a lone surrogate`);
  if (length === 0 || length > MAX_REPLICA_ID_BYTES) {
    throw new RangeError(`${name} must be 1..${MAX_REPLICA_ID_BYTES} UTF-8 bytes, got ${length}`);
  }
  return 1 + length;
}

/** UTF-8 byte length of `s`, or -1 if it contains a lone surrogate (not encodable losslessly). */
function utf8Length(s: string): number {
  let length = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) length += 1;
    else if (c < 0x800) length += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      length += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else length += 3;
  }
  return length;
}

function entriesSize(value: unknown, name: string): number {
  if (!Array.isArray(value)) throw new RangeError(`${name} must be an array`);
  const entries = value as readonly LogEntry[];
  let size = varintSize(entries.length);
  for (const entry of entries) {
    if (!Object.hasOwn(ENTRY_KIND_CODES, entry.kind)) {
      throw new RangeError(`entry kind must be one of ${Object.keys(ENTRY_KIND_CODES).join(', ')}`);
    }
    size +=
      uintSize(entry.index, 'entry index') +
      uintSize(entry.term, 'entry term') +
      1 +
      uintSize(entry.timeMs, 'entry timeMs') +
      bytesSize(entry.data, 'entry data');
  }
  return size;
}

function snapshotMetaSize(value: unknown, name: string): number {
  const meta = value as SnapshotMeta;
  if (typeof meta !== 'object' || meta === null || !Array.isArray(meta.membership?.voters)) {
    throw new RangeError(`${name} must be a SnapshotMeta`);
  }
  let size = uintSize(meta.lastIndex, 'meta.lastIndex') + uintSize(meta.lastTerm, 'meta.lastTerm');
  size += uintSize(meta.chain, 'meta.chain');
  size += varintSize(meta.membership.voters.length);
  for (const voter of meta.membership.voters) size += stringSize(voter, 'voter');
  return size;
}

const textEncoder = new TextEncoder();

/** Writes a replica id whose size `stringSize` already checked. */
function writeString(out: Uint8Array, pos: number, s: string): number {
  const lengthPos = pos++;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    out[pos + i] = c;
  }
  const length = ascii ? s.length : textEncoder.encodeInto(s, out.subarray(pos)).written;
  out[lengthPos] = length;
  return pos + length;
}

function writeBytes(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  pos = writeVarint(out, pos, bytes.byteLength);
  out.set(bytes, pos);
  return pos + bytes.byteLength;
}

function writeEntries(out: Uint8Array, pos: number, entries: readonly LogEntry[]): number {
  pos = writeVarint(out, pos, entries.length);
  for (const entry of entries) {
    pos = writeVarint(out, pos, entry.index);
    pos = writeVarint(out, pos, entry.term);
    out[pos++] = ENTRY_KIND_CODES[entry.kind];
    pos = writeVarint(out, pos, entry.timeMs);
    pos = writeBytes(out, pos, entry.data);
  }
  return pos;
}

function writeSnapshotMeta(out: Uint8Array, pos: number, meta: SnapshotMeta): number {
  pos = writeVarint(out, pos, meta.lastIndex);
  pos = writeVarint(out, pos, meta.lastTerm);
  pos = writeVarint(out, pos, meta.chain);
  pos = writeVarint(out, pos, meta.membership.voters.length);
  for (const voter of meta.membership.voters) pos = writeString(out, pos, voter);
  return pos;
}

// ---------------------------------------------------------------------------------------
// Decoding

/** Carries a CodecError out of the reader to `decodeRaftMessage`; never escapes it. */
class DecodeFailure {
  constructor(readonly error: CodecError) {}
}

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A cursor over one frame. Every read checks bounds and fails with a typed error. */
class Reader {
  pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  fail(code: CodecErrorCode, message: string, offset = this.pos): never {
    throw new DecodeFailure({ code, message, offset });
  }

  remaining(): number {
    return this.end - this.pos;
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.fail('truncated', `frame ends before ${what}`);
    return this.buf[this.pos++]!;
  }

  /** A canonical unsigned LEB128 varint (protocol/binary.ts). */
  uint(what: string): number {
    const value = readVarint(this.buf, this.pos, this.end);
    if (typeof value === 'string') {
      if (value === 'truncated') this.fail('truncated', `frame ends inside ${what}`, this.end);
      this.fail('bad-varint', `${what}: ${VARINT_PROBLEM_TEXT[value]}`);
    }
    this.pos += varintSize(value);
    return value;
  }

  bool(what: string): boolean {
    const at = this.pos;
    const b = this.u8(what);
    if (b > 1) this.fail('invalid-field', `${what} must be 0 or 1, got ${b}`, at);
    return b === 1;
  }

  string(what: string): string {
    const at = this.pos;
    const length = this.u8(`the length of ${what}`);
    if (length === 0) this.fail('invalid-field', `${what} is empty`, at);
    if (length > this.remaining()) this.fail('truncated', `frame ends inside ${what}`);
    const start = this.pos;
    this.pos += length;
    const buf = this.buf;
    let ascii = '';
    for (let i = start; i < this.pos; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return this.utf8(start, what);
      ascii += String.fromCharCode(c);
    }
    return ascii;
  }

  private utf8(start: number, what: string): string {
    try {
      return textDecoder.decode(this.buf.subarray(start, this.pos));
    } catch {
      return this.fail('bad-utf8', `${what} is not well-formed UTF-8`, start);
    }
  }

  /** A length-prefixed byte string, copied: the message owns its bytes, not the frame's buffer. */
  bytes(what: string): Uint8Array {
    const length = this.uint(`the length of ${what}`);
    if (length > this.remaining()) this.fail('truncated', `frame ends inside ${what}`);
    const out = new Uint8Array(length);
    out.set(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return out;
  }

  /** A count of items of at least `itemBytesMin` bytes each, bounded by `max`. */
  count(what: string, max: number, itemBytesMin: number): number {
    const at = this.pos;
    const n = this.uint(`the count of ${what}`);
    if (n > max) this.fail('too-large', `${n} ${what} exceed the limit of ${max}`, at);
    if (n * itemBytesMin > this.remaining()) this.fail('truncated', `frame ends inside ${what}`);
    return n;
  }

  entries(): LogEntry[] {
    const n = this.count('entries', MAX_ENTRIES_PER_MESSAGE, ENTRY_BYTES_MIN);
    const entries: LogEntry[] = [];
    for (let i = 0; i < n; i++) {
      const index = this.uint('entry index');
      const term = this.uint('entry term');
      const at = this.pos;
      const code = this.u8('entry kind');
      const kind = KIND_BY_CODE[code];
      if (kind === undefined) this.fail('invalid-field', `unknown entry kind ${code}`, at);
      const timeMs = this.uint('entry timeMs');
      const data = this.bytes('entry data');
      entries.push({ index, term, kind, timeMs, data });
    }
    return entries;
  }

  snapshotMeta(): SnapshotMeta {
    const lastIndex = this.uint('meta.lastIndex');
    const lastTerm = this.uint('meta.lastTerm');
    const chain = this.uint('meta.chain');
    if (chain > 0xffff_ffff) this.fail('invalid-field', `meta.chain ${chain} exceeds 32 bits`, this.pos);
    const n = this.count('voters', MAX_VOTERS_PER_MESSAGE, VOTER_BYTES_MIN);
    const voters: string[] = [];
    for (let i = 0; i < n; i++) voters.push(this.string('voter'));
    return { lastIndex, lastTerm, chain, membership: { voters } };
  }
}

/**
 * Decodes one frame occupying all of `bytes` (pass a subarray to decode a frame inside a
 * larger buffer). Never throws on bad input: every problem is a typed `CodecError`.
 * Byte fields (entry data, snapshot chunks) are copies, so the message does not keep
 * `bytes` alive.
 */
export function decodeRaftMessage(bytes: Uint8Array): DecodeResult {
  const length = bytes.byteLength;
  if (length > PEER_FRAME_BYTES_MAX) {
    return fail(
      'too-large',
      `frame of ${length} bytes exceeds PEER_FRAME_BYTES_MAX (${PEER_FRAME_BYTES_MAX})`,
      0,
    );
  }
  if (length < 1) return fail('truncated', 'empty frame', 0);
  if (bytes[0] !== CODEC_VERSION) {
    return fail('bad-version', `codec version ${bytes[0]} is not ${CODEC_VERSION}`, 0);
  }
  if (length < 2) return fail('truncated', 'frame ends before the type tag', 1);
  const tag = bytes[1]!;
  const layout = BY_TAG[tag];
  if (layout === undefined) return fail('unknown-type', `unknown type tag ${tag}`, 1);
  try {
    const reader = new Reader(bytes, 2, length);
    const message: Record<string, unknown> = {
      type: layout.type,
      term: reader.uint('term'),
      from: reader.string('from'),
      to: reader.string('to'),
    };
    for (const [name, kind] of layout.fields) {
      switch (kind) {
        case 'uint':
          message[name] = reader.uint(name);
          break;
        case 'bool':
          message[name] = reader.bool(name);
          break;
        case 'bytes':
          message[name] = reader.bytes(name);
          break;
        case 'entries':
          message[name] = reader.entries();
          break;
        case 'snapshot-meta':
          message[name] = reader.snapshotMeta();
          break;
      }
    }
    if (reader.pos !== length) {
      return fail(
        'trailing-bytes',
        `${length - reader.pos} bytes after the ${layout.type} message`,
        reader.pos,
      );
    }
    // The layout lists every field of this type with its kind (checked by BodyLayout).
    return { ok: true, message: message as unknown as RaftMessage };
  } catch (error) {
    if (error instanceof DecodeFailure) return { ok: false, error: error.error };
    throw error;
  }
}

function fail(code: CodecErrorCode, message: string, offset: number): DecodeResult {
  return { ok: false, error: { code, message, offset } };
}
