import type { DnsPrerequisite } from '../../protocol/dns/changes.js';
import type { TransferRule } from '../../protocol/dns/transfer-acl.js';
import type { ClusterTsigKey } from '../../protocol/dns/tsig/cluster-key.js';
import type { ReadMode } from '../../protocol/read-mode.js';
import type { DnsSocketEvent } from '../../runtime/dns-sockets/dns-socket.js';
import type { Ask } from '../../runtime/message.js';
import type { ContactAnswer, PositionAnswer, PositionMode } from './read-gate.js';
import type { DnsTrafficReading } from './server/dns-traffic.js';
import type { UpdateChange } from './update/update-evaluate.js';

/**
 * How the state machine keeps the DNS actor's copy of the zones current. `reset`: replace
 * the whole copy with the deltas (a dump) at `index`. Otherwise the deltas are the changes
 * of the entries after `fromIndex` up to `index`; a copy not at `fromIndex` asks for a dump.
 * The deltas travel encoded (`deltaBytes`, store/zone-delta-codec.ts), their buffer
 * transferred to the DNS actor's thread, not cloned.
 */
export interface ZoneSync {
  readonly reset: boolean;
  readonly fromIndex: number;
  readonly index: number;
  readonly deltaBytes: Uint8Array<ArrayBuffer>;
  /**
   * A dump's (`reset`) first parts, sent ahead as `zone-dump-part` messages `0 … before-1`
   * of dump `id` so the DNS actor applies them while the rest is built; this message holds
   * the last part. Only a dump the state machine pushes comes in parts (a restore, a sync the
   * DNS actor did not take): the answer to the DNS actor's ask at its start is whole, since
   * an actor takes no messages while it starts. Absent: this message is the whole dump.
   */
  readonly partsAhead?: DumpPartsAhead;
}

export interface DumpPartsAhead {
  readonly id: number;
  readonly before: number;
}

/** One part of a dump sent ahead of its last (`ZoneSync.partsAhead`): whole zones' deltas. */
export interface ZoneDumpPart {
  readonly dumpId: number;
  /** 0, 1, … in the order sent. */
  readonly part: number;
  readonly index: number;
  readonly deltaBytes: Uint8Array<ArrayBuffer>;
}

export interface DnsListenerConfig {
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is in the status. */
  readonly port: number;
  readonly mode: ReadMode;
}

export interface DnsServerStatus {
  readonly listeners: ReadonlyArray<{
    readonly address: string;
    readonly port: number;
    readonly family: 'IPv4' | 'IPv6';
    readonly mode: string;
  }>;
  /** The log index the copy of the zones reflects. */
  readonly appliedIndex: number;
  readonly zones: number;
  readonly heldQueries: number;
  /** Queries by type, answers by rcode and size (server/dns-traffic.ts). */
  readonly traffic: DnsTrafficReading;
  readonly counters: Readonly<Record<string, number>>;
}

/**
 * An UPDATE's changes for the replica's main thread to commit (DNS actor → the external
 * endpoint): under `guards` in this region, then in every other region
 * (runtime/composition/update-committer.ts).
 */
export interface DnsUpdateCommit {
  readonly type: 'dns-update-commit';
  readonly id: number;
  readonly zone: string;
  readonly changes: readonly UpdateChange[];
  readonly guards: readonly DnsPrerequisite[];
}

/**
 * How a commit ended: `committed` (home region and every other region applied it, or the
 * others were left to repair, see docs/OPERATIONS.md), `guards-failed` (a concurrent write
 * moved what the UPDATE read: evaluate again), `rejected` (the store refused the batch),
 * `unavailable` (no answer by the deadline; it may have applied at home).
 */
export type DnsUpdateOutcome = 'committed' | 'guards-failed' | 'rejected' | 'unavailable';

/** The DNS actor's inbox. */
export type DnsActorMessage =
  | ({ readonly type: 'zone-sync' } & ZoneSync)
  | ({ readonly type: 'zone-dump-part' } & ZoneDumpPart)
  | ({ readonly type: 'status' } & Ask<DnsServerStatus>)
  // ---- from its sockets: the index of the listener in the options, and what happened ----
  | { readonly type: 'dns-socket'; readonly listener: number; readonly event: DnsSocketEvent }
  // ---- from itself: the answers to its requests, each handled in a turn ----
  | {
      readonly type: 'read-position';
      readonly mode: PositionMode;
      readonly round: number;
      readonly answer: PositionAnswer;
    }
  | { readonly type: 'contact'; readonly receivedAtMs: number; readonly answer: ContactAnswer }
  /** Time to retry a read round that found no leader (read-gate.ts `retryLater`). */
  | { readonly type: 'read-retry'; readonly mode: PositionMode }
  | ({ readonly type: 'zone-dump-result' } & (
      | { readonly dump: ZoneSync; readonly error: null }
      | { readonly dump: null; readonly error: string }
    ))
  | { readonly type: 'tick' }
  /** The next messages of zone transfer `id` (transfer/transfer-desk.ts). */
  | { readonly type: 'transfer-continue'; readonly id: number }
  // ---- from the replica's main thread ----
  /** The cluster's TSIG keys, whole, whenever they change (and again now and then). */
  | { readonly type: 'tsig-keys'; readonly keys: readonly ClusterTsigKey[] }
  /** The cluster's zone transfer rules, whole, whenever they change (and again now and then). */
  | { readonly type: 'transfer-acl'; readonly rules: readonly TransferRule[] }
  | {
      readonly type: 'dns-update-committed';
      readonly id: number;
      readonly outcome: DnsUpdateOutcome;
      readonly message: string;
    };
