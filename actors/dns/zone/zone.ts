/**
 * The authoritative data of one zone (RFC 1034 §4.2), as built from a list of records and
 * validated once. Pure: no I/O, no clock.
 *
 * A zone is its apex plus owner names → RRsets (type → { ttl, rdatas }). Names compare
 * case-insensitively through `Name.key` (RFC 4343); the stored owner keeps the case of the
 * first record seen for it.
 *
 * Besides the nodes with data, the zone knows:
 * - which names exist: every owner and every ancestor of an owner down to the apex, so an
 *   empty non-terminal exists (RFC 8020: NODATA, not NXDOMAIN, below it nothing is denied);
 * - where it is cut: names below the apex with an NS RRset (delegations, RFC 1034 §4.2.1).
 *   Below a cut only glue (A/AAAA) may be held; at a cut only NS and glue.
 *
 * Validation (`buildZone`) never throws on bad data: it returns every problem it found as a
 * typed `ZoneError`. Rules: the owner is inside the zone; the class is the zone's; no
 * meta-type (META_TYPES: OPT, TSIG, the query types) is stored; the RDATA matches the type; TTL is an
 * integer in 0 ..= 2^31 - 1 (RFC 2181 §8); one TTL per RRset (RFC 2181 §5.2); exactly one
 * SOA record, at the apex; NS at the apex; a CNAME owner holds one CNAME and no other data
 * (RFC 1034 §3.6.2, RFC 2181 §10.1) except the DNSSEC types RRSIG and NSEC (RFC 4035 §2.5),
 * which this server does not serve; no NS at a wildcard owner (RFC 4592 §4.2); no non-glue
 * data at or below a cut. Identical records are merged (RFC 2181 §5: an RRset is a set).
 */
