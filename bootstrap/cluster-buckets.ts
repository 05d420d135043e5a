/**
 * Creates every NATS KV bucket of a cluster that does not exist yet — what `raftns init` and
 * the local cluster do with admin credentials. Replicas only open buckets: their NATS role
 * may not create streams (nats-roles.ts), so a bucket they need must exist before them.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ApiKeyStore } from './api-key-store.js';
import { IdempotencyStore } from './idempotency-store.js';
import { type CreateBucketsOptions, PlanStore } from './plan-store.js';
import { TransferAclStore } from './transfer-acl-store.js';
import { TsigKeyStore } from './tsig-key-store.js';
import { ZoneRegistryStore } from './zone-registry-store.js';

/** Creates the missing buckets (existing ones are left as they are); the plan store on them. */
export async function createClusterBuckets(
  nc: NatsConnection,
  cluster: string,
  options: CreateBucketsOptions = {},
): Promise<PlanStore> {
  const store = await PlanStore.create(nc, cluster, options);
  const durable = options.replicas === undefined ? {} : { replicas: options.replicas };
  await ZoneRegistryStore.open(nc, cluster, durable);
  await TsigKeyStore.open(nc, cluster, durable);
  await TransferAclStore.open(nc, cluster, durable);
  await ApiKeyStore.open(nc, cluster, durable);
  await IdempotencyStore.open(nc, cluster, durable);
  return store;
}
