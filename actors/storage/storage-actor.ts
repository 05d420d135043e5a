import type { Actor, ActorContext, ActorFactory, MessageMeta, Replier } from '../../runtime/actor.js';
import { BucketCounts, powersOfTwo } from '../../runtime/bucket-counts.js';
import { type KvOp, type KvStore, utf8 } from '../../runtime/storage/kv-store.js';
import {
  decodeStoredEntry,
  encodeStoredEntry,
  entryBytes,
  indexFromKey,
  indexKey,
} from '../raft/entry-codec.js';
import type { HardState, LogEntry, Membership, SnapshotMeta } from '../raft/types.js';
import {
  BATCH_BYTES_BUCKETS,
  BATCH_SECONDS_BUCKETS,
  type LoadedRaftState,
  type StorageMessage,
  type StorageStatus,
  type StoredSnapshot,
} from './protocol.js';

/**
 * The only actor that touches the replica's Raft state on disk: hard state, log,
 * membership (and snapshots, with compaction). Group commit: writes that arrive while a
 * synced batch is in flight go together in the next one, so one fsync serves them all.
 * Nothing is answered before it is durable.
 */
const HARD_STATE_KEY = utf8('h');
const MEMBERSHIP_KEY = utf8('m');
const SNAPSHOT_META_KEY = utf8('s');
const SNAPSHOT_DATA_KEY = utf8('S');
const ENTRY_PREFIX = 0x65; // 'e'
/** Bounds one group-commit batch; more waits for the next fsync. */
const MAX_OPS_PER_BATCH = 16_384;
const MAX_ENTRIES_PER_READ = 4_096;
const ENTRIES_BUCKETS = powersOfTwo(MAX_OPS_PER_BATCH);

type Update =
  | {
      readonly kind: 'snapshot';
      readonly ops: KvOp[];
      readonly reply: Replier | undefined;
      readonly meta: SnapshotMeta;
    }
  | {
      readonly kind: 'hard-state';
      readonly ops: KvOp[];
      readonly reply: Replier | undefined;
      readonly value: HardState;
    }
  | {
      readonly kind: 'membership';
      readonly ops: KvOp[];
      readonly reply: Replier | undefined;
      readonly value: Membership;
    }
  | {
      readonly kind: 'append';
      readonly ops: KvOp[];
      readonly reply: Replier | undefined;
      readonly tail: LogEntry | undefined;
      readonly lastIndex: number;
      readonly entries: number;
    };

export type StorageActorMessage = StorageMessage | { readonly type: 'write-failed'; readonly error: string };

function json(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value));
}

/** Bytes a batch hands the store: every key and value. */
function opsBytes(ops: readonly KvOp[]): number {
  let bytes = 0;
  for (const op of ops) bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
  return bytes;
}

function parse<T>(bytes: Uint8Array | undefined): T | undefined {
  return bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as T);
}

class StorageActor implements Actor<StorageActorMessage> {
  private store: KvStore | undefined;
  /** The last index stored (after every queued write is applied), for truncation. */
  private storedLastIndex = 0;
  private snapshot: SnapshotMeta | null = null;
  /** The current snapshot's bytes, once read or written (chunks for InstallSnapshot come from here). */
  private snapshotData: Uint8Array | undefined;
  private pending: Update[] = [];
  private writing = false;
  private readonly batchSeconds = new BucketCounts(BATCH_SECONDS_BUCKETS);
  private readonly batchBytes = new BucketCounts(BATCH_BYTES_BUCKETS);
  private readonly batchEntries = new BucketCounts(ENTRIES_BUCKETS);
  private readonly appendEntries = new BucketCounts(ENTRIES_BUCKETS);

  constructor(private readonly ctx: ActorContext<StorageActorMessage>) {}

  async start(): Promise<void> {
    this.store = await this.ctx.openStore('raft');
    this.snapshot = parse<SnapshotMeta>(await this.store.get(SNAPSHOT_META_KEY)) ?? null;
    const [last] = await this.store.scan({
      gte: indexKey(ENTRY_PREFIX, 0),
      lt: indexKey(ENTRY_PREFIX, Number.MAX_SAFE_INTEGER),
      limit: 1,
      reverse: true,
    });
    if (last !== undefined) {
      const entry = decodeStoredEntry(indexFromKey(last[0]), last[1]);
      this.storedLastIndex = entry.index;
    } else {
      this.storedLastIndex = this.snapshot?.lastIndex ?? 0;
    }
  }

