/**
 * The narrow storage seam every durable actor uses: ordered binary keys, atomic batches,
 * and an explicit `sync` on every write (no library default is trusted; see
 * shared/PLATFORM-NOTES.md on @nxtedition/rocksdb dropping `sync` on `put`).
 *
 * Contract:
 * - `write` is atomic: after a crash either all of a batch is there or none of it.
 * - `write(..., { sync: true })` resolves only when the batch is durable.
 * - Writes without sync may be lost on a crash, but never reordered: if batch B survives,
 *   every batch written before B survives too.
 * - Reads see every write that has resolved, synced or not.
 */
export type KvOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export interface KvRange {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  /** Required: every scan is bounded. */
  readonly limit: number;
  readonly reverse?: boolean;
}

export interface KvStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  write(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void>;
  scan(range: KvRange): Promise<Array<readonly [Uint8Array, Uint8Array]>>;
  close(): Promise<void>;
}

/** Opens (creating if needed) the named store of this replica. */
export type StoreOpener = (name: string) => Promise<KvStore>;

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const textEncoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}
