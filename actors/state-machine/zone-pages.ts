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

/** A zone's RRsets as they stood from `changedIndex` on, and its serial then. */
interface Listing {
  readonly key: string;
  readonly zone: string;
  readonly changedIndex: number;
  readonly serial: number;
  readonly rrsets: ZoneRrset[];
}

/**
 * Per-zone change indexes and at most two listings: the current content's (`cached`), and
 * the one the latest read in pages started on (`pinned`), kept after the zone changes so
 * that read's later pages (`asOf` its `changedIndex`) still show one content. A later
 * paged read takes the pinned slot; its earlier reader then sees another `changedIndex`
 * and starts again. Not replicated state: a read-side aid.
 */
export class ZonePages {
  readonly #changedIndex = new Map<string, number>();
  #floor = 0;
  #cached: Listing | undefined;
  #pinned: Listing | undefined;

  /** A committed write changed the zone with this key at `index`. */
  changed(zoneKey: string, index: number): void {
    this.#changedIndex.set(zoneKey, index);
  }

  /** The state was replaced by a snapshot taken at `index`: every zone may have changed there. */
  restored(index: number): void {
    this.#changedIndex.clear();
    this.#floor = index;
    this.#cached = undefined;
    this.#pinned = undefined;
  }

  page(
    live: LiveZone,
    serial: number,
    appliedIndex: number,
    offset: number,
    limit: number,
    asOf?: number,
  ): DnsZonePage {
    const key = live.apex.key;
    const changedIndex = Math.max(this.#changedIndex.get(key) ?? 0, this.#floor);
    const count = Number.isSafeInteger(limit) ? Math.min(Math.max(limit, 0), ZONE_PAGE_RRSETS_MAX) : 0;
    const start = Number.isSafeInteger(offset) ? Math.max(offset, 0) : 0;
    if (asOf !== undefined && asOf !== changedIndex) {
      const held = [this.#pinned, this.#cached].find((l) => l?.key === key && l.changedIndex === asOf);
      if (held !== undefined) return slice(held, appliedIndex, start, count);
    }
    if (this.#cached === undefined || this.#cached.key !== key || this.#cached.changedIndex !== changedIndex)
      this.#cached = { key, zone: live.apex.toString(), changedIndex, serial, rrsets: zoneRrsets(live) };
    const listing = this.#cached;
    // The first page of a read that needs more: keep its listing for the pages to come.
    if (start === 0 && count < listing.rrsets.length) this.#pinned = listing;
    return slice(listing, appliedIndex, start, count);
  }
}

function slice(listing: Listing, appliedIndex: number, start: number, count: number): DnsZonePage {
  return {
    zone: listing.zone,
    serial: listing.serial,
    changedIndex: listing.changedIndex,
    appliedIndex,
    total: listing.rrsets.length,
    offset: start,
    rrsets: listing.rrsets.slice(start, start + count),
  };
}
