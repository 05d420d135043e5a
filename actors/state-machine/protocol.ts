import type {
  CommandResult,
  GroupQuery,
  QueryResult,
  SessionCommand,
} from '../../protocol/group/commands.js';
import type { ReadMode } from '../../protocol/read-mode.js';
import type { BucketReading } from '../../runtime/bucket-counts.js';
import type { Ask } from '../../runtime/message.js';
import type { ZoneDumpPart, ZoneSync } from '../dns/protocol.js';
import type { ApplyMessage } from '../log/protocol.js';
import type { ReplicaId } from '../raft/types.js';

export type SubmitResult =
  /** Applied at `index` (or a retry of a command applied earlier: its first result). */
  | { readonly status: 'applied'; readonly index: number; readonly result: CommandResult }
  | {
      readonly status: 'rejected';
      readonly reason: 'invalid' | 'session-expired' | 'stale-sequence' | 'too-many-pending';
      readonly detail: string;
    }
  | { readonly status: 'not-leader'; readonly leaderId: ReplicaId | null }
  /** Outcome unknown or not reached (overload, leadership change, no answer in time): retry with the same seq. */
  | { readonly status: 'retry'; readonly reason: 'overloaded' | 'leadership-changed' | 'timeout' };

export type ReadResult =
  /** Served from state that includes every write committed before the read (per its mode). */
  | { readonly status: 'ok'; readonly index: number; readonly result: QueryResult }
  | { readonly status: 'not-leader'; readonly leaderId: ReplicaId | null }
  /** Bounded mode: this replica cannot show leader contact within the bound. */
  | { readonly status: 'stale' }
  | { readonly status: 'retry'; readonly reason: 'overloaded' | 'timeout' };

/** What the state machine reports about itself (control and status paths, tests). */
export interface StateMachineStatus {
  /** Index of the last entry applied (or of the snapshot restored). */
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  /** Snapshots received from a leader (InstallSnapshot, §7) and restored, since this actor started. */
  readonly snapshotsInstalled: number;
  /** Index of the local snapshot this actor recovered from when it started; 0 if none. */
  readonly recoveredFromSnapshot: number;
  readonly keys: number;
  readonly sessions: number;
  readonly waitingWrites: number;
  readonly waitingReads: number;
  /** Snapshots taken here (serialised for compaction), by size and time taken. */
  readonly snapshotsTaken: SnapshotWork;
  /** Snapshots received from a leader, by size and time to restore. */
  readonly snapshotsRestored: SnapshotWork;
}

export interface SnapshotWork {
  readonly bytes: BucketReading;
  readonly seconds: BucketReading;
}

/** Snapshot sizes: 1 KiB to 1 GiB in powers of four. */
export const SNAPSHOT_BYTES_BUCKETS = [
  1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456,
  1_073_741_824,
];
/** Time to serialise or restore a snapshot: a millisecond to half a minute. */
export const SNAPSHOT_SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** The state machine actor's inbox. */
export type StateMachineMessage =
  | ({ readonly type: 'submit'; readonly command: SessionCommand } & Ask<SubmitResult>)
  /**
   * `minIndex`: serve no older state than this log index (the highest index the client has
   * seen), so a client's reads are monotonic even when it moves between replicas.
   */
  | ({
      readonly type: 'read';
      readonly query: GroupQuery;
      readonly mode: ReadMode;
      readonly minIndex?: number;
    } & Ask<ReadResult>)
  | ({ readonly type: 'status' } & Ask<StateMachineStatus>)
  /** The DNS actor's copy of the zones starts over from this dump (it starts, or it saw a gap). */
  | ({ readonly type: 'zone-dump' } & Ask<ZoneSync>)
  /**
   * Asked before `zone-dump` by a DNS actor that is starting: the answer is part `part` of
   * the next dump, sent as soon as it is built (so the DNS actor applies it while the rest
   * is built), or null when that dump has fewer parts.
   */
  | ({ readonly type: 'zone-dump-part'; readonly part: number } & Ask<ZoneDumpPart | null>)
  | ApplyMessage
  | { readonly type: 'tick' }
  /** Continuations of its own requests to the log actor. */
  | {
      readonly type: 'proposed';
      readonly key: string;
      readonly index: number | null;
      readonly failure: SubmitResult | null;
    }
  | {
      readonly type: 'read-position';
      readonly readId: number;
      readonly index: number | null;
      readonly failure: ReadResult | null;
    };
