/**
 * Questions and resource records (RFC 1035 §4.1.2, §4.1.3) as values, and their
 * presentation format (one zone-file line, as `dig` prints it).
 */
import { RR_CLASS, rrClassName, rrTypeName } from './codes.js';
import type { Name } from './name.js';
import { type Rdata, rdataToText, rdataType } from './rdata.js';

export interface Question {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
}

/**
 * A resource record. `type` is the RR type code; `rdata` has the format of that type, or
 * is opaque (a type without a codec, or the empty RDATA of an UPDATE). The encoder checks
 * that the two agree.
 */
export interface ResourceRecord {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  /** Seconds, 0 ..= 2^32 - 1 as on the wire (RFC 2181 §8 reads values over 2^31 - 1 as 0). */
  readonly ttl: number;
  readonly rdata: Rdata;
}

/**
 * A record whose type follows from its RDATA. Opaque RDATA needs `type`; `rrClass`
 * defaults to IN.
 */
export function makeRecord(
  name: Name,
  ttl: number,
  rdata: Rdata,
  options: { readonly rrClass?: number; readonly type?: number } = {},
): ResourceRecord {
  const type = rdataType(rdata) ?? options.type;
  if (type === undefined) throw new TypeError('opaque RDATA needs an explicit type');
  return { name, type, class: options.rrClass ?? RR_CLASS.IN, ttl, rdata };
}

export function questionToText(q: Question): string {
  return `${q.name} ${rrClassName(q.class)} ${rrTypeName(q.type)}`;
}

/** `www.example.com. 300 IN A 192.0.2.1`; unknown types as `TYPE65534 \# 2 ABCD`. */
export function recordToText(rr: ResourceRecord): string {
  return `${rr.name} ${rr.ttl} ${rrClassName(rr.class)} ${rrTypeName(rr.type)} ${rdataToText(rr.rdata)}`;
}
