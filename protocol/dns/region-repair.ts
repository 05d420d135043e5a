/**
 * Anti-entropy between regions, the parts both ends agree on (docs/ARCHITECTURE.md,
 * "Anti-entropy between regions"): the shape of the digest tree, what one owner name's
 * replicated versions look like on the wire (`SyncOwner`), and which of another region's
 * versions a region lacks (`repairChanges`). Pure: no I/O, no clock.
 *
 * The digest tree of a zone has DIGEST_DEPTH levels below its root, each node with
 * DIGEST_FANOUT children; an owner name belongs to one leaf, chosen by a hash of its
 * case-folded key, so the tree's shape never depends on the data. A node's digest is the
 * XOR of the digests of the owners below it: adding, changing or removing one owner
 * changes the digests on one path, which the store maintains incrementally.
 *
 * What is compared is every version a region keeps for an owner — RRsets with their data,
 * RRset tombstones and the name tombstone — except the versions a region writes for itself
 * (`isRegionLocalVersion`: its nameservers, the initial SOA and NS) and the SOA serial,
 * which each region counts for itself.
 */
import { BATCH_CHANGES_MAX, type DnsChange } from './changes.js';
import { compareVersions, type RecordVersion } from './version.js';
import { Name } from './wire/name.js';
import { compareRrsetWrites, type RrsetWrite, rrsetContentKey } from './write-order.js';

export const DIGEST_FANOUT = 16;
/** Levels below the root: 16^3 = 4096 leaves, a few dozen owners each in a 100k-RRset zone. */
export const DIGEST_DEPTH = 3;
export const DIGEST_LEAVES = DIGEST_FANOUT ** DIGEST_DEPTH;
/** Nodes asked about in one digest request. */
export const DIGEST_NODES_PER_REQUEST_MAX = 256;
/** Leaves asked for in one owners request. */
export const SYNC_LEAVES_PER_REQUEST_MAX = 256;
/** The owners in one reply stop once their JSON passes this (one owner is always sent). */
export const SYNC_REPLY_BYTES_MAX = 192 * 1024;

/** One RRset version: with `ttl` and `rdata` for data, without for a tombstone. */
export interface SyncEntry {
  /** The type's mnemonic (or `TYPEnnn`). */
  readonly type: string;
  readonly version: RecordVersion;
  readonly ttl?: number;
  /** Presentation RDATA, sorted; an SOA's serial reads 0 (each region counts its own). */
  readonly rdata?: readonly string[];
}

/** The versions of one owner name that regions compare, in ascending type-code order. */
export interface SyncOwner {
  /** Presentation form, absolute. */
  readonly name: string;
  readonly nameVersion: RecordVersion | null;
  readonly entries: readonly SyncEntry[];
}

/** Where a paged owners listing continues: after `owner` (a case-folded key) in `leaf`. */
export interface SyncCursor {
  readonly leaf: number;
  readonly owner: string;
}

/** A zone's root digest, as `dns-digest-roots` lists them. */
export interface ZoneRootDigest {
  readonly zone: string;
  readonly digest: string;
}

/**
 * What a group's leader last found comparing one zone with the same zone in another region
 * (`raftns status`, `raftns zone list`). Times are the leader's wall clock, in ms.
 */
export interface ZoneAgreement {
  readonly zone: string;
  readonly region: string;
  /** `agree`: equal root digests; `differ`: not (yet) equal; `absent`: the zone is not there; `unreachable`: no answer. */
  readonly state: 'agree' | 'differ' | 'absent' | 'unreachable';
  /** Since when the state has been what it is (the first comparison that found it). */
  readonly sinceMs: number;
  /** The last comparison. */
  readonly checkedMs: number;
  /** Versions this region took from the other one, since the leader started comparing. */
  readonly repaired: number;
  /**
   * The last comparison after which this region held every version the other region had
   * when compared (equal digests, or every differing range pulled); absent until one.
   */
  readonly heldMs?: number;
  /** Tombstones this region's zone held at the leader's last tombstone scan (absent before one). */
  readonly tombstones?: number;
  /** Tombstones this region's leader dropped in the zone since it started comparing. */
  readonly collected?: number;
}

