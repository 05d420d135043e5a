/**
 * Where a status page's gatherings come from (status-feed.ts), both through the same
 * gathering as `raftns cluster-status` (clients/cluster-status.ts):
 *
 * - `raftns dashboard`: the whole cluster from its plan and slot claims in NATS KV;
 * - a replica's page: the same, or, when the cluster has no plan in NATS (a group started
 *   with `--peers` alone), this replica's own group, its members taken from `--peers`.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { clusterTargets, type GroupToGather, groupStatus } from '../../../clients/cluster-status.js';
import { PlanUnavailableError } from '../../../clients/plan-reader.js';
import type { Clock } from '../../clock.js';
import type { Gather } from './status-feed.js';

/**
 * The plan and slot claims are read again after this long: a gathering every 500 ms asks
 * the replicas, not NATS KV, and a new claim shows within this.
 */
export const TARGETS_MAX_AGE_MS = 5_000;

/** The whole cluster of the plan. */
export function clusterGather(nc: NatsConnection, cluster: string, clock: Clock): Gather {
  let targets: { readonly groups: readonly GroupToGather[]; readonly atMs: number } | undefined;
  return async (askDeadlineMs) => {
    if (targets === undefined || clock.nowMs() - targets.atMs >= TARGETS_MAX_AGE_MS)
      targets = { groups: await clusterTargets(nc, cluster), atMs: clock.nowMs() };
    const groups = await Promise.all(
      targets.groups.map((group) => groupStatus(nc, cluster, group, askDeadlineMs)),
    );
    return { groups, note: null };
  };
}

export interface OwnGroup {
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly self: string;
  /** The group's members as configured (`--peers`); empty: this replica alone. */
  readonly peers: readonly string[];
}

/** The whole cluster of the plan; without a plan, `own` group. */
export function replicaGather(nc: NatsConnection, own: OwnGroup, clock: Clock): Gather {
  const whole = clusterGather(nc, own.cluster, clock);
  const members = own.peers.length > 0 ? own.peers : [own.self];
  return async (askDeadlineMs) => {
    try {
      return await whole(askDeadlineMs);
    } catch (error) {
      if (!(error instanceof PlanUnavailableError)) throw error;
      const group = await groupStatus(
        nc,
        own.cluster,
        {
          region: own.region,
          group: own.group,
          zone: '',
          slots: members.map((instanceId, index) => ({ index, instanceId })),
        },
        askDeadlineMs,
      );
      return {
        groups: [group],
        note: `no cluster plan in NATS: group ${own.group} only, as configured here`,
      };
    }
  };
}
