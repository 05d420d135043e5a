/**
 * What a bootstrapped replica does for its group while it leads it, with its own NATS
 * connection to the cluster's KV buckets: keeps the Raft voters equal to the slot holders
 * (membership-reconciler.ts: replacements of dead replicas join, the dead leave) and the
 * group's zone and its parent's delegation current (delegation-reconciler.ts). When the
 * cluster is provisioned on AWS (the `aws` record, clients/aws/aws-plan-record.ts), each
 * group's nameservers are published with its Global Accelerator's static addresses.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { PlanStore } from '../../bootstrap/plan-store.js';
import { liveInstances } from '../../bootstrap/registry.js';
import { readSlots, releaseLeftSlots } from '../../bootstrap/slot-claim.js';
import { ZoneRegistryStore } from '../../bootstrap/zone-registry-store.js';
import { type AwsRecord, readAwsRecordFrom } from '../../clients/aws/aws-plan-record.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import { DelegationReconciler } from './delegation-reconciler.js';
import { regionMembers } from './group-members.js';
import type { LeadershipSource } from './leadership-feed.js';
import { MembershipReconciler } from './membership-reconciler.js';
import { ZoneRegistryReconciler } from './zone-registry-reconciler.js';

export const DELEGATION_INTERVAL_MS = 2_000;
export const MEMBERSHIP_INTERVAL_MS = 1_000;
export const ZONE_REGISTRY_INTERVAL_MS = 5_000;
/** A pass waiting on another group (a child zone not yet created) looks again this soon. */
export const ZONE_REGISTRY_PENDING_RETRY_MS = 100;

export interface GroupMaintenanceOptions {
  /** The bootstrap's connection and buckets (bootstrap-process.ts); not closed here. */
  readonly nc: NatsConnection;
  readonly store: PlanStore;
  readonly plan: ClusterPlan;
  readonly region: string;
  readonly groupId: string;
  readonly instanceId: string;
  /** The replica's leadership observations: passes run on becoming the ready leader, and only then act. */
  readonly leadership: LeadershipSource;
  /** The replica's actors (the log's configuration, membership changes). */
  readonly external: ExternalEndpoint;
  readonly log: Logger;
}

export async function startGroupMaintenance(options: GroupMaintenanceOptions): Promise<() => Promise<void>> {
  const { nc, store } = options;
  // The plan may gain groups while the replica runs (`raftns plan apply`): what spans
  // groups (the members of every group, registered zones in new groups) follows it.
  let plan = options.plan;
  const stopFollowingPlan = await store.watchPlan(
    (next) => {
      plan = next;
      options.log.info({ groups: next.groups.map((g) => g.id) }, 'cluster plan changed');
    },
    (error) => options.log.warn({ err: String(error) }, 'a stored plan was refused; keeping the current one'),
  );
  const reconciler = new DelegationReconciler({
    nc,
    plan: () => plan,
    region: options.region,
    groupId: options.groupId,
    instanceId: options.instanceId,
    members: () => regionMembers(store, plan, options.region),
    addressOverride: acceleratorAddresses(store, options.log),
    leadership: options.leadership,
    log: options.log.child({ component: 'delegation' }),
    intervalMs: DELEGATION_INTERVAL_MS,
    nowMs: () => Date.now(),
  });
  const membership = new MembershipReconciler({
    external: options.external,
    leadership: options.leadership,
    self: options.instanceId,
    inPlan: () => plan.groups.some((g) => g.id === options.groupId),
    // A shrink: a voter leaves the configuration only once the nameservers no longer name it.
    withdrawn: (replica) => reconciler.withdrawn(replica),
    // The slots a shrink removed whose replica was down and could not release them itself.
    whenInSync: async (voters) => {
      const released = await releaseLeftSlots(
        store.slots,
        plan,
        options.region,
        options.groupId,
        async (holder) => !voters.includes(holder) && !(await registered(store, holder)),
      );
      if (released.length > 0)
        options.log.info({ released }, 'released the removed slots of replicas that left');
    },
    holders: async () => {
      const [slots, live] = await Promise.all([
        readSlots(store.slots, plan, options.region, options.groupId),
        liveInstances(store),
      ]);
      return {
        holders: slots.flatMap((slot) => (slot.holder === undefined ? [] : [slot.holder])),
        live: new Set(live.map((r) => r.instanceId)),
      };
    },
    log: options.log.child({ component: 'membership' }),
    intervalMs: MEMBERSHIP_INTERVAL_MS,
  });
  const zones = new ZoneRegistryReconciler({
    nc,
    plan: () => plan,
    region: options.region,
    groupId: options.groupId,
    registry: await ZoneRegistryStore.open(nc, options.plan.cluster),
    members: () => regionMembers(store, plan, options.region),
    leadership: options.leadership,
    log: options.log.child({ component: 'zones' }),
    intervalMs: ZONE_REGISTRY_INTERVAL_MS,
    pendingRetryMs: ZONE_REGISTRY_PENDING_RETRY_MS,
    nowMs: () => Date.now(),
  });
  membership.start();
  reconciler.start();
  await zones.start();
  return async () => {
    stopFollowingPlan();
    await membership.stop();
    await reconciler.stop();
    await zones.stop();
  };
}

/** Whether `instanceId` has a registration (expired ones are gone: the bucket's TTL). */
async function registered(store: PlanStore, instanceId: string): Promise<boolean> {
  const entry = await store.instances.get(instanceId);
  return entry !== null && entry.operation === 'PUT';
}

/**
 * Each group's accelerator addresses from the `aws` record, read again on every pass (the
 * reconciler asks once per pass); when a read fails, the last record read is used.
 */
function acceleratorAddresses(
  store: PlanStore,
  log: Logger,
): (groupId: string) => Promise<readonly string[] | undefined> {
  let last: AwsRecord | undefined;
  return async (groupId) => {
    try {
      last = await readAwsRecordFrom(store.plan);
    } catch (error) {
      log.warn({ err: String(error) }, 'cannot read the aws record; using the last one read');
    }
    return last?.groups[groupId]?.staticAddresses;
  };
}
