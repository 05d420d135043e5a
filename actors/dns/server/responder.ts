/**
 * The DNS responder of a replica: query bytes in, response bytes (or nothing) out. Pure:
 * no I/O, no clock; the DNS actor's sockets (runtime/dns-sockets/) do the network.
 *
 * What it answers (RFC sections are cited where each rule is enforced below):
 *   - fewer than 12 bytes, or a response (QR=1): dropped (there is no one to answer, or
 *     answering a response invites loops);
 *   - a TSIG record (RFC 8945 §5.2), checked against the cluster's keys (signed-query.ts):
 *     a verified query is answered as if unsigned and the answer signed; an unknown key,
 *     a bad MAC or a skewed time get NOTAUTH with BADKEY, BADSIG or BADTIME in the TSIG;
 *     a TSIG that is not the last additional record: FORMERR;
 *   - opcode other than QUERY: NOTIMP (RFC 1035 §4.1.1);
 *   - QDCOUNT != 1 or any malformed message with a readable header: FORMERR
 *     (RFC 1035 §4.1.1; RFC 6891 §6.1.1 for more than one OPT). These error answers have
 *     no question, and an OPT when the query had a readable one (RFC 6891 §6.1.1: a
 *     responder that implements EDNS includes an OPT in its response to one);
 *   - EDNS version above 0: BADVERS with an OPT of version 0 (RFC 6891 §6.1.3);
 *   - AXFR/IXFR: never reach it from the DNS actor (transfer/transfer-desk.ts answers them);
 *     given one, NOTIMP. OPT/TSIG as QTYPE: FORMERR;
 *   - class CH: `id.server.` and `hostname.bind.` TXT (or ANY) answer the replica identity
 *     (RFC 4892 §2), `version.bind.` and `version.server.` the configured version text
 *     (Knot's and BIND's convention); everything else in CH is REFUSED;
 *   - otherwise the served zone decides through `lookup()` (RFC 1034 §4.3.2): AA on data
 *     from the zone, CNAME chains inside the zone, referrals with AA clear, NXDOMAIN and
 *     NODATA with the SOA in authority (RFC 2308 §3), wildcards (RFC 4592); a name outside
 *     every zone is REFUSED. RA is always clear (no recursion); RD is copied from the query
 *     (RFC 1035 §4.1.1). CD is clear: it asks a validating resolver not to validate
 *     (RFC 4035 §3.2.2), which says nothing to an authoritative server, and Knot and NSD
 *     clear it too;
 *   - answers get the in-zone A/AAAA of their NS, MX and SRV targets as optional
 *     additionals (RFC 1035 §3.3.9, §4.3.2 step 6; RFC 2782; additional-addresses.ts),
 *     dropped before they could set TC.
 *   - ANY (RFC 8482): one RRset only (§4.1, the first RRset at the name, which keeps ANY
 *     useless for amplification), over TCP too: §4.3 would allow the whole set there, but
 *     one answer whatever the transport is simpler to reason about and to cache.
 *   - The question is echoed exactly as asked (case kept: DNS 0x20).
 *   - EDNS (RFC 6891): when the query has an OPT, the response has one with our payload
 *     size and the query's DO bit (RFC 3225 §3); NSID (RFC 5001 §2.2) when asked. Unknown
 *     options (cookies included) are ignored.
 *   - Size: UDP responses fit min(the client's payload size, at least 512, or 512 without
 *     EDNS (RFC 6891 §6.2.5, RFC 1035 §4.2.1), `maxUdpPayload`); TCP ones 65535. The codec
 *     drops records from the end and sets TC by the `requiredAdditionals` rule (optional
 *     additionals go first and do not set TC; RFC 2181 §9).
 *
 * Hot path: the header, question and OPT are read in place (`parseQuery`), without
 * decoding the message; anything unusual (a compressed or odd OPT, records in answer or
 * authority, several additionals) falls back to the full `decodeMessage`, which also
 * decides FORMERR. Responses are precomputed templates in a bounded LRU keyed by
 * (lowercased qname, qtype, qclass, EDNS present, DO, NSID asked, transport); each entry
 * remembers the zone object and generation it was computed from, and is recomputed when
 * `zones.find` returns another zone or the generation moved. A template is built with the
 * lowercased question; serving it copies the bytes and patches the id, RD and the
 * question name (so names compressed to the question take the asked case, as BIND and
 * Knot do). The template is the untruncated (TCP-sized) answer; a smaller limit gets a
 * truncated variant encoded once per limit and kept with the entry.
 */

