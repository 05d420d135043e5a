/**
 * A zone's whole content as RRsets in presentation form, and what replacing one content
 * with another takes. Shared by the CLI (a dry run prints the difference), the replica
 * (an import's commit computes it against the data it holds at that log index) and the
 * export (pages of a zone).
 *
 * The SOA serial is the store's (dns-store.ts moves it on every commit), so two contents
 * whose SOAs differ only in the serial are equal, and an import never sets the serial.
 */
import { RRSET_RDATAS_MAX } from './changes.js';
import { parseRrType, RR_TYPE, rrTypeName } from './wire/codes.js';
import { Name, NameError } from './wire/name.js';
import { encodeRdata, type Rdata, rdataFromText, rdataToText } from './wire/rdata.js';
import type { ResourceRecord } from './wire/record.js';

/** Largest zone an import carries: the store's own bound on RRsets per zone. */
export const ZONE_RRSETS_MAX = 1_000_000;

/** One RRset: an absolute owner name, a type mnemonic (or `TYPEn`), a TTL and RDATA strings. */
export interface ZoneRrset {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly rdata: readonly string[];
}

/** A difference between two contents, in canonical owner-key order. */
export interface ZoneDiff {
  /** RRsets that are new or whose TTL or RDATA changed: the new RRset. */
  readonly upserts: readonly ZoneRrset[];
  /** RRsets that go. */
  readonly deletes: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly unchanged: number;
}

export type ZoneContentProblem =
  | { readonly code: 'outside-zone'; readonly message: string }
  | { readonly code: 'soa-missing'; readonly message: string }
  | { readonly code: 'ns-missing'; readonly message: string }
  | { readonly code: 'soa-not-single'; readonly message: string }
  | { readonly code: 'ttl-mismatch'; readonly message: string }
  | { readonly code: 'limit'; readonly message: string };

export type ZoneContentResult =
  | { readonly ok: true; readonly rrsets: readonly ZoneRrset[] }
  | { readonly ok: false; readonly problem: ZoneContentProblem };

function rrsetKey(name: Name, type: number): string {
  return `${name.key}\u0000${type}`;
}

/**
 * Records grouped into RRsets (in first-seen order, duplicate RDATA dropped: RFC 2181 §5),
 * after checking what a zone needs before it is sent anywhere: every owner at or below the
 * apex, exactly one SOA and at least one NS at the apex (RFC 1035 §5.2, RFC 1034 §4.2.1),
 * one TTL per RRset (RFC 2181 §5.2), at most ZONE_RRSETS_MAX RRsets and RRSET_RDATAS_MAX
 * records per RRset.
 */
export function zoneContentFromRecords(apex: Name, records: readonly ResourceRecord[]): ZoneContentResult {
  const sets = new Map<string, { name: Name; type: number; ttl: number; rdatas: Map<string, Rdata> }>();
  for (const rr of records) {
    if (!rr.name.isSubdomainOf(apex))
      return fail('outside-zone', `${rr.name} ${rrTypeName(rr.type)} is outside the zone ${apex}`);
    const key = rrsetKey(rr.name, rr.type);
    let set = sets.get(key);
    if (set === undefined) {
      if (sets.size >= ZONE_RRSETS_MAX) return fail('limit', `more than ${ZONE_RRSETS_MAX} RRsets`);
      set = { name: rr.name, type: rr.type, ttl: rr.ttl, rdatas: new Map() };
      sets.set(key, set);
    } else if (set.ttl !== rr.ttl)
      return fail(
        'ttl-mismatch',
        `${rr.name} ${rrTypeName(rr.type)} has TTLs ${set.ttl} and ${rr.ttl}: one RRset, one TTL (RFC 2181 §5.2)`,
      );
    set.rdatas.set(wireKey(rr.rdata), rr.rdata);
    if (set.rdatas.size > RRSET_RDATAS_MAX)
      return fail('limit', `${rr.name} ${rrTypeName(rr.type)} has more than ${RRSET_RDATAS_MAX} records`);
  }
  const soa = sets.get(rrsetKey(apex, RR_TYPE.SOA));
  if (soa === undefined) return fail('soa-missing', `no SOA at the apex ${apex} (RFC 1035 §5.2)`);
  if (soa.rdatas.size !== 1)
    return fail('soa-not-single', `${soa.rdatas.size} SOA records at ${apex}: exactly one is allowed`);
  if (!sets.has(rrsetKey(apex, RR_TYPE.NS)))
    return fail('ns-missing', `no NS at the apex ${apex} (RFC 1034 §4.2.1)`);
  const rrsets = [...sets.values()].map(
    (s): ZoneRrset => ({
      name: s.name.toString(),
      type: rrTypeName(s.type),
      ttl: s.ttl,
      rdata: [...s.rdatas.values()].map(rdataToText),
    }),
  );
  return { ok: true, rrsets };
}