/** Rows of agreement a status carries at most (zones of a group times other regions, bounded). */
export const AGREEMENT_ROWS_MAX = 4096;
const AGREEMENT_STATES = new Set(['agree', 'differ', 'absent', 'unreachable']);

/**
 * The well-formed rows of a replica's `regionAgreement` (its own word: a status is taken as
 * sent, so anything else is dropped), at most AGREEMENT_ROWS_MAX.
 */
export function agreementRows(value: unknown): ZoneAgreement[] {
  if (!Array.isArray(value)) return [];
  const rows: ZoneAgreement[] = [];
  for (const row of value.slice(0, AGREEMENT_ROWS_MAX)) {
    if (typeof row !== 'object' || row === null) continue;
    const r = row as Record<string, unknown>;
    if (
      typeof r.zone === 'string' &&
      r.zone.length <= 1024 &&
      typeof r.region === 'string' &&
      r.region.length <= 255 &&
      typeof r.state === 'string' &&
      AGREEMENT_STATES.has(r.state) &&
      Number.isSafeInteger(r.sinceMs) &&
      Number.isSafeInteger(r.checkedMs) &&
      Number.isSafeInteger(r.repaired)
    )
      rows.push({
        zone: r.zone,
        region: r.region,
        state: r.state as ZoneAgreement['state'],
        sinceMs: r.sinceMs as number,
        checkedMs: r.checkedMs as number,
        repaired: r.repaired as number,
        ...(Number.isSafeInteger(r.heldMs) ? { heldMs: r.heldMs as number } : {}),
        ...(Number.isSafeInteger(r.tombstones) ? { tombstones: r.tombstones as number } : {}),
        ...(Number.isSafeInteger(r.collected) ? { collected: r.collected as number } : {}),
      });
  }
  return rows;
}

/** One zone's agreement with the other regions as one word: `agree`, or what differs since when. */
export function agreementText(rows: readonly Pick<ZoneAgreement, 'region' | 'state' | 'sinceMs'>[]): string {
  if (rows.length === 0) return 'not-compared';
  const off = rows.filter((r) => r.state !== 'agree');
  if (off.length === 0) return 'agree';
  return off.map((r) => `${r.state}:${r.region}@${new Date(r.sinceMs).toISOString()}`).join(',');
}

/** Whether a node index is one of the tree's at `depth` (0 is the root). */
export function isDigestNode(depth: number, node: number): boolean {
  return (
    Number.isInteger(depth) &&
    depth >= 0 &&
    depth <= DIGEST_DEPTH &&
    Number.isInteger(node) &&
    node >= 0 &&
    node < DIGEST_FANOUT ** depth
  );
}

/** The children of `node` (at some depth) at the next depth. */
export function digestChildren(node: number): number[] {
  const first = node * DIGEST_FANOUT;
  return Array.from({ length: DIGEST_FANOUT }, (_, i) => first + i);
}

/**
 * The changes that bring a region's versions of some owners up to another region's: for each
 * owner the other region (`remote`) sent, a `delete-name` when its name tombstone is newer,
 * and an upsert or `delete-rrset` for each RRset version newer than what this region holds
 * (`local`, the same owners listed here; an owner missing from it holds nothing). Versions
 * travel unchanged, so applying them is the same last-writer-wins step as the writer's own
 * batch, commutative with any live write. "Newer" for an RRset is the order of writes
 * (write-order.ts): an RRset there with this region's version but content that wins the tie
 * is taken too. In batches of at most BATCH_CHANGES_MAX changes;
 * an owner's changes never straddle two batches (a CNAME replacing an A must land whole).
 *
 * A tombstone older than `tombstonesBeforeMs` (its version's clock) that would change no data
 * here — an RRset tombstone where this region holds no version of that RRset, a name
 * tombstone where it holds no version at or below it — is not taken: this region may have
 * collected it (protocol/dns/tombstone-collection.ts), and taking it back would undo the
 * collection each time; holding no data there, it has nothing the tombstone must defeat.
 */
