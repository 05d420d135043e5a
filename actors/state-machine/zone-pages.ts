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

/** Per-zone change indexes and one cached listing. Not replicated state: a read-side aid. */
export class ZonePages {
  readonly #changedIndex = new Map<string, number>();
  #floor = 0;
  #cached: { readonly key: string; readonly changedIndex: number; readonly rrsets: ZoneRrset[] } | undefined;

  /** A committed write changed the zone with this key at `index`. */
  changed(zoneKey: string, index: number): void {
    this.#changedIndex.set(zoneKey, index);
  }

  /** The state was replaced by a snapshot taken at `index`: every zone may have changed there. */
  restored(index: number): void {
    this.#changedIndex.clear();
    this.#floor = index;
    this.#cached = undefined;
  }

  page(live: LiveZone, serial: number, appliedIndex: number, offset: number, limit: number): DnsZonePage {
    const key = live.apex.key;
    const changedIndex = Math.max(this.#changedIndex.get(key) ?? 0, this.#floor);
    if (this.#cached === undefined || this.#cached.key !== key || this.#cached.changedIndex !== changedIndex)
      this.#cached = { key, changedIndex, rrsets: zoneRrsets(live) };
    const all = this.#cached.rrsets;
    const count = Number.isSafeInteger(limit) ? Math.min(Math.max(limit, 0), ZONE_PAGE_RRSETS_MAX) : 0;
    const start = Number.isSafeInteger(offset) ? Math.max(offset, 0) : 0;
    return {
      zone: live.apex.toString(),
      serial,
      changedIndex,
      appliedIndex,
      total: all.length,
      offset: start,
      rrsets: all.slice(start, start + count),
    };
  }
}
