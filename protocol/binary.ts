/**
 * The byte-level vocabulary of every binary format here (the group command codec, the
 * snapshot formats, the Raft peer codec): unsigned LEB128 varints (canonical, up to
 * 2^53 - 1) and length-prefixed UTF-8 strings.
 *
 * Canonical means each value has exactly one encoding (no overlong varints), so
 * decode → encode gives back the same bytes: replicas that hold equal state hold equal bytes.
 *
 * The reader reports a failure by throwing `ByteReadFailure`, which is internal to this
 * folder: every public decoder catches it and returns a typed error value instead.
 */

/** Why bytes could not be read; the decoders map these onto their own error codes. */
export type ByteReadProblem = 'truncated' | 'bad-varint' | 'invalid-utf8' | 'too-long' | 'invalid-value';

export class ByteReadFailure extends Error {
  constructor(
    readonly problem: ByteReadProblem,
    /** The name of the field being read, as the decoder called it. */
    readonly what: string,
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'ByteReadFailure';
  }
}

const utf8Encoder = new TextEncoder();
/** Strings shorter than this (characters written, bytes read) that are ASCII skip the UTF-8 codec. */
const ASCII_FAST_MAX = 0x80;
/** `fatal`: invalid UTF-8 is an error, not U+FFFD. `ignoreBOM`: a leading U+FEFF is data, not a marker. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Matches a UTF-16 surrogate that is not half of a pair: such a string has no UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` is valid Unicode, so that UTF-8 encoding it loses nothing. */
export function isWellFormedString(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

export function utf8Encode(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Bytes a varint takes for `n` (a safe non-negative integer). */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  if (n < 2 ** 35) return 5;
  if (n < 2 ** 42) return 6;
  if (n < 2 ** 49) return 7;
  return 8;
}

/**
 * Writes `n` (a safe non-negative integer) as an unsigned LEB128 varint at `pos` in `out`,
 * which must have `varintSize(n)` bytes free there; returns the position after it.
 */
export function writeVarint(out: Uint8Array, pos: number, n: number): number {
  if (n < 0x8000_0000) {
    // Fast path: 32-bit integer arithmetic.
    while (n >= 0x80) {
      out[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[pos++] = n;
    return pos;
  }
  // Bit operators truncate to 32 bits: above 2^31 the arithmetic is done in doubles.
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[pos++] = n;
  return pos;
}

/** Why the bytes at an offset are not a canonical varint. */
export type VarintProblem = 'truncated' | 'overlong' | 'above-max';

export const VARINT_PROBLEM_TEXT: Readonly<Record<VarintProblem, string>> = {
  truncated: 'truncated varint',
  overlong: 'overlong varint (a redundant trailing zero byte)',
  'above-max': 'varint above 2^53 - 1',
};

/**
 * Reads the canonical varint that starts at `start` in `bytes`, ending before `end`: its
 * value, or why there is none. A value's varint is `varintSize(value)` bytes long (a
 * canonical encoding is unique), so the caller advances by that much. At most 8 bytes:
 * the eighth carries bits 49..52 only.
 */
export function readVarint(bytes: Uint8Array, start: number, end: number): number | VarintProblem {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const at = start + i;
    if (at >= end) return 'truncated';
    const byte = bytes[at] as number;
    if (i === 7 && byte > 0x0f) return 'above-max';
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return byte === 0 && i > 0 ? 'overlong' : value;
    scale *= 0x80;
  }
  // Unreachable: the eighth byte either ends the varint or is above the maximum.
  return 'above-max';
}

/** Bytes the length-prefixed encoding of `bytes` takes. */
export function blobSize(bytes: Uint8Array): number {
  return varintSize(bytes.length) + bytes.length;
}

/**
 * Appends bytes to a buffer that grows by doubling. Writers trust their input: callers
 * validate values (safe non-negative integers, well-formed strings) before writing them.
 */
export class ByteWriter {
  private buffer: Uint8Array<ArrayBuffer>;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  u8(n: number): void {
    this.reserve(1);
    this.buffer[this.length++] = n & 0xff;
  }

  /** Unsigned LEB128; `n` must be a safe non-negative integer. Uses arithmetic, not bit operators, above 2^31. */
  varint(n: number): void {
    this.reserve(8);
    this.length = writeVarint(this.buffer, this.length, n);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A varint length, then the bytes. */
  blob(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A length-prefixed UTF-8 string; `s` must be well formed. */
  string(s: string): void {
    // Names and owners are short ASCII: written in place, without the encoder's allocation.
    const n = s.length;
    if (n < ASCII_FAST_MAX) {
      this.reserve(1 + n);
      const buffer = this.buffer;
      let at = this.length + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buffer[at++] = c;
      }
      if (i === n) {
        buffer[this.length] = n; // a one-byte varint: n < 0x80
        this.length = at;
        return;
      }
    }
    this.blob(utf8Encoder.encode(s));
  }

  /**
   * The bytes written so far (a copy sized exactly, so the writer's spare capacity is not
   * kept alive), in a buffer of their own that can be transferred to another thread.
   */
  finish(): Uint8Array<ArrayBuffer> {
    return this.buffer.slice(0, this.length);
  }
}

/** A cursor over bytes that throws `ByteReadFailure` (never anything else) on bad input. */
export class ByteReader {
  private offset = 0;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    // A Node Buffer's subarray builds a Buffer, several times the cost of a plain view's:
    // reading a snapshot takes a view per field.
    this.bytes =
      bytes.constructor === Uint8Array
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(problem: ByteReadProblem, what: string, message: string, at = this.offset): never {
    throw new ByteReadFailure(problem, what, at, `${what}: ${message} (at byte ${at})`);
  }

  u8(what: string): number {
    const byte = this.bytes[this.offset];
    if (byte === undefined) this.fail('truncated', what, 'truncated');
    this.offset++;
    return byte;
  }

  /** A canonical unsigned LEB128 varint no larger than `Number.MAX_SAFE_INTEGER` (at most 8 bytes). */
  varint(what: string): number {
    const start = this.offset;
    const value = readVarint(this.bytes, start, this.bytes.length);
    if (typeof value === 'string')
      this.fail(value === 'truncated' ? 'truncated' : 'bad-varint', what, VARINT_PROBLEM_TEXT[value], start);
    this.offset += varintSize(value);
    return value;
  }

  /** `length` raw bytes, as a view into the input (callers copy if they keep them). */
  raw(length: number, what: string): Uint8Array {
    if (length > this.remaining)
      this.fail('truncated', what, `needs ${length} bytes, ${this.remaining} left`);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  /** A length-prefixed blob of at most `maxBytes` (checked before reading the body). */
  blob(maxBytes: number, what: string): Uint8Array {
    const start = this.offset;
    const length = this.varint(what);
    if (length > maxBytes)
      this.fail('too-long', what, `${length} bytes exceeds the maximum ${maxBytes}`, start);
    return this.raw(length, what);
  }

  /** A length-prefixed UTF-8 string of at most `maxBytes` encoded bytes. */
  string(maxBytes: number, what: string): string {
    const start = this.offset;
    const bytes = this.blob(maxBytes, what);
    if (bytes.length < ASCII_FAST_MAX) {
      let ascii = true;
      for (let i = 0; i < bytes.length; i++)
        if ((bytes[i] as number) >= 0x80) {
          ascii = false;
          break;
        }
      // ASCII is its own UTF-8: no decoder call for the short names most strings are.
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      return this.fail('invalid-utf8', what, 'invalid UTF-8', start);
    }
  }
}
