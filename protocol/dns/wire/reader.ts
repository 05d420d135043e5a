/**
 * A bounds-checked cursor over a DNS message, internal to this folder. Every read checks
 * its bytes lie before `end` and throws `WireFormatFailure` otherwise; the public decoders
 * catch it.
 *
 * Offsets are positions in `bytes`; `base` is where the message starts (compression
 * pointers count from it), so a message can be decoded in place inside a larger buffer.
 *
 * Compressed names (RFC 1035 §4.1.4) are read with three rules that make every name cost
 * a bounded amount of work, whatever the input:
 *   1. a pointer must point strictly before the first byte of the run of labels it ends
 *      (so each jump lands earlier than every byte read so far: no loops, no forward
 *      pointers, and a pointer into the same name is a loop);
 *   2. a pointer must not point into the 12-byte header (`pointerFloor`);
 *   3. at most `MAX_POINTERS_PER_NAME` pointers per name (a chain of pointers to pointers
 *      is otherwise legal and could cost thousands of jumps per name).
 */
import { WireFormatFailure } from './errors.js';
import { MAX_NAME_OCTETS, Name } from './name.js';

/** One per label of the longest name (127) plus one: more can only be a pointer chain. */
export const MAX_POINTERS_PER_NAME = 128;

export class WireReader {
  /** The next byte to read. */
  pos: number;
  /** The end of the readable region: the message end, or the end of a record's RDATA. */
  end: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Where offset 0 of the message is: compression pointers are relative to it. */
    readonly base: number,
    /** The end of the whole message: labels reached through a pointer may lie up to here. */
    readonly messageEnd: number,
    /** Pointers must land at or after this offset (after the header of a message). */
    readonly pointerFloor: number,
  ) {
    this.pos = base;
    this.end = messageEnd;
  }

  fail(problem: WireFormatFailure['problem'], message: string, at = this.pos): never {
    throw new WireFormatFailure(problem, at - this.base, message);
  }

  need(count: number, what: string): void {
    if (this.pos + count > this.end)
      this.fail('truncated', `${what} needs ${count} bytes, ${Math.max(0, this.end - this.pos)} left`);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const value = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number);
    this.pos += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (
      (b[p] as number) * 0x1000000 +
      (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))
    );
  }

  /** A copy of the next `count` bytes (a copy, so decoded values never alias the input). */
  bytesCopy(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = this.bytes.slice(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  /**
   * The next `count` bytes as a view into the input: for a value consumed at once (an
   * address formatted as text), never one kept, which would keep the whole input alive
   * and change with it.
   */
  bytesView(count: number, what: string): Uint8Array {
    this.need(count, what);
    const view = this.bytes.subarray(this.pos, this.pos + count);
    this.pos += count;
    return view;
  }

  /** `count` bytes as an octet string (one character per byte). */
  octets(count: number, what: string): string {
    this.need(count, what);
    const s = octetString(this.bytes, this.pos, count);
    this.pos += count;
    return s;
  }

  /** Reads a possibly compressed name; see the file comment for the pointer rules. */
  name(what: string): Name {
    const b = this.bytes;
    const labels: string[] = [];
    let p = this.pos;
    let runStart = p;
    let bound = this.end;
    let wireLength = 1;
    let pointers = 0;
    let resume = -1;
    for (;;) {
      if (p >= bound) this.fail('truncated', `${what}: name runs past the end`, p);
      const len = b[p] as number;
      if (len === 0) {
        p += 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (p + 1 >= bound) this.fail('truncated', `${what}: pointer runs past the end`, p);
        const target = this.base + (((len & 0x3f) << 8) | (b[p + 1] as number));
        if (target >= p) this.fail('forward-pointer', `${what}: pointer to offset ${target - this.base}`, p);
        if (target >= runStart) this.fail('pointer-loop', `${what}: pointer back into the same name`, p);
        if (target < this.pointerFloor) this.fail('bad-pointer', `${what}: pointer into the header`, p);
        if (++pointers > MAX_POINTERS_PER_NAME) this.fail('pointer-loop', `${what}: too many pointers`, p);
        if (resume < 0) resume = p + 2;
        p = target;
        runStart = target;
        bound = this.messageEnd;
        continue;
      }
      if (kind !== 0) this.fail('bad-label-type', `${what}: label type 0x${kind.toString(16)}`, p);
      wireLength += len + 1;
      if (wireLength > MAX_NAME_OCTETS) this.fail('name-too-long', `${what}: over 255 octets`, p);
      if (p + 1 + len > bound) this.fail('truncated', `${what}: label runs past the end`, p);
      labels.push(octetString(b, p + 1, len));
      p += 1 + len;
    }
    this.pos = resume < 0 ? p : resume;
    return labels.length === 0 ? Name.ROOT : Name.fromLabels(labels);
  }
}

function octetString(bytes: Uint8Array, start: number, count: number): string {
  let s = '';
  for (let i = start; i < start + count; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}
