/**
 * What the record store tells the serving side after each committed batch: plain,
 * structured-clone-safe data (strings, numbers, `Uint8Array`s; no class instances, since a
 * `Name` does not survive `postMessage`), so a DNS server on another thread can keep its
 * copy of the zones current (`ZoneReplica`).
 *
 * - `zone`: the zone at `zone` (apex presentation text) is created empty (`present`,
 *   replacing any copy held) or removed. Its RRsets follow as `rrset` deltas.
 * - `rrset`: the RRset of `type` at `owner` is now exactly `rdatas` (uncompressed wire form,
 *   as `encodeRdata` gives it) with `ttl`, or is absent (`rdatas: null`). The zone's SOA
 *   appears this way too, with the new serial.
 *
 * - `history`: the zone's change history (zone-history.ts) gained `change`, its newest
 *   version, after the batch's `rrset` deltas; `change: null` empties it (a difference too
 *   large to keep). A dump lists a zone's retained changes oldest first after its RRsets.
 *
 * Each delta states a final value, so applying a batch's deltas in order, or a dump of the
 * whole store, gives the same zones (and the same histories: both sides bound them alike).
 */
import type { ZoneChange } from './zone-history.js';

export type ZoneDelta =
  | { readonly kind: 'zone'; readonly zone: string; readonly present: boolean }
  | {
      readonly kind: 'rrset';
      readonly zone: string;
      readonly owner: string;
      readonly type: number;
      readonly ttl: number;
      readonly rdatas: readonly Uint8Array[] | null;
    }
  | { readonly kind: 'history'; readonly zone: string; readonly change: ZoneChange | null };
