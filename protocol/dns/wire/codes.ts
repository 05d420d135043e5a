/**
 * The DNS code tables: RR types, classes, response codes and opcodes (IANA "Domain Name
 * System (DNS) Parameters"). Each table is a const object, its names a string-literal union,
 * and a pair of functions maps numbers to names and back.
 *
 * A number with no name prints in the RFC 3597 §5 generic form (`TYPE65534`, `CLASS32`),
 * and parsing accepts that form for any number in range, so every 16-bit code has a name.
 * Rcodes and opcodes get the same treatment (`RCODE23`, `OPCODE3`) for logs.
 */

/** RR types with a name here. AXFR, IXFR and ANY are query types only (RFC 1035 §3.2.3). */
export const RR_TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  /** EDNS pseudo-RR (RFC 6891): handled by the message codec, never stored. */
  OPT: 41,
  /** Transaction signature (RFC 8945): decoded as opaque bytes here. */
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;
export type RrTypeName = keyof typeof RR_TYPE;

/**
 * Types that are never zone data: the reserved type 0 (RFC 6895 §3.1), the pseudo-records
 * OPT (RFC 6891) and TSIG (RFC 8945), and the query types IXFR, AXFR, MAILB, MAILA and ANY
 * (RFC 1035 §3.2.3). Neither a client's change nor a loaded zone may store one.
 */
export const META_TYPES: ReadonlySet<number> = new Set([
  0,
  RR_TYPE.OPT,
  RR_TYPE.TSIG,
  RR_TYPE.IXFR,
  RR_TYPE.AXFR,
  253 /* MAILB */,
  254 /* MAILA */,
  RR_TYPE.ANY,
]);

/** Classes with a name here. NONE and ANY appear in UPDATE messages (RFC 2136 §2.4–2.5). */
export const RR_CLASS = {
  IN: 1,
  CH: 3,
  NONE: 254,
  ANY: 255,
} as const;
export type RrClassName = keyof typeof RR_CLASS;

/**
 * Response codes. 0–15 fit the header's 4 bits; larger ones need EDNS (RFC 6891 §6.1.3:
 * the OPT record carries the upper 8 bits). 16 is BADVERS in an OPT record and BADSIG in
 * a TSIG record (RFC 8945); this table names it after EDNS.
 */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
} as const;
export type RcodeName = keyof typeof RCODE;

export const OPCODE = {
  QUERY: 0,
  NOTIFY: 4,
  UPDATE: 5,
} as const;
export type OpcodeName = keyof typeof OPCODE;

/** Number ↔ name for one table, with a `PREFIX<n>` fallback for numbers without a name. */
interface CodeTable {
  name(code: number): string;
  /** The number for a name (case-insensitive) or for `PREFIX<n>` with n in range; else undefined. */
  parse(text: string): number | undefined;
}

function codeTable(table: Readonly<Record<string, number>>, prefix: string, maxCode: number): CodeTable {
  const names = new Map<number, string>();
  const codes = new Map<string, number>();
  for (const [name, code] of Object.entries(table)) {
    names.set(code, name);
    codes.set(name, code);
  }
  const generic = new RegExp(`^${prefix}(0|[1-9][0-9]{0,4})$`);
  return {
    name: (code) => names.get(code) ?? `${prefix}${code}`,
    parse: (text) => {
      const upper = text.toUpperCase();
      const known = codes.get(upper);
      if (known !== undefined) return known;
      const match = generic.exec(upper);
      if (match === null) return undefined;
      const code = Number(match[1]);
      return code <= maxCode ? code : undefined;
    },
  };
}

const rrTypes = codeTable(RR_TYPE, 'TYPE', 0xffff);
const rrClasses = codeTable(RR_CLASS, 'CLASS', 0xffff);
const rcodes = codeTable(RCODE, 'RCODE', 0xfff);
const opcodes = codeTable(OPCODE, 'OPCODE', 0xf);

/** `1` → `A`; `65534` → `TYPE65534`. */
export const rrTypeName = rrTypes.name;
/** `A`, `a` or `TYPE1` → `1`; anything else → undefined. */
export const parseRrType = rrTypes.parse;
export const rrClassName = rrClasses.name;
export const parseRrClass = rrClasses.parse;
export const rcodeName = rcodes.name;
export const parseRcode = rcodes.parse;
export const opcodeName = opcodes.name;
export const parseOpcode = opcodes.parse;
