/**
 * A zone read in pages, all from one state: the RRsets of a zone in owner-key then type
 * order, listed once per zone content and kept while the zone does not change, so a page
 * costs its own size rather than a sort of the zone.
 *
 * Which content a page shows is said by `changedIndex`: a log index at or after the last
 * entry that changed the zone and at or before the read's applied index. The machine
 * records the index of every committed DNS write per zone; a machine restored from a
 * snapshot knows only the snapshot's index, and uses it for every zone. Two pages with the
 * same `changedIndex` therefore show the same content (between them no entry changed the
 * zone), which is what makes a paged export one consistent state.
 */
import { rrTypeName } from '../../protocol/dns/wire/codes.js';
import { rdataToText } from '../../protocol/dns/wire/rdata.js';
import type { ZoneRrset } from '../../protocol/dns/zone-content.js';
import type { DnsZonePage } from '../../protocol/group/commands.js';
import { ZONE_PAGE_RRSETS_MAX } from '../../protocol/limits.js';
import type { LiveZone } from '../dns/zone/live-zone.js';

/** The zone's RRsets in owner-key then type order. */
export function zoneRrsets(live: LiveZone): ZoneRrset[] {
  const nodes = [...live.nodes()].sort((a, b) =>
    a.name.key < b.name.key ? -1 : a.name.key > b.name.key ? 1 : 0,
  );
  const out: ZoneRrset[] = [];
  for (const node of nodes) {
    const name = node.name.toString();
    for (const type of [...node.rrsets.keys()].sort((a, b) => a - b)) {
      const set = node.rrsets.get(type);
      if (set !== undefined)
        out.push({ name, type: rrTypeName(type), ttl: set.ttl, rdata: set.rdatas.map(rdataToText) });
    }
  }
  return out;
}

/** Listings kept at once (each one zone at one `changedIndex`), the least recently read dropped first. */
export const ZONE_LISTINGS_RETAINED_MAX = 4;
/** RRsets kept over all retained listings: a listing beyond it is built for its read and not kept. */
export const ZONE_LISTINGS_RRSETS_MAX = 1_000_000;

interface Listing {
  readonly key: string;
  readonly changedIndex: number;
  /** The zone's SOA serial in this content. */
  readonly serial: number;
  readonly rrsets: ZoneRrset[];
}

/**
 * Per-zone change indexes and the last few listings. Not replicated state: a read-side aid.
 *
 * A reader paging through a zone while it is written to names the `changedIndex` of its
 * first page; while that listing is retained, later pages come from it, so the pages are
 * one state of the zone however many writes land between them (RRsets never change once
 * listed: a listing is a frozen copy). Once it is dropped, the page shows the current
 * content and its own `changedIndex`, and the reader sees the mismatch.
 */
export class ZonePages {
  readonly #changedIndex = new Map<string, number>();
  #floor = 0;
  /** Most recently read last. */
  #listings: Listing[] = [];

  /** A committed write changed the zone with this key at `index`. */
  changed(zoneKey: string, index: number): void {
    this.#changedIndex.set(zoneKey, index);
  }

  /** The state was replaced by a snapshot taken at `index`: every zone may have changed there. */
  restored(index: number): void {
    this.#changedIndex.clear();
    this.#floor = index;
    this.#listings = [];
  }

  /**
   * RRsets `offset ..< offset + limit` of the zone: of the retained listing at `pinnedIndex`
   * when there is one, else of the current content.
   */
  page(
    live: LiveZone,
    serial: number,
    appliedIndex: number,
    offset: number,
    limit: number,
    pinnedIndex?: number,
  ): DnsZonePage {
    const key = live.apex.key;
    const currentIndex = Math.max(this.#changedIndex.get(key) ?? 0, this.#floor);
    const listing =
      (pinnedIndex === undefined ? undefined : this.#retained(key, pinnedIndex)) ??
      this.#retained(key, currentIndex) ??
      this.#retain({ key, changedIndex: currentIndex, serial, rrsets: zoneRrsets(live) });
    const all = listing.rrsets;
    const count = Number.isSafeInteger(limit) ? Math.min(Math.max(limit, 0), ZONE_PAGE_RRSETS_MAX) : 0;
    const start = Number.isSafeInteger(offset) ? Math.max(offset, 0) : 0;
    return {
      zone: live.apex.toString(),
      serial: listing.serial,
      changedIndex: listing.changedIndex,
      appliedIndex,
      total: all.length,
      offset: start,
      rrsets: all.slice(start, start + count),
    };
  }

  /** The retained listing of `key` at `changedIndex`, marked as the most recently read. */
  #retained(key: string, changedIndex: number): Listing | undefined {
    const at = this.#listings.findIndex((l) => l.key === key && l.changedIndex === changedIndex);
    if (at < 0) return undefined;
    const [listing] = this.#listings.splice(at, 1);
    if (listing !== undefined) this.#listings.push(listing);
    return listing;
  }

  #retain(listing: Listing): Listing {
    if (listing.rrsets.length > ZONE_LISTINGS_RRSETS_MAX) return listing;
    this.#listings.push(listing);
    let total = this.#listings.reduce((sum, l) => sum + l.rrsets.length, 0);
    while (this.#listings.length > ZONE_LISTINGS_RETAINED_MAX || total > ZONE_LISTINGS_RRSETS_MAX) {
      const dropped = this.#listings.shift();
      total -= dropped?.rrsets.length ?? 0;
    }
    return listing;
  }
}
