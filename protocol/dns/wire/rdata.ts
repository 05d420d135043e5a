/**
 * RDATA: one codec per record type, in a table (as dns-packet does). Each codec knows its
 * type's uncompressed `size`, how to `encode` and `decode` it, and its presentation format
 * (`toText`/`fromText`, what zone files and `dig` show).
 *
 * Formats: A (RFC 1035 §3.4.1), NS, CNAME, PTR, MX, TXT, SOA (RFC 1035 §3.3), AAAA
 * (RFC 3596), SRV (RFC 2782), CAA (RFC 8659). Any other type, and the empty RDATA of
 * RFC 2136 UPDATE records, is `opaque`: bytes, written `\# <length> <hex>` (RFC 3597 §5).
 * OPT is not RDATA here: the message codec turns it into `Message.edns`.
 *
 * Compression: names in NS, CNAME, PTR, MX and SOA RDATA may be compressed (RFC 3597 §4
 * allows it for the well-known types of RFC 1035); the SRV target must not be (RFC 2782).
 * Decoding accepts pointers in every name.
 *
 * Encoding checks values and throws `WireEncodeError` for one that has no wire form.
 * Decoding throws `WireFormatFailure('bad-rdata')` when the bytes do not fit the format.
 */
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './address.js';
import { RR_CLASS, RR_TYPE } from './codes.js';
import { type DecodeError, WireEncodeError, WireFormatFailure } from './errors.js';
import { Name, NameError } from './name.js';
import { WireReader } from './reader.js';
import {
  decodeCharacterString,
  formatCharacterString,
  formatHex,
  parseDecimal,
  parseHex,
  TextFormatError,
  type TextToken,
  tokenize,
} from './text.js';
import { WireWriter } from './writer.js';

export interface ARdata {
  readonly kind: 'A';
  /** Dotted quad. */
  readonly address: string;
}
export interface AaaaRdata {
  readonly kind: 'AAAA';
  /** Any RFC 4291 text form; decoding and `fromText` give the RFC 5952 form. */
  readonly address: string;
}
export interface NsRdata {
  readonly kind: 'NS';
  readonly target: Name;
}
export interface CnameRdata {
  readonly kind: 'CNAME';
  readonly target: Name;
}
export interface PtrRdata {
  readonly kind: 'PTR';
  readonly target: Name;
}
export interface MxRdata {
  readonly kind: 'MX';
  readonly preference: number;
  readonly exchange: Name;
}
export interface TxtRdata {
  readonly kind: 'TXT';
  /** One or more character-strings of 0–255 octets each. */
  readonly strings: readonly Uint8Array[];
}
export interface SoaRdata {
  readonly kind: 'SOA';
  readonly mname: Name;
  /** The mailbox of the person responsible, as a name (`hostmaster.example.com.`). */
  readonly rname: Name;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** The negative-caching TTL (RFC 2308 §4). */
  readonly minimum: number;
}
export interface SrvRdata {
  readonly kind: 'SRV';
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: Name;
}
export interface CaaRdata {
  readonly kind: 'CAA';
  /** Bit 7 (128) is issuer-critical (RFC 8659 §4.1). */
  readonly flags: number;
  /** 1–255 ASCII letters and digits (`issue`, `issuewild`, `iodef`). */
  readonly tag: string;
  readonly value: Uint8Array;
}
/** RDATA of a type without a codec, or the empty RDATA of an UPDATE (RFC 3597). */
export interface OpaqueRdata {
  readonly kind: 'opaque';
  readonly bytes: Uint8Array;
}

export type Rdata =
  | ARdata
  | AaaaRdata
  | NsRdata
  | CnameRdata
  | PtrRdata
  | MxRdata
  | TxtRdata
  | SoaRdata
  | SrvRdata
  | CaaRdata
  | OpaqueRdata;
export type KnownRdataKind = Exclude<Rdata['kind'], 'opaque'>;

interface RdataCodec<R> {
  /** Octets of the uncompressed encoding. */
  size(rdata: R): number;
  encode(writer: WireWriter, rdata: R): void;
  /** Reads the RDATA from `reader.pos` up to `reader.end`. */
  decode(reader: WireReader): R;
  toText(rdata: R): string;
  fromText(tokens: readonly TextToken[], origin: Name | undefined): R;
}

type CodecTable = { readonly [K in KnownRdataKind]: RdataCodec<Extract<Rdata, { kind: K }>> };

const CAA_TAG = /^[A-Za-z0-9]{1,255}$/;

function invalid(message: string): never {
  throw new WireEncodeError('invalid-value', message);
}

function expectTokens(tokens: readonly TextToken[], count: number, kind: string): void {
  if (tokens.length !== count)
    throw new TextFormatError(`${kind} RDATA has ${count} fields, got ${tokens.length}`);
}

