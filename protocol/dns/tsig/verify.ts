/**
 * Verifying a signed message (RFC 8945 §5.2 for requests, §5.4 for responses). The checks
 * run in the RFC's order, and the first that fails decides:
 *
 *   1. placement and format (§5.2): a TSIG that is not the last additional record, a
 *      second TSIG, or unreadable TSIG RDATA → FORMERR;
 *   2. key (§5.2.1): an unknown key name, an algorithm we do not implement, or one that is
 *      not the key's → BADKEY;
 *   3. MAC size (§5.2.2.1): longer than the hash, or shorter than max(10, hash / 2) →
 *      FORMERR;
 *   4. MAC (§5.2.2): the locally computed MAC, truncated to the received length, differs →
 *      BADSIG;
 *   5. time (§5.2.3): `nowSeconds` outside Time Signed ± Fudge → BADTIME;
 *   6. truncation policy (§5.2.4): a MAC the RFC allows but shorter than local policy →
 *      BADTRUNC.
 *
 * The clock is a parameter (`nowSeconds`): this module never reads one.
 */
import { timingSafeEqual } from 'node:crypto';
import { algorithmFromName, fullMacOctets, minimumMacOctets, type TsigAlgorithm } from './algorithm.js';
import { computeMac, messageAsSigned, type TsigVariables } from './digest.js';
import { type TsigFormatError, type TsigRejection, tsigErrorName } from './errors.js';
import type { TsigKey, TsigKeyring } from './key.js';
import { locateTsig } from './locate.js';
import type { TsigRecord } from './record.js';

export type RequestVerification =
  /** No TSIG: the message is answered as it is. */
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'formerr'; readonly error: TsigFormatError }
  /** Signed with `key`; the answer is signed with it, over `request.rdata.mac`. */
  | { readonly kind: 'verified'; readonly key: TsigKey; readonly request: TsigRecord }
  /**
   * The answer is NOTAUTH with `error` in its TSIG (RFC 8945 §5.3.2): unsigned for BADKEY
   * and BADSIG (`key` is undefined for BADKEY), signed with `key` for BADTIME and BADTRUNC.
   */
  | {
      readonly kind: 'rejected';
      readonly error: TsigRejection;
      readonly request: TsigRecord;
      readonly key: TsigKey | undefined;
    };

export interface VerifyPolicy {
  /**
   * The shortest MAC accepted, in octets, for an algorithm (§5.2.4); default the RFC's
   * minimum, `minimumMacOctets`. Values below that minimum do not loosen the RFC's rule.
   */
  readonly macOctetsMin?: (algorithm: TsigAlgorithm) => number;
}

type MacCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'formerr'; readonly error: TsigFormatError }
  | { readonly kind: 'rejected'; readonly error: 'BADSIG' | 'BADTIME' | 'BADTRUNC' };

/** Steps 3–6 of the file comment for a located TSIG and its key. */
export function checkMac(
  bytes: Uint8Array,
  tsigStart: number,
  record: TsigRecord,
  key: TsigKey,
  chainedMac: Uint8Array | undefined,
  variables: TsigVariables,
  nowSeconds: number,
  macOctetsMin: number,
): MacCheck {
  const { rdata } = record;
  const full = fullMacOctets(key.algorithm);
  const minimum = minimumMacOctets(key.algorithm);
  const size = rdata.mac.length;
  if (size > full || size < minimum)
    return {
      kind: 'formerr',
      error: {
        code: 'FORMERR',
        problem: 'bad-mac-size',
        message: `MAC of ${size} octets for ${key.algorithm} (${minimum} ..= ${full})`,
      },
    };
  const expected = computeMac({
    key,
    chainedMac,
    message: messageAsSigned(bytes, tsigStart, rdata.originalId),
    rdata,
    variables,
  }).subarray(0, size);
  if (!timingSafeEqual(expected, rdata.mac)) return { kind: 'rejected', error: 'BADSIG' };
  if (Math.abs(nowSeconds - rdata.timeSigned) > rdata.fudge) return { kind: 'rejected', error: 'BADTIME' };
  if (size < Math.max(minimum, macOctetsMin)) return { kind: 'rejected', error: 'BADTRUNC' };
  return { kind: 'ok' };
}

/** Verifies a request against `keyring` at `nowSeconds` (see the file comment). Never throws. */
export function verifyRequest(
  bytes: Uint8Array,
  keyring: TsigKeyring,
  nowSeconds: number,
  policy: VerifyPolicy = {},
): RequestVerification {
  const located = locateTsig(bytes);
  if (located.kind !== 'signed') return located.kind === 'unsigned' ? { kind: 'unsigned' } : located;
  const request = located.record;
  const algorithm = algorithmFromName(request.rdata.algorithm);
  const key = keyring.get(request.keyName.key);
  if (key === undefined || algorithm === undefined || key.algorithm !== algorithm)
    return { kind: 'rejected', error: 'BADKEY', request, key: undefined };
  const check = checkMac(
    bytes,
    located.tsigStart,
    request,
    key,
    undefined,
    'full',
    nowSeconds,
    policy.macOctetsMin?.(algorithm) ?? 0,
  );
  if (check.kind === 'ok') return { kind: 'verified', key, request };
  if (check.kind === 'formerr') return check;
  return { kind: 'rejected', error: check.error, request, key };
}

export type ResponseVerification =
  | { readonly kind: 'verified'; readonly record: TsigRecord }
  /** No TSIG, where one was required (RFC 8945 §5.4). */
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'formerr'; readonly error: TsigFormatError }
  /** The server reported a TSIG error (non-zero Error field), or our own check failed. */
  | { readonly kind: 'rejected'; readonly error: TsigRejection | 'UNKNOWN'; readonly byPeer: boolean };

/**
 * Verifies a response to a request signed with `key` whose MAC was `requestMac`
 * (RFC 8945 §5.4), or a later message of a stream with the prior MAC and `timers`.
 */
export function verifyResponse(
  bytes: Uint8Array,
  key: TsigKey,
  chainedMac: Uint8Array,
  nowSeconds: number,
  variables: TsigVariables = 'full',
): ResponseVerification {
  const located = locateTsig(bytes);
  if (located.kind !== 'signed') return located.kind === 'unsigned' ? { kind: 'unsigned' } : located;
  const { record } = located;
  if (record.rdata.error !== 0) {
    const name = tsigErrorName(record.rdata.error);
    return {
      kind: 'rejected',
      error: name === undefined || name === 'NOERROR' ? 'UNKNOWN' : name,
      byPeer: true,
    };
  }
  if (!record.keyName.equals(key.name) || algorithmFromName(record.rdata.algorithm) !== key.algorithm)
    return { kind: 'rejected', error: 'BADKEY', byPeer: false };
  const check = checkMac(bytes, located.tsigStart, record, key, chainedMac, variables, nowSeconds, 0);
  if (check.kind === 'ok') return { kind: 'verified', record };
  if (check.kind === 'formerr') return check;
  return { kind: 'rejected', error: check.error, byPeer: false };
}
