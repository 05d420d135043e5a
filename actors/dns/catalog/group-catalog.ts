/**
 * The group's catalog zone (RFC 9432, protocol/dns/catalog-zone.ts) as the DNS actor serves
 * it: a `LiveZone` generated from the replica's copy of the zones, answered to queries and
 * transfers like any zone. Pure: the caller gives the members and the log index.
 *
 * The serial (RFC 9432 §4.1: secondaries reload the catalog when it grows) is the log index
 * at which the replica's copy last showed a different member set, or the index of the dump
 * its copy started from (mod 2^32):
 *   - it never goes backwards, across leader changes and restarts alike: Raft's applied
 *     index only grows (committed entries are never undone), and a restarted replica starts
 *     from a dump at an index at least as high as anything it served before;
 *   - a serial names one member set: every replica's copy at index i holds the same zones
 *     (they apply the same log), so a serial s answered anywhere lists the members as of
 *     some index ≥ s, and a later change of the set, committed at an index above every
 *     index applied anywhere before it, gets a higher serial than any answered before.
 *     Two replicas may answer different serials for the same members (one started from a
 *     dump): a secondary then transfers the same list once more, which is harmless;
 *   - a change of members moves it, so a secondary's SOA check sees it (RFC 1982: the log
 *     would need 2^31 entries between two checks to wrap past it).
 */
import { CATALOG_MEMBERS_MAX, catalogRecords, fitsAsCatalog } from '../../../protocol/dns/catalog-zone.js';
import { RR_CLASS } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../protocol/dns/wire/rdata.js';
import { LiveZone } from '../zone/live-zone.js';

export class GroupCatalog {
  /** Changed in place (its RRsets replaced), so a transfer's snapshot of it stays one version. */
  readonly #zone: LiveZone;
  /** The members listed, as sorted name keys joined; null until the first `refresh`. */
  #listed: string | null = null;
  #serial = 0;
  /** Members left out because the group serves more than a catalog lists. */
  #omitted = 0;
  #members = 0;

  /** Precondition: `fitsAsCatalog(apex)` (throws RangeError otherwise). */
  constructor(readonly apex: Name) {
    if (!fitsAsCatalog(apex)) throw new RangeError(`${apex} is too long for a catalog zone`);
    this.#zone = new LiveZone(apex, RR_CLASS.IN);
  }

  /** The catalog, once `refresh` built it. */
  get zone(): LiveZone | undefined {
    return this.#listed === null ? undefined : this.#zone;
  }

  get serial(): number {
    return this.#serial;
  }

  /** Zones listed. */
  get members(): number {
    return this.#members;
  }

  get omitted(): number {
    return this.#omitted;
  }

  /**
   * The copy now reflects log index `index` (after applied entries or a dump) and serves
   * `members`. True when the catalog changed.
   */
  refresh(members: Iterable<Name>, index: number): boolean {
    const sorted = [...members]
      .filter((member) => !member.equals(this.apex))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.#omitted = Math.max(0, sorted.length - CATALOG_MEMBERS_MAX);
    const listed = sorted.slice(0, CATALOG_MEMBERS_MAX);
    const key = listed.map((member) => member.key).join('\n');
    // Same members (after a dump too): the serial stays, it still names this list.
    if (key === this.#listed) return false;
    this.#listed = key;
    this.#members = listed.length;
    this.#serial = index >>> 0;
    this.#rebuild(listed);
    return true;
  }

  #rebuild(members: readonly Name[]): void {
    for (const node of [...this.#zone.nodes()]) this.#zone.deleteNode(node.name);
    const sets = new Map<string, { owner: Name; type: number; ttl: number; rdatas: Rdata[] }>();
    for (const record of catalogRecords(this.apex, members, this.#serial)) {
      const at = `${record.name.key} ${record.type}`;
      const set = sets.get(at) ?? { owner: record.name, type: record.type, ttl: record.ttl, rdatas: [] };
      set.rdatas.push(record.rdata);
      sets.set(at, set);
    }
    for (const set of sets.values())
      this.#zone.setRRset(set.owner, { type: set.type, ttl: set.ttl, rdatas: set.rdatas });
  }
}
