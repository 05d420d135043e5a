import type { Random } from '../random.js';
import { SortedMap } from '../sorted-map.js';
import { compareBytes, type KvOp, type KvRange, type KvStore } from '../storage/kv-store.js';
import type { EventQueue } from './event-queue.js';
import { pick, type Range, validateProbability, validateRange } from './range.js';
import type { VirtualClock } from './virtual-clock.js';

export interface SimDiskConfig {
  /** Virtual time an fsync takes. */
  readonly fsyncLatencyMs: Range;
  /** Fault: the probability that one fsync takes `slowFsyncLatencyMs` instead. */
  readonly slowFsyncProbability: number;
  readonly slowFsyncLatencyMs: Range;
}

export const DEFAULT_SIM_DISK: SimDiskConfig = {
  fsyncLatencyMs: { min: 1, max: 3 },
  slowFsyncProbability: 0,
  slowFsyncLatencyMs: { min: 20, max: 200 },
};

export interface SimDiskStats {
  writes: number;
  syncs: number;
  slowSyncs: number;
  crashes: number;
  /** Unsynced batches a crash dropped. */
  batchesLost: number;
  /** Unsynced batches a crash let survive (always a prefix of each store's unsynced list). */
  batchesSurvived: number;
}

/** Who holds a store handle: a handle of a dead owner (a crashed actor) never answers again. */
export interface DiskOwner {
  readonly alive: boolean;
}

const ALWAYS_ALIVE: DiskOwner = { alive: true };

/**
 * The in-memory image of one simulated store, keys sorted by `compareBytes`. Keys and
 * values are owned: callers copy on the way in and out.
 */
type StoreContents = SortedMap<Uint8Array, Uint8Array>;

function apply(contents: StoreContents, ops: readonly KvOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') contents.set(op.key, op.value);
    else contents.delete(op.key);
  }
}

/** Entries in [gte, lt), at most `limit`, ascending or (reverse) descending. */
function scan(contents: StoreContents, range: KvRange): Array<readonly [Uint8Array, Uint8Array]> {
  const start = range.gte === undefined ? 0 : contents.lowerBound(range.gte);
  const end = range.lt === undefined ? contents.size : contents.lowerBound(range.lt);
  const out: Array<readonly [Uint8Array, Uint8Array]> = [];
  if (range.reverse === true) {
    for (let i = end - 1; i >= start && out.length < range.limit; i--)
      out.push([contents.keyAt(i), contents.valueAt(i)]);
  } else {
    for (let i = start; i < end && out.length < range.limit; i++)
      out.push([contents.keyAt(i), contents.valueAt(i)]);
  }
  return out;
}

interface Batch {
  readonly seq: number;
  readonly ops: readonly KvOp[];
}

/** One named store: what reads see, what a crash would keep, and the writes in between. */
interface StoreImage {
  view: StoreContents;
  durable: StoreContents;
  /** Batches written after the last completed fsync, oldest first. */
  unsynced: Batch[];
  /** Completion time of the latest fsync scheduled: fsyncs of one store complete in order. */
  lastSyncDoneAtMs: number;
  syncs: number;
}

/** A forever-pending promise: what a dead process's I/O looks like to code that outlived it. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/**
 * The simulated disk of one replica: named `KvStore`s with the power-loss semantics of
 * the contract in `runtime/storage/kv-store.ts`, modelled pessimistically.
 *
 * - Every write applies to the readable image at once (reads may see a write before it
 *   resolves, which the contract allows) and joins the store's unsynced list.
 * - `write(..., { sync: true })` completes after a virtual fsync latency; its completion
 *   makes it and every earlier batch of that store durable. Each store has its own
 *   write-ahead log, as separate RocksDB instances do: syncing one store syncs no other.
 * - `crash()` keeps the durable image plus a random prefix of each store's unsynced
 *   batches (whole batches, never reordered) and forgets the rest; fsyncs in flight never
 *   complete.
 */
export class SimDisk {
  private readonly stores = new Map<string, StoreImage>();
  private nextSeq = 0;
  /** Bumped by `crash`: fsync completions scheduled before it are void. */
  private epoch = 0;
  readonly stats: SimDiskStats = {
    writes: 0,
    syncs: 0,
    slowSyncs: 0,
    crashes: 0,
    batchesLost: 0,
    batchesSurvived: 0,
  };
  readonly config: SimDiskConfig;

  constructor(
    readonly replica: string,
    private readonly deps: {
      readonly clock: VirtualClock;
      readonly queue: EventQueue;
      readonly random: Random;
    },
    config: Partial<SimDiskConfig> = {},
  ) {
    this.config = { ...DEFAULT_SIM_DISK, ...config };
    validateRange('fsyncLatencyMs', this.config.fsyncLatencyMs);
    validateRange('slowFsyncLatencyMs', this.config.slowFsyncLatencyMs);
    validateProbability('slowFsyncProbability', this.config.slowFsyncProbability);
  }

