/**
 * The DNS record store inside the replicated state machine: zones of RRsets with a
 * last-writer-wins version per RRset, applied in atomic batches. Pure and deterministic:
 * no I/O, no clock, no randomness; replicas that apply the same batches in the same order
 * hold the same state (the same snapshot bytes, store-codec.ts).
 *
 * State per zone (keyed by the apex's case-folded key, RFC 4343):
 * - a `LiveZone` with the data, which lookup serves;
 * - per owner name: a version per RRset type (kept after the RRset is deleted: a tombstone)
 *   and a name-level version left by `delete-name`. Only type versions newer than the name
 *   version are kept (an older one is subsumed), so the state does not depend on the order
 *   in which the same changes arrived;
 * - the SOA serial, which the store manages: every batch that commits bumps it by one
 *   (mod 2^32, RFC 1982 §3.1) in each zone it touches, once, even when each of its changes
 *   was superseded, so regions that commit the same batches reach the same serial.
 *
 * `applyBatch` (atomic): syntax (changes.ts; `applyParsedBatch` starts after it, with a batch
 * a log entry's decoding already checked) → prerequisites against the data (RFC 2136 §3.2
 * style: all checked before anything changes) → each change in order, an RRset change
 * taking effect only if it is newer than the RRset's write (write-order.ts) and its version
 * newer than the name's → validation of the touched owners (`LiveZone.check`) → on any error every change is
 * undone (an undo log) and the typed error returned; otherwise serials move and deltas for
 * the serving side (zone-delta.ts) are queued for `takeDeltas`.
 *
 * Because an RRset change applies iff it is the newest seen for that RRset, a set of
 * changes that each succeed leaves the same data whatever order they applied in. Newest is
 * a total order on the writes (protocol/dns/write-order.ts): by version, and two different
 * changes to one RRset with the very same version (a writer reusing its id after its clock
 * stepped back) by their content, so they too resolve the same way in any order.
 */

import {
  BATCH_CHANGES_MAX,
  type ChangeOutcome,
  type DnsBatchResult,
  type DnsWriteError,
  type ParsedBatch,
  type ParsedChange,
  type ParsedPrerequisite,
  validateBatchSyntax,
} from '../../../protocol/dns/changes.js';
import {
  DIGEST_DEPTH,
  DIGEST_LEAVES,
  isDigestNode,
  type SyncCursor,
  type SyncEntry,
  type SyncOwner,
  type ZoneRootDigest,
} from '../../../protocol/dns/region-repair.js';
import {
  TOMBSTONE_SCAN_LEAVES_MAX,
  TOMBSTONE_SCAN_OWNERS_MAX,
  type TombstoneCollection,
  type TombstoneScan,
} from '../../../protocol/dns/tombstone-collection.js';
import {
  compareVersions,
  isRegionLocalVersion,
  type RecordVersion,
  VERSION_ZERO,
} from '../../../protocol/dns/version.js';
import type { DnsNameView, DnsRrsetView, DnsZoneSummary } from '../../../protocol/dns/views.js';
import { parseRrType, RR_CLASS, RR_TYPE, rrTypeName } from '../../../protocol/dns/wire/codes.js';
import { Name, parseName } from '../../../protocol/dns/wire/name.js';
import { decodeRdata, encodeRdata, type Rdata, rdataToText } from '../../../protocol/dns/wire/rdata.js';
import {
  compareRrsetWrites,
  rrsetContentKey,
  TOMBSTONE_CONTENT_KEY,
} from '../../../protocol/dns/write-order.js';
import { exactCopy } from '../../../protocol/exact-array.js';
import { GROUP_ZONES_MAX } from '../../../protocol/limits.js';
import { LiveZone, rdataKey } from '../zone/live-zone.js';
import type { ZoneError } from '../zone/zone.js';
import type { RRset } from '../zone/zone-view.js';
import type { ZoneDelta } from './zone-delta.js';
import { ZoneDigest } from './zone-digest.js';
import { type HistoryRecord, type ZoneChange, ZoneHistory, zoneChangeBytes } from './zone-history.js';

export interface DnsStoreLimits {
  readonly zonesMax: number;
  /** RRsets with data in one zone. */
  readonly rrsetsPerZoneMax: number;
  /** Versions kept in one zone: RRsets, RRset tombstones and name tombstones. */
  readonly versionsPerZoneMax: number;
}

export const DEFAULT_DNS_STORE_LIMITS: DnsStoreLimits = Object.freeze({
  zonesMax: GROUP_ZONES_MAX,
  rrsetsPerZoneMax: 1_000_000,
  versionsPerZoneMax: 2_000_000,
});

const SERIAL_MODULUS = 2 ** 32;

/** One owner's versions: per type (RRsets and their tombstones), and the name's own. */
interface OwnerVersions {
  readonly name: Name;
  nameVersion: RecordVersion | undefined;
  readonly types: Map<number, RecordVersion>;
}

interface ZoneState {
  readonly apex: Name;
  readonly live: LiveZone;
  serial: number;
  readonly owners: Map<string, OwnerVersions>;
  versionCount: number;
  /** The changes of the last committed batches, for IXFR (zone-history.ts). */
  readonly history: ZoneHistory;
  /**
   * The digest tree for anti-entropy (zone-digest.ts), built on first use; the owners
   * committed batches touched since are in `digestDirty`, folded in at the next use.
   */
  digest: ZoneDigest | undefined;
  readonly digestDirty: Set<string>;
  /**
   * The apex SOA the newest history step ended with, and its history record: the next step
   * starts from that SOA, and shares the record instead of encoding it again.
   */
  historySoa: { readonly set: RRset; readonly record: HistoryRecord } | undefined;
}

/** An RRset version as stored, for snapshots: `rrset` null is a tombstone. */
export interface StoredEntry {
  readonly type: number;
  readonly version: RecordVersion;
  readonly rrset: RRset | null;
}

export interface StoredOwner {
  readonly name: Name;
  readonly nameVersion: RecordVersion | null;
  /** In ascending type order. */
  readonly entries: readonly StoredEntry[];
}

