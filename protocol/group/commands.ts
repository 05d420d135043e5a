/**
 * What clients ask of a group's replicated store: key-value commands, and DNS record
 * batches (actors/dns/store/changes.ts) on the same mechanism (sessions, one command per
 * entry).
 */
import type { DnsBatch, DnsBatchResult } from '../dns/changes.js';
import type { SyncCursor, SyncOwner, ZoneRootDigest } from '../dns/region-repair.js';
import type { TombstoneCollection, TombstoneScan } from '../dns/tombstone-collection.js';
import type { DnsNameView, DnsZoneSummary } from '../dns/views.js';
import type { ZoneRrset } from '../dns/zone-content.js';
import type { DnsImport } from '../dns/zone-import.js';

/** A write. `kv-cas` succeeds only if the key's revision equals `expectedRevision` (0: the key must not exist). */
export type GroupCommand =
  | { readonly kind: 'kv-put'; readonly key: string; readonly value: string }
  | { readonly kind: 'kv-delete'; readonly key: string }
  | {
      readonly kind: 'kv-cas';
      readonly key: string;
      readonly expectedRevision: number;
      readonly value: string;
    }
  | { readonly kind: 'dns-batch'; readonly batch: DnsBatch }
  /** Replaces a zone's content with the chunks staged under `import.importId` (protocol/dns/zone-import.ts). */
  | { readonly kind: 'dns-import'; readonly import: DnsImport }
  /**
   * Drops tombstones every region holds or needs no longer (protocol/dns/tombstone-collection.ts),
   * each only if it is still there with the same version. Answered as a `dns-batch` result
   * whose outcomes say, per tombstone, `applied` (dropped) or `superseded` (not there).
   */
  | { readonly kind: 'dns-collect-tombstones'; readonly collection: TombstoneCollection };

export type GroupCommandKind = GroupCommand['kind'];

/**
 * A read. `range` returns keys starting with `prefix`, in key order, at most `limit`
 * (capped by the state machine's `rangeLimitMax`). `startAfter` continues a range whose
 * previous page said `more`: pass the last key of that page.
 */
export type GroupQuery =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'range'; readonly prefix: string; readonly limit: number; readonly startAfter?: string }
  | { readonly op: 'dns-zones' }
  | { readonly op: 'dns-rrsets'; readonly zone: string; readonly name: string }
  /**
   * RRsets `offset ..< offset + limit` of the zone in owner-key then type order. The page
   * says the zone's `changedIndex`: pages with equal `changedIndex` come from one state.
   * With `changedIndex`, the page comes from that earlier state while the replica still
   * holds its listing (the first page's index: later pages stay in its state).
   */
  | {
      readonly op: 'dns-zone-page';
      readonly zone: string;
      readonly offset: number;
      readonly limit: number;
      readonly changedIndex?: number;
    }
  /** Anti-entropy between regions (protocol/dns/region-repair.ts): every zone's root digest. */
  | { readonly op: 'dns-digest-roots' }
  /** The digests of `nodes` at `depth` of `zone`'s digest tree. */
  | {
      readonly op: 'dns-digest-nodes';
      readonly zone: string;
      readonly depth: number;
      readonly nodes: readonly number[];
    }
  /** The compared versions of the owners in `leaves`, paged (`after`: the previous page's `next`). */
  | {
      readonly op: 'dns-sync-owners';
      readonly zone: string;
      readonly leaves: readonly number[];
      readonly after?: SyncCursor;
    }
  /**
   * The leaves of `zone` holding a tombstone whose version's clock is below `beforeMs`,
   * scanning from leaf `fromLeaf` (bounded: TOMBSTONE_SCAN_LEAVES_MAX leaves, TOMBSTONE_SCAN_OWNERS_MAX owners).
   */
  | {
      readonly op: 'dns-tombstone-scan';
      readonly zone: string;
      readonly beforeMs: number;
      readonly fromLeaf: number;
    };

