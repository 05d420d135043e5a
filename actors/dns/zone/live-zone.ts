/**
 * A zone kept current RRset by RRset (the serving side of the replicated record store),
 * where `Zone` is built once from a record list. Pure: no I/O, no clock.
 *
 * It keeps, under every change, what lookup needs in O(1) per question:
 * - the nodes with data, each with its RRsets in ascending type order (so the order of an
 *   ANY answer depends on the data only, never on the history of edits);
 * - which names exist: a count, per name from an owner up to the apex, of the owners with
 *   data at or below it. A name with a count exists (an empty non-terminal too, RFC 8020);
 *   the apex always exists;
 * - the cuts: names below the apex holding NS (RFC 1034 §4.2.1), except at a wildcard owner
 *   (RFC 4592 §4.2 forbids that NS: it is reported by `check`, never used as a cut).
 * - `generation`, moved by every mutation, for answer caches.
 *
 * Mutations do not validate: the writer changes RRsets, then calls `check(touched)`, which
 * applies `Zone.build`'s rules to the touched owners only (plus the apex rules), and undoes
 * the changes itself if it wants a valid zone. If the zone was valid before the changes,
 * `check` reports a problem exactly when `Zone.build` over the same records would: every
 * rule involves a touched owner, the apex, or a new cut (whose subtree is then scanned).
 */