function nameField(token: TextToken | undefined, what: string, origin: Name | undefined): Name {
  if (token === undefined) throw new TextFormatError(`missing ${what}`);
  if (token.quoted) throw new TextFormatError(`${what} must not be quoted`);
  return Name.parse(token.text, origin);
}

function addressCodec<K extends 'A' | 'AAAA'>(
  kind: K,
  octets: number,
  parse: (text: string) => Uint8Array | undefined,
  format: (bytes: Uint8Array) => string,
): RdataCodec<{ readonly kind: K; readonly address: string }> {
  return {
    size: () => octets,
    encode: (w, r) => w.raw(parse(r.address) ?? invalid(`${kind} address '${r.address}' does not parse`)),
    decode: (reader) => {
      if (reader.remaining !== octets) reader.fail('bad-rdata', `${kind} RDATA must be ${octets} octets`);
      return { kind, address: format(reader.bytesView(octets, kind)) };
    },
    toText: (r) => r.address,
    fromText: (tokens) => {
      expectTokens(tokens, 1, kind);
      const bytes = parse((tokens[0] as TextToken).text);
      if (bytes === undefined) throw new TextFormatError(`'${tokens[0]?.text}' is not an ${kind} address`);
      return { kind, address: format(bytes) };
    },
  };
}

function singleNameCodec<K extends 'NS' | 'CNAME' | 'PTR'>(
  kind: K,
): RdataCodec<{ readonly kind: K; readonly target: Name }> {
  return {
    size: (r) => r.target.wireLength,
    encode: (w, r) => w.name(r.target, true),
    decode: (reader) => ({ kind, target: reader.name(kind) }),
    toText: (r) => r.target.toString(),
    fromText: (tokens, origin) => {
      expectTokens(tokens, 1, kind);
      return { kind, target: nameField(tokens[0], 'target', origin) };
    },
  };
}

