import type { KvEntryView } from '../../protocol/group/commands.js';
import { compareStrings, SortedMap } from '../../runtime/sorted-map.js';

/**
 * The group's key space: frozen entries by key, in a `SortedMap` (runtime/sorted-map.ts,
 * which gives the complexity).
 *
 * Key order is JavaScript string order (UTF-16 code units). Every replica runs this same
 * comparison, so the order is deterministic; keys sharing a prefix are contiguous in it,
 * which is all `range` needs.
 *
 * Entries are frozen, so handing them out cannot let a caller change the store.
 */
export class SortedKv {
  private readonly entries: SortedMap<string, KvEntryView>;

  constructor(sortedEntries: readonly KvEntryView[] = []) {
    // The caller (restore) has checked that keys are strictly ascending.
    this.entries = SortedMap.fromSorted(
      compareStrings,
      sortedEntries.map((e) => [e.key, Object.freeze({ key: e.key, value: e.value, revision: e.revision })]),
    );
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): KvEntryView | null {
    return this.entries.get(key) ?? null;
  }

  /** Stores `key` at `revision`; returns what it replaced. */
  set(key: string, value: string, revision: number): KvEntryView | null {
    return this.entries.set(key, Object.freeze({ key, value, revision })) ?? null;
  }

  /** Removes `key`; returns what was there. */
  delete(key: string): KvEntryView | null {
    return this.entries.delete(key) ?? null;
  }

  /**
   * Up to `limit` entries whose key starts with `prefix` and, if given, sorts after
   * `startAfter`, in key order; `more` says whether another such entry follows.
   */
  range(
    prefix: string,
    limit: number,
    startAfter: string | undefined,
  ): { entries: readonly KvEntryView[]; more: boolean } {
    let at = this.entries.lowerBound(prefix);
    if (startAfter !== undefined) at = Math.max(at, this.entries.upperBound(startAfter));
    const out: KvEntryView[] = [];
    for (; at < this.entries.size; at++) {
      const entry = this.entries.valueAt(at);
      if (!entry.key.startsWith(prefix)) break;
      if (out.length === limit) return { entries: out, more: true };
      out.push(entry);
    }
    return { entries: out, more: false };
  }

  /** Every entry, in key order. */
  all(): readonly KvEntryView[] {
    return this.entries.values();
  }
}