import { META_TYPES, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
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
import { CNAME_COMPANION_TYPES, GLUE_TYPES, type ZoneError } from './zone.js';
import type { RRset, ZoneNode, ZoneView } from './zone-view.js';

interface LiveNode {
  readonly name: Name;
  rrsets: Map<number, RRset>;
}

export class LiveZone implements ZoneView {
  readonly apex: Name;
  readonly rrClass: number;
  #generation = 0;
  readonly #nodes = new Map<string, LiveNode>();
  /** Name key → owners with data at or below it (down to the apex). */
  readonly #existing = new Map<string, number>();
  readonly #cuts = new Set<string>();
  #rrsetCount = 0;

  constructor(apex: Name, rrClass: number) {
    this.apex = apex;
    this.rrClass = rrClass;
  }

  get generation(): number {
    return this.#generation;
  }

  /** RRsets held, over all owners. */
  get rrsetCount(): number {
    return this.#rrsetCount;
  }

  /** Owners with data. */
  get nodeCount(): number {
    return this.#nodes.size;
  }

  contains(name: Name): boolean {
    return name.isSubdomainOf(this.apex);
  }

  node(name: Name): ZoneNode | undefined {
    return this.#nodes.get(name.key);
  }

  rrset(name: Name, type: number): RRset | undefined {
    return this.#nodes.get(name.key)?.rrsets.get(type);
  }

  exists(name: Name): boolean {
    return this.#existing.has(name.key) || name.equals(this.apex);
  }

  isCut(name: Name): boolean {
    return this.#cuts.has(name.key);
  }

  get hasCuts(): boolean {
    return this.#cuts.size > 0;
  }

  /** Every node with data (in no particular order). */
  nodes(): IterableIterator<ZoneNode> {
    return this.#nodes.values();
  }

  /** The apex SOA, if there is one (a valid zone always has one). */
  soa(): { readonly rdata: SoaRdata; readonly ttl: number } | undefined {
    const set = this.rrset(this.apex, RR_TYPE.SOA);
    const first = set?.rdatas[0];
    return first?.kind === 'SOA' && set !== undefined ? { rdata: first, ttl: set.ttl } : undefined;
  }

  /** Precondition: the zone is valid (it has an SOA); throws otherwise. */
  soaRecord(): ResourceRecord {
    const soa = this.soa();
    if (soa === undefined) throw new Error(`LiveZone ${this.apex}: no SOA at the apex`);
    return { name: this.apex, type: RR_TYPE.SOA, class: this.rrClass, ttl: soa.ttl, rdata: soa.rdata };
  }

  /** TTL = min(SOA TTL, SOA minimum) (RFC 2308 §5). */
  negativeSoaRecord(): ResourceRecord {
    const record = this.soaRecord();
    const ttl = Math.min(record.ttl, (record.rdata as SoaRdata).minimum);
    return { name: record.name, type: record.type, class: record.class, ttl, rdata: record.rdata };
  }

  /**
   * Sets the RRset of `rrset.type` at `owner` (replacing any), removing duplicate RDATA
   * (RFC 2181 §5: an RRset is a set). An empty RRset deletes. Precondition: `owner` is in
   * the zone (throws RangeError otherwise: that is the writer's bug).
   */
  setRRset(owner: Name, rrset: RRset): void {
    if (!this.contains(owner)) throw new RangeError(`LiveZone ${this.apex}: ${owner} is outside the zone`);
    if (rrset.rdatas.length === 0) {
      this.deleteRRset(owner, rrset.type);
      return;
    }
    const set: RRset = { type: rrset.type, ttl: rrset.ttl, rdatas: dedupeRdatas(rrset.rdatas) };
    let node = this.#nodes.get(owner.key);
    if (node === undefined) {
      node = { name: owner, rrsets: new Map() };
      this.#nodes.set(owner.key, node);
      this.#countOwner(owner, 1);
    }
    if (node.rrsets.has(set.type)) node.rrsets.set(set.type, set);
    else {
      node.rrsets = sortedByType([...node.rrsets.values(), set]);
      this.#rrsetCount++;
    }
    if (set.type === RR_TYPE.NS) this.#updateCut(node);
    this.#generation++;
  }

  /** Removes the RRset of `type` at `owner`; true if there was one. */
  deleteRRset(owner: Name, type: number): boolean {
    const node = this.#nodes.get(owner.key);
    if (node === undefined || !node.rrsets.delete(type)) return false;
    this.#rrsetCount--;
    if (node.rrsets.size === 0) {
      this.#nodes.delete(owner.key);
      this.#countOwner(node.name, -1);
    }
    if (type === RR_TYPE.NS) this.#updateCut(node);
    this.#generation++;
    return true;
  }

  /** Removes every RRset at `owner`; returns what was there. */
  deleteNode(owner: Name): RRset[] {
    const node = this.#nodes.get(owner.key);
    if (node === undefined) return [];
    const removed = [...node.rrsets.values()];
    for (const set of removed) this.deleteRRset(owner, set.type);
    return removed;
  }

  /**
   * The problems `Zone.build` would report that involve `touchedOwners`, the apex (SOA
   * exactly once and only there, NS present: RFC 1035 §5.2, RFC 1034 §4.2.1) or a cut at
   * a touched owner (every owner below it is scanned). Empty when the zone is valid,
   * provided it was valid before the touched owners changed.
   */
  check(touchedOwners: Iterable<Name>): ZoneError[] {
    const errors: ZoneError[] = [];
    const seen = new Set<string>();
    for (const owner of touchedOwners) {
      if (seen.has(owner.key)) continue;
      seen.add(owner.key);
      if (!this.contains(owner)) {
        errors.push({ code: 'owner-outside-zone', owner, type: 0 });
        continue;
      }
      const node = this.#nodes.get(owner.key);
      if (node === undefined) continue;
      this.#checkNode(node, errors);
      if (this.#cuts.has(owner.key) && (this.#existing.get(owner.key) ?? 0) > 1) {
        // A new cut occludes what is below it: scan the owners under it.
        for (const below of this.#nodes.values()) {
          if (below === node || seen.has(below.name.key) || !below.name.isSubdomainOf(owner)) continue;
          this.#checkOccluded(below, errors);
        }
      }
    }
    const apex = this.#nodes.get(this.apex.key);
    const soaCount = apex?.rrsets.get(RR_TYPE.SOA)?.rdatas.length ?? 0;
    if (soaCount === 0) errors.push({ code: 'soa-missing' });
    else if (soaCount > 1) errors.push({ code: 'soa-multiple', count: soaCount });
    if (!apex?.rrsets.has(RR_TYPE.NS)) errors.push({ code: 'ns-missing-at-apex' });
    return errors;
  }

  /** `check` over every owner: the full validation, as `Zone.build` does it. */
  checkAll(): ZoneError[] {
    return this.check([...this.#nodes.values()].map((n) => n.name));
  }

  #checkNode(node: LiveNode, errors: ZoneError[]): void {
    const { name, rrsets } = node;
    for (const set of rrsets.values()) {
      const type = set.type;
      if (META_TYPES.has(type)) errors.push({ code: 'meta-type', owner: name, type });
      for (const rdata of set.rdatas) {
        const kind = rdataType(rdata);
        if (kind === undefined ? rdataKindOf(type) !== undefined : kind !== type) {
          errors.push({ code: 'rdata-type-mismatch', owner: name, type });
          break;
        }
      }
      // RFC 2181 §8: a TTL is 0 ..= 2^31 - 1. One TTL per RRset (RFC 2181 §5.2) holds by
      // construction here: an RRset carries a single TTL.
      if (!Number.isInteger(set.ttl) || set.ttl < 0 || set.ttl > TTL_SECONDS_MAX)
        errors.push({ code: 'ttl-out-of-range', owner: name, type, ttl: set.ttl });
    }
    // RFC 1035 §5.2: the SOA is at the top of the zone only.
    if (rrsets.has(RR_TYPE.SOA) && !name.equals(this.apex))
      errors.push({ code: 'soa-not-at-apex', owner: name });
    const cname = rrsets.get(RR_TYPE.CNAME);
    if (cname !== undefined) {
      // RFC 1034 §3.6.2, RFC 2181 §10.1: a CNAME owner holds one CNAME and no other data
      // (RFC 4035 §2.5: DNSSEC types excepted).
      if (cname.rdatas.length > 1)
        errors.push({ code: 'cname-multiple', owner: name, count: cname.rdatas.length });
      const others = [...rrsets.keys()].filter((t) => t !== RR_TYPE.CNAME && !CNAME_COMPANION_TYPES.has(t));
      if (others.length > 0) errors.push({ code: 'cname-with-other-data', owner: name, types: others });
    }
    // RFC 4592 §4.2: no NS at a wildcard owner.
    if (rrsets.has(RR_TYPE.NS) && !name.equals(this.apex) && name.labels[0] === '*')
      errors.push({ code: 'ns-at-wildcard', owner: name });
    this.#checkOccluded(node, errors);
  }

  /** RFC 1034 §4.2.1: at or below a cut, only the NS at the cut and glue. */
  #checkOccluded(node: LiveNode, errors: ZoneError[]): void {
    const cut = this.#highestCut(node.name);
    if (cut === undefined) return;
    const atCut = cut.equals(node.name);
    for (const type of node.rrsets.keys()) {
      if (GLUE_TYPES.has(type) || (atCut && type === RR_TYPE.NS)) continue;
      errors.push({ code: 'occluded-data', owner: node.name, type, cut });
    }
  }

  #highestCut(name: Name): Name | undefined {
    if (this.#cuts.size === 0) return undefined;
    let found: Name | undefined;
    for (
      let n: Name | undefined = name;
      n !== undefined && n.labelCount > this.apex.labelCount;
      n = n.parent()
    ) {
      if (this.#cuts.has(n.key)) found = n;
    }
    return found;
  }

  #countOwner(owner: Name, delta: 1 | -1): void {
    for (
      let n: Name | undefined = owner;
      n !== undefined && n.labelCount >= this.apex.labelCount;
      n = n.parent()
    ) {
      const count = (this.#existing.get(n.key) ?? 0) + delta;
      if (count === 0) this.#existing.delete(n.key);
      else this.#existing.set(n.key, count);
    }
  }

  #updateCut(node: LiveNode): void {
    const isCut =
      this.#nodes.get(node.name.key) === node &&
      node.rrsets.has(RR_TYPE.NS) &&
      !node.name.equals(this.apex) &&
      node.name.labels[0] !== '*';
    if (isCut) this.#cuts.add(node.name.key);
    else this.#cuts.delete(node.name.key);
  }
}

function sortedByType(sets: readonly RRset[]): Map<number, RRset> {
  return new Map([...sets].sort((a, b) => a.type - b.type).map((s) => [s.type, s]));
}

function dedupeRdatas(rdatas: readonly Rdata[]): readonly Rdata[] {
  const keys = new Set<string>();
  const out: Rdata[] = [];
  for (const rdata of rdatas) {
    const key = rdataKey(rdata);
    if (keys.has(key)) continue;
    keys.add(key);
    out.push(rdata);
  }
  return out.length === rdatas.length ? rdatas : out;
}

/**
 * A text equal for equal RDATA: presentation form with names folded (names compare
 * case-insensitively, RFC 4343; other fields are octet-exact in their text form).
 */
export function rdataKey(rdata: Rdata): string {
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
