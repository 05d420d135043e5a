/**
 * What the lookup algorithm (RFC 1034 §4.3.2) needs to know about one zone. Two
 * implementations: `Zone` (immutable, validated once from a record list) and `LiveZone`
 * (mutable, kept current RRset by RRset as committed changes apply). Lookup and the
 * answer cache work on this interface only.
 */
import type { Name } from '../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../protocol/dns/wire/rdata.js';
import type { ResourceRecord } from '../../../protocol/dns/wire/record.js';

export interface RRset {
  readonly type: number;
  readonly ttl: number;
  /** In the order first given; duplicates removed. */
  readonly rdatas: readonly Rdata[];
}

export interface ZoneNode {
  readonly name: Name;
  readonly rrsets: ReadonlyMap<number, RRset>;
}

export interface ZoneView {
  readonly apex: Name;
  readonly rrClass: number;
  /**
   * Changes whenever the zone's content changes (a `Zone` is immutable: always 0). Answer
   * caches key on it: an answer computed at one generation is valid until it moves.
   */
  readonly generation: number;
  /** True when `name` is the apex or below it (whether or not it exists). */
  contains(name: Name): boolean;
  /** The node holding data at `name`; undefined for an empty non-terminal or a missing name. */
  node(name: Name): ZoneNode | undefined;
  rrset(name: Name, type: number): RRset | undefined;
  /** True when `name` owns data or is an ancestor (inside the zone) of a name that does. */
  exists(name: Name): boolean;
  /** True when `name` is a delegation point (an NS RRset below the apex). */
  isCut(name: Name): boolean;
  readonly hasCuts: boolean;
  /** The zone's SOA as a record. */
  soaRecord(): ResourceRecord;
  /** The SOA for a negative answer: TTL = min(SOA TTL, SOA minimum) (RFC 2308 §5). */
  negativeSoaRecord(): ResourceRecord;
}
