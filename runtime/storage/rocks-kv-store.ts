import { mkdir } from 'node:fs/promises';
import { RocksLevel } from '@nxtedition/rocksdb';
import type { KvOp, KvRange, KvStore } from './kv-store.js';

/**
 * Memtables of 2 MiB (a quarter of this budget, at most six, flushed two at a time; RocksDB's
 * default is 64 MiB each). Opening a database after a crash replays its write-ahead log: every
 * write not yet flushed. With larger memtables a 21.5 MB snapshot written as one batch stayed
 * in that log until enough writes followed it: the open of a replica killed at 10,000 zones and
 * 100,000 records took 648 ms with 8 MiB memtables, and with these 30 ms (`npm run
 * bench:scale`); 64 MiB of log took 1.1 s to replay. Writes are as fast (`npm run bench:raft`).
 */
const MEMTABLE_MEMORY_BUDGET_BYTES = 8 * 1024 * 1024;

/**
 * The production `KvStore`: one RocksDB database per store directory.
 *
 * Every write goes through `batch(ops, { sync })`: @nxtedition/rocksdb 12.2.12 silently
 * drops `sync` on `put`/`del` (shared/PLATFORM-NOTES.md), so single puts are never used.
 */
export class RocksKvStore implements KvStore {
  private constructor(private readonly db: RocksLevel<Uint8Array, Uint8Array>) {}

  static async open(location: string): Promise<RocksKvStore> {
    await mkdir(location, { recursive: true });
    const db = new RocksLevel<Uint8Array, Uint8Array>(location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      compaction: 'level',
      memtableMemoryBudget: MEMTABLE_MEMORY_BUDGET_BYTES,
    });
    await db.open();
    return new RocksKvStore(db);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const [value] = await this.db.getMany([key]);
    return value ?? undefined;
  }

  /**
   * The binding's batch write is synchronous: `batch()` blocks this thread for the whole
   * write, fsync included, and only then resolves. So the write first yields to the event
   * loop (`setImmediate` runs after pending I/O, MessagePort messages included): a caller
   * that batches what arrives while a write is in flight (the storage actor's group commit)
   * then really sees those arrivals. Without the yield, each write blocked the thread before
   * the next message could even be read, and a busy leader did one fsync per appended entry.
   * Writes still happen in call order (setImmediate is FIFO).
   */
  async write(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    if (ops.length === 0) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.db.batch(
      ops.map((op) =>
        op.type === 'put' ? { type: 'put', key: op.key, value: op.value } : { type: 'del', key: op.key },
      ),
      { sync: options.sync },
    );
  }

  async scan(range: KvRange): Promise<Array<readonly [Uint8Array, Uint8Array]>> {
    if (!Number.isInteger(range.limit) || range.limit < 1)
      throw new RangeError('scan limit must be a positive integer');
    const options: { gte?: Uint8Array; lt?: Uint8Array; limit: number; reverse: boolean } = {
      limit: range.limit,
      reverse: range.reverse ?? false,
    };
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    const rows: Array<readonly [Uint8Array, Uint8Array]> = [];
    for await (const [key, value] of this.db.iterator(options)) rows.push([key, value]);
    return rows;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