const CODECS: CodecTable = {
  A: addressCodec('A', 4, parseIpv4, formatIpv4),
  AAAA: addressCodec('AAAA', 16, parseIpv6, formatIpv6),
  NS: singleNameCodec('NS'),
  CNAME: singleNameCodec('CNAME'),
  PTR: singleNameCodec('PTR'),
  MX: {
    size: (r) => 2 + r.exchange.wireLength,
    encode: (w, r) => {
      w.u16(r.preference, 'MX preference');
      w.name(r.exchange, true);
    },
    decode: (reader) => ({
      kind: 'MX',
      preference: reader.u16('MX preference'),
      exchange: reader.name('MX'),
    }),
    toText: (r) => `${r.preference} ${r.exchange}`,
    fromText: (tokens, origin) => {
      expectTokens(tokens, 2, 'MX');
      return {
        kind: 'MX',
        preference: parseDecimal(tokens[0], 'preference', 0xffff),
        exchange: nameField(tokens[1], 'exchange', origin),
      };
    },
  },
  TXT: {
    size: (r) => r.strings.reduce((sum, s) => sum + 1 + s.length, 0),
    encode: (w, r) => {
      if (r.strings.length === 0) invalid('TXT RDATA needs at least one string');
      for (const s of r.strings) {
        if (s.length > 255) invalid(`TXT string of ${s.length} octets (max 255)`);
        w.u8(s.length);
        w.raw(s);
      }
    },
    decode: (reader) => {
      if (reader.remaining === 0) reader.fail('bad-rdata', 'TXT RDATA needs at least one string');
      const strings: Uint8Array[] = [];
      while (reader.remaining > 0) strings.push(reader.bytesCopy(reader.u8('TXT length'), 'TXT string'));
      return { kind: 'TXT', strings };
    },
    toText: (r) => r.strings.map(formatCharacterString).join(' '),
    fromText: (tokens) => {
      if (tokens.length === 0) throw new TextFormatError('TXT RDATA needs at least one string');
      const strings = tokens.map((t) => decodeCharacterString(t.text));
      for (const s of strings)
        if (s.length > 255) throw new TextFormatError(`TXT string of ${s.length} octets (max 255)`);
      return { kind: 'TXT', strings };
    },
  },
  SOA: {
    size: (r) => r.mname.wireLength + r.rname.wireLength + 20,
    encode: (w, r) => {
      w.name(r.mname, true);
      w.name(r.rname, true);
      w.u32(r.serial, 'SOA serial');
      w.u32(r.refresh, 'SOA refresh');
      w.u32(r.retry, 'SOA retry');
      w.u32(r.expire, 'SOA expire');
      w.u32(r.minimum, 'SOA minimum');
    },
    decode: (reader) => ({
      kind: 'SOA',
      mname: reader.name('SOA mname'),
      rname: reader.name('SOA rname'),
      serial: reader.u32('SOA serial'),
      refresh: reader.u32('SOA refresh'),
      retry: reader.u32('SOA retry'),
      expire: reader.u32('SOA expire'),
      minimum: reader.u32('SOA minimum'),
    }),
    toText: (r) => `${r.mname} ${r.rname} ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`,
    fromText: (tokens, origin) => {
      expectTokens(tokens, 7, 'SOA');
      const u32 = (i: number, what: string) => parseDecimal(tokens[i], what, 0xffffffff);
      return {
        kind: 'SOA',
        mname: nameField(tokens[0], 'mname', origin),
        rname: nameField(tokens[1], 'rname', origin),
        serial: u32(2, 'serial'),
        refresh: u32(3, 'refresh'),
        retry: u32(4, 'retry'),
        expire: u32(5, 'expire'),
        minimum: u32(6, 'minimum'),
      };
    },
  },
  SRV: {
    size: (r) => 6 + r.target.wireLength,
    encode: (w, r) => {
      w.u16(r.priority, 'SRV priority');
      w.u16(r.weight, 'SRV weight');
      w.u16(r.port, 'SRV port');
      w.name(r.target, false);
    },
    decode: (reader) => ({
      kind: 'SRV',
      priority: reader.u16('SRV priority'),
      weight: reader.u16('SRV weight'),
      port: reader.u16('SRV port'),
      target: reader.name('SRV target'),
    }),
    toText: (r) => `${r.priority} ${r.weight} ${r.port} ${r.target}`,
    fromText: (tokens, origin) => {
      expectTokens(tokens, 4, 'SRV');
      return {
        kind: 'SRV',
        priority: parseDecimal(tokens[0], 'priority', 0xffff),
        weight: parseDecimal(tokens[1], 'weight', 0xffff),
        port: parseDecimal(tokens[2], 'port', 0xffff),
        target: nameField(tokens[3], 'target', origin),
      };
    },
  },
  CAA: {
    size: (r) => 2 + r.tag.length + r.value.length,
    encode: (w, r) => {
      if (!(Number.isInteger(r.flags) && r.flags >= 0 && r.flags <= 255)) invalid(`CAA flags ${r.flags}`);
      if (!CAA_TAG.test(r.tag)) invalid(`CAA tag '${r.tag}' must be 1-255 ASCII letters and digits`);
      w.u8(r.flags);
      w.u8(r.tag.length);
      w.octets(r.tag);
      w.raw(r.value);
    },
    decode: (reader) => {
      const flags = reader.u8('CAA flags');
      const tag = reader.octets(reader.u8('CAA tag length'), 'CAA tag');
      if (!CAA_TAG.test(tag)) reader.fail('bad-rdata', 'CAA tag must be 1-255 ASCII letters and digits');
      return { kind: 'CAA', flags, tag, value: reader.bytesCopy(reader.remaining, 'CAA value') };
    },
    toText: (r) => `${r.flags} ${r.tag} ${formatCharacterString(r.value)}`,
    fromText: (tokens) => {
      expectTokens(tokens, 3, 'CAA');
      const tag = tokens[1] as TextToken;
      if (tag.quoted || !CAA_TAG.test(tag.text))
        throw new TextFormatError(`CAA tag '${tag.text}' must be 1-255 ASCII letters and digits`);
      return {
        kind: 'CAA',
        flags: parseDecimal(tokens[0], 'flags', 255),
        tag: tag.text,
        value: decodeCharacterString((tokens[2] as TextToken).text),
      };
    },
  },
};

const KIND_BY_TYPE = new Map<number, KnownRdataKind>(
  (Object.keys(CODECS) as KnownRdataKind[]).map((kind) => [RR_TYPE[kind], kind]),
);

function codecOf(kind: KnownRdataKind): RdataCodec<Rdata> {
  return CODECS[kind] as RdataCodec<Rdata>;
}

/** The RR type whose format `rdata` has; undefined for opaque RDATA, which fits any type. */
export function rdataType(rdata: Rdata): number | undefined {
  return rdata.kind === 'opaque' ? undefined : RR_TYPE[rdata.kind];
}

/** The kind of RDATA records of `type` decode to, when that type has a codec. */
export function rdataKindOf(type: number): KnownRdataKind | undefined {
  return KIND_BY_TYPE.get(type);
}

/** Octets of the uncompressed wire form (an upper bound on the compressed one). */
export function rdataSize(rdata: Rdata): number {
  return rdata.kind === 'opaque' ? rdata.bytes.length : codecOf(rdata.kind).size(rdata);
}

/** Writes RDATA (without RDLENGTH). Throws `WireEncodeError` for a value with no wire form. */
export function writeRdata(writer: WireWriter, rdata: Rdata): void {
  if (rdata.kind === 'opaque') writer.raw(rdata.bytes);
  else codecOf(rdata.kind).encode(writer, rdata);
}

