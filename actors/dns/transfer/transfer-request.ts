/**
 * Reading a zone transfer request (AXFR, RFC 5936 §2.1; IXFR, RFC 1995 §3) into what the
 * transfer desk needs, or into the error answer it gets at once. Pure: the caller gives
 * the keys and the time.
 *
 *   - a query whose question is AXFR or IXFR is recognised by `transferQueryType` from the
 *     raw bytes (the DNS actor's hot path pays one scan of the question name for it);
 *   - a TSIG is checked first (RFC 8945 §5.2, signed-query.ts): unknown key, bad MAC or
 *     skewed time → NOTAUTH with the TSIG error; a TSIG not last → FORMERR;
 *   - QDCOUNT must be 1 (RFC 5936 §2.1: "exactly one question"), the message must decode
 *     and carry no answer records: otherwise FORMERR (§2.2.1: a malformed request);
 *   - AXFR over UDP: NOTIMP. RFC 5936 §4.2 leaves AXFR over UDP undefined ("AXFR sessions
 *     over UDP transport are not defined"), so a server does not implement that kind of
 *     query; NOTIMP is RFC 1035 §4.1.1's code for it (Knot answers the same);
 *   - IXFR must carry the client's SOA in the authority section (RFC 1995 §3): FORMERR
 *     without it; its serial is the client's version.
 */
import type { TsigKeyring } from '../../../protocol/dns/tsig/key.js';
import { signAnswer } from '../../../protocol/dns/tsig/sign.js';
import type { RequestVerification } from '../../../protocol/dns/tsig/verify.js';
import { RCODE, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import {
  decodeMessage,
  type Edns,
  firstQuestionType,
  HEADER_BYTES,
} from '../../../protocol/dns/wire/message.js';
import type { Question } from '../../../protocol/dns/wire/record.js';
import { errorAnswer } from '../server/error-answer.js';
import { answerSignedQuery, tsigRecordBytesMax } from '../server/signed-query.js';

export type TransferType = 'AXFR' | 'IXFR';

/** A request that may be served (access control and the zone are the desk's to check). */
export interface TransferRequest {
  readonly type: TransferType;
  readonly id: number;
  readonly rd: boolean;
  /** The question as asked (case kept). */
  readonly question: Question;
  /** IXFR: the client's SOA serial (RFC 1995 §3). */
  readonly clientSerial: number | undefined;
  /** The query's OPT, if it had one: the answer carries ours (RFC 6891 §6.1.1). */
  readonly edns: Edns | undefined;
  /** Verified TSIG: every answer message is signed with it (RFC 8945 §5.3.1). */
  readonly verification: (RequestVerification & { readonly kind: 'verified' }) | undefined;
  /** Octets each answer message leaves for its TSIG. */
  readonly reserveBytes: number;
}

export type TransferReading =
  | { readonly kind: 'request'; readonly request: TransferRequest }
  /** An error answer to send as it is (already signed when the request was). */
  | { readonly kind: 'answer'; readonly bytes: Uint8Array };

/**
 * AXFR or IXFR when `query` is a QUERY (opcode 0, QR clear) whose first question asks for
 * one; undefined otherwise (and for anything unreadable: the responder judges that).
 */
export function transferQueryType(query: Uint8Array): TransferType | undefined {
  if (((query[2] as number) & 0xf8) !== 0) return undefined;
  const qtype = firstQuestionType(query);
  return qtype === RR_TYPE.AXFR ? 'AXFR' : qtype === RR_TYPE.IXFR ? 'IXFR' : undefined;
}

export interface ReadOptions {
  readonly transport: 'udp' | 'tcp';
  readonly keyring: TsigKeyring;
  readonly nowSeconds: number;
  /** Our OPT for the client's (the responder's `ednsFor`). */
  readonly ourEdns: (asked: Edns) => Edns;
}

/** Reads `query` (one `transferQueryType` recognised); never throws. */
export function readTransferRequest(query: Uint8Array, options: ReadOptions): TransferReading {
  const signing = { keyring: options.keyring, nowSeconds: options.nowSeconds };
  const signed = answerSignedQuery(query, signing, options.ourEdns);
  if (signed.kind === 'answer') return { kind: 'answer', bytes: signed.bytes };
  if (signed.kind === 'formerr') return { kind: 'answer', bytes: headerOnly(query, RCODE.FORMERR) };
  const verification = signed.kind === 'verified' ? signed.verification : undefined;
  const unsigned = signed.kind === 'verified' ? signed.unsigned : query;
  const sign = (bytes: Uint8Array) =>
    verification === undefined ? bytes : signAnswer(bytes, verification, options.nowSeconds);

  const decoded = decodeMessage(unsigned);
  if (!decoded.ok) return { kind: 'answer', bytes: sign(headerOnly(query, RCODE.FORMERR)) };
  const message = decoded.message;
  const question = message.questions[0];
  const error = (rcode: number) => ({
    kind: 'answer' as const,
    bytes: sign(errorAnswer(message, rcode, options.ourEdns)),
  });
  // RFC 5936 §2.1: exactly one question; the answer section of a request is empty.
  if (question === undefined || message.questions.length !== 1 || message.answers.length !== 0)
    return error(RCODE.FORMERR);
  // RFC 6891 §6.1.3: an EDNS version we do not implement.
  if (message.edns !== undefined && message.edns.version > 0) return error(RCODE.BADVERS);
  const type: TransferType = question.type === RR_TYPE.AXFR ? 'AXFR' : 'IXFR';
  // RFC 5936 §4.2: AXFR over UDP is not defined.
  if (type === 'AXFR' && options.transport === 'udp') return error(RCODE.NOTIMP);
  let clientSerial: number | undefined;
  if (type === 'IXFR') {
    // RFC 1995 §3: the authority section holds the client's SOA, owned by the zone's apex.
    const soa = message.authorities[0];
    if (
      message.authorities.length !== 1 ||
      soa === undefined ||
      soa.rdata.kind !== 'SOA' ||
      !soa.name.equals(question.name)
    )
      return error(RCODE.FORMERR);
    clientSerial = soa.rdata.serial;
  } else if (message.authorities.length !== 0) return error(RCODE.FORMERR);
  return {
    kind: 'request',
    request: {
      type,
      id: message.id,
      rd: message.flags.rd,
      question,
      clientSerial,
      edns: message.edns,
      verification,
      reserveBytes: verification === undefined ? 0 : tsigRecordBytesMax(verification),
    },
  };
}

/** A 12-byte answer: the query's id, opcode and RD, `rcode`, no records. */
function headerOnly(query: Uint8Array, rcode: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out[0] = query[0] as number;
  out[1] = query[1] as number;
  out[2] = 0x80 | ((query[2] as number) & 0x79);
  out[3] = rcode & 0x0f;
  return out;
}
