/**
 * What a TSIG MAC covers (RFC 8945 §4.3), in order:
 *
 *   1. the request MAC (in a response, §4.3.2) or the prior MAC (in a later message of a
 *      TCP stream, §4.3.1), each preceded by its 2-octet length; nothing in a request;
 *   2. the message as it was before the TSIG was added: the TSIG record removed, ARCOUNT
 *      one less, and the header's id replaced by the TSIG's Original ID (§4.3.2);
 *   3. the TSIG variables (§4.3.3): key name and algorithm name in canonical (lowercase,
 *      uncompressed) wire form, class ANY, TTL 0, Time Signed, Fudge, Error, Other Len and
 *      Other Data — or, in a later message of a TCP stream, the timers only (Time Signed
 *      and Fudge).
 */
import { RR_CLASS } from '../wire/codes.js';
import { HEADER_BYTES } from '../wire/message.js';
import { algorithmWireName, startMac } from './algorithm.js';
import type { TsigKey } from './key.js';
import { nameWire, type TsigRdata, u48Bytes } from './record.js';

/** `full` for a request, a response and the first message of a stream; `timers` after that. */
export type TsigVariables = 'full' | 'timers';

export interface MacInput {
  readonly key: TsigKey;
  /** The request MAC or prior MAC (as sent, so a truncated MAC stays truncated); absent in a request. */
  readonly chainedMac: Uint8Array | undefined;
  /** The message as signed (see `messageAsSigned`). */
  readonly message: Uint8Array;
  readonly rdata: Pick<TsigRdata, 'timeSigned' | 'fudge' | 'error' | 'other'>;
  readonly variables: TsigVariables;
}

function u16Bytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

/** The full (untruncated) MAC over `input`. */
export function computeMac(input: MacInput): Uint8Array {
  const { key, rdata } = input;
  const hmac = startMac(key.algorithm, key.secret);
  if (input.chainedMac !== undefined) {
    hmac.update(u16Bytes(input.chainedMac.length));
    hmac.update(input.chainedMac);
  }
  hmac.update(input.message);
  if (input.variables === 'full') {
    hmac.update(nameWire(key.name, true));
    hmac.update(Uint8Array.of(RR_CLASS.ANY >>> 8, RR_CLASS.ANY & 0xff, 0, 0, 0, 0));
    hmac.update(nameWire(algorithmWireName(key.algorithm), true));
  }
  hmac.update(u48Bytes(rdata.timeSigned));
  hmac.update(u16Bytes(rdata.fudge));
  if (input.variables === 'full') {
    hmac.update(u16Bytes(rdata.error));
    hmac.update(u16Bytes(rdata.other.length));
    hmac.update(rdata.other);
  }
  return new Uint8Array(hmac.digest());
}

/**
 * The message a receiver hands to the MAC: `bytes[0, tsigStart)` with ARCOUNT one less
 * and the id set to `originalId`.
 */
export function messageAsSigned(bytes: Uint8Array, tsigStart: number, originalId: number): Uint8Array {
  // A copy, never a view: `Buffer#slice` (a socket's datagram) shares memory with the
  // message, which must stay as received.
  const out = new Uint8Array(tsigStart);
  out.set(bytes.subarray(0, tsigStart));
  out[0] = originalId >>> 8;
  out[1] = originalId & 0xff;
  const arcount = (((out[10] as number) << 8) | (out[11] as number)) - 1;
  out[10] = arcount >>> 8;
  out[11] = arcount & 0xff;
  return out;
}

/** The header's id of an encoded message. */
export function messageId(bytes: Uint8Array): number {
  if (bytes.length < HEADER_BYTES) throw new RangeError(`${bytes.length} bytes, a header needs 12`);
  return ((bytes[0] as number) << 8) | (bytes[1] as number);
}