  async receive(message: StorageActorMessage, meta: MessageMeta): Promise<void> {
    switch (message.type) {
      case 'load':
        meta.reply?.ok(await this.load());
        return;
      case 'read-entries':
        meta.reply?.ok(await this.readEntries(message.from, message.to, message.maxBytes));
        return;
      case 'save-hard-state':
        this.enqueue({
          kind: 'hard-state',
          ops: [{ type: 'put', key: HARD_STATE_KEY, value: json(message.hardState) }],
          reply: meta.reply,
          value: message.hardState,
        });
        return;
      case 'save-membership':
        this.enqueue({
          kind: 'membership',
          ops: [{ type: 'put', key: MEMBERSHIP_KEY, value: json(message.membership) }],
          reply: meta.reply,
          value: message.membership,
        });
        return;
      case 'append':
        this.enqueue(this.appendUpdate(message.entries, message.lastIndex, meta.reply));
        return;
      case 'save-snapshot':
        // Never replace a snapshot with an older one (a compaction racing an InstallSnapshot).
        if (this.snapshot !== null && message.meta.lastIndex <= this.snapshot.lastIndex) {
          meta.reply?.ok(this.snapshot);
          return;
        }
        this.enqueue(this.snapshotUpdate(message.meta, message.data, message.discardLog, meta.reply));
        return;
      case 'load-snapshot':
        meta.reply?.ok(await this.loadSnapshot());
        return;
      case 'read-snapshot-chunk': {
        const stored = await this.loadSnapshot();
        if (stored === null || stored.meta.lastIndex !== message.lastIndex) {
          meta.reply?.ok(null);
          return;
        }
        const end = Math.min(stored.data.length, message.offset + message.maxBytes);
        meta.reply?.ok({
          meta: stored.meta,
          chunk: stored.data.slice(message.offset, end),
          done: end >= stored.data.length,
        });
        return;
      }
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'write-failed':
        // The disk refused a write: nothing after it can be trusted. Crash; the supervisor restarts us.
        throw new Error(`storage write failed: ${message.error}`);
    }
  }

  async stop(): Promise<void> {
    await this.store?.close();
  }

  inspect(): unknown {
    return { storedLastIndex: this.storedLastIndex, pending: this.pending.length, writing: this.writing };
  }

  private status(): StorageStatus {
    return {
      batchSeconds: this.batchSeconds.reading(),
      batchBytes: this.batchBytes.reading(),
      batchEntries: this.batchEntries.reading(),
      appendEntries: this.appendEntries.reading(),
      pendingWrites: this.pending.length,
    };
  }

  private appendUpdate(entries: readonly LogEntry[], lastIndex: number, reply: Replier | undefined): Update {
    const ops: KvOp[] = [];
    let previous: LogEntry | undefined;
    for (const entry of entries) {
      if (previous !== undefined && entry.index !== previous.index + 1) {
        throw new Error(`append: entries not contiguous (${previous.index} then ${entry.index})`);
      }
      ops.push({ type: 'put', key: indexKey(ENTRY_PREFIX, entry.index), value: encodeStoredEntry(entry) });
      previous = entry;
    }
    const last = entries[entries.length - 1];
    if (last !== undefined && last.index !== lastIndex) {
      throw new Error(`append: the log must end at its last new entry (${last.index}), not ${lastIndex}`);
    }
    // §5.3: entries after the new end conflicted with the leader's; they go.
    for (let index = lastIndex + 1; index <= this.storedLastIndex; index++) {
      ops.push({ type: 'del', key: indexKey(ENTRY_PREFIX, index) });
    }
    this.storedLastIndex = lastIndex;
    this.appendEntries.observe(entries.length);
    return { kind: 'append', ops, reply, tail: last, lastIndex, entries: entries.length };
  }

  private snapshotUpdate(
    meta: SnapshotMeta,
    data: Uint8Array,
    discardLog: boolean,
    reply: Replier | undefined,
  ): Update {
    const ops: KvOp[] = [
      { type: 'put', key: SNAPSHOT_META_KEY, value: json(meta) },
      { type: 'put', key: SNAPSHOT_DATA_KEY, value: data },
    ];
    const firstStored = (this.snapshot?.lastIndex ?? 0) + 1;
    const deleteThrough = discardLog ? Math.max(this.storedLastIndex, meta.lastIndex) : meta.lastIndex;
    for (let index = firstStored; index <= deleteThrough; index++) {
      ops.push({ type: 'del', key: indexKey(ENTRY_PREFIX, index) });
    }
    if (discardLog || this.storedLastIndex < meta.lastIndex) {
      this.storedLastIndex = meta.lastIndex;
    }
    this.snapshot = meta;
    this.snapshotData = data;
    return { kind: 'snapshot', ops, reply, meta };
  }

