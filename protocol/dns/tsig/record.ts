/**
 * The TSIG resource record (RFC 8945 §4.2): owner the key name, type 250, class ANY,
 * TTL 0, and RDATA
 *
 *   Algorithm Name (uncompressed) | Time Signed (u48) | Fudge (u16) | MAC Size (u16) |
 *   MAC | Original ID (u16) | Error (u16) | Other Len (u16) | Other Data
 *
 * The message codec keeps TSIG RDATA opaque; this file reads and writes its fields.
 * Decoding never throws: bytes off the network become a value or a reason.
 */
import { RR_CLASS, RR_TYPE } from '../wire/codes.js';
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS, Name, NameError } from '../wire/name.js';

/** Seconds since the epoch fit 48 bits (RFC 8945 §4.2). */
export const TSIG_TIME_MAX = 2 ** 48 - 1;

export interface TsigRdata {
  readonly algorithm: Name;
  /** Seconds since 1970-01-01 UTC, 0 ..= 2^48 - 1. */
  readonly timeSigned: number;
  /** Seconds of clock difference the signer allows (RFC 8945 §5.2.3). */
  readonly fudge: number;
  /** As sent, possibly truncated (§5.2.2.1); empty in an unsigned error answer. */
  readonly mac: Uint8Array;
  /** The message id when it was signed (a forwarder may change the header's). */
  readonly originalId: number;
  /** 0, or a TSIG error code (`TSIG_ERROR`). */
  readonly error: number;
  /** Empty, or the server's time (6 octets) in a BADTIME answer (§5.2.3). */
  readonly other: Uint8Array;
}

/** A TSIG record: the key's name and the fields. */
export interface TsigRecord {
  readonly keyName: Name;
  readonly rdata: TsigRdata;
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

/** The 48-bit big-endian form of `seconds` (Time Signed, and BADTIME's Other Data). */
export function u48Bytes(seconds: number): Uint8Array {
  const out = new Uint8Array(6);
  const high = Math.floor(seconds / 2 ** 32);
  const low = seconds % 2 ** 32;
  out[0] = (high >>> 8) & 0xff;
  out[1] = high & 0xff;
  out[2] = low >>> 24;
  out[3] = (low >>> 16) & 0xff;
  out[4] = (low >>> 8) & 0xff;
  out[5] = low & 0xff;
  return out;
}

function readU48(bytes: Uint8Array, at: number): number {
  return (
    u16(bytes, at) * 2 ** 32 +
    ((bytes[at + 2] as number) * 0x1000000 + ((bytes[at + 3] as number) << 16) + u16(bytes, at + 4))
  );
}

/** The uncompressed wire form of `name`, labels as written (callers lowercase it for digests). */
export function nameWire(name: Name, lowercase: boolean): Uint8Array {
  const out = new Uint8Array(name.wireLength);
  let p = 0;
  for (const label of lowercase ? name.lowercaseLabels : name.labels) {
    out[p++] = label.length;
    for (let i = 0; i < label.length; i++) out[p++] = label.charCodeAt(i);
  }
  out[p] = 0;
  return out;
}

function checkField(value: number, max: number, what: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max))
    throw new RangeError(`TSIG ${what} ${value} is not in 0 ..= ${max}`);
}

/** The RDATA's wire form. Throws `RangeError` for a field out of range. */
export function encodeTsigRdata(rdata: TsigRdata): Uint8Array {
  checkField(rdata.timeSigned, TSIG_TIME_MAX, 'time signed');
  checkField(rdata.fudge, 0xffff, 'fudge');
  checkField(rdata.originalId, 0xffff, 'original id');
  checkField(rdata.error, 0xffff, 'error');
  checkField(rdata.mac.length, 0xffff, 'MAC size');
  checkField(rdata.other.length, 0xffff, 'other length');
  const algorithm = nameWire(rdata.algorithm, false);
  const out = new Uint8Array(algorithm.length + 16 + rdata.mac.length + rdata.other.length);
  out.set(algorithm, 0);
  let p = algorithm.length;
  out.set(u48Bytes(rdata.timeSigned), p);
  p += 6;
  const put16 = (value: number) => {
    out[p++] = value >>> 8;
    out[p++] = value & 0xff;
  };
  put16(rdata.fudge);
  put16(rdata.mac.length);
  out.set(rdata.mac, p);
  p += rdata.mac.length;
  put16(rdata.originalId);
  put16(rdata.error);
  put16(rdata.other.length);
  out.set(rdata.other, p);
  return out;
}

/** Reads an uncompressed name at `at` inside `bytes[..end)`; undefined when malformed. */
function readPlainName(bytes: Uint8Array, at: number, end: number): { name: Name; next: number } | undefined {
  const labels: Uint8Array[] = [];
  let p = at;
  let octets = 1;
  for (;;) {
    if (p >= end) return undefined;
    const length = bytes[p] as number;
    if (length === 0) break;
    if (length > MAX_LABEL_OCTETS) return undefined;
    octets += length + 1;
    if (octets > MAX_NAME_OCTETS || p + 1 + length > end) return undefined;
    labels.push(bytes.subarray(p + 1, p + 1 + length));
    p += 1 + length;
  }
  try {
    return { name: Name.fromLabels(labels), next: p + 1 };
  } catch (error) {
    if (error instanceof NameError) return undefined;
    throw error;
  }
}

/** Decodes TSIG RDATA; a string says what is wrong. Never throws. */
export function decodeTsigRdata(
  bytes: Uint8Array,
): { ok: true; rdata: TsigRdata } | { ok: false; reason: string } {
  const algorithm = readPlainName(bytes, 0, bytes.length);
  if (algorithm === undefined) return { ok: false, reason: 'the algorithm name is malformed or compressed' };
  let p = algorithm.next;
  if (p + 10 > bytes.length) return { ok: false, reason: 'the RDATA ends inside the fixed fields' };
  const timeSigned = readU48(bytes, p);
  const fudge = u16(bytes, p + 6);
  const macSize = u16(bytes, p + 8);
  p += 10;
  if (p + macSize + 6 > bytes.length) return { ok: false, reason: 'the MAC runs past the RDATA' };
  const mac = bytes.slice(p, p + macSize);
  p += macSize;
  const originalId = u16(bytes, p);
  const error = u16(bytes, p + 2);
  const otherLength = u16(bytes, p + 4);
  p += 6;
  if (p + otherLength !== bytes.length)
    return { ok: false, reason: `Other Len ${otherLength} does not end the RDATA` };
  const other = bytes.slice(p, p + otherLength);
  return { ok: true, rdata: { algorithm: algorithm.name, timeSigned, fudge, mac, originalId, error, other } };
}

/** The whole record's uncompressed wire form, for appending to an encoded message. */
export function encodeTsigRecord(record: TsigRecord): Uint8Array {
  const owner = nameWire(record.keyName, false);
  const rdata = encodeTsigRdata(record.rdata);
  const out = new Uint8Array(owner.length + 10 + rdata.length);
  out.set(owner, 0);
  let p = owner.length;
  for (const [value, octets] of [
    [RR_TYPE.TSIG, 2],
    [RR_CLASS.ANY, 2],
    [0, 4],
    [rdata.length, 2],
  ] as const) {
    for (let i = octets - 1; i >= 0; i--) out[p + (octets - 1 - i)] = Math.floor(value / 256 ** i) & 0xff;
    p += octets;
  }
  out.set(rdata, p);
  return out;
}
