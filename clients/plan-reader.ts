/**
 * Reading a cluster's plan and slot claims from NATS KV (bootstrap/plan.ts names the
 * buckets): what clients that span regions (the region writer, `raftns cluster-status`)
 * start from. Nothing here writes.
 */

import type { NatsConnection } from '@nats-io/transport-node';
import { BootstrapError } from '../bootstrap/errors.js';
import { readStoredPlan, watchStoredPlan } from '../bootstrap/plan-store.js';
import { GROUP_VOTERS_MAX, GROUPS_MAX, REGIONS_MAX } from '../protocol/limits.js';
import { type ClusterPlan, planBucket, slotsBucket } from '../protocol/plan.js';
import { withTimeout } from '../runtime/control-timeout.js';
import { Kvm } from '../runtime/nats/nats-kv.js';

/** The plan is missing, unreadable or invalid. */
export class PlanUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PlanUnavailableError';
  }
}

/** One slot claim: replica `index` of `group` in `region` is held by `instanceId`. */
export interface SlotClaim {
  readonly region: string;
  readonly group: string;
  readonly index: number;
  readonly instanceId: string;
}

/** At most this many keys are listed from the slots bucket (16 regions x 256 groups x 7). */
export const SLOT_KEYS_MAX = REGIONS_MAX * GROUPS_MAX * GROUP_VOTERS_MAX;

/** How long a replica's service looks for the plan at start before serving its own group alone. */
export const PLAN_READ_TIMEOUT_MS = 3_000;

/** `readPlan`, bounded: fails with ControlTimeoutError after `timeoutMs`. */
export function readPlanWithin(nc: NatsConnection, cluster: string, timeoutMs: number): Promise<ClusterPlan> {
  return withTimeout('read the cluster plan', timeoutMs, readPlan(nc, cluster));
}

/** The plan at `PLAN_KEY` of `planBucket(cluster)`, validated. Fails with PlanUnavailableError. */
export async function readPlan(nc: NatsConnection, cluster: string): Promise<ClusterPlan> {
  const bucket = planBucket(cluster);
  let plan: ClusterPlan | undefined;
  try {
    plan = await readStoredPlan(await new Kvm(nc).open(bucket), cluster);
  } catch (error) {
    const detail =
      error instanceof BootstrapError ? [error.message, ...error.details].join(': ') : String(error);
    throw new PlanUnavailableError(`cannot read the plan from bucket ${bucket}: ${detail}`, { cause: error });
  }
  if (plan === undefined) throw new PlanUnavailableError(`no plan in bucket ${bucket} (run raftns init)`);
  return plan;
}

/**
 * Follows the stored plan: `onPlan` hears every valid plan stored after this call (`raftns
 * plan apply`), until the returned function is called. Fails when the bucket cannot be opened.
 */
export async function followPlan(
  nc: NatsConnection,
  cluster: string,
  onPlan: (plan: ClusterPlan) => void,
  onInvalid: (error: unknown) => void,
): Promise<() => void> {
  return watchStoredPlan(await new Kvm(nc).open(planBucket(cluster)), cluster, onPlan, onInvalid);
}

/**
 * Every slot claim in `slotsBucket(cluster)` (keys `<region>.<group>.<index>`), sorted by
 * region, group, index. A missing bucket gives no claims; keys of another shape are skipped.
 */
export async function readSlots(nc: NatsConnection, cluster: string): Promise<SlotClaim[]> {
  let kv: Awaited<ReturnType<Kvm['open']>>;
  try {
    kv = await new Kvm(nc).open(slotsBucket(cluster));
  } catch {
    return [];
  }
  const keys: string[] = [];
  try {
    for await (const key of await kv.keys()) {
      keys.push(key);
      if (keys.length >= SLOT_KEYS_MAX) break;
    }
  } catch (error) {
    // A bucket the library opened lazily may not exist: no claims.
    if (/not found/i.test(error instanceof Error ? error.message : String(error))) return [];
    throw error;
  }
  const claims: SlotClaim[] = [];
  for (const key of keys) {
    const match = /^([^.]+)\.([^.]+)\.(\d+)$/.exec(key);
    if (match === null) continue;
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== 'PUT') continue;
    // The instance id as a string; a JSON string is taken too.
    const raw = entry.string().trim();
    const instanceId = raw.startsWith('"') ? jsonString(raw) : raw;
    if (instanceId === undefined || instanceId.length === 0) continue;
    claims.push({
      region: match[1] as string,
      group: match[2] as string,
      index: Number(match[3]),
      instanceId,
    });
  }
  claims.sort(
    (a, b) => a.region.localeCompare(b.region) || a.group.localeCompare(b.group) || a.index - b.index,
  );
  return claims;
}

function jsonString(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