import { signAnswer } from '../../../protocol/dns/tsig/sign.js';
import { RCODE, RR_CLASS, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import {
  decodeMessage,
  type Edns,
  type EdnsOption,
  encodeMessage,
  HEADER_BYTES,
  type Message,
} from '../../../protocol/dns/wire/message.js';
import { lowercaseAscii, Name } from '../../../protocol/dns/wire/name.js';
import type { Question, ResourceRecord } from '../../../protocol/dns/wire/record.js';
import { DNS_MESSAGE_BYTES_MAX, EDNS_UDP_PAYLOAD_BYTES_DEFAULT } from '../../../protocol/limits.js';
import { lookup } from '../zone/lookup.js';
import type { ZoneView } from '../zone/zone-view.js';
import { targetAddresses } from './additional-addresses.js';
import { answerSignedQuery, NO_TSIG_KEYS, type TsigSigning } from './signed-query.js';

export type DnsTransport = 'udp' | 'tcp';

/** The served zones, as the responder needs them (`ZoneSet` is one). */
export interface ZoneFinder {
  /** The zone with the longest apex containing `name`, of class `rrClass`. */
  find(name: Name, rrClass: number): ZoneView | undefined;
  /**
   * If present: moves whenever `find` could return a different zone object for some name
   * (zones added, removed, replaced). While it stays, a cached answer whose zone's
   * generation has not moved is current without calling `find` (the hot path).
   */
  readonly zoneSetGeneration?: number;
}

export interface ResponderOptions {
  /** The replica id: served as NSID (RFC 5001) and as CH TXT `id.server.`/`hostname.bind.`. 1 ..= 200 octets. */
  readonly identity: string;
  /** Our EDNS UDP payload size and the UDP response limit; 512 ..= 65535, default 1232 (DNS flag day 2020). */
  readonly maxUdpPayload?: number;
  /** The bound of the response cache (0 disables it); default 10000. */
  readonly cacheEntries?: number;
  /** CH TXT `version.bind.`/`version.server.`: 0 ..= 255 octets; default `DEFAULT_VERSION_TEXT`. */
  readonly version?: string;
}

export interface ResponderStats {
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheEntries: number;
  /** Exceptions caught while answering (answered SERVFAIL): always a bug. */
  readonly internalErrors: number;
}

export const DEFAULT_CACHE_ENTRIES = 10_000;
/** The payload a client without EDNS can take (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_PAYLOAD = 512;
/** NSID's EDNS option code (RFC 5001 §2.3). */
export const EDNS_OPTION_NSID = 3;
/** The product and its version, as Knot answers `version.bind.` by default. */
export const DEFAULT_VERSION_TEXT = 'raftns 0.1.0';
const MAX_IDENTITY_OCTETS = 200;
/** One TXT character-string (RFC 1035 §3.3.14). */
const MAX_VERSION_OCTETS = 255;
/** Truncated variants kept per cache entry (one per distinct client limit). */
const MAX_TRUNCATED_VARIANTS = 4;
const CHAOS_IDENTITY_NAMES: ReadonlySet<string> = new Set(['id.server.', 'hostname.bind.']);
const CHAOS_VERSION_NAMES: ReadonlySet<string> = new Set(['version.server.', 'version.bind.']);

interface ParsedEdns {
  readonly udpPayloadSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly nsid: boolean;
}

/**
 * The parts of a query the responder uses. The question name's lowercased wire form is
 * left in `KEY_SCRATCH` (after `KEY_PREFIX_BYTES`), where the cache key is made from it
 * with one native string conversion: building strings byte by byte and hashing a
 * concatenation cost more than the rest of a cache hit.
 */
interface ParsedQuery {
  /** Octets of the lowercased name in `KEY_SCRATCH`. */
  readonly lowerLength: number;
  /** Where the question name ends (it starts at 12, uncompressed). */
  readonly qnameEnd: number;
  readonly qtype: number;
  readonly qclass: number;
  readonly edns: ParsedEdns | undefined;
}

interface CacheEntry {
  readonly zone: ZoneView | undefined;
  readonly generation: number;
  /** The finder's `zoneSetGeneration` when `zone` was found (undefined: the finder has none). */
  zoneSetGeneration: number | undefined;
  readonly message: Message;
  readonly requiredAdditionals: number;
  /** Used since the eviction hand last passed it (the CLOCK policy's reference bit). */
  referenced: boolean;
  /** Its place on the CLOCK ring (`Responder.#ring`); -1 until cached. */
  slot: number;
  /** The response at the TCP limit, id 0, RD clear, lowercased question. */
  readonly full: Uint8Array;
  truncated: Map<number, Uint8Array> | undefined;
}

const u16 = (b: Uint8Array, at: number): number => ((b[at] as number) << 8) | (b[at + 1] as number);

/** Transport and EDNS shape (1), qtype (2), qclass (2), then the lowercased name. */
const KEY_PREFIX_BYTES = 5;
const KEY_SCRATCH = Buffer.allocUnsafe(KEY_PREFIX_BYTES + 256);

/**
 * The question name with ASCII letters folded (RFC 4343), from the query bytes (no
 * pointers in the first name): the name a cache entry answers.
 */
function loweredQuestionName(query: Uint8Array, qnameEnd: number): Name {
  const labels: string[] = [];
  for (let p = HEADER_BYTES; p < qnameEnd - 1; ) {
    const length = query[p] as number;
    const octets = query.subarray(p + 1, p + 1 + length) as unknown as number[];
    labels.push(lowercaseAscii(String.fromCharCode.apply(null, octets)));
    p += 1 + length;
  }
  return Name.fromLabels(labels);
}

/** The question name as asked (case kept), from the query bytes (no pointers in the first name). */
function askedName(query: Uint8Array, qnameEnd: number): Name {
  const labels: Uint8Array[] = [];
  for (let p = HEADER_BYTES; p < qnameEnd - 1; ) {
    const length = query[p] as number;
    labels.push(query.slice(p + 1, p + 1 + length));
    p += 1 + length;
  }
  return Name.fromLabels(labels);
}

const utf8 = new TextEncoder();

export class Responder {
  readonly identity: string;
  readonly maxUdpPayload: number;
  readonly cacheEntries: number;
  readonly version: string;
  readonly #identityOctets: Uint8Array;
  readonly #versionOctets: Uint8Array;
  readonly #cache = new Map<string, CacheEntry>();
  /**
   * The cached keys by slot, which the CLOCK hand sweeps. Not the map's own order: a map
   * that has an entry deleted from its front at every miss keeps those deleted slots until
   * it is rebuilt, and V8 walks past them again on every pass from the front.
   */
  readonly #ring: string[] = [];
  #hand = 0;
  #hits = 0;
  #misses = 0;
  #internalErrors = 0;

  /** Throws `RangeError` for an identity outside 1 ..= 200 octets, a version over 255, or a limit out of range. */
  constructor(options: ResponderOptions) {
    this.identity = options.identity;
    this.#identityOctets = utf8.encode(options.identity);
    const octets = this.#identityOctets.length;
    if (octets < 1 || octets > MAX_IDENTITY_OCTETS)
      throw new RangeError(`identity of ${octets} octets (1 ..= ${MAX_IDENTITY_OCTETS})`);
    this.maxUdpPayload = options.maxUdpPayload ?? EDNS_UDP_PAYLOAD_BYTES_DEFAULT;
    if (!(Number.isInteger(this.maxUdpPayload) && this.maxUdpPayload >= 512 && this.maxUdpPayload <= 0xffff))
      throw new RangeError(`maxUdpPayload ${this.maxUdpPayload} (512 ..= 65535)`);
    this.cacheEntries = options.cacheEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!(Number.isInteger(this.cacheEntries) && this.cacheEntries >= 0))
      throw new RangeError(`cacheEntries ${this.cacheEntries}`);
    this.version = options.version ?? DEFAULT_VERSION_TEXT;
    this.#versionOctets = utf8.encode(this.version);
    if (this.#versionOctets.length > MAX_VERSION_OCTETS)
      throw new RangeError(`version of ${this.#versionOctets.length} octets (0 ..= ${MAX_VERSION_OCTETS})`);
  }

  stats(): ResponderStats {
    return {
      cacheHits: this.#hits,
      cacheMisses: this.#misses,
      cacheEntries: this.#cache.size,
      internalErrors: this.#internalErrors,
    };
  }

  /**
   * An answer carrying only `rcode` (SERVFAIL when a read mode cannot be honoured): the
   * question and OPT echoed when the query parses, else the header alone; null for what
   * `respond` would not answer either (too short, or a response).
   */
  errorResponse(query: Uint8Array, rcode: number): Uint8Array | null {
    if (query.length < HEADER_BYTES || ((query[2] as number) & 0x80) !== 0) return null;
    const parsed = u16(query, 4) === 1 ? (parseQuery(query) ?? parseSlowly(query)) : undefined;
    return parsed === undefined ? this.#errorAnswer(query, rcode) : this.#special(query, parsed, rcode);
  }

  /**
   * The response to `query` received over `transport`, or null to send nothing. Never
   * throws: an internal error is counted and answered SERVFAIL.
   */
  respond(
    query: Uint8Array,
    transport: DnsTransport,
    zones: ZoneFinder,
    signing: TsigSigning = NO_TSIG_KEYS,
  ): Uint8Array | null {
    if (query.length < HEADER_BYTES) return null;
    // A response is never answered (RFC 1035 §4.1.1 QR; answering one invites loops).
    if (((query[2] as number) & 0x80) !== 0) return null;
    try {
      return this.#respond(query, transport, zones, signing, 0);
    } catch {
      this.#internalErrors++;
      return headerOnly(query, RCODE.SERVFAIL);
    }
  }

  /** `reserveBytes`: room left at the end of a UDP answer for the TSIG that signs it. */
  #respond(
    query: Uint8Array,
    transport: DnsTransport,
    zones: ZoneFinder,
    signing: TsigSigning,
    reserveBytes: number,
  ): Uint8Array {
    const fast = u16(query, 4) === 1 ? parseQuery(query) : undefined;
    // The fast read accepts an OPT as the only record; any other record may be a TSIG,
    // which is checked before anything else in the message is acted on (RFC 8945 §5.2).
    if (fast === undefined && reserveBytes === 0 && (u16(query, 6) | u16(query, 8) | u16(query, 10)) !== 0) {
      const signed = answerSignedQuery(query, signing, (asked) => this.#edns(parsedEdns(asked), 0));
      if (signed.kind === 'answer') return signed.bytes;
      if (signed.kind === 'formerr') return this.#errorAnswer(query, RCODE.FORMERR);
      if (signed.kind === 'verified') {
        const answer = this.#respond(signed.unsigned, transport, zones, signing, signed.reserveBytes);
        return signAnswer(answer, signed.verification, signing.nowSeconds);
      }
    }
    // RFC 1035 §4.1.1: opcodes we do not implement (IQUERY, STATUS, NOTIFY, UPDATE) get NOTIMP.
    if ((((query[2] as number) >>> 3) & 0x0f) !== 0) return this.#errorAnswer(query, RCODE.NOTIMP);
    // Exactly one question (RFC 9619 makes QDCOUNT > 1 a format error).
    if (u16(query, 4) !== 1) return this.#errorAnswer(query, RCODE.FORMERR);
    const parsed = fast ?? parseSlowly(query);
    if (parsed === undefined) return headerOnly(query, RCODE.FORMERR);
    const { edns, qtype, qclass } = parsed;

    // RFC 6891 §6.1.3: an EDNS version we do not implement gets BADVERS, with OPT version 0.
    if (edns !== undefined && edns.version > 0) return this.#special(query, parsed, RCODE.BADVERS);
    // Zone transfers are the transfer desk's (transfer/); meta types are not questions (RFC 6895 §3.1).
    if (qtype === RR_TYPE.AXFR || qtype === RR_TYPE.IXFR) return this.#special(query, parsed, RCODE.NOTIMP);
    if (qtype === RR_TYPE.OPT || qtype === RR_TYPE.TSIG) return this.#special(query, parsed, RCODE.FORMERR);

    const limit =
      transport === 'tcp'
        ? DNS_MESSAGE_BYTES_MAX
        : Math.min(
            edns === undefined ? CLASSIC_UDP_PAYLOAD : Math.max(CLASSIC_UDP_PAYLOAD, edns.udpPayloadSize),
            this.maxUdpPayload,
          ) - reserveBytes;
    const chaos = qclass === RR_CLASS.CH;
    const ednsBits = edns === undefined ? 0 : 1 | (edns.dnssecOk ? 2 : 0) | (edns.nsid ? 4 : 0);
    KEY_SCRATCH[0] = ednsBits | (transport === 'tcp' ? 8 : 0);
    KEY_SCRATCH.writeUInt16BE(qtype, 1);
    KEY_SCRATCH.writeUInt16BE(qclass, 3);
    const key = KEY_SCRATCH.toString('latin1', 0, KEY_PREFIX_BYTES + parsed.lowerLength);

    let entry = this.#cache.get(key);
    const zoneSetGeneration = zones.zoneSetGeneration;
    // Hot path: the same zone objects as when the entry was built, and its zone unchanged.
    let current =
      entry !== undefined &&
      zoneSetGeneration !== undefined &&
      entry.zoneSetGeneration === zoneSetGeneration &&
      (entry.zone?.generation ?? 0) === entry.generation;
    let zone = entry?.zone;
    let questionName: Name | undefined;
    if (!current) {
      questionName = loweredQuestionName(query, parsed.qnameEnd);
      zone = chaos ? undefined : zones.find(questionName, qclass);
      current = entry !== undefined && entry.zone === zone && entry.generation === (zone?.generation ?? 0);
      if (current && entry !== undefined) entry.zoneSetGeneration = zoneSetGeneration;
    }
    if (entry !== undefined && current) {
      this.#hits++;
      entry.referenced = true;
    } else {
      this.#misses++;
      entry = this.#build(
        questionName ?? loweredQuestionName(query, parsed.qnameEnd),
        parsed,
        zone,
        zoneSetGeneration,
      );
      if (this.cacheEntries > 0) this.#store(key, entry);
    }
    const template = entry.full.length <= limit ? entry.full : truncatedVariant(entry, limit);
    const out = template.slice();
    out[0] = query[0] as number;
    out[1] = query[1] as number;
    out[2] = (out[2] as number) | ((query[2] as number) & 0x01);
    out.set(query.subarray(HEADER_BYTES, parsed.qnameEnd), HEADER_BYTES);
    return out;
  }

  /** Caches `entry` under `key`: in the slot of the entry it replaces, a free slot, or an evicted one. */
  #store(key: string, entry: CacheEntry): void {
    const replaced = this.#cache.get(key);
    if (replaced !== undefined) entry.slot = replaced.slot;
    else if (this.#ring.length < this.cacheEntries) {
      entry.slot = this.#ring.length;
      this.#ring.push(key);
    } else {
      entry.slot = this.#evictOne();
      this.#ring[entry.slot] = key;
    }
    this.#cache.set(key, entry);
  }

  /**
   * CLOCK (second chance): the hand moves round the ring; an entry used since it last
   * passed loses its bit, the first one not used is evicted and its slot returned. Hits
   * only set a bit. Ends within one turn: the hand clears every bit it passes.
   */
  #evictOne(): number {
    for (;;) {
      const slot = this.#hand;
      this.#hand = slot + 1 === this.#ring.length ? 0 : slot + 1;
      const key = this.#ring[slot] as string;
      const entry = this.#cache.get(key) as CacheEntry;
      if (entry.referenced) {
        entry.referenced = false;
        continue;
      }
      this.#cache.delete(key);
      return slot;
    }
  }

  /** A cache entry: the answer to the lowercased question, id 0, RD clear. */
  #build(
    name: Name,
    parsed: ParsedQuery,
    zone: ZoneView | undefined,
    zoneSetGeneration: number | undefined,
  ): CacheEntry {
    const question: Question = {
      name,
      type: parsed.qtype,
      class: parsed.qclass,
    };
    let rcode: number = RCODE.REFUSED;
    let aa = false;
    let answers: readonly ResourceRecord[] = [];
    let authorities: readonly ResourceRecord[] = [];
    let additionals: readonly ResourceRecord[] = [];
    let requiredAdditionals = 0;
    if (question.class === RR_CLASS.CH) {
      // RFC 4892 §2: the server identity under id.server. (and BIND's hostname.bind.); the
      // version under version.bind. and version.server., as BIND and Knot answer them.
      const text = CHAOS_IDENTITY_NAMES.has(question.name.key)
        ? this.#identityOctets
        : CHAOS_VERSION_NAMES.has(question.name.key)
          ? this.#versionOctets
          : undefined;
      if (text !== undefined && (question.type === RR_TYPE.TXT || question.type === RR_TYPE.ANY)) {
        rcode = RCODE.NOERROR;
        aa = true;
        answers = [
          {
            name: question.name,
            type: RR_TYPE.TXT,
            class: RR_CLASS.CH,
            ttl: 0,
            rdata: { kind: 'TXT', strings: [text] },
          },
        ];
      }
    } else if (zone !== undefined) {
      const result = lookup([zone], question);
      if (result.kind !== 'refused') {
        rcode = result.rcode;
        aa = result.authoritative;
        answers = result.answers;
        authorities = result.authorities;
        additionals = result.additionals;
        requiredAdditionals = result.requiredAdditionals;
        // RFC 8482 §4.1: ANY gets one RRset, over every transport (§4.3 permits either over TCP).
        if (question.type === RR_TYPE.ANY && result.kind === 'answer') answers = oneRRset(answers);
        if (result.kind === 'answer') additionals = [...additionals, ...targetAddresses(zone, answers)];
      }
    }
    const message: Message = {
      id: 0,
      flags: { qr: true, opcode: 0, aa, tc: false, rd: false, ra: false, ad: false, cd: false, rcode },
      questions: [question],
      answers,
      authorities,
      additionals,
      ...(parsed.edns === undefined ? {} : { edns: this.#edns(parsed.edns, 0) }),
    };
    const full = encodeMessage(message, {
      compress: true,
      maxBytes: DNS_MESSAGE_BYTES_MAX,
      requiredAdditionals,
    });
    return {
      zone,
      generation: zone?.generation ?? 0,
      zoneSetGeneration,
      message,
      requiredAdditionals,
      referenced: false,
      slot: -1,
      full: full.bytes,
      truncated: undefined,
    };
  }

  /** Our OPT for the OPT of a message this responder did not parse (an UPDATE's). */
  ednsFor(asked: Edns): Edns {
    return this.#edns(parsedEdns(asked), 0);
  }

  /** Our OPT (RFC 6891 §6.1.2): our payload size, the client's DO bit, NSID if asked. */
  #edns(asked: ParsedEdns, extendedRcode: number): Edns {
    const options: EdnsOption[] = asked.nsid ? [{ code: EDNS_OPTION_NSID, data: this.#identityOctets }] : [];
    return {
      udpPayloadSize: this.maxUdpPayload,
      extendedRcode,
      version: 0,
      dnssecOk: asked.dnssecOk,
      options,
    };
  }

  /** An uncached error answer that echoes the question (and OPT when the query had one). */
  #special(query: Uint8Array, parsed: ParsedQuery, rcode: number): Uint8Array {
    const message: Message = {
      id: u16(query, 0),
      flags: {
        qr: true,
        opcode: 0,
        aa: false,
        tc: false,
        rd: ((query[2] as number) & 0x01) !== 0,
        ra: false,
        ad: false,
        cd: false,
        rcode: rcode & 0x0f,
      },
      questions: [{ name: askedName(query, parsed.qnameEnd), type: parsed.qtype, class: parsed.qclass }],
      answers: [],
      authorities: [],
      additionals: [],
      ...(parsed.edns === undefined ? {} : { edns: this.#edns(parsed.edns, rcode >>> 4) }),
    };
    return encodeMessage(message, { compress: true, maxBytes: CLASSIC_UDP_PAYLOAD }).bytes;
  }

  /**
   * An error answer without a question (NOTIMP, FORMERR): the header alone, plus our OPT
   * when the query carries a readable one (RFC 6891 §6.1.1). A query whose OPT cannot be
   * read gets the header alone, as RFC 6891 §7 allows.
   */
  #errorAnswer(query: Uint8Array, rcode: number): Uint8Array {
    if (u16(query, 10) === 0) return headerOnly(query, rcode);
    const decoded = decodeMessage(query);
    if (!decoded.ok || decoded.message.edns === undefined) return headerOnly(query, rcode);
    const message: Message = {
      id: decoded.message.id,
      flags: {
        qr: true,
        opcode: decoded.message.flags.opcode,
        aa: false,
        tc: false,
        rd: decoded.message.flags.rd,
        ra: false,
        ad: false,
        cd: false,
        rcode: rcode & 0x0f,
      },
      questions: [],
      answers: [],
      authorities: [],
      additionals: [],
      edns: this.#edns(parsedEdns(decoded.message.edns), rcode >>> 4),
    };
    return encodeMessage(message, { compress: true, maxBytes: CLASSIC_UDP_PAYLOAD }).bytes;
  }
}

function parsedEdns(edns: Edns): ParsedEdns {
  return {
    udpPayloadSize: edns.udpPayloadSize,
    version: edns.version,
    dnssecOk: edns.dnssecOk,
    nsid: edns.options.some((o) => o.code === EDNS_OPTION_NSID),
  };
}

/** The leading answers that share the first record's owner and type. */
function oneRRset(answers: readonly ResourceRecord[]): readonly ResourceRecord[] {
  const first = answers[0];
  if (first === undefined) return answers;
  return answers.filter((rr) => rr.type === first.type && rr.name.equals(first.name));
}

function truncatedVariant(entry: CacheEntry, limit: number): Uint8Array {
  const known = entry.truncated?.get(limit);
  if (known !== undefined) return known;
  const bytes = encodeMessage(entry.message, {
    compress: true,
    maxBytes: limit,
    requiredAdditionals: entry.requiredAdditionals,
  }).bytes;
  entry.truncated ??= new Map();
  if (entry.truncated.size < MAX_TRUNCATED_VARIANTS) entry.truncated.set(limit, bytes);
  return bytes;
}

/** A 12-byte answer: the query's id, opcode and RD, `rcode`, no records (SERVFAIL, unreadable queries). */
function headerOnly(query: Uint8Array, rcode: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out[0] = query[0] as number;
  out[1] = query[1] as number;
  out[2] = 0x80 | ((query[2] as number) & 0x79);
  out[3] = rcode & 0x0f;
  return out;
}

/**
 * The fast read of a query with QDCOUNT 1: the question in place, then either nothing
 * or one plain OPT record. Anything else (a compression pointer, records in answer or
 * authority, several additionals, bytes that do not add up) returns undefined, for the
 * full decoder to accept or reject.
 */
function parseQuery(b: Uint8Array): ParsedQuery | undefined {
  const length = b.length;
  let p = HEADER_BYTES;
  let w = KEY_PREFIX_BYTES;
  for (;;) {
    if (p >= length) return undefined;
    const len = b[p] as number;
    if (len === 0) {
      p++;
      break;
    }
    if (len > 63 || p + 1 + len > length) return undefined;
    // RFC 1035 §3.1: 255 octets at most, the root label included.
    if (w - KEY_PREFIX_BYTES + len + 2 > 255) return undefined;
    KEY_SCRATCH[w++] = len;
    for (let i = p + 1; i <= p + len; i++) {
      const c = b[i] as number;
      KEY_SCRATCH[w++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    p += 1 + len;
  }
  const lowerLength = w - KEY_PREFIX_BYTES;
  const qnameEnd = p;
  if (p + 4 > length) return undefined;
  const qtype = u16(b, p);
  const qclass = u16(b, p + 2);
  p += 4;
  if (u16(b, 6) !== 0 || u16(b, 8) !== 0) return undefined;
  const additionals = u16(b, 10);
  if (additionals === 0)
    return p === length ? { lowerLength, qnameEnd, qtype, qclass, edns: undefined } : undefined;
  // One OPT record owned by the root, ending exactly at the end (RFC 6891 §6.1.2).
  if (additionals !== 1 || p + 11 > length || b[p] !== 0 || u16(b, p + 1) !== RR_TYPE.OPT) return undefined;
  const udpPayloadSize = u16(b, p + 3);
  const version = b[p + 6] as number;
  const dnssecOk = ((b[p + 7] as number) & 0x80) !== 0;
  const end = p + 11 + u16(b, p + 9);
  if (end !== length) return undefined;
  let nsid = false;
  for (p += 11; p < end; ) {
    if (end - p < 4) return undefined;
    const code = u16(b, p);
    const optionLength = u16(b, p + 2);
    if (p + 4 + optionLength > end) return undefined;
    if (code === EDNS_OPTION_NSID) nsid = true;
    p += 4 + optionLength;
  }
  return { lowerLength, qnameEnd, qtype, qclass, edns: { udpPayloadSize, version, dnssecOk, nsid } };
}

/** The full decoder's reading of a query with QDCOUNT 1; undefined means FORMERR. */
function parseSlowly(b: Uint8Array): ParsedQuery | undefined {
  const decoded = decodeMessage(b);
  if (!decoded.ok) return undefined;
  const { questions, edns } = decoded.message;
  const question = questions[0];
  if (question === undefined) return undefined;
  // The first name after the header cannot hold a pointer (it could only point into the
  // header or forward, both rejected), so the question spans 12 .. 12 + wireLength.
  let w = KEY_PREFIX_BYTES;
  for (const label of question.name.lowercaseLabels) {
    KEY_SCRATCH[w++] = label.length;
    for (let i = 0; i < label.length; i++) KEY_SCRATCH[w++] = label.charCodeAt(i);
  }
  return {
    lowerLength: w - KEY_PREFIX_BYTES,
    qnameEnd: HEADER_BYTES + question.name.wireLength,
    qtype: question.type,
    qclass: question.class,
    edns: edns === undefined ? undefined : parsedEdns(edns),
  };
}
