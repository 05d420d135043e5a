/**
 * Queries that carry a TSIG record (RFC 8945 §5.2), checked against the cluster's keys
 * (`TsigSigning`, fed to the DNS actor from the cluster's TSIG bucket):
 *
 *   - a TSIG that is not the last additional record, a second one, or one that cannot be
 *     read: FORMERR (§5.2);
 *   - an unknown key (or algorithm): NOTAUTH with an unsigned TSIG carrying BADKEY
 *     (§5.2.1, §5.3.2); a wrong MAC: BADSIG, unsigned too (§5.2.2); a time outside Time
 *     Signed ± Fudge: BADTIME, signed, with the server's time in Other Data (§5.2.3);
 *   - a verified query: the caller answers the query without its TSIG (`unsigned`) and
 *     signs the answer with `signAnswer` (§5.3), so a signed SOA probe (certbot) gets the
 *     same authoritative answer as an unsigned one, signed.
 *
 * The time is a parameter: the DNS actor reads its context's clock.
 */

import type { TsigKeyring } from '../../../protocol/dns/tsig/key.js';
import { locateTsig } from '../../../protocol/dns/tsig/locate.js';
import { signAnswer } from '../../../protocol/dns/tsig/sign.js';
import { type RequestVerification, verifyRequest } from '../../../protocol/dns/tsig/verify.js';
import { RCODE } from '../../../protocol/dns/wire/codes.js';
import type { Edns } from '../../../protocol/dns/wire/message.js';
import { errorAnswer } from './error-answer.js';

/** The keys a replica knows and its clock, in seconds since the epoch (RFC 8945 §4.2 Time Signed). */
export interface TsigSigning {
  readonly keyring: TsigKeyring;
  readonly nowSeconds: number;
}

/** No keys: every TSIG is BADKEY, which needs no clock. */
export const NO_TSIG_KEYS: TsigSigning = { keyring: new Map(), nowSeconds: 0 };

export type SignedQueryAnswer =
  /** No TSIG in the query, or a query that does not decode at all: the usual checks answer it. */
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'formerr' }
  | { readonly kind: 'answer'; readonly bytes: Uint8Array }
  /**
   * Verified: answer `unsigned` (the query without its TSIG) and sign the answer with
   * `signAnswer(answer, verification, nowSeconds)`; `reserveBytes` is what the TSIG adds.
   */
  | {
      readonly kind: 'verified';
      readonly unsigned: Uint8Array;
      readonly verification: RequestVerification & { readonly kind: 'verified' };
      readonly reserveBytes: number;
    };

/** `bytes` up to `tsigStart`, ARCOUNT one less: the message as it was before signing. */
export function withoutTsig(bytes: Uint8Array, tsigStart: number): Uint8Array {
  // A copy, never a view: `Buffer#slice` shares memory, and the request must stay intact.
  const out = new Uint8Array(tsigStart);
  out.set(bytes.subarray(0, tsigStart));
  const arcount = (((out[10] as number) << 8) | (out[11] as number)) - 1;
  out[10] = arcount >>> 8;
  out[11] = arcount & 0xff;
  return out;
}

/** Octets a TSIG record of the answer adds, at most: owner, fixed fields, algorithm name, full MAC, 6 of Other Data. */
export function tsigRecordBytesMax(
  verification: RequestVerification & { readonly kind: 'verified' },
): number {
  const { key, request } = verification;
  return key.name.wireLength + 10 + request.rdata.algorithm.wireLength + 16 + 64 + 6;
}

/**
 * What to do with `query` given its TSIG. `ourEdns` turns the query's OPT into ours, so the
 * NOTAUTH answer carries an OPT when the query did (RFC 6891 §6.1.1).
 */
export function answerSignedQuery(
  query: Uint8Array,
  signing: TsigSigning,
  ourEdns: (asked: Edns) => Edns,
): SignedQueryAnswer {
  const located = locateTsig(query);
  if (located.kind === 'unsigned') return { kind: 'unsigned' };
  if (located.kind === 'formerr')
    return located.error.problem === 'bad-message' ? { kind: 'unsigned' } : { kind: 'formerr' };
  const verification = verifyRequest(query, signing.keyring, signing.nowSeconds);
  if (verification.kind === 'formerr') return { kind: 'formerr' };
  if (verification.kind === 'unsigned') return { kind: 'unsigned' };
  if (verification.kind === 'verified')
    return {
      kind: 'verified',
      unsigned: withoutTsig(query, located.tsigStart),
      verification,
      reserveBytes: tsigRecordBytesMax(verification),
    };
  return {
    kind: 'answer',
    // RFC 8945 §5.3.2: the NOTAUTH answer to a rejected request, signed per its error.
    bytes: signAnswer(errorAnswer(located.message, RCODE.NOTAUTH, ourEdns), verification, signing.nowSeconds),
  };
}
