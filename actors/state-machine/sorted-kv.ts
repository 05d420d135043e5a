import type { KvEntryView } from '../../protocol/group/commands.js';

/**
 * The key space, kept as one array sorted by key, of frozen entries.
 *
 * Key order is JavaScript string order (UTF-16 code units). Every replica runs this same
 * comparison, so the order is deterministic; keys sharing a prefix are contiguous in it,
 * which is all `range` needs.
 *
 * Complexity (n keys): get O(log n); put of a new key and delete O(n) for the array shift
 * (a memmove: fast up to a few hundred thousand keys, the scale of a DNS zone group);
 * overwrite O(log n); range O(log n + returned); iteration in order O(n).
 * If groups grow far beyond that, swap this file for a B-tree behind the same methods.
 *
 * Entries are frozen, so handing them out cannot let a caller change the store.
 */
export class SortedKv {
  private readonly entries: KvEntryView[];

  constructor(sortedEntries: readonly KvEntryView[] = []) {
    // The caller (restore) has checked that keys are strictly ascending.
    this.entries = sortedEntries.map((e) =>
      Object.freeze({ key: e.key, value: e.value, revision: e.revision }),
    );
  }

  get size(): number {
    return this.entries.length;
  }

  /** The position of the first key >= `key` (or of the first key > `key` when `strictlyAfter`). */
  private bound(key: string, strictlyAfter: boolean): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const midKey = this.entries[mid]!.key;
      if (midKey < key || (strictlyAfter && midKey === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: string): KvEntryView | null {
    const at = this.bound(key, false);
    const found = this.entries[at];
    return found !== undefined && found.key === key ? found : null;
  }

  /** Stores `key` at `revision`; returns what it replaced. */
  set(key: string, value: string, revision: number): KvEntryView | null {
    const entry = Object.freeze({ key, value, revision });
    const at = this.bound(key, false);
    const found = this.entries[at];
    if (found !== undefined && found.key === key) {
      this.entries[at] = entry;
      return found;
    }
    this.entries.splice(at, 0, entry);
    return null;
  }

  /** Removes `key`; returns what was there. */
  delete(key: string): KvEntryView | null {
    const at = this.bound(key, false);
    const found = this.entries[at];
    if (found === undefined || found.key !== key) return null;
    this.entries.splice(at, 1);
    return found;
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
    let at = this.bound(prefix, false);
    if (startAfter !== undefined) at = Math.max(at, this.bound(startAfter, true));
    const out: KvEntryView[] = [];
    for (; at < this.entries.length; at++) {
      const entry = this.entries[at]!;
      if (!entry.key.startsWith(prefix)) break;
      if (out.length === limit) return { entries: out, more: true };
      out.push(entry);
    }
    return { entries: out, more: false };
  }

  /** Every entry, in key order. */
  all(): readonly KvEntryView[] {
    return this.entries;
  }
}
