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
import { readDataDirIdentity } from './data-dir-identity.js';

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

/**
 * A replica's initial voters (used only with an empty data directory): the slot holders for
 * a group starting for the first time; the group as it was, without this replica, for a
 * replacement (the dead holder in its place) or a newcomer in a slot added to a running
 * group (`running`, its leader's voters), so that it waits to be added and never campaigns
 * with a configuration the group does not have (thesis §4.2.1).
 */
export function initialPeers(
  self: string,
  claim: Pick<SlotClaim, 'rejoined' | 'replaced'>,
  holders: readonly string[],
  running: readonly string[] | undefined,
): readonly string[] {
  const replaced = claim.replaced;
  if (replaced !== undefined) return holders.map((holder) => (holder === self ? replaced : holder));
  if (running !== undefined && !running.includes(self)) return running;
  return holders;
}

/** How long a newcomer asks its group's leader for the voters before taking the group for new. */
const RUNNING_GROUP_QUERY_MS = 2_000;

/**
 * The voters of the group's running leader, or undefined when no leader answers (a group
 * that is starting for the first time: its holders are its voters).
 */
async function runningVoters(
  nc: NatsConnection,
  config: BootstrapConfig,
  group: string,
): Promise<readonly string[] | undefined> {
  const { RaftClient } = await import('../../clients/raft-client.js');
  const client = await RaftClient.connect({
    nc,
    cluster: config.cluster,
    region: config.region,
    group,
    deadlineMs: RUNNING_GROUP_QUERY_MS,
  });
  try {
    const status = await client.status(undefined, { deadlineMs: RUNNING_GROUP_QUERY_MS });
    return status.role === 'leader' && status.voters.length > 0 ? status.voters : undefined;
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export interface BootstrapOptions {
  /** Give up waiting for the plan or the group at this `Date.now()` time; default never. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/** What a bootstrap replica needs from its configuration (`config.bootstrap` is true). */
export type BootstrapConfig = Pick<
  ReplicaConfig,
  'cluster' | 'region' | 'instanceId' | 'nats' | 'dns' | 'dataDir'
>;

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
      // An instance of a region the plan does not have yet waits for `raftns plan apply`
      // to add it, so a new region's instances may start before or after the apply.
      notYet: (plan) =>
        plan.regions.includes(config.region)
          ? undefined
          : `region ${config.region} is not in the plan yet (regions: ${plan.regions.join(', ')}; raftns plan apply adds it)`,
      onWaiting: (waitedMs, waitingFor) =>
        blog.info({ cluster: config.cluster, waitedMs, waitingFor }, 'waiting for the cluster plan'),
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
    // A data dir that holds a group's Raft state claims a slot of that group only.
    const recorded = (await readDataDirIdentity(config.dataDir))?.group;
    const claim = await claimSlot(
      store.slots,
      plan,
      {
        instanceId: config.instanceId,
        region: config.region,
        ...(recorded === undefined ? {} : { group: recorded }),
      },
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
    // be added by the leader instead of believing it founds a group of its own. So does a
    // newcomer in a slot the plan added to a running group (`raftns plan apply` raising
    // replicasPerGroup): the running group's leader names its voters.
    const running =
      claim.rejoined || claim.replaced !== undefined
        ? undefined
        : await runningVoters(nc, config, claim.group);
    const peers = initialPeers(config.instanceId, claim, holders, running);
    if (peers === running)
      blog.info({ group: claim.group, voters: running }, 'joining a running group: waiting to be added');
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
