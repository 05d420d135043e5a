/**
 * Finds the TSIG record of a message (RFC 8945 §5.2): it must be the last record of the
 * additional section, and there must be at most one. A TSIG anywhere else, a second one,
 * one not of class ANY or TTL 0 (§4.2; the MAC covers neither, so any other value is
 * unsigned data), or RDATA that does not follow §4.2 makes the message FORMERR.
 *
 * The message is first decoded by the wire codec (so everything the codec rejects is
 * FORMERR here too); then its bytes are walked to find where the TSIG record starts,
 * because the MAC covers the message up to that offset.
 */
import { RR_CLASS, RR_TYPE } from '../wire/codes.js';
import { decodeMessage, HEADER_BYTES, type Message } from '../wire/message.js';
import type { TsigFormatError } from './errors.js';
import { decodeTsigRdata, type TsigRecord } from './record.js';

export type LocatedTsig =
  | { readonly kind: 'unsigned'; readonly message: Message }
  | {
      readonly kind: 'signed';
      /** The message as decoded, the TSIG record among its additionals. */
      readonly message: Message;
      readonly record: TsigRecord;
      /** Offset of the TSIG record: the MAC covers `bytes[0, tsigStart)`. */
      readonly tsigStart: number;
    }
  | { readonly kind: 'formerr'; readonly error: TsigFormatError };

function formerr(problem: TsigFormatError['problem'], message: string): LocatedTsig {
  return { kind: 'formerr', error: { code: 'FORMERR', problem, message } };
}

function u16At(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

/** Skips a name that the codec already accepted (so every pointer and label is valid). */
function skipName(bytes: Uint8Array, at: number): number {
  let p = at;
  for (;;) {
    const length = bytes[p] as number;
    if (length === 0) return p + 1;
    if ((length & 0xc0) === 0xc0) return p + 2;
    p += 1 + length;
  }
}

/** Offset of the last record of `bytes` (a message the codec decoded, with at least one record). */
function lastRecordStart(bytes: Uint8Array, questions: number, records: number): number {
  let p = HEADER_BYTES;
  for (let i = 0; i < questions; i++) p = skipName(bytes, p) + 4;
  let start = p;
  for (let i = 0; i < records; i++) {
    start = p;
    p = skipName(bytes, p);
    p += 10 + u16At(bytes, p + 8);
  }
  return start;
}

/** The TSIG of `bytes`, if any (see the file comment). Never throws. */
export function locateTsig(bytes: Uint8Array): LocatedTsig {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) return formerr('bad-message', decoded.error.message);
  const message = decoded.message;
  const isTsig = (rr: { readonly type: number }) => rr.type === RR_TYPE.TSIG;
  if (message.answers.some(isTsig) || message.authorities.some(isTsig))
    return formerr('misplaced', 'a TSIG record outside the additional section');
  const additionals = message.additionals;
  const tsigCount = additionals.filter(isTsig).length;
  if (tsigCount === 0) return { kind: 'unsigned', message };
  const last = additionals[additionals.length - 1];
  if (tsigCount > 1 || last === undefined || !isTsig(last))
    return formerr('misplaced', 'the TSIG record is not the last additional record');
  // The OPT record is not in `additionals`, yet it is a record on the wire: if it comes
  // after the TSIG, the TSIG is not last.
  const recordCount = u16At(bytes, 6) + u16At(bytes, 8) + u16At(bytes, 10);
  const tsigStart = lastRecordStart(bytes, message.questions.length, recordCount);
  if (u16At(bytes, skipName(bytes, tsigStart)) !== RR_TYPE.TSIG)
    return formerr('misplaced', 'the OPT record follows the TSIG record');
  if (last.class !== RR_CLASS.ANY) return formerr('bad-class', `TSIG record of class ${last.class}, not ANY`);
  if (last.ttl !== 0) return formerr('bad-ttl', `TSIG record with TTL ${last.ttl}, not 0`);
  if (last.rdata.kind !== 'opaque') return formerr('bad-rdata', 'TSIG RDATA was decoded as another type');
  const rdata = decodeTsigRdata(last.rdata.bytes);
  if (!rdata.ok) return formerr('bad-rdata', `TSIG RDATA: ${rdata.reason}`);
  return { kind: 'signed', message, record: { keyName: last.name, rdata: rdata.rdata }, tsigStart };
}
