/**
 * Collecting tombstones between regions (docs/ARCHITECTURE.md §8, "Collecting tombstones"):
 * which of a region's tombstones every other region is known to hold — or to need no longer —
 * and the replicated command that drops them. Pure: no I/O, no clock (the cutoff comes in).
 *
 * A tombstone is an RRset version without data (`delete-rrset`, or an RRset a `delete-name`
 * did not subsume) or a name version (`delete-name`). Dropping one is safe once no region
 * holds, or can still come to hold, data older than it at the same RRset or name: then no
 * write it would have defeated is left to arrive. `collectibleTombstones` decides the "holds"
 * part from each region's `SyncOwner`s (protocol/dns/region-repair.ts); the composition adds
 * the "can still come to hold" part (the tombstone is older than a horizon, and the same
 * holds at two observations a settling time apart). The drop itself is a Raft command, so
 * every replica of a group drops the same tombstones at the same index and the digests of
 * the replicas stay equal; the state machine drops a tombstone only if it is still there
 * with the very same version (a newer write in between keeps it).
 */

import { NAME_TEXT_CHARS_MAX } from './changes.js';
import type { SyncEntry, SyncOwner } from './region-repair.js';
import { compareVersions, isRecordVersion, type RecordVersion } from './version.js';

/** Tombstones dropped by one command at most. */
export const COLLECT_TOMBSTONES_MAX = 512;
/** Leaves one tombstone scan returns at most (what the composition then reads in every region). */
export const TOMBSTONE_SCAN_LEAVES_MAX = 64;
/**
 * Owners one tombstone scan examines at most: the state machine's work per scan is bounded
 * (about 5 ms here), and a zone of a million owners is covered in 250 passes, well within
 * the horizon.
 */
export const TOMBSTONE_SCAN_OWNERS_MAX = 4_096;
/** The type mnemonic of an RRset tombstone: at most this many characters (`TYPE65535`). */
const TYPE_TEXT_CHARS_MAX = 16;

/** One tombstone: of the RRset `type` at `name`, or the name's own (`type` null). */
export interface Tombstone {
  /** Presentation form, absolute. */
  readonly name: string;
  readonly type: string | null;
  readonly version: RecordVersion;
}

/** The replicated command's body: drop these tombstones of `zone` if they are still there. */
export interface TombstoneCollection {
  readonly zone: string;
  readonly tombstones: readonly Tombstone[];
}

/** What one tombstone scan found (the `dns-tombstone-scan` query). */
export interface TombstoneScan {
  /** Leaves (ascending, from the scan's start) holding a tombstone older than the cutoff. */
  readonly leaves: readonly number[];
  /** The leaf to scan from next; null when the scan reached the last leaf. */
  readonly next: number | null;
  /** Tombstones the zone holds (all of them, of every age). */
  readonly tombstones: number;
}

/** The collection in its one canonical form, or why it is not one. */
export function validateTombstoneCollection(
  input: unknown,
): { ok: true; value: TombstoneCollection } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null) return { ok: false, message: 'must be an object' };
  const c = input as Record<string, unknown>;
  if (typeof c.zone !== 'string' || c.zone.length === 0 || c.zone.length > NAME_TEXT_CHARS_MAX)
    return { ok: false, message: 'zone must be a name' };
  if (
    !Array.isArray(c.tombstones) ||
    c.tombstones.length === 0 ||
    c.tombstones.length > COLLECT_TOMBSTONES_MAX
  )
    return { ok: false, message: `tombstones must list 1..=${COLLECT_TOMBSTONES_MAX}` };
  const tombstones: Tombstone[] = [];
  for (const t of c.tombstones as unknown[]) {
    if (typeof t !== 'object' || t === null) return { ok: false, message: 'a tombstone must be an object' };
    const r = t as Record<string, unknown>;
    if (typeof r.name !== 'string' || r.name.length === 0 || r.name.length > NAME_TEXT_CHARS_MAX)
      return { ok: false, message: 'a tombstone name must be a name' };
    if (
      r.type !== null &&
      (typeof r.type !== 'string' || r.type.length === 0 || r.type.length > TYPE_TEXT_CHARS_MAX)
    )
      return { ok: false, message: 'a tombstone type must be a type mnemonic or null' };
    if (!isRecordVersion(r.version)) return { ok: false, message: 'a tombstone version must be a version' };
    const v = r.version;
    tombstones.push({
      name: r.name,
      type: r.type as string | null,
      version: { hlcMs: v.hlcMs, counter: v.counter, writer: v.writer },
    });
  }
  return { ok: true, value: { zone: c.zone, tombstones } };
}

/** A tombstone's identity, for remembering it between observations. */
export function tombstoneKey(zone: string, t: Tombstone): string {
  const v = t.version;
  return `${zone.toLowerCase()} ${t.name.toLowerCase()} ${t.type ?? '*'} ${v.hlcMs}.${v.counter}@${v.writer}`;
}

/**
 * The tombstones among `home`'s owners, older than `beforeMs` (their version's clock), that
 * every other region (`others`, one list of owners per region, the same leaves read there)
 * holds or has no use for:
 * - an RRset tombstone at version v: the other region has no data for that RRset, and its
 *   version there (the RRset's, or the name's if newer) is at most v — it holds the same
 *   tombstone, an older one, or nothing (never had the RRset, or collected it);
 * - a name tombstone at version n: the other region's name version is at most n (or none)
 *   and it has no data at that name with a version at most n (which a delete-name n would
 *   remove).
 * A region with older data there blocks the tombstone: it has not seen the delete yet.
 * A region with a newer tombstone makes no difference either way (it will win anyway).
 * Owners a region does not list hold nothing there.
 */
export function collectibleTombstones(
  home: readonly SyncOwner[],
  others: readonly (readonly SyncOwner[])[],
  beforeMs: number,
): Tombstone[] {
  const indexed = others.map((owners) => {
    const byKey = new Map<string, SyncOwner>();
    for (const owner of owners) byKey.set(owner.name.toLowerCase(), owner);
    return byKey;
  });
  const out: Tombstone[] = [];
  for (const owner of home) {
    const theirs = indexed.map((byKey) => byKey.get(owner.name.toLowerCase()));
    const n = owner.nameVersion;
    if (n !== null && n.hlcMs < beforeMs && theirs.every((o) => nameTombstoneHeld(o, n)))
      out.push({ name: owner.name, type: null, version: n });
    for (const entry of owner.entries) {
      if (isData(entry) || entry.version.hlcMs >= beforeMs) continue;
      if (theirs.every((o) => rrsetTombstoneHeld(o, entry.type, entry.version)))
        out.push({ name: owner.name, type: entry.type, version: entry.version });
    }
  }
  return out;
}

function isData(entry: SyncEntry): boolean {
  return entry.rdata !== undefined;
}

function rrsetTombstoneHeld(owner: SyncOwner | undefined, type: string, v: RecordVersion): boolean {
  if (owner === undefined) return true;
  const entry = owner.entries.find((e) => e.type === type);
  if (entry !== undefined && isData(entry)) return false;
  if (entry !== undefined && compareVersions(entry.version, v) > 0) return false;
  // A newer name version there: a newer delete; it comes here by repair and subsumes ours.
  return owner.nameVersion === null || compareVersions(owner.nameVersion, v) <= 0;
}

function nameTombstoneHeld(owner: SyncOwner | undefined, n: RecordVersion): boolean {
  if (owner === undefined) return true;
  if (owner.nameVersion !== null && compareVersions(owner.nameVersion, n) > 0) return false;
  return !owner.entries.some((e) => isData(e) && compareVersions(e.version, n) <= 0);
}
