/**
 * The cluster's TSIG keys (RFC 8945) with their update policies, in a NATS KV bucket next
 * to the plan (`raftns-<cluster>-tsig`), so that every replica of every group and region
 * sees the same keys: `raftns tsig add|list|remove` write it, and each replica watches it
 * (runtime/composition/dns-actor-feeds.ts), so a new key signs within a second, without a
 * restart.
 *
 * Trust boundary: whoever may read this bucket holds every secret, and whoever may write
 * it may grant any key any zone. The NATS credentials of the cluster are therefore the
 * credentials of its DNS updates; give `raftns tsig` and the replicas their own NATS user
 * where that matters. Secrets are never logged here; `list` leaves them out.
 *
 * Keys of the bucket are the base64url of the key's lowercased absolute name (a DNS name
 * may hold characters a KV key may not).
 */

import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CLUSTER_TSIG_KEYS_MAX,
  type ClusterTsigKey,
  parseClusterTsigKey,
} from '../protocol/dns/tsig/cluster-key.js';
import { withFinalDot } from '../protocol/dns/wire/name.js';
import { jetstream } from '../runtime/nats/nats-jetstream.js';
import { Kvm } from '../runtime/nats/nats-kv.js';
import { listRecordSet, watchRecordSet } from './kv-record-set.js';
import { KV_TIMEOUT_MS, PLAN_HISTORY } from './plan-store.js';

export function tsigBucket(cluster: string): string {
  return `raftns-${cluster}-tsig`;
}

function bucketKey(name: string): string {
  return Buffer.from(withFinalDot(name).toLowerCase(), 'utf8').toString('base64url');
}

export class TsigKeyExistsError extends Error {
  constructor(readonly keyName: string) {
    super(`a TSIG key named ${keyName} exists already (remove it first)`);
    this.name = 'TsigKeyExistsError';
  }
}

export class TsigKeyStore {
  private constructor(readonly kv: KV) {}

  /** Opens the bucket, creating it if it does not exist (both `raftns tsig` and replicas may be first). */
  static async open(nc: NatsConnection, cluster: string, options: { replicas?: number } = {}) {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new TsigKeyStore(
      await kvm.create(tsigBucket(cluster), { history: PLAN_HISTORY, replicas: options.replicas ?? 1 }),
    );
  }

  /** Stores a new key; fails with TsigKeyExistsError if one of that name exists, RangeError for an invalid key or a full bucket. */
  async add(key: ClusterTsigKey): Promise<void> {
    const checked = parseClusterTsigKey(key);
    if (!checked.ok) throw new RangeError(`invalid TSIG key: ${checked.message}`);
    if ((await this.list()).length >= CLUSTER_TSIG_KEYS_MAX)
      throw new RangeError(`the cluster holds ${CLUSTER_TSIG_KEYS_MAX} TSIG keys already`);
    try {
      await this.kv.create(bucketKey(key.name), JSON.stringify(key));
    } catch (error) {
      if (String(error).includes('wrong last sequence')) throw new TsigKeyExistsError(key.name);
      throw error;
    }
  }

  /** True when a key of that name was there. */
  async remove(name: string): Promise<boolean> {
    const entry = await this.kv.get(bucketKey(name));
    if (entry === null || entry.operation !== 'PUT') return false;
    await this.kv.delete(bucketKey(name));
    return true;
  }

  /** Every valid key stored (invalid values are skipped), by name. */
  async list(): Promise<ClusterTsigKey[]> {
    const keys = await listRecordSet(this.kv, decode);
    return keys.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Calls `onKeys` with the whole set of valid keys once the stored values arrived (not at
   * all for an empty bucket: the set starts empty) and after every later change,
   * until the returned function is called (kv-record-set.ts). `onInvalid` hears of values
   * that fail the check (by bucket key, never the value: it may hold a secret).
   */
  async watch(
    onKeys: (keys: readonly ClusterTsigKey[]) => void,
    onInvalid: (bucketKey: string, why: string) => void,
  ): Promise<() => void> {
    return watchRecordSet({
      kv: this.kv,
      decode,
      recordsMax: CLUSTER_TSIG_KEYS_MAX,
      recordName: 'TSIG key record',
      onSet: onKeys,
      onInvalid,
    });
  }
}

function decode(text: string): ClusterTsigKey | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return parseClusterTsigKey(value).ok ? (value as ClusterTsigKey) : undefined;
  } catch {
    return undefined;
  }
}
