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
    } & Ask<SnapshotChunk | null>);

export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export interface SnapshotChunk {
  readonly meta: SnapshotMeta;
  readonly chunk: Uint8Array;
  readonly done: boolean;
}
