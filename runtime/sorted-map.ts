/**
 * An ordered map kept as two parallel arrays sorted by key under a caller-given total
 * order. It holds the group state machine's key space (string keys) and each simulated
 * store's contents (byte keys).
 *
 * Complexity (n keys): get and overwrite O(log n); insert of a new key and delete O(n) for
 * the array shift (a memmove: fast up to a few hundred thousand keys, the scale of a DNS
 * zone group); positional access O(1), so a range is O(log n + returned). If maps grow far
 * beyond that, swap this file for a B-tree behind the same methods.
 *
 * The map does not copy keys or values: callers that hand out mutable values copy them.
 */
export class SortedMap<K, V> {
  private constructor(
    private readonly compare: (a: K, b: K) => number,
    private readonly keys: K[],
    private readonly entries: V[],
  ) {}

  static empty<K, V>(compare: (a: K, b: K) => number): SortedMap<K, V> {
    return new SortedMap<K, V>(compare, [], []);
  }

  /** A map of `pairs`, whose keys the caller has checked are strictly ascending under `compare`. */
  static fromSorted<K, V>(
    compare: (a: K, b: K) => number,
    pairs: Iterable<readonly [K, V]>,
  ): SortedMap<K, V> {
    const keys: K[] = [];
    const values: V[] = [];
    for (const [key, value] of pairs) {
      keys.push(key);
      values.push(value);
    }
    return new SortedMap(compare, keys, values);
  }

  get size(): number {
    return this.keys.length;
  }

  /** A copy whose changes do not affect this map (keys and values are shared). */
  clone(): SortedMap<K, V> {
    return new SortedMap(this.compare, this.keys.slice(), this.entries.slice());
  }

  get(key: K): V | undefined {
    const at = this.lowerBound(key);
    return at < this.keys.length && this.compare(this.keys[at] as K, key) === 0
      ? this.entries[at]
      : undefined;
  }

  /** Stores `value` under `key`; returns the value it replaced. */
  set(key: K, value: V): V | undefined {
    const at = this.lowerBound(key);
    if (at < this.keys.length && this.compare(this.keys[at] as K, key) === 0) {
      const previous = this.entries[at];
      this.entries[at] = value;
      return previous;
    }
    this.keys.splice(at, 0, key);
    this.entries.splice(at, 0, value);
    return undefined;
  }

  /** Removes `key`; returns the value that was there. */
  delete(key: K): V | undefined {
    const at = this.lowerBound(key);
    if (at >= this.keys.length || this.compare(this.keys[at] as K, key) !== 0) return undefined;
    const previous = this.entries[at];
    this.keys.splice(at, 1);
    this.entries.splice(at, 1);
    return previous;
  }

  /** The position of the first key >= `key` (`size` if there is none). */
  lowerBound(key: K): number {
    return this.bound(key, false);
  }

  /** The position of the first key > `key` (`size` if there is none). */
  upperBound(key: K): number {
    return this.bound(key, true);
  }

  /** The key at `position` (0 <= position < size). */
  keyAt(position: number): K {
    if (!(position >= 0 && position < this.keys.length)) throw new RangeError(`no key at ${position}`);
    return this.keys[position] as K;
  }

  /** The value at `position` (0 <= position < size). */
  valueAt(position: number): V {
    if (!(position >= 0 && position < this.entries.length)) throw new RangeError(`no value at ${position}`);
    return this.entries[position] as V;
  }

  /** Every value, in key order: a view that the next change alters. */
  values(): readonly V[] {
    return this.entries;
  }

  private bound(key: K, strictlyAfter: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = this.compare(this.keys[mid] as K, key);
      if (order < 0 || (strictlyAfter && order === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** JavaScript string order (UTF-16 code units): the same on every replica. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