export interface StoredZone {
  readonly apex: Name;
  readonly serial: number;
  /** In ascending owner key order. */
  readonly owners: readonly StoredOwner[];
  /** The retained change history, oldest first, its newest ending at `serial`. */
  readonly history: readonly ZoneChange[];
}

/** Per batch: what was touched, for validation, serials and deltas. */
interface Touched {
  readonly key: string;
  /** Owner key → (name, types touched). */
  readonly owners: Map<string, { readonly name: Name; readonly types: Set<number> }>;
  /** The zone's state object at the start of the batch, undefined if it did not exist. */
  readonly before: ZoneState | undefined;
  /** The apex SOA at the start of the batch (RRset objects are never mutated). */
  readonly soaBefore: RRset | undefined;
  /** `ownerKey type` → the RRset as it was before the batch first changed it. */
  readonly rrsetsBefore: Map<
    string,
    { readonly name: Name; readonly type: number; readonly rrset: RRset | undefined }
  >;
}

class BatchFailure extends Error {
  constructor(readonly error: DnsWriteError) {
    super(error.message);
  }
}

export class DnsStore {
  readonly limits: DnsStoreLimits;
  readonly #zones = new Map<string, ZoneState>();
  #deltas: ZoneDelta[] = [];
  /** Whether committed batches queue deltas (see `queueDeltas`). */
  #queueDeltas = true;