  /** Opens (creating if needed) store `name`. Operations through the handle stop answering once `owner` dies. */
  open(name: string, owner: DiskOwner = ALWAYS_ALIVE): KvStore {
    const image = this.image(name);
    let closed = false;
    const usable = (): 'ok' | 'dead' | 'closed' => (!owner.alive ? 'dead' : closed ? 'closed' : 'ok');
    const closedError = () => new Error(`store ${name} of replica ${this.replica} is closed`);
    return {
      get: (key) => {
        const state = usable();
        if (state === 'dead') return never();
        if (state === 'closed') return Promise.reject(closedError());
        return attempt(() => {
          checkBytes('key', key);
          return image.view.get(key)?.slice();
        });
      },
      scan: (range) => {
        const state = usable();
        if (state === 'dead') return never();
        if (state === 'closed') return Promise.reject(closedError());
        return attempt(() => {
          checkRange(range);
          return scan(image.view, range).map(([k, v]) => [k.slice(), v.slice()] as const);
        });
      },
      write: (ops, options) => {
        const state = usable();
        if (state === 'dead') return never();
        if (state === 'closed') return Promise.reject(closedError());
        if (typeof options?.sync !== 'boolean') {
          return Promise.reject(new TypeError('write needs an explicit { sync: boolean }'));
        }
        let copied: KvOp[];
        try {
          copied = ops.map(copyOp);
        } catch (error) {
          return Promise.reject(error);
        }
        const batch: Batch = { seq: this.nextSeq++, ops: copied };
        apply(image.view, batch.ops);
        image.unsynced.push(batch);
        this.stats.writes++;
        if (!options.sync) return Promise.resolve();
        return this.fsync(name, image, batch.seq, owner);
      },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    };
  }

  /** Power loss: unsynced writes are lost, except a random prefix of each store's. */
  crash(): void {
    this.epoch++;
    this.stats.crashes++;
    for (const name of this.storeNames()) {
      const image = this.stores.get(name) as StoreImage;
      const kept = this.deps.random.intBetween(0, image.unsynced.length);
      for (let i = 0; i < kept; i++) apply(image.durable, (image.unsynced[i] as Batch).ops);
      this.stats.batchesSurvived += kept;
      this.stats.batchesLost += image.unsynced.length - kept;
      image.unsynced = [];
      image.view = image.durable.clone();
      image.lastSyncDoneAtMs = 0;
    }
  }

  /** What a read of `key` in `store` would see now (for invariant checks; no owner, no latency). */
  peek(store: string, key: Uint8Array): Uint8Array | undefined {
    return this.stores.get(store)?.view.get(key)?.slice();
  }

  /** What a crash right now would certainly keep of `key`. */
  peekDurable(store: string, key: Uint8Array): Uint8Array | undefined {
    return this.stores.get(store)?.durable.get(key)?.slice();
  }

  /** Batches of `store` written but not yet covered by a completed fsync. */
  unsyncedBatches(store: string): number {
    return this.stores.get(store)?.unsynced.length ?? 0;
  }

  /** Completed fsyncs, of one store or of the whole disk. */
  syncCount(store?: string): number {
    return store === undefined ? this.stats.syncs : (this.stores.get(store)?.syncs ?? 0);
  }

  storeNames(): string[] {
    return [...this.stores.keys()].sort();
  }

  private image(name: string): StoreImage {
    let image = this.stores.get(name);
    if (image === undefined) {
      image = {
        view: SortedMap.empty(compareBytes),
        durable: SortedMap.empty(compareBytes),
        unsynced: [],
        lastSyncDoneAtMs: 0,
        syncs: 0,
      };
      this.stores.set(name, image);
    }
    return image;
  }

  private fsync(name: string, image: StoreImage, seq: number, owner: DiskOwner): Promise<void> {
    const { clock, queue, random } = this.deps;
    const slow = random.chance(this.config.slowFsyncProbability);
    if (slow) this.stats.slowSyncs++;
    const latencyMs = pick(random, slow ? this.config.slowFsyncLatencyMs : this.config.fsyncLatencyMs);
    const doneAtMs = Math.max(clock.nowMs() + latencyMs, image.lastSyncDoneAtMs);
    image.lastSyncDoneAtMs = doneAtMs;
    const epoch = this.epoch;
    return new Promise<void>((resolve) => {
      queue.schedule(doneAtMs, {
        kind: 'fsync',
        replica: this.replica,
        actor: '',
        detail: name,
        settles: true,
        fire: () => {
          if (epoch !== this.epoch) return;
          while (image.unsynced.length > 0 && (image.unsynced[0] as Batch).seq <= seq) {
            apply(image.durable, (image.unsynced.shift() as Batch).ops);
          }
          image.syncs++;
          this.stats.syncs++;
          if (owner.alive) resolve();
        },
      });
    });
  }
}

/** Runs a synchronous read as the async operation it is: a thrown error becomes a rejection. */
function attempt<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error);
  }
}

function copyOp(op: KvOp): KvOp {
  checkBytes('key', op.key);
  if (op.type === 'put') {
    checkBytes('value', op.value);
    return { type: 'put', key: op.key.slice(), value: op.value.slice() };
  }
  if (op.type === 'del') return { type: 'del', key: op.key.slice() };
  throw new TypeError(`unknown write op ${String((op as { type?: unknown }).type)}`);
}

function checkBytes(what: string, bytes: unknown): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
}

function checkRange(range: KvRange): void {
  if (!Number.isInteger(range.limit) || range.limit < 0) {
    throw new RangeError(`scan limit must be a non-negative integer, got ${range.limit}`);
  }
  if (range.gte !== undefined) checkBytes('gte', range.gte);
  if (range.lt !== undefined) checkBytes('lt', range.lt);
}
