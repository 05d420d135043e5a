/**
 * The cluster's HTTP API keys (protocol/http/api-key.ts) in a NATS KV bucket next to the
 * plan (`raftns-<cluster>-api-keys`), so every replica of every group and region accepts
 * the same keys: `raftns api-key add|list|remove` write it, and each replica watches it
 * (runtime/composition/http/api-key-feed.ts), so a new key works within a second and a
 * removed one stops working as fast, without a restart.
 *
 * Only hashes are stored: reading the bucket does not give a usable key, but whoever may
 * write it may add a key of their own, so the NATS credentials of the cluster are the
 * credentials of its API. Bucket keys are the key names (API_KEY_NAME allows only
 * characters KV keys allow).
 */

import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { API_KEYS_MAX, type ApiKeyRecord, parseApiKeyRecord } from '../protocol/http/api-key.js';
import { jetstream } from '../runtime/nats/nats-jetstream.js';
import { Kvm } from '../runtime/nats/nats-kv.js';
import { listRecordSet, watchRecordSet } from './kv-record-set.js';
import { KV_TIMEOUT_MS, PLAN_HISTORY } from './plan-store.js';

export function apiKeyBucket(cluster: string): string {
  return `raftns-${cluster}-api-keys`;
}

export class ApiKeyExistsError extends Error {
  constructor(readonly keyName: string) {
    super(`an API key named ${keyName} exists already (remove it first)`);
    this.name = 'ApiKeyExistsError';
  }
}

export class ApiKeyStore {
  private constructor(readonly kv: KV) {}

  /** Opens the bucket, creating it if it does not exist (the CLI or a replica may be first). */
  static async open(nc: NatsConnection, cluster: string, options: { replicas?: number } = {}) {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new ApiKeyStore(
      await kvm.create(apiKeyBucket(cluster), { history: PLAN_HISTORY, replicas: options.replicas ?? 1 }),
    );
  }

  /** Stores a new key; ApiKeyExistsError if the name is taken, RangeError for a full bucket or a bad record. */
  async add(record: ApiKeyRecord): Promise<void> {
    if (parseApiKeyRecord(record) === undefined) throw new RangeError('invalid API key record');
    if ((await this.list()).length >= API_KEYS_MAX)
      throw new RangeError(`the cluster holds ${API_KEYS_MAX} API keys already`);
    try {
      await this.kv.create(record.name, JSON.stringify(record));
    } catch (error) {
      if (String(error).includes('wrong last sequence')) throw new ApiKeyExistsError(record.name);
      throw error;
    }
  }

  /** True when a key of that name was there. */
  async remove(name: string): Promise<boolean> {
    const entry = await this.kv.get(name);
    if (entry === null || entry.operation !== 'PUT') return false;
    await this.kv.delete(name);
    return true;
  }

  /** Every valid key stored, by name. */
  async list(): Promise<ApiKeyRecord[]> {
    const keys = await listRecordSet(this.kv, decode);
    return keys.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Calls `onKeys` with the whole set once the stored values arrived and after every later
   * change, until the returned function is called (kv-record-set.ts; an empty bucket: not
   * until its first change). `onInvalid` hears of values that fail the check.
   */
  async watch(
    onKeys: (keys: readonly ApiKeyRecord[]) => void,
    onInvalid: (bucketKey: string, why: string) => void,
  ): Promise<() => void> {
    return watchRecordSet({
      kv: this.kv,
      decode,
      recordsMax: API_KEYS_MAX,
      recordName: 'API key record',
      onSet: onKeys,
      onInvalid,
    });
  }
}

function decode(text: string): ApiKeyRecord | undefined {
  try {
    return parseApiKeyRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}