  constructor(limits: Partial<DnsStoreLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_DNS_STORE_LIMITS, ...limits });
  }

  get zoneCount(): number {
    return this.#zones.size;
  }

  /**
   * Applies a batch atomically and deterministically (see the header). Accepts anything
   * (the batch is checked with `validateBatchSyntax` first); never throws on bad input.
   * `changesMax` exceeds BATCH_CHANGES_MAX only for a zone import's commit.
   */
  applyBatch(batch: unknown, changesMax = BATCH_CHANGES_MAX): DnsBatchResult {
    const syntax = validateBatchSyntax(batch, changesMax);
    if (!syntax.ok) return { ok: false, error: syntax.error };
    return this.applyParsedBatch(syntax.batch);
  }

  /**
   * `applyBatch` of a batch `validateBatchSyntax` already checked and parsed (a log entry's
   * decoding does, protocol/group/command-codec.ts): the syntax is not checked again.
   */
  applyParsedBatch(batch: ParsedBatch): DnsBatchResult {
    for (let i = 0; i < batch.prerequisites.length; i++) {
      const failure = this.#checkPrerequisite(batch.prerequisites[i] as ParsedPrerequisite, i);
      if (failure !== undefined) return { ok: false, error: failure };
    }
    const undo: Array<() => void> = [];
    const touched = new Map<string, Touched>();
    try {
      const outcomes: ChangeOutcome[] = [];
      for (let i = 0; i < batch.changes.length; i++) {
        outcomes.push(this.#applyChange(batch.changes[i] as ParsedChange, i, undo, touched));
      }
      this.#validate(touched);
      return { ok: true, serials: this.#commit(touched), outcomes };
    } catch (error) {
      if (!(error instanceof BatchFailure)) throw error;
      for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
      return { ok: false, error: error.error };
    }
  }

  /** Deltas queued since the last `takeDeltas`. */
  get pendingDeltaCount(): number {
    return this.#deltas.length;
  }

  /**
   * Whether committed batches queue deltas for the serving side. Off while nothing would
   * read them (a serving side that will start from a dump, which covers them): a replay
   * then builds no encoded RRsets it would throw away. Turning it off drops the queue.
   */
  set queueDeltas(on: boolean) {
    this.#queueDeltas = on;
    if (!on) this.#deltas = [];
  }

  /** Deltas of the batches committed since the last call, in order; drains them. */
  takeDeltas(): ZoneDelta[] {
    const deltas = this.#deltas;
    this.#deltas = [];
    return deltas;
  }

  /** The whole store as deltas, for a reader starting from nothing (in apex key order). */
  dumpDeltas(): ZoneDelta[] {
    const out: ZoneDelta[] = [];
    for (const key of [...this.#zones.keys()].sort()) this.#dumpZone(this.#zones.get(key) as ZoneState, out);
    return out;
  }

  /**
   * `dumpDeltas` in parts of `deltasPerPart` deltas (the last may hold fewer), in the same
   * order: a part can be sent, and applied by the reader, while the next is built. A zone may
   * span parts, so a reader applies them in order. The store must not change meanwhile.
   */
  *dumpDeltaParts(deltasPerPart: number): Generator<ZoneDelta[]> {
    if (!(deltasPerPart >= 1)) throw new RangeError(`deltasPerPart must be at least 1, got ${deltasPerPart}`);
    let out: ZoneDelta[] = [];
    for (const key of [...this.#zones.keys()].sort()) {
      this.#dumpZone(this.#zones.get(key) as ZoneState, out);
      if (out.length < deltasPerPart) continue;
      let from = 0;
      for (; out.length - from >= deltasPerPart; from += deltasPerPart)
        yield out.slice(from, from + deltasPerPart);
      out = out.slice(from);
    }
    if (out.length > 0) yield out;
  }

  /** Every zone, in apex key order. */
  zones(): DnsZoneSummary[] {
    return [...this.#zones.keys()].sort().map((key) => {
      const zone = this.#zones.get(key) as ZoneState;
      return { zone: zone.apex.toString(), serial: zone.serial, rrsets: zone.live.rrsetCount };
    });
  }

  /** The RRsets and versions at `name` (absolute, or relative to `zone`); null if no such zone or a bad name. */
  rrsets(zoneText: string, nameText: string): DnsNameView | null {
    let apex: Name;
    let name: Name;
    try {
      apex = Name.parse(zoneText);
      name = Name.parse(nameText, apex);
    } catch {
      return null;
    }
    const zone = this.#zones.get(apex.key);
    if (zone === undefined || !name.isSubdomainOf(apex)) return null;
    const owner = zone.owners.get(name.key);
    const node = zone.live.node(name);
    const rrsets: DnsRrsetView[] = [];
    const deleted: Array<{ type: string; version: RecordVersion }> = [];
    for (const type of [...(owner?.types.keys() ?? [])].sort((a, b) => a - b)) {
      const version = owner?.types.get(type) as RecordVersion;
      const set = node?.rrsets.get(type);
      if (set === undefined) deleted.push({ type: rrTypeName(type), version });
      else
        rrsets.push({
          name: (node?.name ?? name).toString(),
          type: rrTypeName(type),
          ttl: set.ttl,
          rdata: set.rdatas.map(rdataToText),
          version,
        });
    }
    return {
      zone: zone.apex.toString(),
      name: name.toString(),
      rrsets,
      deleted,
      nameDeleted: owner?.nameVersion ?? null,
    };
  }

  /** The live zone at `apex` (for tests and diagnostics: do not mutate it). */
  zone(apex: Name): LiveZone | undefined {
    return this.#zones.get(apex.key)?.live;
  }

  /** The state to snapshot (store-codec.ts), in canonical order. */
  exportZones(): StoredZone[] {
    return [...this.#zones.keys()].sort().map((key) => {
      const zone = this.#zones.get(key) as ZoneState;
      const owners: StoredOwner[] = [...zone.owners.keys()].sort().map((ownerKey) => {
        const owner = zone.owners.get(ownerKey) as OwnerVersions;
        const node = zone.live.node(owner.name);
        return {
          name: node?.name ?? owner.name,
          nameVersion: owner.nameVersion ?? null,
          entries: [...owner.types]
            .sort((a, b) => a[0] - b[0])
            .map(([type, version]) => ({ type, version, rrset: node?.rrsets.get(type) ?? null })),
        };
      });
      return { apex: zone.apex, serial: zone.serial, owners, history: zone.history.changes.slice() };
    });
  }

  /**
   * A store holding exactly `zones` (decoded from a snapshot), after checking that the
   * state is one `applyBatch` could have produced: canonical order, data only where a
   * version is, versions above the name's, SOA serials equal to the zone's, valid zones,
   * limits. Returns the first problem found instead of throwing.
   */
  static fromZones(
    zones: readonly StoredZone[],
    limits: Partial<DnsStoreLimits> = {},
  ): { ok: true; store: DnsStore } | { ok: false; message: string } {
    const builder = DnsStore.builder(limits);
    for (const stored of zones) {
      const problem = builder.add(stored);
      if (problem !== undefined) return { ok: false, message: problem };
    }
    return { ok: true, store: builder.store };
  }

  /**
   * `fromZones` one zone at a time, in the same order (a snapshot's decoder hands each zone
   * over as it reads it): `add` returns the zone's problem, after which the store is not
   * to be used.
   */
  static builder(limits: Partial<DnsStoreLimits> = {}): {
    readonly store: DnsStore;
    readonly add: (stored: StoredZone) => string | undefined;
  } {
    const store = new DnsStore(limits);
    let previousZone: string | undefined;
    const add = (stored: StoredZone): string | undefined => {
      if (store.#zones.size >= store.limits.zonesMax) return `more than ${store.limits.zonesMax} zones`;
      const key = stored.apex.key;
      if (previousZone !== undefined && !(previousZone < key)) return 'zones out of order';
      previousZone = key;
      const built = DnsStore.#zoneFromStored(stored, store.limits);
      if (typeof built === 'string') return built;
      store.#zones.set(key, built);
      return undefined;
    };
    return { store, add };
  }

  /** One stored zone as state, or its problem (see `fromZones`). */
  static #zoneFromStored(stored: StoredZone, limits: DnsStoreLimits): ZoneState | string {
    if (!Number.isInteger(stored.serial) || stored.serial < 0 || stored.serial >= SERIAL_MODULUS)
      return `zone ${stored.apex}: serial ${stored.serial}`;
    const zone: ZoneState = {
      apex: stored.apex,
      live: new LiveZone(stored.apex, RR_CLASS.IN),
      serial: stored.serial,
      owners: new Map(),
      versionCount: 0,
      history: new ZoneHistory(),
      digest: undefined,
      digestDirty: new Set(),
      historySoa: undefined,
    };
    let previousOwner: string | undefined;
    for (const owner of stored.owners) {
      const ownerKey = owner.name.key;
      if (previousOwner !== undefined && !(previousOwner < ownerKey))
        return `zone ${stored.apex}: owners out of order`;
      previousOwner = ownerKey;
      if (!owner.name.isSubdomainOf(stored.apex)) return `${owner.name} outside ${stored.apex}`;
      const versions: OwnerVersions = {
        name: owner.name,
        nameVersion: owner.nameVersion ?? undefined,
        types: new Map(),
      };
      if (owner.nameVersion !== null) zone.versionCount++;
      let previousType = -1;
      for (const entry of owner.entries) {
        if (entry.type <= previousType) return `${owner.name}: types out of order`;
        previousType = entry.type;
        if (owner.nameVersion !== null && compareVersions(entry.version, owner.nameVersion) <= 0)
          return `${owner.name}: a type version not above the name's`;
        versions.types.set(entry.type, entry.version);
        zone.versionCount++;
        if (entry.rrset !== null) {
          if (entry.rrset.type !== entry.type || entry.rrset.rdatas.length === 0)
            return `${owner.name}: bad RRset of type ${entry.type}`;
          zone.live.setRRset(owner.name, entry.rrset);
        }
      }
      if (versions.types.size === 0 && versions.nameVersion === undefined)
        return `${owner.name}: an owner without versions`;
      zone.owners.set(ownerKey, versions);
    }
    const errors = zone.live.checkAll();
    if (errors.length > 0) return `zone ${stored.apex}: ${errors.map(zoneErrorText).join('; ')}`;
    if (zone.live.soa()?.rdata.serial !== zone.serial)
      return `zone ${stored.apex}: SOA serial differs from the zone's`;
    if (zone.live.rrsetCount > limits.rrsetsPerZoneMax || zone.versionCount > limits.versionsPerZoneMax)
      return `zone ${stored.apex}: over its limits`;
    const historyProblem = restoreHistory(zone, stored.history);
    if (historyProblem !== undefined) return `zone ${stored.apex}: ${historyProblem}`;
    return zone;
  }

  // ------------------------------------------------------------------ anti-entropy

  /** Every zone's root digest, in apex key order (protocol/dns/region-repair.ts). */
  digestRoots(): ZoneRootDigest[] {
    return [...this.#zones.keys()].sort().map((key) => {
      const zone = this.#zones.get(key) as ZoneState;
      return { zone: zone.apex.toString(), digest: this.#digestOf(zone).node(0, 0) };
    });
  }

  /** The digests of `nodes` at `depth` in zone `zoneText`; null if no such zone or a node is not in the tree. */
  digestNodes(zoneText: string, depth: number, nodes: readonly number[]): string[] | null {
    const zone = this.#zoneByText(zoneText);
    if (zone === undefined || !nodes.every((node) => isDigestNode(depth, node))) return null;
    const digest = this.#digestOf(zone);
    return nodes.map((node) => digest.node(depth, node));
  }

  /**
   * The versions regions compare of the owners in `leaves` (ascending leaf, then owner key),
   * starting after `after`, until their JSON passes `bytesMax` (at least one owner).
   * `next` says where to continue; null when the leaves are done. Null if no such zone or a
   * leaf is not in the tree.
   */
  syncOwners(
    zoneText: string,
    leaves: readonly number[],
    after: SyncCursor | undefined,
    bytesMax: number,
  ): { owners: SyncOwner[]; next: SyncCursor | null } | null {
    const zone = this.#zoneByText(zoneText);
    if (zone === undefined || !leaves.every((leaf) => isDigestNode(DIGEST_DEPTH, leaf))) return null;
    const digest = this.#digestOf(zone);
    const owners: SyncOwner[] = [];
    let bytes = 0;
    let last: SyncCursor | null = null;
    for (const leaf of [...new Set(leaves)].sort((a, b) => a - b)) {
      if (after !== undefined && leaf < after.leaf) continue;
      for (const key of digest.ownersOf(leaf)) {
        if (after !== undefined && leaf === after.leaf && key <= after.owner) continue;
        const owner = this.#syncOwner(zone, key);
        if (owner === undefined) continue;
        const size = JSON.stringify(owner).length;
        if (owners.length > 0 && bytes + size > bytesMax) return { owners, next: last };
        owners.push(owner);
        bytes += size;
        last = { leaf, owner: key };
      }
    }
    return { owners, next: null };
  }

  /**
   * The leaves of zone `zoneText`, from `fromLeaf` on, holding a tombstone that regions
   * compare (not region-local) whose version's clock is below `beforeMs`: at most
   * TOMBSTONE_SCAN_LEAVES_MAX leaves and TOMBSTONE_SCAN_OWNERS_MAX owners examined, `next`
   * saying where to go on. Null if no such zone or `fromLeaf` is not a leaf.
   */
  tombstoneScan(zoneText: string, beforeMs: number, fromLeaf: number): TombstoneScan | null {
    const zone = this.#zoneByText(zoneText);
    if (zone === undefined || !isDigestNode(DIGEST_DEPTH, fromLeaf) || !Number.isFinite(beforeMs))
      return null;
    const tombstones = this.#tombstoneCount(zone);
    // A zone without tombstones (most converged zones): no owner is examined.
    if (tombstones === 0) return { leaves: [], next: null, tombstones };
    const digest = this.#digestOf(zone);
    const leaves: number[] = [];
    let examined = 0;
    let leaf = fromLeaf;
    for (; leaf < DIGEST_LEAVES; leaf++) {
      if (leaves.length >= TOMBSTONE_SCAN_LEAVES_MAX || examined >= TOMBSTONE_SCAN_OWNERS_MAX) break;
      const keys = digest.ownersOf(leaf);
      examined += keys.length;
      if (keys.some((key) => this.#hasOldTombstone(zone, key, beforeMs))) leaves.push(leaf);
    }
    return { leaves, next: leaf < DIGEST_LEAVES ? leaf : null, tombstones };
  }

  /** Tombstones in zone `zoneText` (RRset and name tombstones, of any writer); null if no such zone. */
  tombstoneCount(zoneText: string): number | null {
    const zone = this.#zoneByText(zoneText);
    return zone === undefined ? null : this.#tombstoneCount(zone);
  }

  /**
   * Drops the listed tombstones of a zone (protocol/dns/tombstone-collection.ts), each only
   * if it is still there with the very same version and is one regions compare; the outcome
   * per tombstone is `applied` (dropped) or `superseded` (not there, or not a tombstone).
   * Deterministic; never throws on bad input. The zone's serial does not move: no data changes.
   */
  collectTombstones(collection: TombstoneCollection): DnsBatchResult {
    const zone = this.#zoneByText(collection.zone);
    if (zone === undefined)
      return {
        ok: false,
        error: { code: 'no-such-zone', message: `no zone ${collection.zone}`, zone: collection.zone },
      };
    const outcomes: ChangeOutcome[] = [];
    for (const tombstone of collection.tombstones) {
      let name: Name;
      try {
        name = Name.parse(tombstone.name);
      } catch {
        outcomes.push('superseded');
        continue;
      }
      const owner = zone.owners.get(name.key);
      const v = tombstone.version;
      if (owner === undefined || isRegionLocalVersion(v)) {
        outcomes.push('superseded');
        continue;
      }
      if (tombstone.type === null) {
        if (owner.nameVersion === undefined || compareVersions(owner.nameVersion, v) !== 0) {
          outcomes.push('superseded');
          continue;
        }
        owner.nameVersion = undefined;
      } else {
        const type = parseRrType(tombstone.type);
        const held = type === undefined ? undefined : owner.types.get(type);
        if (
          type === undefined ||
          held === undefined ||
          compareVersions(held, v) !== 0 ||
          zone.live.rrset(owner.name, type) !== undefined
        ) {
          outcomes.push('superseded');
          continue;
        }
        owner.types.delete(type);
      }
      zone.versionCount--;
      outcomes.push('applied');
      if (owner.types.size === 0 && owner.nameVersion === undefined) zone.owners.delete(name.key);
      if (zone.digest !== undefined) zone.digestDirty.add(name.key);
    }
    return { ok: true, serials: {}, outcomes };
  }

  #hasOldTombstone(zone: ZoneState, key: string, beforeMs: number): boolean {
    const owner = zone.owners.get(key);
    if (owner === undefined) return false;
    const old = (v: RecordVersion): boolean => v.hlcMs < beforeMs && !isRegionLocalVersion(v);
    if (owner.nameVersion !== undefined && old(owner.nameVersion)) return true;
    const node = zone.live.node(owner.name);
    for (const [type, version] of owner.types)
      if (old(version) && node?.rrsets.get(type) === undefined) return true;
    return false;
  }

  /** Every version kept is an RRset's (each RRset has one) or a tombstone. */
  #tombstoneCount(zone: ZoneState): number {
    return zone.versionCount - zone.live.rrsetCount;
  }

  #zoneByText(zoneText: string): ZoneState | undefined {
    const apex = parseName(zoneText);
    return apex.ok ? this.#zones.get(apex.name.key) : undefined;
  }

  #digestOf(zone: ZoneState): ZoneDigest {
    if (zone.digest === undefined) {
      const digest = new ZoneDigest();
      for (const key of zone.owners.keys()) digest.setOwner(key, this.#ownerDigestText(zone, key));
      zone.digest = digest;
      zone.digestDirty.clear();
      return digest;
    }
    for (const key of zone.digestDirty) zone.digest.setOwner(key, this.#ownerDigestText(zone, key));
    zone.digestDirty.clear();
    return zone.digest;
  }

  #ownerDigestText(zone: ZoneState, key: string): string | undefined {
    const owner = this.#syncOwner(zone, key);
    return owner === undefined ? undefined : JSON.stringify([owner.nameVersion, owner.entries]);
  }

  /** The versions of one owner that regions compare; undefined when it has none. */
  #syncOwner(zone: ZoneState, key: string): SyncOwner | undefined {
    const owner = zone.owners.get(key);
    if (owner === undefined) return undefined;
    const node = zone.live.node(owner.name);
    const nameVersion =
      owner.nameVersion !== undefined && !isRegionLocalVersion(owner.nameVersion)
        ? canonicalVersion(owner.nameVersion)
        : null;
    const entries: SyncEntry[] = [];
    for (const type of [...owner.types.keys()].sort((a, b) => a - b)) {
      const stored = owner.types.get(type) as RecordVersion;
      if (isRegionLocalVersion(stored)) continue;
      // Fields in one order whatever the version was decoded from: digests hash the JSON.
      const version = canonicalVersion(stored);
      const set = node?.rrsets.get(type);
      if (set === undefined) {
        entries.push({ type: rrTypeName(type), version });
        continue;
      }
      const rdata = comparedRdata(set.rdatas);
      entries.push({ type: rrTypeName(type), version, ttl: set.ttl, rdata });
    }
    if (nameVersion === null && entries.length === 0) return undefined;
    return { name: (node?.name ?? owner.name).toString(), nameVersion, entries };
  }

  // -------------------------------------------------------------------------------------

  #checkPrerequisite(p: ParsedPrerequisite, index: number): DnsWriteError | undefined {
    const zone = this.#zones.get(p.zone.key);
    if (zone === undefined)
      return {
        code: 'no-such-zone',
        message: `prerequisite ${index}: no zone ${p.zone}`,
        zone: p.zone.toString(),
      };
    const failed = (why: string): DnsWriteError => ({
      code: 'prerequisite-failed',
      message: `prerequisite ${index} (${p.kind} ${p.name}${'type' in p ? ` ${rrTypeName(p.type)}` : ''}): ${why}`,
      prerequisite: index,
    });
    // RFC 2136 §2.4: "name is in use" means the name owns at least one RR.
    switch (p.kind) {
      case 'name-exists':
        return zone.live.node(p.name) === undefined ? failed('the name has no records') : undefined;
      case 'name-absent':
        return zone.live.node(p.name) !== undefined ? failed('the name has records') : undefined;
      case 'rrset-exists':
        return zone.live.rrset(p.name, p.type) === undefined ? failed('no such RRset') : undefined;
      case 'rrset-absent':
        return zone.live.rrset(p.name, p.type) !== undefined ? failed('the RRset exists') : undefined;
      case 'rrset-equals': {
        const set = zone.live.rrset(p.name, p.type);
        if (set === undefined) return failed('no such RRset');
        const have = new Set(set.rdatas.map(rdataKey));
        const want = new Set(p.rdatas.map(rdataKey));
        const equal = have.size === want.size && [...want].every((k) => have.has(k));
        return equal ? undefined : failed('the RRset holds other records');
      }
    }
  }

  #touch(touched: Map<string, Touched>, key: string): Touched {
    let t = touched.get(key);
    if (t === undefined) {
      const before = this.#zones.get(key);
      t = {
        key,
        owners: new Map(),
        before,
        soaBefore: before?.live.rrset(before.apex, RR_TYPE.SOA),
        rrsetsBefore: new Map(),
      };
      touched.set(key, t);
    }
    return t;
  }

  #applyChange(
    change: ParsedChange,
    index: number,
    undo: Array<() => void>,
    touched: Map<string, Touched>,
  ): ChangeOutcome {
    const key = change.zone.key;
    if (change.op === 'create-zone') {
      if (this.#zones.has(key))
        throw new BatchFailure({
          code: 'zone-exists',
          message: `change ${index}: zone ${change.zone} exists`,
          zone: change.zone.toString(),
        });
      if (this.#zones.size >= this.limits.zonesMax)
        throw new BatchFailure({
          code: 'limit-exceeded',
          message: `change ${index}: already ${this.limits.zonesMax} zones`,
        });
      this.#touch(touched, key);
      const zone: ZoneState = {
        apex: change.zone,
        live: new LiveZone(change.zone, RR_CLASS.IN),
        serial: change.soa.serial,
        owners: new Map(),
        versionCount: 2,
        history: new ZoneHistory(),
        digest: undefined,
        digestDirty: new Set(),
        historySoa: undefined,
      };
      zone.live.setRRset(change.zone, { type: RR_TYPE.SOA, ttl: change.soaTtl, rdatas: [change.soa] });
      zone.live.setRRset(change.zone, { type: RR_TYPE.NS, ttl: change.nsTtl, rdatas: change.ns });
      // The initial SOA and NS carry the smallest version: any admin write supersedes them.
      zone.owners.set(key, {
        name: change.zone,
        nameVersion: undefined,
        types: new Map([
          [RR_TYPE.SOA, VERSION_ZERO],
          [RR_TYPE.NS, VERSION_ZERO],
        ]),
      });
      this.#zones.set(key, zone);
      undo.push(() => this.#zones.delete(key));
      return 'applied';
    }
    const zone = this.#zones.get(key);
    if (zone === undefined)
      throw new BatchFailure({
        code: 'no-such-zone',
        message: `change ${index}: no zone ${change.zone}`,
        zone: change.zone.toString(),
      });
    const t = this.#touch(touched, key);
    if (change.op === 'delete-zone') {
      this.#zones.delete(key);
      undo.push(() => this.#zones.set(key, zone));
      return 'applied';
    }
    const owner = this.#ownerVersions(zone, change.name, undo);
    let ownerTouch = t.owners.get(change.name.key);
    if (ownerTouch === undefined) {
      ownerTouch = { name: change.name, types: new Set() };
      t.owners.set(change.name.key, ownerTouch);
    }
    if (change.op === 'delete-name') {
      if (owner.nameVersion !== undefined && compareVersions(change.version, owner.nameVersion) <= 0)
        return 'superseded';
      const previousName = owner.nameVersion;
      if (previousName === undefined) zone.versionCount++;
      owner.nameVersion = change.version;
      undo.push(() => {
        if (previousName === undefined) zone.versionCount--;
        owner.nameVersion = previousName;
      });
      for (const [type, version] of [...owner.types]) {
        // Only a type version strictly newer than the name's survives it (an upsert with
        // the name's version is superseded likewise), whatever the order they arrive in.
        if (compareVersions(version, change.version) > 0) continue;
        // Subsumed by the name version: the RRset goes, and so does its version.
        this.#setTypeVersion(zone, owner, type, undefined, undo);
        this.#setData(zone, t, change.name, type, undefined, undo);
        ownerTouch.types.add(type);
      }
      return 'applied';
    }
    const typeVersion = owner.types.get(change.type);
    if (owner.nameVersion !== undefined && compareVersions(change.version, owner.nameVersion) <= 0)
      return 'superseded';
    if (typeVersion !== undefined) {
      const order = compareVersions(change.version, typeVersion);
      if (order < 0) return 'superseded';
      // The same version with other content (protocol/dns/write-order.ts): the content decides,
      // so every region keeps the same one of the two whatever the order they arrive in.
      if (
        order === 0 &&
        compareRrsetWrites(
          { version: change.version, content: changeContentKey(change) },
          {
            version: typeVersion,
            content: storedContentKey(zone.live.node(change.name)?.rrsets.get(change.type)),
          },
        ) <= 0
      )
        return 'superseded';
    }
    this.#setTypeVersion(zone, owner, change.type, change.version, undo);
    ownerTouch.types.add(change.type);
    if (change.op === 'delete-rrset') {
      this.#setData(zone, t, change.name, change.type, undefined, undo);
      return 'applied';
    }
    const rdatas =
      change.type === RR_TYPE.SOA
        ? change.rdatas.map((r) => (r.kind === 'SOA' ? { ...r, serial: zone.serial } : r))
        : change.rdatas;
    this.#setData(zone, t, change.name, change.type, { type: change.type, ttl: change.ttl, rdatas }, undo);
    return 'applied';
  }

  #ownerVersions(zone: ZoneState, name: Name, undo: Array<() => void>): OwnerVersions {
    let owner = zone.owners.get(name.key);
    if (owner === undefined) {
      const created: OwnerVersions = { name, nameVersion: undefined, types: new Map() };
      zone.owners.set(name.key, created);
      undo.push(() => zone.owners.delete(name.key));
      owner = created;
    }
    return owner;
  }

  #setTypeVersion(
    zone: ZoneState,
    owner: OwnerVersions,
    type: number,
    version: RecordVersion | undefined,
    undo: Array<() => void>,
  ): void {
    const previous = owner.types.get(type);
    const restore = (v: RecordVersion | undefined): void => {
      const had = owner.types.has(type);
      if (v === undefined) owner.types.delete(type);
      else owner.types.set(type, v);
      zone.versionCount += (v === undefined ? 0 : 1) - (had ? 1 : 0);
    };
    restore(version);
    undo.push(() => restore(previous));
  }

  #setData(
    zone: ZoneState,
    t: Touched,
    name: Name,
    type: number,
    rrset: RRset | undefined,
    undo: Array<() => void>,
  ): void {
    const previous = zone.live.rrset(name, type);
    const beforeKey = `${name.key} ${type}`;
    if (!t.rrsetsBefore.has(beforeKey)) t.rrsetsBefore.set(beforeKey, { name, type, rrset: previous });
    if (rrset === undefined) zone.live.deleteRRset(name, type);
    else zone.live.setRRset(name, rrset);
    undo.push(() => {
      if (previous === undefined) zone.live.deleteRRset(name, type);
      else zone.live.setRRset(name, previous);
    });
  }

  #validate(touched: Map<string, Touched>): void {
    for (const t of touched.values()) {
      const zone = this.#zones.get(t.key);
      if (zone === undefined) continue;
      const errors = zone.live.check([zone.apex, ...[...t.owners.values()].map((o) => o.name)]);
      if (errors.length > 0) {
        const problems = errors.map(zoneErrorText);
        throw new BatchFailure({
          code: 'invalid-zone-data',
          message: `zone ${zone.apex}: ${problems.join('; ')}`,
          zone: zone.apex.toString(),
          problems,
        });
      }
      if (zone.live.rrsetCount > this.limits.rrsetsPerZoneMax)
        throw new BatchFailure({
          code: 'limit-exceeded',
          message: `zone ${zone.apex}: more than ${this.limits.rrsetsPerZoneMax} RRsets`,
        });
      if (zone.versionCount > this.limits.versionsPerZoneMax)
        throw new BatchFailure({
          code: 'limit-exceeded',
          message: `zone ${zone.apex}: more than ${this.limits.versionsPerZoneMax} versions and tombstones`,
        });
    }
  }

  /** Serials move (once per zone touched) and deltas are queued. Nothing here fails. */
  #commit(touched: Map<string, Touched>): Record<string, number> {
    const serials: Record<string, number> = {};
    for (const t of touched.values()) {
      const zone = this.#zones.get(t.key);
      if (zone !== t.before && t.before !== undefined && this.#queueDeltas)
        this.#deltas.push({ kind: 'zone', zone: t.before.apex.toString(), present: false });
      if (zone === undefined) continue;
      if (zone !== t.before) {
        // Created in this batch: its serial is the one it was created with.
        if (this.#queueDeltas) this.#dumpZone(zone, this.#deltas);
      } else {
        // RFC 1982 §3.1: serial addition modulo 2^32.
        zone.serial = (zone.serial + 1) % SERIAL_MODULUS;
        const soa = zone.live.rrset(zone.apex, RR_TYPE.SOA);
        if (soa !== undefined)
          zone.live.setRRset(zone.apex, {
            ...soa,
            rdatas: soa.rdatas.map((r) => (r.kind === 'SOA' ? { ...r, serial: zone.serial } : r)),
          });
        const apexTouch = t.owners.get(zone.apex.key);
        if (apexTouch === undefined)
          t.owners.set(zone.apex.key, { name: zone.apex, types: new Set([RR_TYPE.SOA]) });
        else apexTouch.types.add(RR_TYPE.SOA);
        if (this.#queueDeltas)
          for (const { name, types } of t.owners.values()) {
            for (const type of [...types].sort((a, b) => a - b))
              this.#deltas.push(rrsetDelta(zone, name, type));
          }
        this.#recordHistory(zone, t);
        if (zone.digest !== undefined) for (const key of t.owners.keys()) zone.digestDirty.add(key);
      }
      serials[zone.apex.toString()] = zone.serial;
      this.#dropEmptyOwners(zone, t);
    }
    return serials;
  }

  /**
   * Appends the batch's difference to the zone's history and queues it for the serving
   * side. A difference over the byte budget is not built in full: the history is emptied.
   */
  #recordHistory(zone: ZoneState, t: Touched): void {
    const soaAfter = zone.live.rrset(zone.apex, RR_TYPE.SOA);
    if (t.soaBefore === undefined || soaAfter === undefined) return;
    const apex = zone.apex.toString();
    const soaRecord = (set: RRset): HistoryRecord => ({
      owner: apex,
      type: RR_TYPE.SOA,
      ttl: set.ttl,
      rdata: encodeRdata(set.rdatas[0] as Rdata),
    });
    const soaFrom = zone.historySoa?.set === t.soaBefore ? zone.historySoa.record : soaRecord(t.soaBefore);
    const soaTo = soaRecord(soaAfter);
    zone.historySoa = { set: soaAfter, record: soaTo };
    const budget = zone.history.limits.bytesMax;
    let bytes = zoneChangeBytes({ serialFrom: 0, serialTo: 0, soaFrom, soaTo, removed: [], added: [] });
    const removed: HistoryRecord[] = [];
    const added: HistoryRecord[] = [];
    const keys = [...t.rrsetsBefore.keys()].sort();
    for (const key of keys) {
      const {
        name,
        type,
        rrset: before,
      } = t.rrsetsBefore.get(key) as {
        name: Name;
        type: number;
        rrset: RRset | undefined;
      };
      if (type === RR_TYPE.SOA) continue;
      const after = zone.live.rrset(name, type);
      const owner = (zone.live.node(name)?.name ?? name).toString();
      // A changed TTL replaces every record of the set (RFC 2181 §5.2: one TTL per RRset).
      const sameTtl = before !== undefined && after !== undefined && before.ttl === after.ttl;
      const afterKeys = new Set(sameTtl ? (after as RRset).rdatas.map(rdataKey) : []);
      const beforeKeys = new Set(sameTtl ? (before as RRset).rdatas.map(rdataKey) : []);
      for (const rdata of before?.rdatas ?? []) {
        if (afterKeys.has(rdataKey(rdata))) continue;
        const record = { owner, type, ttl: (before as RRset).ttl, rdata: encodeRdata(rdata) };
        bytes += owner.length + 10 + record.rdata.length;
        removed.push(record);
      }
      for (const rdata of after?.rdatas ?? []) {
        if (beforeKeys.has(rdataKey(rdata))) continue;
        const record = { owner, type, ttl: (after as RRset).ttl, rdata: encodeRdata(rdata) };
        bytes += owner.length + 10 + record.rdata.length;
        added.push(record);
      }
      if (bytes > budget) {
        zone.history.clear();
        if (this.#queueDeltas) this.#deltas.push({ kind: 'history', zone: apex, change: null });
        return;
      }
    }
    const serialFrom = (zone.serial + SERIAL_MODULUS - 1) % SERIAL_MODULUS;
    const change: ZoneChange = {
      serialFrom,
      serialTo: zone.serial,
      soaFrom,
      soaTo,
      removed: exactCopy(removed),
      added: exactCopy(added),
    };
    zone.history.append(change);
    if (this.#queueDeltas) this.#deltas.push({ kind: 'history', zone: apex, change });
  }

  /** Owners left with no version at all (only possible after an undo) hold nothing: forget them. */
  #dropEmptyOwners(zone: ZoneState, t: Touched): void {
    for (const key of t.owners.keys()) {
      const owner = zone.owners.get(key);
      if (owner !== undefined && owner.types.size === 0 && owner.nameVersion === undefined)
        zone.owners.delete(key);
    }
  }

  #dumpZone(zone: ZoneState, out: ZoneDelta[]): void {
    const apex = zone.apex.toString();
    out.push({ kind: 'zone', zone: apex, present: true });
    const nodes = [...zone.live.nodes()].sort((a, b) =>
      a.name.key < b.name.key ? -1 : a.name.key > b.name.key ? 1 : 0,
    );
    for (const node of nodes) {
      const owner = node.name.toString();
      for (const [type, set] of node.rrsets) out.push(rrsetDeltaOf(apex, owner, type, set));
    }
    for (const change of zone.history.changes) out.push({ kind: 'history', zone: apex, change });
  }
}

