/**
 * The zone registry (protocol/zone-directory.ts): the zones assigned to groups at runtime,
 * one NATS KV entry per zone in `raftns-<cluster>-zones`, next to the plan. `raftns zone
 * create|delete` and the HTTP API write it; every group leader watches it and brings its
 * region's data to what it says (runtime/composition/zone-registry-reconciler.ts); clients
 * read it to route a name to its group.
 *
 * Keys are the base64url of the zone's lowercased absolute name. Every write is a
 * compare-and-set on the entry's revision (KV `create` for a new entry), so of two admins
 * creating the same zone at once exactly one wins, and a delete never removes an entry
 * someone re-created meanwhile.
 *
 * Trust boundary: whoever may write this bucket decides what every group serves; the
 * cluster's NATS credentials are the credentials of these writes.
 */

import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  REGISTERED_ZONES_MAX,
  type RegisteredZone,
  registeredZoneSchema,
  zoneKey,
} from '../protocol/zone-directory.js';
import { JetStreamApiCodes, JetStreamApiError, jetstream } from '../runtime/nats/nats-jetstream.js';
import { Kvm } from '../runtime/nats/nats-kv.js';
import { watchRecordSet } from './kv-record-set.js';
import { KV_TIMEOUT_MS, PLAN_HISTORY } from './plan-store.js';

export function zonesBucket(cluster: string): string {
  return `raftns-${cluster}-zones`;
}

function bucketKey(zone: string): string {
  return Buffer.from(zoneKey(zone), 'utf8').toString('base64url');
}

/** What a compare-and-set write found instead of what it expected. */
export class ZoneRegistryConflict extends Error {
  constructor(
    message: string,
    readonly current: RegisteredZone | undefined,
  ) {
    super(message);
    this.name = 'ZoneRegistryConflict';
  }
}

export interface StoredZone {
  readonly entry: RegisteredZone;
  readonly revision: number;
}

export class ZoneRegistryStore {
  private constructor(readonly kv: KV) {}

  /** Opens the bucket, creating it if it does not exist (the CLI and replicas may be first). */
  static async open(nc: NatsConnection, cluster: string, options: { replicas?: number } = {}) {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new ZoneRegistryStore(
      await kvm.create(zonesBucket(cluster), { history: PLAN_HISTORY, replicas: options.replicas ?? 1 }),
    );
  }

  /**
   * Opens the bucket to read it, creating nothing: a one-shot read (`raftns get`) leaves the
   * cluster as it found it. `list` of a bucket no one created yet is empty.
   */
  static async openToRead(nc: NatsConnection, cluster: string): Promise<ZoneRegistryStore> {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new ZoneRegistryStore(await kvm.open(zonesBucket(cluster)));
  }

  async get(zone: string): Promise<StoredZone | undefined> {
    const entry = await this.kv.get(bucketKey(zone));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const decoded = decode(entry.string());
    return decoded === undefined ? undefined : { entry: decoded, revision: entry.revision };
  }

  /** Writes a new active entry; throws ZoneRegistryConflict when the zone has one already. */
  async create(zone: string, group: string, now: Date): Promise<StoredZone> {
    const entry: RegisteredZone = {
      zone: zoneKey(zone),
      group,
      state: 'active',
      createdAt: now.toISOString(),
    };
    try {
      const revision = await this.kv.create(bucketKey(zone), JSON.stringify(entry));
      return { entry, revision };
    } catch (error) {
      if (!isSequenceConflict(error)) throw error;
      const current = await this.get(zone);
      throw new ZoneRegistryConflict(`${entry.zone} is already registered`, current?.entry);
    }
  }

  /** Marks the entry deleting, if it is still at `revision`. */
  async markDeleting(stored: StoredZone): Promise<StoredZone> {
    const entry: RegisteredZone = { ...stored.entry, state: 'deleting' };
    try {
      const revision = await this.kv.update(bucketKey(entry.zone), JSON.stringify(entry), stored.revision);
      return { entry, revision };
    } catch (error) {
      if (!isSequenceConflict(error)) throw error;
      throw new ZoneRegistryConflict(`${entry.zone} changed meanwhile`, (await this.get(entry.zone))?.entry);
    }
  }