import { META_TYPES, RR_CLASS, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import {
  type Rdata,
  rdataKindOf,
  rdataToText,
  rdataType,
  type SoaRdata,
} from '../../../protocol/dns/wire/rdata.js';
import type { ResourceRecord } from '../../../protocol/dns/wire/record.js';
import { TTL_SECONDS_MAX } from '../../../protocol/limits.js';
import type { RRset, ZoneNode, ZoneView } from './zone-view.js';

/** Types that may share an owner with a CNAME (RFC 4035 §2.5): DNSSEC, not served here. */
export const CNAME_COMPANION_TYPES: ReadonlySet<number> = new Set([46 /* RRSIG */, 47 /* NSEC */]);

/** Glue (RFC 1034 §4.2.1): the only data allowed below a cut, and beside NS at one. */
export const GLUE_TYPES: ReadonlySet<number> = new Set([RR_TYPE.A, RR_TYPE.AAAA]);

export type { RRset, ZoneNode } from './zone-view.js';

export type ZoneError =
  | { readonly code: 'owner-outside-zone'; readonly owner: Name; readonly type: number }
  | { readonly code: 'class-mismatch'; readonly owner: Name; readonly type: number; readonly rrClass: number }
  | { readonly code: 'meta-type'; readonly owner: Name; readonly type: number }
  | { readonly code: 'rdata-type-mismatch'; readonly owner: Name; readonly type: number }
  | { readonly code: 'ttl-out-of-range'; readonly owner: Name; readonly type: number; readonly ttl: number }
  | { readonly code: 'ttl-mismatch'; readonly owner: Name; readonly type: number; readonly ttls: number[] }
  | { readonly code: 'soa-missing' }
  | { readonly code: 'soa-not-at-apex'; readonly owner: Name }
  | { readonly code: 'soa-multiple'; readonly count: number }
  | { readonly code: 'ns-missing-at-apex' }
  | { readonly code: 'cname-with-other-data'; readonly owner: Name; readonly types: number[] }
  | { readonly code: 'cname-multiple'; readonly owner: Name; readonly count: number }
  | { readonly code: 'ns-at-wildcard'; readonly owner: Name }
  | { readonly code: 'occluded-data'; readonly owner: Name; readonly type: number; readonly cut: Name };

export type ZoneErrorCode = ZoneError['code'];

export type BuildZoneResult =
  | { readonly ok: true; readonly zone: Zone }
  | { readonly ok: false; readonly errors: readonly ZoneError[] };

export interface BuildZoneOptions {
  /** The zone's class; IN unless given. */
  readonly rrClass?: number;
}

interface MutableRRset {
  type: number;
  ttls: number[];
  rdatas: Rdata[];
  texts: Set<string>;
}

export class Zone implements ZoneView {
  readonly apex: Name;
  readonly rrClass: number;
  readonly soa: SoaRdata;
  readonly soaTtl: number;
  readonly generation = 0;
  readonly #nodes: ReadonlyMap<string, ZoneNode>;
  readonly #existing: ReadonlySet<string>;
  readonly #cuts: ReadonlySet<string>;

  private constructor(
    apex: Name,
    rrClass: number,
    soa: SoaRdata,
    soaTtl: number,
    nodes: ReadonlyMap<string, ZoneNode>,
    existing: ReadonlySet<string>,
    cuts: ReadonlySet<string>,
  ) {
    this.apex = apex;
    this.rrClass = rrClass;
    this.soa = soa;
    this.soaTtl = soaTtl;
    this.#nodes = nodes;
    this.#existing = existing;
    this.#cuts = cuts;
  }

  /** Validates `records` as the whole content of the zone at `apex`. */
  static build(
    apex: Name,
    records: readonly ResourceRecord[],
    options: BuildZoneOptions = {},
  ): BuildZoneResult {
    const rrClass = options.rrClass ?? RR_CLASS.IN;
    const errors: ZoneError[] = [];
    const owners = new Map<string, { name: Name; sets: Map<number, MutableRRset> }>();
    for (const rr of records) {
      if (!rr.name.isSubdomainOf(apex)) {
        errors.push({ code: 'owner-outside-zone', owner: rr.name, type: rr.type });
        continue;
      }
      if (rr.class !== rrClass) {
        errors.push({ code: 'class-mismatch', owner: rr.name, type: rr.type, rrClass: rr.class });
        continue;
      }
      if (META_TYPES.has(rr.type)) {
        errors.push({ code: 'meta-type', owner: rr.name, type: rr.type });
        continue;
      }
      const kind = rdataType(rr.rdata);
      if (kind === undefined ? rdataKindOf(rr.type) !== undefined : kind !== rr.type) {
        errors.push({ code: 'rdata-type-mismatch', owner: rr.name, type: rr.type });
        continue;
      }
      if (!Number.isInteger(rr.ttl) || rr.ttl < 0 || rr.ttl > TTL_SECONDS_MAX) {
        errors.push({ code: 'ttl-out-of-range', owner: rr.name, type: rr.type, ttl: rr.ttl });
        continue;
      }
      let owner = owners.get(rr.name.key);
      if (owner === undefined) {
        owner = { name: rr.name, sets: new Map() };
        owners.set(rr.name.key, owner);
      }
      let set = owner.sets.get(rr.type);
      if (set === undefined) {
        set = { type: rr.type, ttls: [], rdatas: [], texts: new Set() };
        owner.sets.set(rr.type, set);
      }
      if (!set.ttls.includes(rr.ttl)) set.ttls.push(rr.ttl);
      // Presentation text with names folded: equal RDATA ⇔ equal text (names compare
      // case-insensitively, RFC 4343; other fields are octet-exact in their text form).
      const text = rdataKeyText(rr.rdata);
      if (!set.texts.has(text)) {
        set.texts.add(text);
        set.rdatas.push(rr.rdata);
      }
    }

    const cuts = new Set<string>();
    let soaCount = 0;
    let soa: { rdata: SoaRdata; ttl: number } | undefined;
    for (const { name, sets } of owners.values()) {
      for (const set of sets.values()) {
        if (set.ttls.length > 1)
          errors.push({ code: 'ttl-mismatch', owner: name, type: set.type, ttls: [...set.ttls] });
      }
      const soaSet = sets.get(RR_TYPE.SOA);
      if (soaSet !== undefined) {
        if (!name.equals(apex)) errors.push({ code: 'soa-not-at-apex', owner: name });
        else {
          soaCount += soaSet.rdatas.length;
          const first = soaSet.rdatas[0];
          if (first?.kind === 'SOA') soa = { rdata: first, ttl: soaSet.ttls[0] ?? 0 };
        }
      }
      const cname = sets.get(RR_TYPE.CNAME);
      if (cname !== undefined) {
        if (cname.rdatas.length > 1)
          errors.push({ code: 'cname-multiple', owner: name, count: cname.rdatas.length });
        const others = [...sets.keys()].filter((t) => t !== RR_TYPE.CNAME && !CNAME_COMPANION_TYPES.has(t));
        if (others.length > 0) errors.push({ code: 'cname-with-other-data', owner: name, types: others });
      }
      if (sets.has(RR_TYPE.NS) && !name.equals(apex)) {
        if (name.labels[0] === '*') errors.push({ code: 'ns-at-wildcard', owner: name });
        else cuts.add(name.key);
      }
    }
    if (soaCount === 0 && !errors.some((e) => e.code === 'soa-not-at-apex'))
      errors.push({ code: 'soa-missing' });
    else if (soaCount > 1) errors.push({ code: 'soa-multiple', count: soaCount });
    if (!owners.get(apex.key)?.sets.has(RR_TYPE.NS)) errors.push({ code: 'ns-missing-at-apex' });

    // Data at or below a cut, other than the NS RRset at the cut and glue.
    for (const { name, sets } of owners.values()) {
      const cut = highestCut(name, apex, cuts);
      if (cut === undefined) continue;
      const atCut = cut.equals(name);
      for (const type of sets.keys()) {
        if (GLUE_TYPES.has(type) || (atCut && type === RR_TYPE.NS)) continue;
        errors.push({ code: 'occluded-data', owner: name, type, cut });
      }
    }

    if (errors.length > 0 || soa === undefined) return { ok: false, errors };

    const nodes = new Map<string, ZoneNode>();
    const existing = new Set<string>();
    for (const [key, { name, sets }] of owners) {
      const rrsets = new Map<number, RRset>();
      for (const [type, set] of sets) rrsets.set(type, { type, ttl: set.ttls[0] ?? 0, rdatas: set.rdatas });
      nodes.set(key, { name, rrsets });
      for (let n: Name | undefined = name; n !== undefined && n.labelCount >= apex.labelCount; n = n.parent())
        existing.add(n.key);
    }
    existing.add(apex.key);
    return { ok: true, zone: new Zone(apex, rrClass, soa.rdata, soa.ttl, nodes, existing, cuts) };
  }

  /** True when `name` is the apex or below it (whether or not it exists). */
  contains(name: Name): boolean {
    return name.isSubdomainOf(this.apex);
  }

  /** The node holding data at `name`; undefined for an empty non-terminal or a missing name. */
  node(name: Name): ZoneNode | undefined {
    return this.#nodes.get(name.key);
  }

  rrset(name: Name, type: number): RRset | undefined {
    return this.#nodes.get(name.key)?.rrsets.get(type);
  }

  /** True when `name` owns data or is an ancestor (inside the zone) of a name that does. */
  exists(name: Name): boolean {
    return this.#existing.has(name.key);
  }

  /** True when `name` is a delegation point (an NS RRset below the apex). */
  isCut(name: Name): boolean {
    return this.#cuts.has(name.key);
  }

  get hasCuts(): boolean {
    return this.#cuts.size > 0;
  }

  /** Every node with data, in the order owners were first given. */
  nodes(): IterableIterator<ZoneNode> {
    return this.#nodes.values();
  }

  /** The zone's SOA as a record: what the authority section of a negative answer holds. */
  soaRecord(): ResourceRecord {
    return { name: this.apex, type: RR_TYPE.SOA, class: this.rrClass, ttl: this.soaTtl, rdata: this.soa };
  }

  /** The SOA for a negative answer: TTL = min(SOA TTL, SOA minimum) (RFC 2308 §5). */
  negativeSoaRecord(): ResourceRecord {
    const record = this.soaRecord();
    const ttl = Math.min(this.soaTtl, this.soa.minimum);
    return { name: record.name, type: record.type, class: record.class, ttl, rdata: record.rdata };
  }
}

/** `Zone.build` as a function. */
export function buildZone(
  apex: Name,
  records: readonly ResourceRecord[],
  options: BuildZoneOptions = {},
): BuildZoneResult {
  return Zone.build(apex, records, options);
}

/** The highest cut at or above `name` (below `apex`), walking from the apex down. */
function highestCut(name: Name, apex: Name, cuts: ReadonlySet<string>): Name | undefined {
  if (cuts.size === 0) return undefined;
  let found: Name | undefined;
  for (let n: Name | undefined = name; n !== undefined && n.labelCount > apex.labelCount; n = n.parent()) {
    if (cuts.has(n.key)) found = n;
  }
  return found;
}

function rdataKeyText(rdata: Rdata): string {
  switch (rdata.kind) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return rdata.target.key;
    case 'MX':
      return `${rdata.preference} ${rdata.exchange.key}`;
    case 'SRV':
      return `${rdata.priority} ${rdata.weight} ${rdata.port} ${rdata.target.key}`;
    case 'SOA':
      return `${rdata.mname.key} ${rdata.rname.key} ${rdata.serial} ${rdata.refresh} ${rdata.retry} ${rdata.expire} ${rdata.minimum}`;
    default:
      return rdataToText(rdata);
  }
}
