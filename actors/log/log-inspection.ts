import type { LogEntry, ReplicaId } from '../raft/types.js';
import type { RaftLog } from './raft-log.js';

/** One entry as `inspect()` shows it: the entry and the log's hash chain at its index. */
export interface InspectedEntry extends LogEntry {
  readonly chain: number;
}

/** The log as plain data: the snapshot point, then every entry after it in index order. */
export interface InspectedLog {
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  /** The hash chain at the snapshot point (0 for a log that never compacted). */
  readonly snapshotChain: number;
  readonly entries: readonly InspectedEntry[];
}

/** What the log actor's `inspect()` returns: plain data only, copied, never its live objects. */
export interface LogInspection {
  readonly term: number;
  readonly role: 'follower' | 'leader';
  readonly leaderId: ReplicaId | null;
  readonly commitIndex: number;
  readonly persistedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly appliedSent: number | undefined;
  readonly voters: readonly ReplicaId[];
  readonly snapshots: { readonly taken: number; readonly installed: number; readonly chunksSent: number };
  readonly log: InspectedLog;
}

/**
 * Copies a `RaftLog` into plain data for `inspect()`. The simulator inspects every replica
 * after every step, so the copy is incremental: entry records are built once, frozen, and
 * reused until the log changes at or below their index (`RaftLog.takeModifiedFrom`).
 */
export class LogInspector {
  private firstIndex = 1;
  private entries: readonly InspectedEntry[] = Object.freeze([]);

  constructor(private readonly log: RaftLog) {}

  view(): InspectedLog {
    const log = this.log;
    const modifiedFrom = log.takeModifiedFrom();
    const cachedLast = this.firstIndex + this.entries.length - 1;
    if (modifiedFrom > log.lastIndex && this.firstIndex === log.firstIndex && cachedLast === log.lastIndex) {
      return this.snapshotOf(this.entries);
    }
    // Records in [log.firstIndex, keepTo] are still what the log holds.
    const keepTo = Math.min(modifiedFrom - 1, cachedLast, log.lastIndex);
    const kept: InspectedEntry[] =
      keepTo >= log.firstIndex && log.firstIndex >= this.firstIndex
        ? this.entries.slice(log.firstIndex - this.firstIndex, keepTo - this.firstIndex + 1)
        : [];
    for (let index = log.firstIndex + kept.length; index <= log.lastIndex; index++) {
      const entry = log.entryAt(index) as LogEntry;
      kept.push(Object.freeze({ ...entry, chain: log.chainAt(index) as number }));
    }
    this.firstIndex = log.firstIndex;
    this.entries = Object.freeze(kept);
    return this.snapshotOf(this.entries);
  }

  private snapshotOf(entries: readonly InspectedEntry[]): InspectedLog {
    const log = this.log;
    return {
      snapshotIndex: log.snapshotIndex,
      snapshotTerm: log.termAt(log.snapshotIndex) as number,
      snapshotChain: log.chainAt(log.snapshotIndex) as number,
      entries,
    };
  }
}

/** The first index `log` holds an entry for. */
export function inspectedFirstIndex(log: InspectedLog): number {
  return log.snapshotIndex + 1;
}

/** The last index of `log` (its snapshot point when it holds no entries). */
export function inspectedLastIndex(log: InspectedLog): number {
  return log.snapshotIndex + log.entries.length;
}

export function inspectedEntryAt(log: InspectedLog, index: number): InspectedEntry | undefined {
  return log.entries[index - log.snapshotIndex - 1];
}

/** The term at `index`, the snapshot term at the snapshot point, or undefined (compacted or beyond). */
export function inspectedTermAt(log: InspectedLog, index: number): number | undefined {
  if (index === log.snapshotIndex) return log.snapshotTerm;
  return inspectedEntryAt(log, index)?.term;
}

/** The hash chain at `index`, as `RaftLog.chainAt` gives it. */
export function inspectedChainAt(log: InspectedLog, index: number): number | undefined {
  if (index === log.snapshotIndex) return log.snapshotChain;
  return inspectedEntryAt(log, index)?.chain;
}