  /**
   * Schedules a deleting entry's copies to be dropped after `deleteAfter` (its parent's
   * delegation is gone in every region), if the entry is still at `revision`.
   */
  async markDeleteAfter(stored: StoredZone, deleteAfter: Date): Promise<StoredZone> {
    if (stored.entry.state !== 'deleting')
      throw new ZoneRegistryConflict(`${stored.entry.zone} is not being deleted`, stored.entry);
    return this.replace(stored, { ...stored.entry, deleteAfter: deleteAfter.toISOString() });
  }

  /** Marks the entry moving to `to`, if it is still at `revision`. */
  markMoving(stored: StoredZone, to: string): Promise<StoredZone> {
    const { movedFrom: _from, drainUntil: _until, ...rest } = stored.entry;
    return this.replace(stored, { ...rest, state: 'moving', to });
  }

  /**
   * Ends a move in the registry, if the entry is still at `revision`: the zone is active in
   * its new group, and its old group may delete its copy after `drainUntil`.
   */
  async markMoved(stored: StoredZone, drainUntil: Date): Promise<StoredZone> {
    const { to, ...rest } = stored.entry;
    if (stored.entry.state !== 'moving' || to === undefined)
      throw new ZoneRegistryConflict(`${stored.entry.zone} is not moving`, stored.entry);
    return this.replace(stored, {
      ...rest,
      group: to,
      state: 'active',
      movedFrom: stored.entry.group,
      drainUntil: drainUntil.toISOString(),
    });
  }

  /** Forgets the old group of a finished move (its copy is gone), if still at `revision`. */
  clearMovedFrom(stored: StoredZone): Promise<StoredZone> {
    const { movedFrom: _from, drainUntil: _until, ...rest } = stored.entry;
    return this.replace(stored, rest);
  }

  private async replace(stored: StoredZone, entry: RegisteredZone): Promise<StoredZone> {
    try {
      const revision = await this.kv.update(bucketKey(entry.zone), JSON.stringify(entry), stored.revision);
      return { entry, revision };
    } catch (error) {
      if (!isSequenceConflict(error)) throw error;
      throw new ZoneRegistryConflict(`${entry.zone} changed meanwhile`, (await this.get(entry.zone))?.entry);
    }
  }

  /** Removes the entry, if it is still at `revision`. */
  async remove(stored: StoredZone): Promise<void> {
    try {
      await this.kv.delete(bucketKey(stored.entry.zone), { previousSeq: stored.revision });
    } catch (error) {
      if (!isSequenceConflict(error)) throw error;
      throw new ZoneRegistryConflict(
        `${stored.entry.zone} changed meanwhile`,
        (await this.get(stored.entry.zone))?.entry,
      );
    }
  }

  /**
   * Every valid entry, read through one watch (one ordered stream of the bucket's last
   * values) rather than a get per key: 10,000 zones list in one pass.
   */
  async list(): Promise<RegisteredZone[]> {
    let values: number;
    try {
      values = (await this.kv.status()).values;
    } catch (error) {
      // A bucket opened to read (openToRead) that does not exist: no zone was ever registered.
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return [];
      throw error;
    }
    if (values === 0) return [];
    const iterator = await this.kv.watch({ key: '>' });
    const current = new Map<string, RegisteredZone>();
    try {
      for await (const entry of iterator) {
        if (entry.operation === 'PUT') {
          const value = decode(entry.string());
          if (value !== undefined) current.set(entry.key, value);
        } else current.delete(entry.key);
        if ((entry.delta ?? 0) === 0) break;
      }
    } finally {
      iterator.stop();
    }
    return [...current.values()];
  }

  /**
   * Calls `onZones` with every valid entry once the stored values arrived (not at all for an
   * empty bucket) and after every later change, until the returned function is called.
   */
  watch(
    onZones: (zones: readonly RegisteredZone[]) => void,
    onInvalid: (bucketKey: string, why: string) => void,
  ): Promise<() => void> {
    return watchRecordSet({
      kv: this.kv,
      decode,
      recordsMax: REGISTERED_ZONES_MAX,
      recordName: 'zone registry entry',
      onSet: onZones,
      onInvalid,
    });
  }
}

function isSequenceConflict(error: unknown): boolean {
  const text = String(error);
  return text.includes('wrong last sequence') || text.includes('key exists');
}

function decode(text: string): RegisteredZone | undefined {
  try {
    const parsed = registeredZoneSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    return { ...parsed.data, zone: zoneKey(parsed.data.zone) };
  } catch {
    return undefined;
  }
}