function fail(code: ZoneContentProblem['code'], message: string): ZoneContentResult {
  return { ok: false, problem: { code, message } };
}

function wireKey(rdata: Rdata): string {
  // The SOA serial is the store's: it never makes two SOAs differ.
  const comparable = rdata.kind === 'SOA' ? { ...rdata, serial: 0 } : rdata;
  return Buffer.from(encodeRdata(comparable)).toString('hex');
}

/** An RRset parsed for comparison: its owner, type and RDATA as a set of wire keys. */
interface ComparableRrset {
  readonly name: Name;
  readonly type: number;
  readonly ttl: number;
  readonly rdataKeys: ReadonlySet<string>;
}

/**
 * Both sides hold RDATA as `rdataToText` writes it (from the store, or from a parsed
 * file), one spelling per value, so the text is the comparison key; only the SOA is
 * parsed, to leave its serial out. Throws a RangeError for an RRset that does not parse.
 */
function comparable(rrset: ZoneRrset, apex: Name): ComparableRrset {
  let name: Name;
  try {
    name = Name.parse(rrset.name, apex);
  } catch (error) {
    if (error instanceof NameError) throw new RangeError(`bad name ${rrset.name}: ${error.message}`);
    throw error;
  }
  const type = parseRrType(rrset.type);
  if (type === undefined) throw new RangeError(`unknown type ${rrset.type}`);
  if (type !== RR_TYPE.SOA) return { name, type, ttl: rrset.ttl, rdataKeys: new Set(rrset.rdata) };
  const keys = new Set<string>();
  for (const text of rrset.rdata) {
    const parsed = rdataFromText(type, text, apex);
    if (!parsed.ok) throw new RangeError(`${rrset.name} ${rrset.type} ${text}: ${parsed.error.message}`);
    keys.add(wireKey(parsed.rdata));
  }
  return { name, type, ttl: rrset.ttl, rdataKeys: keys };
}

function sameRdata(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

/**
 * What turns `current` into `next` (both contents of the zone at `apex`): the RRsets to
 * upsert and to delete, ordered by owner key then type. Throws a RangeError if an RRset
 * does not parse (both sides come from the store or from `zoneContentFromRecords`).
 */
export function diffZoneContent(
  apex: Name,
  current: readonly ZoneRrset[],
  next: readonly ZoneRrset[],
): ZoneDiff {
  const before = new Map<string, ComparableRrset>();
  for (const rrset of current) {
    const c = comparable(rrset, apex);
    before.set(rrsetKey(c.name, c.type), c);
  }
  const upserts: Array<{ key: string; rrset: ZoneRrset }> = [];
  const seen = new Set<string>();
  let unchanged = 0;
  for (const rrset of next) {
    const c = comparable(rrset, apex);
    const key = rrsetKey(c.name, c.type);
    seen.add(key);
    const old = before.get(key);
    if (old !== undefined && old.ttl === c.ttl && sameRdata(old.rdataKeys, c.rdataKeys)) unchanged++;
    else upserts.push({ key, rrset });
  }
  const deletes: Array<{ key: string; name: string; type: string }> = [];
  for (const [key, old] of before)
    if (!seen.has(key)) deletes.push({ key, name: old.name.toString(), type: rrTypeName(old.type) });
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  upserts.sort(byKey);
  deletes.sort(byKey);
  return {
    upserts: upserts.map((u) => u.rrset),
    deletes: deletes.map(({ name, type }) => ({ name, type })),
    unchanged,
  };
}

/** The diff as text: `+ www.example.org. 300 A 192.0.2.1` and `- old.example.org. TXT`, one line each. */
export function zoneDiffText(diff: ZoneDiff): string {
  const lines: string[] = [];
  for (const d of diff.deletes) lines.push(`- ${d.name} ${d.type}`);
  for (const u of diff.upserts) for (const r of u.rdata) lines.push(`+ ${u.name} ${u.ttl} ${u.type} ${r}`);
  lines.push(
    `${diff.upserts.length} RRset(s) to write, ${diff.deletes.length} to delete, ${diff.unchanged} unchanged`,
  );
  return `${lines.join('\n')}\n`;
}
