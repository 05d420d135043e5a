/**
 * A NATS KV bucket read as a bounded set of records (TSIG keys, zone transfer rules, API
 * keys): one watch turns the bucket's entries into the whole current set, handed over once
 * the stored values have arrived and again after every change. Each store checks its own
 * records (`decode`) and bounds their number (`recordsMax`); a record that fails either is
 * reported by bucket key, never by value (values may hold secrets).
 */
import type { KV } from '@nats-io/kv';

export interface RecordSetWatch<T> {
  readonly kv: KV;
  /** The record, or undefined when the value is not a valid one. */
  readonly decode: (text: string) => T | undefined;
  readonly recordsMax: number;
  /** What one record is, for the reasons given to `onInvalid` ("TSIG key record"). */
  readonly recordName: string;
  readonly onSet: (records: readonly T[]) => void;
  readonly onInvalid: (bucketKey: string, why: string) => void;
}

/**
 * Starts the watch; the returned function stops it. `onSet` is called when the watch has
 * delivered every stored value and after every later change; an empty bucket delivers
 * nothing, so then the first call comes with its first change.
 */
export async function watchRecordSet<T>(watch: RecordSetWatch<T>): Promise<() => void> {
  const iterator = await watch.kv.watch({ key: '>' });
  const current = new Map<string, T>();
  void (async () => {
    for await (const entry of iterator) {
      if (entry.operation === 'PUT') {
        const value = watch.decode(entry.string());
        if (value === undefined) watch.onInvalid(entry.key, `not a valid ${watch.recordName}`);
        else if (current.size < watch.recordsMax || current.has(entry.key)) current.set(entry.key, value);
        else watch.onInvalid(entry.key, `more than ${watch.recordsMax} ${watch.recordName}s`);
      } else current.delete(entry.key);
      // `delta` counts the stored values still to come: the set is whole when it reaches 0.
      if ((entry.delta ?? 0) === 0) watch.onSet([...current.values()]);
    }
  })();
  return () => iterator.stop();
}

/** Every valid record the bucket holds now, in no particular order (invalid ones are skipped). */
export async function listRecordSet<T>(kv: KV, decode: (text: string) => T | undefined): Promise<T[]> {
  const records: T[] = [];
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== 'PUT') continue;
    const value = decode(entry.string());
    if (value !== undefined) records.push(value);
  }
  return records;
}