/** One page of a zone's RRsets (see the `dns-zone-page` query). */
export interface DnsZonePage {
  readonly zone: string;
  readonly serial: number;
  /**
   * A log index at or after the last entry that changed the zone and at or before the
   * applied index of the read: two pages with the same value read the same zone content.
   */
  readonly changedIndex: number;
  /** The applied index the page was read at. */
  readonly appliedIndex: number;
  /** RRsets in the zone. */
  readonly total: number;
  readonly offset: number;
  readonly rrsets: readonly ZoneRrset[];
}

/**
 * A write as it travels through the log: the client's session id and sequence number make
 * retries exactly-once (thesis §6.3). `seq` starts at 1 and grows by one per command;
 * `ackedSeq` tells the state machine which results the client no longer needs.
 */
export interface SessionCommand {
  readonly clientId: string;
  readonly seq: number;
  readonly ackedSeq: number;
  readonly command: GroupCommand;
}

export interface KvEntryView {
  readonly key: string;
  readonly value: string;
  /** The log index of the write that produced this value: a per-key revision. */
  readonly revision: number;
}

/**
 * What a write did. The tag is the outcome, not the command: a cached result in a snapshot
 * records only the outcome (actors/state-machine/snapshot-codec.ts).
 */
export type CommandResult =
  /** A `kv-put`, a `kv-delete` or a matching `kv-cas` executed at log index `revision`; `previous` is what it replaced. */
  | { readonly kind: 'kv-written'; readonly revision: number; readonly previous: KvEntryView | null }
  /** A `kv-cas` whose expected revision did not match: nothing changed; `current` is what is there. */
  | { readonly kind: 'kv-cas-mismatch'; readonly current: KvEntryView | null }
  /**
   * A `dns-batch` executed at log index `revision`: `dns` says whether it committed
   * (`dns.ok`) or was refused with nothing applied. A `dns-import` answers the same way.
   */
  | { readonly kind: 'dns-batch'; readonly revision: number; readonly dns: DnsBatchResult };

export type QueryResult =
  | { readonly op: 'get'; readonly entry: KvEntryView | null }
  | { readonly op: 'range'; readonly entries: readonly KvEntryView[]; readonly more: boolean }
  | { readonly op: 'dns-zones'; readonly zones: readonly DnsZoneSummary[] }
  /** `view` null: no such zone, or the name is not in it. */
  | { readonly op: 'dns-rrsets'; readonly view: DnsNameView | null }
  /** `page` null: no such zone. */
  | { readonly op: 'dns-zone-page'; readonly page: DnsZonePage | null }
  | { readonly op: 'dns-digest-roots'; readonly zones: readonly ZoneRootDigest[] }
  /** `digests` null: no such zone, or a node outside the tree. */
  | { readonly op: 'dns-digest-nodes'; readonly digests: readonly string[] | null }
  /** `page` null: no such zone, or a leaf outside the tree. */
  | {
      readonly op: 'dns-sync-owners';
      readonly page: { readonly owners: readonly SyncOwner[]; readonly next: SyncCursor | null } | null;
    }
  /** `scan` null: no such zone, or a leaf outside the tree. */
  | { readonly op: 'dns-tombstone-scan'; readonly scan: TombstoneScan | null };

/** Why a session command was not applied. */
export type SessionRejection =
  /** The session expired (or never existed and `seq` > 1); the client must open a new session. */
  | { readonly rejected: 'session-expired' }
  /** `seq` is at or below what the client acknowledged: the result was discarded. */
  | { readonly rejected: 'stale-sequence' }
  /**
   * The session already holds its maximum of unacknowledged results: the command was NOT
   * executed and its `seq` is not consumed. The client acknowledges results (a higher
   * `ackedSeq`, which is applied even on this rejection) and retries the same `seq`.
   */
  | { readonly rejected: 'too-many-pending' };