function canonicalVersion(v: RecordVersion): RecordVersion {
  return { hlcMs: v.hlcMs, counter: v.counter, writer: v.writer };
}

function rrsetDelta(zone: ZoneState, name: Name, type: number): ZoneDelta {
  const owner = (zone.live.node(name)?.name ?? name).toString();
  return rrsetDeltaOf(zone.apex.toString(), owner, type, zone.live.rrset(name, type));
}

function rrsetDeltaOf(zone: string, owner: string, type: number, set: RRset | undefined): ZoneDelta {
  return {
    kind: 'rrset',
    zone,
    owner,
    type,
    ttl: set?.ttl ?? 0,
    rdatas: set === undefined ? null : set.rdatas.map((r: Rdata) => encodeRdata(r)),
  };
}

/** Rebuilds `zone.history` from a snapshot's, checking it is one `#recordHistory` could have made. */
function restoreHistory(zone: ZoneState, history: readonly ZoneChange[]): string | undefined {
  const limits = zone.history.limits;
  if (history.length > limits.versionsMax) return `${history.length} history versions exceed the limit`;
  const apex = zone.apex.toString();
  const soaProblem = (record: HistoryRecord, serial: number): string | undefined => {
    if (record.type !== RR_TYPE.SOA || record.owner !== apex) return 'an SOA not at the apex';
    const soa = decodeRdata(RR_TYPE.SOA, record.rdata);
    if (!soa.ok || soa.rdata.kind !== 'SOA' || soa.rdata.serial !== serial)
      return `its SOA does not hold serial ${serial}`;
    return undefined;
  };
  const recordProblem = (record: HistoryRecord): string | undefined => {
    const owner = parseName(record.owner);
    if (!owner.ok || !owner.name.isSubdomainOf(zone.apex) || owner.name.toString() !== record.owner)
      return `owner ${record.owner} outside the zone`;
    if (!decodeRdata(record.type, record.rdata).ok) return `bad RDATA of type ${record.type}`;
    return undefined;
  };
  let checkedSoa: HistoryRecord | undefined;
  for (const change of history) {
    if (change.serialTo !== (change.serialFrom + 1) % SERIAL_MODULUS)
      return `history step ${change.serialFrom} → ${change.serialTo} is not one version`;
    // A step that starts from the SOA the step before ended with shares that record (the
    // snapshot's reader shares it): checked once, with the serial both steps give it.
    const problem =
      (change.soaFrom === checkedSoa ? undefined : soaProblem(change.soaFrom, change.serialFrom)) ??
      soaProblem(change.soaTo, change.serialTo);
    if (problem !== undefined) return `history step ${change.serialFrom}: ${problem}`;
    checkedSoa = change.soaTo;
    for (const records of [change.removed, change.added])
      for (const record of records) {
        const bad = recordProblem(record);
        if (bad !== undefined) return `history step ${change.serialFrom}: ${bad}`;
      }
    if (zone.history.append(change) > 0) return 'history over its limits or not contiguous';
  }
  const newest = history[history.length - 1];
  if (newest !== undefined && newest.serialTo !== zone.serial) return 'history does not end at the serial';
  if (zone.history.changes.length !== history.length) return 'history not contiguous';
  return undefined;
}

