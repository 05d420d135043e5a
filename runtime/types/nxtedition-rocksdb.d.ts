// The subset of @nxtedition/rocksdb (abstract-level style) that raftns uses; the package ships no types.
declare module '@nxtedition/rocksdb' {
  export interface RocksBatchOp<K, V> {
    type: 'put' | 'del';
    key: K;
    value?: V;
  }
  export interface RocksIteratorOptions<K> {
    gte?: K;
    lt?: K;
    limit?: number;
    reverse?: boolean;
  }
  export class RocksLevel<K, V> {
    constructor(
      location: string,
      options: {
        keyEncoding: 'view' | 'buffer';
        valueEncoding: 'view' | 'buffer';
        /**
         * With `compaction`, the binding sizes the memtables from this budget: each is a
         * quarter of it, at most 6 of them, two merged per flush (binding.cc `InitOptions`).
         */
        compaction?: 'level' | 'universal';
        memtableMemoryBudget?: number;
      },
    );
    open(): Promise<void>;
    close(): Promise<void>;
    getMany(keys: K[]): Promise<Array<V | undefined>>;
    /** Always pass `{ sync }` explicitly: `put`/`del` drop it in 12.2.12, `batch` honours it. */
    batch(ops: Array<RocksBatchOp<K, V>>, options: { sync: boolean }): Promise<void>;
    iterator(options: RocksIteratorOptions<K>): AsyncIterable<[K, V]>;
  }
}
