import { compareBytes, type KvOp, type KvRange } from '../storage/kv-store.js';

/**
 * An ordered map from byte keys to byte values (sorted by `compareBytes`), the in-memory
 * image of one simulated store. Keys and values are owned: callers copy on the way in and out.
 */
export class SortedKv {
  private constructor(
    private keys: Uint8Array[],
    private values: Uint8Array[],
  ) {}

  static empty(): SortedKv {
    return new SortedKv([], []);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Entries are immutable once stored, so a clone shares them. */
  clone(): SortedKv {
    return new SortedKv(this.keys.slice(), this.values.slice());
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const at = this.lowerBound(key);
    const found = this.keys[at];
    return found !== undefined && compareBytes(found, key) === 0 ? this.values[at] : undefined;
  }

  apply(ops: readonly KvOp[]): void {
    for (const op of ops) {
      const at = this.lowerBound(op.key);
      const found = this.keys[at];
      const exists = found !== undefined && compareBytes(found, op.key) === 0;
      if (op.type === 'put') {
        if (exists) this.values[at] = op.value;
        else {
          this.keys.splice(at, 0, op.key);
          this.values.splice(at, 0, op.value);
        }
      } else if (exists) {
        this.keys.splice(at, 1);
        this.values.splice(at, 1);
      }
    }
  }

  /** Entries in [gte, lt), at most `limit`, ascending or (reverse) descending. */
  scan(range: KvRange): Array<readonly [Uint8Array, Uint8Array]> {
    const start = range.gte === undefined ? 0 : this.lowerBound(range.gte);
    const end = range.lt === undefined ? this.keys.length : this.lowerBound(range.lt);
    const out: Array<readonly [Uint8Array, Uint8Array]> = [];
    if (range.reverse === true) {
      for (let i = end - 1; i >= start && out.length < range.limit; i--) {
        out.push([this.keys[i] as Uint8Array, this.values[i] as Uint8Array]);
      }
    } else {
      for (let i = start; i < end && out.length < range.limit; i++) {
        out.push([this.keys[i] as Uint8Array, this.values[i] as Uint8Array]);
      }
    }
    return out;
  }

  /** The first index whose key is >= `key`. */
  private lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.keys[mid] as Uint8Array, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