/**
 * Reads `length` octets of RDATA of `type` at `reader.pos`. Throws `WireFormatFailure`.
 * Empty RDATA in class ANY or NONE is an UPDATE deletion or prerequisite (RFC 2136 §2.4,
 * §2.5) and stays opaque; so does every type without a codec.
 */
export function readRdata(reader: WireReader, type: number, rrClass: number, length: number): Rdata {
  reader.need(length, 'RDATA');
  const start = reader.pos;
  const end = start + length;
  const kind = KIND_BY_TYPE.get(type);
  if (kind === undefined || (length === 0 && (rrClass === RR_CLASS.ANY || rrClass === RR_CLASS.NONE)))
    return { kind: 'opaque', bytes: reader.bytesCopy(length, 'RDATA') };
  const outerEnd = reader.end;
  reader.end = end;
  try {
    const rdata = codecOf(kind).decode(reader);
    if (reader.pos !== end)
      reader.fail('bad-rdata', `${kind} RDATA has ${end - reader.pos} octets beyond its fields`);
    return rdata;
  } catch (error) {
    if (error instanceof WireFormatFailure && error.problem === 'truncated')
      throw new WireFormatFailure(
        'bad-rdata',
        error.offset,
        `${kind} RDATA shorter than its format: ${error.message}`,
      );
    throw error;
  } finally {
    reader.end = outerEnd;
  }
}

/** The uncompressed wire form of `rdata` on its own. Throws `WireEncodeError`. */
export function encodeRdata(rdata: Rdata): Uint8Array {
  const writer = new WireWriter(rdataSize(rdata), false);
  writeRdata(writer, rdata);
  return writer.bytes;
}

/**
 * Decodes the RDATA of a record of `type` held in `bytes[offset, offset + length)`, with
 * no message around it (so compression pointers are rejected). Never throws.
 */
export function decodeRdata(
  type: number,
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
  rrClass: number = RR_CLASS.IN,
): { readonly ok: true; readonly rdata: Rdata } | { readonly ok: false; readonly error: DecodeError } {
  if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length))
    return {
      ok: false,
      error: { code: 'FORMERR', problem: 'truncated', message: 'RDATA outside the buffer', offset: 0 },
    };
  // The pointer floor at the end rejects every pointer: there are no earlier names.
  const reader = new WireReader(bytes, offset, offset + length, offset + length);
  try {
    return { ok: true, rdata: readRdata(reader, type, rrClass, length) };
  } catch (error) {
    if (!(error instanceof WireFormatFailure)) throw error;
    return {
      ok: false,
      error: { code: 'FORMERR', problem: error.problem, message: error.message, offset: error.offset },
    };
  }
}

/** Presentation format of the RDATA (the part of a zone-file line after the type). */
export function rdataToText(rdata: Rdata): string {
  if (rdata.kind !== 'opaque') return codecOf(rdata.kind).toText(rdata);
  return rdata.bytes.length === 0 ? '\\# 0' : `\\# ${rdata.bytes.length} ${formatHex(rdata.bytes)}`;
}

/**
 * Parses the presentation format of RDATA of `type`. Relative names are completed with
 * `origin` (absolute when it is not given). The RFC 3597 form `\# <length> <hex>` is
 * accepted for every type; for a type with a codec the bytes are decoded into its fields
 * (RFC 3597 §5), except `\# 0`, which stays the empty RDATA of an UPDATE.
 */
export function rdataFromText(
  type: number,
  text: string,
  origin?: Name,
): { readonly ok: true; readonly rdata: Rdata } | { readonly ok: false; readonly error: TextFormatError } {
  try {
    return { ok: true, rdata: parseRdataText(type, text, origin) };
  } catch (error) {
    if (error instanceof TextFormatError) return { ok: false, error };
    if (error instanceof NameError) return { ok: false, error: new TextFormatError(error.message) };
    throw error;
  }
}

function parseRdataText(type: number, text: string, origin: Name | undefined): Rdata {
  const tokens = tokenize(text);
  const kind = KIND_BY_TYPE.get(type);
  const first = tokens[0];
  if (first !== undefined && !first.quoted && first.text === '\\#') {
    const length = parseDecimal(tokens[1], 'RFC 3597 length', 0xffff);
    const bytes = parseHex(tokens.slice(2));
    if (bytes.length !== length)
      throw new TextFormatError(`RFC 3597 length ${length} but ${bytes.length} octets of hex`);
    if (kind === undefined || length === 0) return { kind: 'opaque', bytes };
    const decoded = decodeRdata(type, bytes);
    if (!decoded.ok)
      throw new TextFormatError(`\\# data is not valid ${kind} RDATA: ${decoded.error.message}`);
    return decoded.rdata;
  }
  if (kind === undefined) throw new TextFormatError(`type ${type} has no codec: use the \\# form`);
  return codecOf(kind).fromText(tokens, origin);
}
