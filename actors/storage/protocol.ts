import type { BucketReading } from '../../runtime/bucket-counts.js';
import type { Ask } from '../../runtime/message.js';
import type { HardState, LogEntry, LogTail, Membership, SnapshotMeta } from '../raft/types.js';

/** What a restarted replica recovers: exactly its durable state. */
export interface LoadedRaftState {
  readonly hardState: HardState;
  /** Null until the group was bootstrapped on this replica. */
  readonly membership: Membership | null;
  readonly snapshot: SnapshotMeta | null;
  /** The log holds entries firstIndex..lastIndex (empty when lastIndex < firstIndex). */
  readonly firstIndex: number;
  readonly lastIndex: number;
}

/**
 * The storage actor's inbox. Every write is answered only once it is durable (one synced
 * RocksDB batch per group commit), so an answer is the proof the caller may act on.
 */
export type StorageMessage =
  | ({ readonly type: 'load' } & Ask<LoadedRaftState>)
  | ({
      readonly type: 'read-entries';
      readonly from: number;
      readonly to: number;
      readonly maxBytes: number;
    } & Ask<LogEntry[]>)
  | ({ readonly type: 'save-hard-state'; readonly hardState: HardState } & Ask<HardState>)
  | ({ readonly type: 'save-membership'; readonly membership: Membership } & Ask<Membership>)
  /**
   * Writes `entries` (contiguous) and makes the log end at `lastIndex`: stored entries
   * after it are deleted (conflict truncation, §5.3). Answered with the durable tail.
   */
  | ({
      readonly type: 'append';
      readonly entries: readonly LogEntry[];
      readonly lastIndex: number;
    } & Ask<LogTail>)
  /**
   * Stores a snapshot and compacts the log (§7): entries up to `meta.lastIndex` go; with
   * `discardLog` every entry goes (the snapshot is ahead of, or conflicts with, the log).
   */
  | ({
      readonly type: 'save-snapshot';
      readonly meta: SnapshotMeta;
      readonly data: Uint8Array;
      readonly discardLog: boolean;
    } & Ask<SnapshotMeta>)
  | ({ readonly type: 'load-snapshot' } & Ask<StoredSnapshot | null>)
  /** A chunk of the current snapshot, if it is still the one at `lastIndex` (else null). */
  | ({
      readonly type: 'read-snapshot-chunk';
      readonly lastIndex: number;
      readonly offset: number;
      readonly maxBytes: number;
    } & Ask<SnapshotChunk | null>)
  | ({ readonly type: 'status' } & Ask<StorageStatus>);

/** Synced batches: from a quarter of a fast fsync to a second (a disk in trouble). */
export const BATCH_SECONDS_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
/** Bytes of a synced batch (keys and values): 64 B to 16 MiB in powers of four. */
export const BATCH_BYTES_BUCKETS = [
  64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216,
];

/**
 * What the storage actor counts since it started (status ask; the main thread turns these
 * into metrics). Each synced batch is one group commit: one fsync for every write in it.
 */
export interface StorageStatus {
  /** From handing a batch to the store to the store reporting it durable. */
  readonly batchSeconds: BucketReading;
  readonly batchBytes: BucketReading;
  /** Log entries written per synced batch. */
  readonly batchEntries: BucketReading;
  /** Entries per `append` (what the log actor appends at once: on a follower, one AppendEntries). */
  readonly appendEntries: BucketReading;
  /** Writes waiting for the batch in flight. */
  readonly pendingWrites: number;
}

export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export interface SnapshotChunk {
  readonly meta: SnapshotMeta;
  readonly chunk: Uint8Array;
  readonly done: boolean;
}
