import type { LogEntry, LogTail } from '../raft/types.js';

/**
 * The log in memory: entries after the snapshot point, plus a hash chain over them.
 * `chain[i]` fingerprints every entry up to i (term and data), so two replicas whose
 * chains agree at i hold identical logs up to i: the simulator checks Log Matching with
 * it in O(1) per index.
 */
/** What an entry costs beyond its data (index, term, kind, framing), for byte budgets. */
export const ENTRY_OVERHEAD_BYTES = 32;

export class RaftLog {
  private entries: LogEntry[] = [];
  private chain: number[] = [];
  /** `cumulativeBytes[i]`: the bytes of every entry up to i since the log began (with `baseBytes`). */
  private cumulativeBytes: number[] = [];
  private baseBytes = 0;
  /** The index and term the first entry follows (the snapshot point; 0/0 for a new log). */
  private baseIndex = 0;
  private baseTerm = 0;
  private baseChain = 0;
  /** Lowest index whose entry changed since the last `takeModifiedFrom` (for incremental checks). */
  private modifiedFrom = Number.POSITIVE_INFINITY;

  get firstIndex(): number {
    return this.baseIndex + 1;
  }

  get lastIndex(): number {
    return this.baseIndex + this.entries.length;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex) ?? 0;
  }

  get tail(): LogTail {
    return { lastIndex: this.lastIndex, lastTerm: this.lastTerm };
  }

  get snapshotIndex(): number {
    return this.baseIndex;
  }

  /** The term at `index`, the base term at the snapshot point, or undefined when unknown (compacted or beyond). */
  termAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    return this.entries[index - this.baseIndex - 1]?.term;
  }

  entryAt(index: number): LogEntry | undefined {
    return this.entries[index - this.baseIndex - 1];
  }

  chainAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseChain;
    return this.chain[index - this.baseIndex - 1];
  }

  /**
   * The bytes of the entries after the snapshot point up to `index` (data plus a fixed
   * per-entry overhead): what a restart would replay, and what the log holds in memory.
   */
  bytesThrough(index: number): number {
    if (index <= this.baseIndex) return 0;
    const at = this.cumulativeBytes[Math.min(index, this.lastIndex) - this.baseIndex - 1];
    return (at ?? this.baseBytes) - this.baseBytes;
  }

  /** Entries in [from, to], at most `maxCount` and about `maxBytes` (at least one). */
  slice(from: number, to: number, maxCount: number, maxBytes: number): LogEntry[] {
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let index = Math.max(from, this.firstIndex); index <= Math.min(to, this.lastIndex); index++) {
      const entry = this.entryAt(index) as LogEntry;
      bytes += entry.data.length + ENTRY_OVERHEAD_BYTES;
      if (out.length > 0 && (out.length >= maxCount || bytes > maxBytes)) break;
      out.push(entry);
    }
    return out;
  }

  /** Appends at the end; the entry must be the next index. */
  append(entry: LogEntry): void {
    if (entry.index !== this.lastIndex + 1) {
      throw new Error(`log append out of order: ${entry.index} after ${this.lastIndex}`);
    }
    const previous = this.chainAt(this.lastIndex) ?? 0;
    this.entries.push(entry);
    this.chain.push(chainHash(previous, entry));
    this.cumulativeBytes.push(
      (this.cumulativeBytes.at(-1) ?? this.baseBytes) + entry.data.length + ENTRY_OVERHEAD_BYTES,
    );
    this.modifiedFrom = Math.min(this.modifiedFrom, entry.index);
  }

  /** Drops entries after `index` (§5.3 conflict truncation). */
  truncateAfter(index: number): void {
    if (index < this.baseIndex) throw new Error(`cannot truncate below the snapshot point ${this.baseIndex}`);
    const keep = index - this.baseIndex;
    if (keep >= this.entries.length) return;
    this.entries.length = keep;
    this.chain.length = keep;
    this.cumulativeBytes.length = keep;
    this.modifiedFrom = Math.min(this.modifiedFrom, index + 1);
  }

  /** Drops entries up to `index` (now in a snapshot), keeping those after it (§7). */
  compactTo(index: number): void {
    if (index <= this.baseIndex) return;
    if (index > this.lastIndex)
      throw new Error(`cannot compact to ${index} beyond the last index ${this.lastIndex}`);
    const drop = index - this.baseIndex;
    this.baseTerm = this.termAt(index) as number;
    this.baseChain = this.chainAt(index) as number;
    this.baseBytes = this.cumulativeBytes[drop - 1] as number;
    this.entries = this.entries.slice(drop);
    this.chain = this.chain.slice(drop);
    this.cumulativeBytes = this.cumulativeBytes.slice(drop);
    this.baseIndex = index;
  }

  /** Replaces the log with the state after a snapshot at (index, term). */
  resetTo(index: number, term: number, chain: number): void {
    this.entries = [];
    this.chain = [];
    this.cumulativeBytes = [];
    this.baseBytes = 0;
    this.baseIndex = index;
    this.baseTerm = term;
    this.baseChain = chain;
    this.modifiedFrom = Math.min(this.modifiedFrom, index + 1);
  }

  /** The first index of `term` in the log, scanning back from `from` (fast back-off, §5.3). */
  firstIndexOfTerm(term: number, from: number): number {
    let index = Math.min(from, this.lastIndex);
    while (index > this.firstIndex && this.termAt(index - 1) === term) index--;
    return index;
  }

  /** The last index holding `term` at or before `from`, or undefined. */
  lastIndexOfTerm(term: number, from: number): number | undefined {
    for (let index = Math.min(from, this.lastIndex); index >= this.firstIndex; index--) {
      const t = this.termAt(index) as number;
      if (t === term) return index;
      if (t < term) return undefined;
    }
    return undefined;
  }

  /** Reports and clears the lowest index changed since the previous call. */
  takeModifiedFrom(): number {
    const from = this.modifiedFrom;
    this.modifiedFrom = Number.POSITIVE_INFINITY;
    return from;
  }
}

/** FNV-1a over (previous chain, term, kind, data): cheap, deterministic, good enough to tell logs apart. */
export function chainHash(previous: number, entry: LogEntry): number {
  let h = (previous ^ 0x811c9dc5) >>> 0;
  const mix = (byte: number) => {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  };
  let term = entry.term;
  for (let i = 0; i < 6; i++) {
    mix(term & 0xff);
    term = Math.floor(term / 256);
  }
  mix(entry.kind.length);
  for (const byte of entry.data) mix(byte);
  return h;
}
