/**
 * Response rate limiting (RRL) for UDP answers, as Knot's mod-rrl and BIND's
 * `rate-limit` do it: a spoofed-source flood turns this server into a reflector toward
 * the spoofed prefix, so answers toward one client prefix are limited per kind of answer,
 * and some of the limited ones "slip" out as an empty truncated answer (TC=1) so that a
 * real client behind that prefix retries over TCP, which is never limited (TCP cannot be
 * spoofed; the DNS actor calls this for UDP answers only).
 *
 * An answer's bucket is (client prefix, kind, what it is about):
 *   - the client prefix: /24 for IPv4, /56 for IPv6 (IPv4-mapped IPv6 counts as IPv4);
 *   - `answer`: NOERROR with records in the answer section, and NODATA (AA, no answer),
 *     by question name and type;
 *   - `nxdomain`: by the zone (a flood of random names under one zone is one bucket);
 *   - `referral`: NOERROR, AA clear, no answer: by the zone;
 *   - `error`: every other rcode (REFUSED, FORMERR, SERVFAIL, NOTIMP...), one bucket per
 *     prefix whatever the question (queries for junk must not get a bucket each).
 *
 * Each bucket is a token bucket holding at most `responsesPerSecond` tokens, refilled at
 * that rate on the actor's clock; an answer takes one token or is limited. Of the limited
 * answers of a bucket every `slip`-th is sent truncated and empty (slip 0: none, 1: all),
 * the rest are dropped. The table keeps at most `tableEntries` buckets; a new bucket
 * evicts one not used lately (CLOCK, an approximation of least recently used; an evicted
 * bucket comes back full: the bound costs some leniency under a flood of many prefixes,
 * never memory).
 *
 * Pure: no clock, no I/O; the caller passes the time and the answer's bytes.
 */
import { addressOctets } from '../../../protocol/dns/transfer-acl.js';
import { RCODE } from '../../../protocol/dns/wire/codes.js';
import { HEADER_BYTES } from '../../../protocol/dns/wire/message.js';

export interface RateLimitOptions {
  /** Answers per second per bucket; 0 turns rate limiting off. */
  readonly responsesPerSecond: number;
  /** Every `slip`-th limited answer is sent truncated (TC=1, empty); 0: all dropped; 1: none dropped. */
  readonly slip: number;
  /** Buckets kept at most (one not used lately is evicted for a new one). */
  readonly tableEntries: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  responsesPerSecond: 20,
  slip: 2,
  tableEntries: 65_536,
};

export const RATE_LIMIT_RESPONSES_PER_SECOND_MAX = 1_000_000;
export const RATE_LIMIT_SLIP_MAX = 10;
export const RATE_LIMIT_TABLE_ENTRIES_MAX = 4_194_304;

export type ResponseKind = 'answer' | 'nxdomain' | 'referral' | 'error';

export type RateVerdict =
  | { readonly kind: 'send' }
  | { readonly kind: 'slip'; readonly bytes: Uint8Array }
  | { readonly kind: 'drop' };

export interface RateLimitCounters {
  /** Answers the limiter let through. */
  readonly passed: number;
  /** Limited answers sent truncated instead. */
  readonly slipped: number;
  /** Limited answers not sent. */
  readonly dropped: number;
  /** Buckets evicted to keep the table bound. */
  readonly evictions: number;
}

/** The answer's zone apex (a lowercased name key), for the kinds limited by zone. */
export type ZoneOfAnswer = (answer: Uint8Array, qnameEnd: number) => string | undefined;

interface Bucket {
  tokens: number;
  lastMs: number;
  /** Limited answers since the last slipped one. */
  limited: number;
  /** Used since the eviction hand last passed it (CLOCK's reference bit). */
  referenced: boolean;
}

const IPV6_PREFIX_OCTETS = 7;
const SEND: RateVerdict = { kind: 'send' };
const DROP: RateVerdict = { kind: 'drop' };
const u16 = (b: Uint8Array, at: number): number => ((b[at] as number) << 8) | (b[at + 1] as number);

export class ResponseRateLimit {
  readonly #buckets = new Map<string, Bucket>();
  readonly #stats = { passed: 0, slipped: 0, dropped: 0, evictions: 0 };

  constructor(private readonly options: RateLimitOptions) {
    checkRateLimitOptions(options);
  }

  get enabled(): boolean {
    return this.options.responsesPerSecond > 0;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** What to do with `answer`, about to be sent over UDP to `clientAddress` at `nowMs`. */
  decide(clientAddress: string, answer: Uint8Array, nowMs: number, zoneOf: ZoneOfAnswer): RateVerdict {
    if (!this.enabled || answer.length < HEADER_BYTES) return SEND;
    const key = bucketKey(clientAddress, answer, zoneOf);
    if (key === undefined) return SEND;
    const rate = this.options.responsesPerSecond;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.options.tableEntries) this.#evictOne();
      bucket = { tokens: rate, lastMs: nowMs, limited: 0, referenced: false };
      this.#buckets.set(key, bucket);
    } else {
      // A hit only sets a bit (no Map reordering per answer); eviction gives it a second chance.
      bucket.referenced = true;
      const elapsedMs = Math.max(0, nowMs - bucket.lastMs);
      bucket.tokens = Math.min(rate, bucket.tokens + (elapsedMs * rate) / 1000);
      bucket.lastMs = nowMs;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.limited = 0;
      this.#stats.passed++;
      return SEND;
    }
    bucket.limited++;
    const slip = this.options.slip;
    if (slip > 0 && bucket.limited >= slip) {
      bucket.limited = 0;
      this.#stats.slipped++;
      return { kind: 'slip', bytes: slipped(answer) };
    }
    this.#stats.dropped++;
    return DROP;
  }

  counters(): RateLimitCounters {
    return { ...this.#stats };
  }

  /**
   * CLOCK (second chance), as the responder's cache: from the oldest end, a bucket used
   * since the hand last passed loses its bit and goes to the young end; the first one not
   * used is evicted. At most one pass over the table.
   */
  #evictOne(): void {
    for (const [key, bucket] of this.#buckets) {
      this.#buckets.delete(key);
      if (!bucket.referenced) {
        this.#stats.evictions++;
        return;
      }
      bucket.referenced = false;
      this.#buckets.set(key, bucket);
    }
  }
}