/** A `ZoneError` as one line of text, for error messages. */
export function zoneErrorText(e: ZoneError): string {
  switch (e.code) {
    case 'soa-missing':
      return 'no SOA at the apex (RFC 1035 §5.2)';
    case 'soa-multiple':
      return `${e.count} SOA records (exactly one allowed)`;
    case 'ns-missing-at-apex':
      return 'NS missing at the apex (RFC 1034 §4.2.1)';
    case 'soa-not-at-apex':
      return `SOA at ${e.owner}, not at the apex`;
    case 'cname-with-other-data':
      return `CNAME at ${e.owner} with other data (${e.types.map(rrTypeName).join(', ')}) (RFC 1034 §3.6.2, RFC 2181 §10.1)`;
    case 'cname-multiple':
      return `${e.count} CNAME records at ${e.owner} (RFC 2181 §10.1)`;
    case 'ns-at-wildcard':
      return `NS at wildcard ${e.owner} (RFC 4592 §4.2)`;
    case 'occluded-data':
      return `${rrTypeName(e.type)} at ${e.owner} is at or below the delegation ${e.cut} (only glue allowed)`;
    case 'ttl-out-of-range':
      return `TTL ${e.ttl} of ${rrTypeName(e.type)} at ${e.owner} out of range (RFC 2181 §8)`;
    case 'ttl-mismatch':
      return `TTLs ${e.ttls.join(', ')} differ in ${rrTypeName(e.type)} at ${e.owner} (RFC 2181 §5.2)`;
    case 'owner-outside-zone':
      return `${e.owner} is outside the zone`;
    case 'class-mismatch':
      return `${e.owner} has class ${e.rrClass}`;
    case 'meta-type':
      return `${rrTypeName(e.type)} at ${e.owner} is not zone data`;
    case 'rdata-type-mismatch':
      return `RDATA of ${rrTypeName(e.type)} at ${e.owner} does not match its type`;
  }
}

/** An RRset's presentation RDATA as regions compare it: sorted, without repeats, an SOA's serial 0. */
function comparedRdata(rdatas: readonly Rdata[]): string[] {
  return [...new Set(rdatas.map((r) => rdataToText(r.kind === 'SOA' ? { ...r, serial: 0 } : r)))].sort();
}

/** The content key of a stored RRset (undefined: none, a tombstone). */
function storedContentKey(set: RRset | undefined): string {
  return set === undefined ? TOMBSTONE_CONTENT_KEY : rrsetContentKey(set.ttl, comparedRdata(set.rdatas));
}

/** The content key of an upsert or `delete-rrset`. */
function changeContentKey(change: ParsedChange & { readonly op: 'upsert' | 'delete-rrset' }): string {
  return change.op === 'delete-rrset'
    ? TOMBSTONE_CONTENT_KEY
    : rrsetContentKey(change.ttl, comparedRdata(change.rdatas));
}
