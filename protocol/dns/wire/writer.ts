/**
 * Writes a DNS message into a buffer sized in advance (the encoder computes the
 * uncompressed size first, an upper bound on the compressed one), with name compression.
 * Internal to this folder.
 *
 * Compression (RFC 1035 §4.1.4): the dictionary maps each name suffix already written to
 * its offset; a later name that ends in a known suffix writes its own leading labels and
 * then a pointer. Pointers only ever point backwards, to offsets below 0x4000 (14 bits).
 * The dictionary is bounded (`MAX_COMPRESSION_ENTRIES`); past the bound names still use
 * what it holds but add nothing.
 *
 * Matching is case-sensitive: a pointer makes the reader see the target's octets, so
 * matching `WWW.example.com` to `www.example.com` would change the case a client sees
 * (a server must echo the question as asked, and DNS 0x20 clients check). Exact matching
 * means a decoded message has exactly the names that were encoded.
 *
 * `mark`/`rollback` undo the last writes, dictionary entries included: the encoder uses
 * them to drop a record that does not fit.
 */
import { WireEncodeError } from './errors.js';
import type { Name } from './name.js';

export const MAX_COMPRESSION_ENTRIES = 1024;
const MAX_POINTER_OFFSET = 0x3fff;

export interface WriterMark {
  readonly pos: number;
  readonly entries: number;
}

export class WireWriter {
  readonly bytes: Uint8Array;
  pos = 0;
  private readonly dictionary: Map<string, number> | undefined;
  /** Keys in the order they were added, so a rollback can remove the newest. */
  private readonly added: string[] = [];

  constructor(capacity: number, compress: boolean) {
    this.bytes = new Uint8Array(capacity);
    this.dictionary = compress ? new Map() : undefined;
  }

  u8(value: number): void {
    this.bytes[this.pos++] = value;
  }

  u16(value: number, what: string): void {
    if (!(value >= 0 && value <= 0xffff && Number.isInteger(value)))
      throw new WireEncodeError('invalid-value', `${what} ${value} is not a 16-bit unsigned integer`);
    this.bytes[this.pos] = value >>> 8;
    this.bytes[this.pos + 1] = value & 0xff;
    this.pos += 2;
  }

  u32(value: number, what: string): void {
    if (!(value >= 0 && value <= 0xffffffff && Number.isInteger(value)))
      throw new WireEncodeError('invalid-value', `${what} ${value} is not a 32-bit unsigned integer`);
    const b = this.bytes;
    b[this.pos] = value >>> 24;
    b[this.pos + 1] = (value >>> 16) & 0xff;
    b[this.pos + 2] = (value >>> 8) & 0xff;
    b[this.pos + 3] = value & 0xff;
    this.pos += 4;
  }

  /** Overwrites a 16-bit field written earlier (counts, RDLENGTH). */
  patchU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value & 0xff;
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Writes an octet string (characters 0x00–0xFF), one byte per character. */
  octets(s: string): void {
    const b = this.bytes;
    for (let i = 0; i < s.length; i++) b[this.pos + i] = s.charCodeAt(i);
    this.pos += s.length;
  }

  /**
   * Writes `name`, ending in a pointer to an earlier copy of a suffix when `compressible`
   * (RFC 3597 §4 limits this to the names of well-known types). Either way its suffixes
   * become targets for later names.
   */
  name(name: Name, compressible: boolean): void {
    const labels = name.labels;
    const dictionary = this.dictionary;
    if (dictionary === undefined) {
      for (const label of labels) {
        this.u8(label.length);
        this.octets(label);
      }
      this.u8(0);
      return;
    }
    const keys = name.suffixKeys;
    const starts: number[] = [];
    let pointer: number | undefined;
    for (let i = 0; i < labels.length; i++) {
      if (compressible) {
        pointer = dictionary.get(keys[i] as string);
        if (pointer !== undefined) break;
      }
      starts.push(this.pos);
      const label = labels[i] as string;
      this.u8(label.length);
      this.octets(label);
    }
    if (pointer === undefined) this.u8(0);
    else {
      this.bytes[this.pos] = 0xc0 | (pointer >>> 8);
      this.bytes[this.pos + 1] = pointer & 0xff;
      this.pos += 2;
    }
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i] as number;
      if (start > MAX_POINTER_OFFSET || dictionary.size >= MAX_COMPRESSION_ENTRIES) break;
      const suffix = keys[i] as string;
      if (!dictionary.has(suffix)) {
        dictionary.set(suffix, start);
        this.added.push(suffix);
      }
    }
  }

  mark(): WriterMark {
    return { pos: this.pos, entries: this.added.length };
  }

  /** Forgets everything written since `mark`, including dictionary entries. */
  rollback(mark: WriterMark): void {
    while (this.added.length > mark.entries) this.dictionary?.delete(this.added.pop() as string);
    this.pos = mark.pos;
  }
}
