/**
 * Arrays kept for a long time, sized exactly. An array grown from empty by `push` keeps
 * room for 16 more elements (128 bytes); a store holds several small arrays per record
 * (labels, RDATAs, history records), so at 100,000 records that room is tens of megabytes
 * in each copy of the zones.
 */

/** `count` values read in order, in an array of exactly `count` elements. */
export function readExactArray<T>(count: number, read: (index: number) => T): T[] {
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

/** `values` itself when empty (no room is kept), else a copy sized exactly. */
export function exactCopy<T>(values: T[]): T[] {
  return values.length === 0 ? values : values.slice();
}