export function repairChanges(
  zone: string,
  local: readonly SyncOwner[],
  remote: readonly SyncOwner[],
  tombstonesBeforeMs = 0,
): DnsChange[][] {
  const localByKey = new Map<string, SyncOwner>();
  for (const owner of local) {
    const key = ownerKey(owner.name);
    if (key !== undefined) localByKey.set(key, owner);
  }
  const batches: DnsChange[][] = [];
  let batch: DnsChange[] = [];
  for (const theirs of remote) {
    const key = ownerKey(theirs.name);
    if (key === undefined) continue;
    const ours = localByKey.get(key);
    const owner: DnsChange[] = [];
    let nameVersion = ours?.nameVersion ?? null;
    const theirName = theirs.nameVersion;
    if (
      theirName !== null &&
      newer(theirName, nameVersion) &&
      !(
        theirName.hlcMs < tombstonesBeforeMs &&
        !(ours?.entries ?? []).some((e) => compareVersions(e.version, theirName) <= 0)
      )
    ) {
      owner.push({ op: 'delete-name', zone, name: theirs.name, version: theirName });
      nameVersion = theirName;
    }
    for (const entry of theirs.entries) {
      const held = ours?.entries.find((e) => e.type === entry.type);
      // Newer than this region's name tombstone, and than its write of the RRset in the
      // order of writes (protocol/dns/write-order.ts: equal versions, the content decides).
      if (!newer(entry.version, nameVersion)) continue;
      if (held !== undefined && compareRrsetWrites(rrsetWrite(entry), rrsetWrite(held)) <= 0) continue;
      const tombstone = entry.rdata === undefined || entry.ttl === undefined;
      if (tombstone && held === undefined && entry.version.hlcMs < tombstonesBeforeMs) continue;
      if (tombstone)
        owner.push({ op: 'delete-rrset', zone, name: theirs.name, type: entry.type, version: entry.version });
      else
        owner.push({
          op: 'upsert',
          zone,
          name: theirs.name,
          type: entry.type,
          ttl: entry.ttl,
          rdata: [...entry.rdata],
          version: entry.version,
        });
    }
    if (owner.length === 0) continue;
    if (batch.length + owner.length > BATCH_CHANGES_MAX && batch.length > 0) {
      batches.push(batch);
      batch = [];
    }
    batch.push(...owner);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function ownerKey(name: string): string | undefined {
  try {
    return Name.parse(name).key;
  } catch {
    return undefined;
  }
}

function newer(a: RecordVersion, than: RecordVersion | null): boolean {
  return than === null || compareVersions(a, than) > 0;
}

function rrsetWrite(entry: SyncEntry): RrsetWrite {
  return { version: entry.version, content: rrsetContentKey(entry.ttl, entry.rdata) };
}

/**
 * Whether `zone` in this region is filled: it holds what the other regions held, by its
 * leader's comparisons (`rows`, from the leader's status), so a delegation to it may be
 * created (a region added to the plan, or a zone created in it, answers with the data the
 * others have before any resolver is sent there). True with no other region; otherwise every
 * other region must have been compared, and each one reached must have found the zone
 * absent there or have been held (`heldMs`: equal, or every difference pulled) at least
 * once; and at least one must have been reached. A region that does not answer is left
 * out, so one region down does not hold back a delegation; all of them down does.
 */
export function zoneFilled(
  zone: string,
  rows: readonly Pick<ZoneAgreement, 'zone' | 'region' | 'state' | 'heldMs'>[],
  otherRegions: readonly string[],
): boolean {
  if (otherRegions.length === 0) return true;
  const wanted = zone.toLowerCase();
  let reached = 0;
  for (const region of otherRegions) {
    const row = rows.find((r) => r.region === region && r.zone.toLowerCase() === wanted);
    if (row === undefined) return false;
    if (row.state === 'unreachable') continue;
    reached++;
    if (row.state !== 'absent' && row.state !== 'agree' && row.heldMs === undefined) return false;
  }
  return reached > 0;
}
