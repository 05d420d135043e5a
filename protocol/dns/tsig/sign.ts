/**
 * Signing (RFC 8945 §4.3, §5.3): a TSIG record is computed over an encoded message and
 * appended as its last additional record, ARCOUNT one more. Signing after encoding keeps
 * the TSIG out of the codec's truncation, which could otherwise drop it (§5.3 wants it
 * on every signed message).
 *
 * Answers to signed requests (§5.3.2): a verified request gets a signed answer whose MAC
 * covers the request MAC; BADKEY and BADSIG get an unsigned TSIG (empty MAC) carrying the
 * error, since the server cannot or must not sign; BADTIME and BADTRUNC get a signed TSIG
 * carrying the error, and BADTIME puts the server's time in Other Data with the request's
 * Time Signed (§5.2.3), so the client can see the skew.
 */
import { algorithmWireName, fullMacOctets, minimumMacOctets } from './algorithm.js';
import { computeMac, messageId, type TsigVariables } from './digest.js';
import { TSIG_ERROR } from './errors.js';
import type { TsigKey } from './key.js';
import { encodeTsigRecord, type TsigRdata, type TsigRecord, u48Bytes } from './record.js';
import type { RequestVerification } from './verify.js';

/** The fudge we send (RFC 8945 §10 recommends 300 seconds). */
export const DEFAULT_FUDGE_SECONDS = 300;

export interface SignOptions {
  readonly key: TsigKey;
  readonly timeSigned: number;
  readonly fudge?: number;
  /** The request MAC (signing a response) or the prior MAC (a later message of a stream). */
  readonly chainedMac?: Uint8Array;
  readonly variables?: TsigVariables;
  readonly error?: number;
  readonly other?: Uint8Array;
  /** Truncate the MAC to this many octets (RFC 8945 §5.2.2.1); default the full MAC. */
  readonly macOctets?: number;
}

export interface Signed {
  /** The message with its TSIG record. */
  readonly bytes: Uint8Array;
  /** The MAC as sent: the request MAC of the answer, or the prior MAC of the next message. */
  readonly mac: Uint8Array;
}

/** `unsigned` (an encoded message with no TSIG) with `record` appended as its last additional. */
export function appendTsigRecord(unsigned: Uint8Array, record: TsigRecord): Uint8Array {
  const tail = encodeTsigRecord(record);
  const out = new Uint8Array(unsigned.length + tail.length);
  out.set(unsigned, 0);
  out.set(tail, unsigned.length);
  const arcount = (((out[10] as number) << 8) | (out[11] as number)) + 1;
  if (arcount > 0xffff) throw new RangeError('ARCOUNT would exceed 65535');
  out[10] = arcount >>> 8;
  out[11] = arcount & 0xff;
  return out;
}

/**
 * Signs an encoded message. Throws `RangeError` for a MAC length outside what §5.2.2.1
 * allows or a field out of range.
 */
export function signMessage(unsigned: Uint8Array, options: SignOptions): Signed {
  const { key } = options;
  const rdata: Omit<TsigRdata, 'mac'> = {
    algorithm: algorithmWireName(key.algorithm),
    timeSigned: options.timeSigned,
    fudge: options.fudge ?? DEFAULT_FUDGE_SECONDS,
    originalId: messageId(unsigned),
    error: options.error ?? TSIG_ERROR.NOERROR,
    other: options.other ?? new Uint8Array(0),
  };
  const full = fullMacOctets(key.algorithm);
  const octets = options.macOctets ?? full;
  if (!(Number.isInteger(octets) && octets >= minimumMacOctets(key.algorithm) && octets <= full))
    throw new RangeError(`MAC of ${octets} octets for ${key.algorithm}`);
  const mac = computeMac({
    key,
    chainedMac: options.chainedMac,
    message: unsigned,
    rdata,
    variables: options.variables ?? 'full',
  }).slice(0, octets);
  return { bytes: appendTsigRecord(unsigned, { keyName: key.name, rdata: { ...rdata, mac } }), mac };
}

/** Signs a request at `nowSeconds` (RFC 8945 §5.1). */
export function signRequest(
  unsigned: Uint8Array,
  key: TsigKey,
  nowSeconds: number,
  options: { readonly fudge?: number; readonly macOctets?: number } = {},
): Signed {
  return signMessage(unsigned, { ...options, key, timeSigned: nowSeconds });
}

/**
 * The answer to a signed request: `unsigned` is the encoded answer (NOTAUTH for a
 * rejection, RFC 8945 §5.3.2; the caller sets the rcode), `verification` what
 * `verifyRequest` said. Returns `unsigned` itself for an unsigned or FORMERR request
 * (a FORMERR answer carries no TSIG: there is none to answer with).
 */
export function signAnswer(
  unsigned: Uint8Array,
  verification: RequestVerification,
  nowSeconds: number,
): Uint8Array {
  switch (verification.kind) {
    case 'unsigned':
    case 'formerr':
      return unsigned;
    case 'verified':
      return signMessage(unsigned, {
        key: verification.key,
        timeSigned: nowSeconds,
        chainedMac: verification.request.rdata.mac,
      }).bytes;
    case 'rejected': {
      const { request, key, error } = verification;
      if (error === 'BADKEY' || error === 'BADSIG') return unsignedTsigError(unsigned, request, error);
      if (key === undefined) return unsignedTsigError(unsigned, request, 'BADKEY');
      const badTime = error === 'BADTIME';
      return signMessage(unsigned, {
        key,
        timeSigned: badTime ? request.rdata.timeSigned : nowSeconds,
        fudge: request.rdata.fudge,
        chainedMac: request.rdata.mac,
        error: TSIG_ERROR[error],
        other: badTime ? u48Bytes(nowSeconds) : new Uint8Array(0),
      }).bytes;
    }
  }
}

/**
 * The unsigned TSIG of a BADKEY or BADSIG answer (RFC 8945 §5.3.2): the request's key
 * name, algorithm, Time Signed and Fudge, an empty MAC, and the error. It needs no clock
 * and no key, so a server with no keys can still say BADKEY.
 */
export function unsignedTsigError(
  unsigned: Uint8Array,
  request: TsigRecord,
  error: 'BADKEY' | 'BADSIG',
): Uint8Array {
  return appendTsigRecord(unsigned, {
    keyName: request.keyName,
    rdata: {
      algorithm: request.rdata.algorithm,
      timeSigned: request.rdata.timeSigned,
      fudge: request.rdata.fudge,
      mac: new Uint8Array(0),
      originalId: messageId(unsigned),
      error: TSIG_ERROR[error],
      other: new Uint8Array(0),
    },
  });
}