/** Throws a RangeError naming the first option out of its range. */
export function checkRateLimitOptions(options: RateLimitOptions): void {
  const { responsesPerSecond, slip, tableEntries } = options;
  if (!Number.isInteger(responsesPerSecond) || responsesPerSecond < 0)
    throw new RangeError(`responsesPerSecond must be an integer ≥ 0, got ${responsesPerSecond}`);
  if (responsesPerSecond > RATE_LIMIT_RESPONSES_PER_SECOND_MAX)
    throw new RangeError(`responsesPerSecond must be ≤ ${RATE_LIMIT_RESPONSES_PER_SECOND_MAX}`);
  if (!Number.isInteger(slip) || slip < 0 || slip > RATE_LIMIT_SLIP_MAX)
    throw new RangeError(`slip must be an integer in 0 ..= ${RATE_LIMIT_SLIP_MAX}, got ${slip}`);
  if (!Number.isInteger(tableEntries) || tableEntries < 1 || tableEntries > RATE_LIMIT_TABLE_ENTRIES_MAX)
    throw new RangeError(`tableEntries must be an integer in 1 ..= ${RATE_LIMIT_TABLE_ENTRIES_MAX}`);
}

/** The client's prefix as text: /24 of IPv4, /56 of IPv6; undefined for an unreadable address. */
export function clientPrefix(address: string): string | undefined {
  // The socket's dotted quad: its /24 is the text before the last dot (the hot path).
  const dot = address.lastIndexOf('.');
  if (dot > 0 && !address.includes(':')) return `4${address.slice(0, dot)}`;
  const octets = addressOctets(address);
  if (octets === undefined) return undefined;
  if (octets.length === 4) return `4${octets[0]}.${octets[1]}.${octets[2]}`; // IPv4-mapped IPv6
  return `6${Buffer.from(octets.subarray(0, IPV6_PREFIX_OCTETS)).toString('hex')}`;
}

/** Where the question's name ends in `answer`, when it has exactly one readable question. */
export function questionNameEnd(answer: Uint8Array): number | undefined {
  if (u16(answer, 4) !== 1) return undefined;
  let p = HEADER_BYTES;
  for (;;) {
    const length = answer[p];
    if (length === undefined || length > 63) return undefined; // no pointer in the first name
    p += 1 + length;
    if (length === 0) return p + 4 <= answer.length ? p : undefined;
  }
}

/** What kind of answer this is (the header and the question say it). */
export function responseKind(answer: Uint8Array): ResponseKind {
  const rcode = (answer[3] as number) & 0x0f;
  if (rcode === RCODE.NXDOMAIN) return 'nxdomain';
  if (rcode !== RCODE.NOERROR) return 'error';
  const authoritative = ((answer[2] as number) & 0x04) !== 0;
  return u16(answer, 6) === 0 && !authoritative ? 'referral' : 'answer';
}

function bucketKey(clientAddress: string, answer: Uint8Array, zoneOf: ZoneOfAnswer): string | undefined {
  const prefix = clientPrefix(clientAddress);
  if (prefix === undefined) return undefined;
  let kind = responseKind(answer);
  const qnameEnd = kind === 'error' ? undefined : questionNameEnd(answer);
  if (qnameEnd === undefined) kind = 'error';
  if (kind === 'error' || qnameEnd === undefined) return `${prefix}|e`;
  if (kind === 'answer') {
    // The lowercased name and the type: 0x20 case games must not make fresh buckets.
    const name = Buffer.from(answer.buffer, answer.byteOffset + HEADER_BYTES, qnameEnd - HEADER_BYTES)
      .toString('latin1')
      .toLowerCase();
    return `${prefix}|a|${u16(answer, qnameEnd)}|${name}`;
  }
  return `${prefix}|${kind === 'nxdomain' ? 'n' : 'r'}|${zoneOf(answer, qnameEnd) ?? ''}`;
}

/**
 * The slipped form of an answer: its header and question only, TC set, every other count
 * zero (so it is never larger than the query that asked, less its OPT).
 */
function slipped(answer: Uint8Array): Uint8Array {
  const qnameEnd = questionNameEnd(answer);
  const end = qnameEnd === undefined ? HEADER_BYTES : qnameEnd + 4;
  const out = answer.slice(0, end);
  out[2] = (out[2] as number) | 0x02;
  out[4] = 0;
  out[5] = qnameEnd === undefined ? 0 : 1;
  out.fill(0, 6, HEADER_BYTES);
  return out;
}
