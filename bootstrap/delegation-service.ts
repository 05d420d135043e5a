/**
 * The delegation reconciler of a bootstrapped replica, with its own NATS connection: it
 * reads the slots and registrations of the replica's region and, while the replica leads
 * its group, keeps the group's zone and its parent's delegation current
 * (delegation-reconciler.ts).
 */
import type { Logger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { DelegationReconciler } from './delegation-reconciler.js';
import { regionMembers } from './group-members.js';
import type { ClusterPlan } from './plan.js';
import { PlanStore } from './plan-store.js';

export const DELEGATION_INTERVAL_MS = 2_000;

export interface DelegationServiceOptions {
  readonly natsUrls: readonly string[];
  readonly natsCredsFile?: string;
  readonly plan: ClusterPlan;
  readonly region: string;
  readonly groupId: string;
  readonly instanceId: string;
  readonly isLeader: () => boolean;
  readonly log: Logger;
}

export async function startDelegationService(
  options: DelegationServiceOptions,
): Promise<() => Promise<void>> {
  const nc = await connectNats({
    urls: options.natsUrls,
    ...(options.natsCredsFile === undefined ? {} : { credsFile: options.natsCredsFile }),
    name: `raftns/${options.instanceId}/delegation`,
    log: options.log,
  });
  const store = await PlanStore.open(nc, options.plan.cluster);
  const reconciler = new DelegationReconciler({
    nc,
    plan: options.plan,
    region: options.region,
    groupId: options.groupId,
    instanceId: options.instanceId,
    members: () => regionMembers(store, options.plan, options.region),
    isLeader: options.isLeader,
    log: options.log.child({ component: 'delegation' }),
    intervalMs: DELEGATION_INTERVAL_MS,
    nowMs: () => Date.now(),
  });
  reconciler.start();
  return async () => {
    await reconciler.stop();
    await nc.close().catch(() => undefined);
  };
}