  private async loadSnapshot(): Promise<StoredSnapshot | null> {
    if (this.snapshot === null) return null;
    if (this.snapshotData === undefined) {
      const data = await this.store?.get(SNAPSHOT_DATA_KEY);
      if (data === undefined) throw new Error(`snapshot ${this.snapshot.lastIndex} has no data`);
      this.snapshotData = data;
    }
    return { meta: this.snapshot, data: this.snapshotData };
  }

  private enqueue(update: Update): void {
    this.pending.push(update);
    if (!this.writing) this.flush();
  }

  /** One synced batch for everything pending; what arrives meanwhile waits for the next. */
  private flush(): void {
    const store = this.store;
    if (store === undefined) throw new Error('storage used before start');
    const batch: Update[] = [];
    const ops: KvOp[] = [];
    let entries = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as Update;
      if (batch.length > 0 && ops.length + next.ops.length > MAX_OPS_PER_BATCH) break;
      this.pending.shift();
      batch.push(next);
      ops.push(...next.ops);
      if (next.kind === 'append') entries += next.entries;
    }
    if (batch.length === 0) return;
    this.writing = true;
    this.batchBytes.observe(opsBytes(ops));
    this.batchEntries.observe(entries);
    const startedMs = this.ctx.clock.nowMs();
    store.write(ops, { sync: true }).then(
      () => {
        this.writing = false;
        this.batchSeconds.observe((this.ctx.clock.nowMs() - startedMs) / 1000);
        for (const update of batch) this.complete(update);
        if (this.pending.length > 0) this.flush();
      },
      (error: unknown) => {
        this.writing = false;
        this.ctx.self({ type: 'write-failed', error: String(error) });
      },
    );
  }

  private complete(update: Update): void {
    switch (update.kind) {
      case 'hard-state':
        update.reply?.ok(update.value);
        return;
      case 'membership':
        update.reply?.ok(update.value);
        return;
      case 'snapshot':
        update.reply?.ok(update.meta);
        return;
      case 'append':
        update.reply?.ok({ lastIndex: update.lastIndex, lastTerm: update.tail?.term ?? 0 });
        return;
    }
  }

  private async load(): Promise<LoadedRaftState> {
    const store = this.store;
    if (store === undefined) throw new Error('storage used before start');
    const hardState = parse<HardState>(await store.get(HARD_STATE_KEY)) ?? { term: 0, votedFor: null };
    const membership = parse<Membership>(await store.get(MEMBERSHIP_KEY)) ?? null;
    const [first] = await store.scan({
      gte: indexKey(ENTRY_PREFIX, 0),
      lt: indexKey(ENTRY_PREFIX, Number.MAX_SAFE_INTEGER),
      limit: 1,
    });
    const snapshotIndex = this.snapshot?.lastIndex ?? 0;
    const firstIndex = first === undefined ? snapshotIndex + 1 : indexFromKey(first[0]);
    return { hardState, membership, snapshot: this.snapshot, firstIndex, lastIndex: this.storedLastIndex };
  }

  private async readEntries(from: number, to: number, maxBytes: number): Promise<LogEntry[]> {
    const store = this.store;
    if (store === undefined) throw new Error('storage used before start');
    if (to < from) return [];
    const rows = await store.scan({
      gte: indexKey(ENTRY_PREFIX, from),
      lt: indexKey(ENTRY_PREFIX, to + 1),
      limit: Math.min(MAX_ENTRIES_PER_READ, to - from + 1),
    });
    const entries: LogEntry[] = [];
    let bytes = 0;
    for (const [key, value] of rows) {
      const entry = decodeStoredEntry(indexFromKey(key), value);
      if (entry.index !== from + entries.length) {
        throw new Error(`log hole: expected entry ${from + entries.length}, found ${entry.index}`);
      }
      bytes += entryBytes(entry);
      if (entries.length > 0 && bytes > maxBytes) break;
      entries.push(entry);
    }
    return entries;
  }
}

export const createStorageActor: ActorFactory<StorageActorMessage, unknown> = (ctx) => new StorageActor(ctx);
