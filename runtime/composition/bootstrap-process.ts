/**
 * Bootstrap mode of `runtime/main` (`--bootstrap`): instead of being told its group and
 * peers, a replica reads the cluster plan from NATS KV, registers, claims a slot and waits
 * for the slot's group to fill; the group's holders are its Raft peers.
 *
 * Runs on the main thread before the replica's actors start, with its own NATS connection
 * kept open for the registration heartbeat for the life of the process. Why not an actor
 * (the brief's first choice): actors reach NATS only through `openTransport`, which gives
 * peer messaging on the group's subjects, not JetStream KV; and every actor spec of the
 * replica is built from the group this step decides, so it has to finish before any actor
 * exists. The heartbeat is supervised in the small: a failed put is logged and retried on
 * the next tick, never fatal (the NATS client reconnects forever).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { type PlanStore, waitForPlan } from '../../bootstrap/plan-store.js';
import { Registration } from '../../bootstrap/registry.js';
import { claimSlot, type SlotClaim, waitForGroup } from '../../bootstrap/slot-claim.js';
import { replaceDeadHolder } from '../../bootstrap/slot-replacement.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import type { Logger } from '../log.js';
import { connectNats } from '../nats/nats-connection.js';
import type { ReplicaConfig } from './config.js';
import { parseDnsListener } from './config.js';

export interface BootstrapOutcome {
  readonly plan: ClusterPlan;
  readonly claim: SlotClaim;
  /** The group's voters (instance ids in slot order), this instance included. */
  readonly peers: readonly string[];
  readonly registration: Registration;
  /** The bootstrap's connection and the cluster's buckets, open for the process's life (group maintenance, the aws record). */
  readonly nc: NatsConnection;
  readonly store: PlanStore;
  /** Stops the heartbeat and closes the bootstrap's NATS connection. */
  close(): Promise<void>;
}

export interface BootstrapOptions {
  /** Give up waiting for the plan or the group at this `Date.now()` time; default never. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/** What a bootstrap replica needs from its configuration (`config.bootstrap` is true). */
export type BootstrapConfig = Pick<ReplicaConfig, 'cluster' | 'region' | 'instanceId' | 'nats' | 'dns'>;

/**
 * Plan, registration, slot, group: each step logged. Fails with a `BootstrapError` when
 * the plan is for another cluster or invalid, the region is not in it, or no slot is free.
 */
export async function bootstrapReplica(
  config: BootstrapConfig,
  log: Logger,
  options: BootstrapOptions = {},
): Promise<BootstrapOutcome> {
  const blog = log.child({ component: 'bootstrap' });
  const nc: NatsConnection = await connectNats({
    urls: config.nats.urls,
    ...(config.nats.credsFile === undefined ? {} : { credsFile: config.nats.credsFile }),
    name: `raftns/${config.instanceId}/bootstrap`,
    log,
  });
  let registration: Registration | undefined;
  try {
    const { store, plan } = await waitForPlan(nc, config.cluster, {
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onWaiting: (waitedMs) =>
        blog.info({ cluster: config.cluster, waitedMs }, 'waiting for the cluster plan (raftns init)'),
    });
    blog.info(
      {
        regions: plan.regions,
        replicasPerGroup: plan.replicasPerGroup,
        groups: plan.groups.map((g) => g.id),
      },
      'cluster plan read',
    );
    const first = config.dns.listen[0];
    const listener = first === undefined ? undefined : parseDnsListener(first);
    registration = await Registration.register(
      store.instances,
      {
        instanceId: config.instanceId,
        region: config.region,
        dnsAddresses: config.dns.advertise ?? [],
        dnsPort: listener?.port ?? 0,
      },
      { log: blog },
    );
    blog.info(
      { dnsAddresses: registration.registration.dnsAddresses, heartbeatMs: registration.heartbeatMs },
      'registered',
    );
    const claim = await claimSlot(
      store.slots,
      plan,
      { instanceId: config.instanceId, region: config.region },
      { replace: replaceDeadHolder(store, blog) },
    );
    blog.info(
      { group: claim.group, slot: claim.key, rejoined: claim.rejoined, replaced: claim.replaced },
      claim.rejoined ? 'rejoined my slot' : 'claimed a slot',
    );
    const holders = await waitForGroup(store.slots, plan, config.region, claim.group, {
      log: blog,
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    // A replacement joins the group as it was (the dead holder still a voter): it waits to
    // be added by the leader instead of believing it founds a group of its own.
    const replaced = claim.replaced;
    const peers =
      replaced === undefined
        ? holders
        : holders.map((holder) => (holder === config.instanceId ? replaced : holder));
    blog.info({ group: claim.group, peers }, 'group complete');
    const held = registration;
    return {
      plan,
      claim,
      peers,
      registration: held,
      nc,
      store,
      close: async () => {
        await held.stop();
        await nc.close();
      },
    };
  } catch (error) {
    await registration?.stop();
    await nc.close().catch(() => undefined);
    throw error;
  }
}
