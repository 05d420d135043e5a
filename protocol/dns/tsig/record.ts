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
import { WireFormatFailure } from '../wire/errors.js';
import { Name } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';

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

/** The 48-bit big-endian form of `seconds` (Time Signed, and BADTIME's Other Data). */
export function u48Bytes(seconds: number): Uint8Array {
  const writer = new WireWriter(6, false);
  writeU48(writer, seconds);
  return writer.bytes;
}

function writeU48(writer: WireWriter, seconds: number): void {
  writer.u16(Math.floor(seconds / 2 ** 32), 'time (high 16 bits)');
  writer.u32(seconds % 2 ** 32, 'time (low 32 bits)');
}

/** The uncompressed wire form of `name`; `lowercase` folds it as RFC 8945 §4.3.3 digests need. */
export function nameWire(name: Name, lowercase: boolean): Uint8Array {
  const writer = new WireWriter(name.wireLength, false);
  writer.name(lowercase ? Name.fromLabels(name.lowercaseLabels) : name, false);
  return writer.bytes;
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
  const writer = new WireWriter(
    rdata.algorithm.wireLength + 16 + rdata.mac.length + rdata.other.length,
    false,
  );
  writer.name(rdata.algorithm, false);
  writeU48(writer, rdata.timeSigned);
  writer.u16(rdata.fudge, 'fudge');
  writer.u16(rdata.mac.length, 'MAC size');
  writer.raw(rdata.mac);
  writer.u16(rdata.originalId, 'original id');
  writer.u16(rdata.error, 'error');
  writer.u16(rdata.other.length, 'other length');
  writer.raw(rdata.other);
  return writer.bytes;
}

/** Decodes TSIG RDATA; a string says what is wrong. Never throws. */
export function decodeTsigRdata(
  bytes: Uint8Array,
): { ok: true; rdata: TsigRdata } | { ok: false; reason: string } {
  // No pointer may land anywhere (a floor past the end): the algorithm name is uncompressed.
  const reader = new WireReader(bytes, 0, bytes.length, Number.POSITIVE_INFINITY);
  try {
    const algorithm = reader.name('algorithm name');
    const timeSigned = reader.u16('time signed') * 2 ** 32 + reader.u32('time signed');
    const fudge = reader.u16('fudge');
    const mac = reader.bytesCopy(reader.u16('MAC size'), 'MAC');
    const originalId = reader.u16('original id');
    const error = reader.u16('error');
    const otherLength = reader.u16('other length');
    if (reader.remaining !== otherLength)
      return { ok: false, reason: `Other Len ${otherLength} does not end the RDATA` };
    const other = reader.bytesCopy(otherLength, 'other data');
    return { ok: true, rdata: { algorithm, timeSigned, fudge, mac, originalId, error, other } };
  } catch (failure) {
    if (failure instanceof WireFormatFailure) return { ok: false, reason: failure.message };
    throw failure;
  }
}

/** The whole record's uncompressed wire form, for appending to an encoded message. */
export function encodeTsigRecord(record: TsigRecord): Uint8Array {
  const rdata = encodeTsigRdata(record.rdata);
  const writer = new WireWriter(record.keyName.wireLength + 10 + rdata.length, false);
  writer.name(record.keyName, false);
  writer.u16(RR_TYPE.TSIG, 'type');
  writer.u16(RR_CLASS.ANY, 'class');
  writer.u32(0, 'TTL');
  writer.u16(rdata.length, 'RDLENGTH');
  writer.raw(rdata);
  return writer.bytes;
}
