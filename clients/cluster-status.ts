/**
 * The cluster as its replicas report it: every group of the plan in every region, its
 * claimed replicas (clients/plan-reader.ts) each asked its status over NATS at once. One
 * gathering for `raftns cluster-status`, the replica's status page and `raftns dashboard`.
 *
 * A replica's status is its own word, taken as sent (protocol/client-wire.ts): numbers
 * that are not finite non-negative numbers are read as unknown, so nothing but the fields
 * below reaches a table or a page.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { agreementRows, type ZoneAgreement } from '../protocol/dns/region-repair.js';
import { readPlan, readSlots } from './plan-reader.js';
import { RaftClient } from './raft-client.js';

/** The longest a status ask may wait: a replica that needs longer counts as unreachable. */
export const STATUS_DEADLINE_MS_MAX = 2_000;

export interface ReplicaRow {
  readonly region: string;
  readonly group: string;
  readonly index: number;
  readonly replica: string;
  readonly reachable: boolean;
  readonly role: string | null;
  readonly term: number | null;
  readonly leader: string | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  /** The group leader's applied index minus this replica's (null: unknown). */
  readonly lag: number | null;
  /** DNS queries received since the replica's DNS actor started (null: unknown). */
  readonly dnsQueries: number | null;
  /** Client writes applied through this replica's intake since it started, and their summed seconds. */
  readonly writesApplied: number | null;
  readonly writeSecondsApplied: number | null;
  readonly error: string | null;
}

export interface GroupRow {
  readonly region: string;
  readonly group: string;
  readonly zone: string;
  /** The leader of the highest term any replica reported; null if none. */
  readonly leader: string | null;
  readonly replicas: readonly ReplicaRow[];
  /** The leader's last comparison of each zone with each other region (anti-entropy); empty when none. */
  readonly agreement: readonly ZoneAgreement[];
}

/** One replica to ask: slot `index` of a group, held by `instanceId`. */
export interface ReplicaSlot {
  readonly index: number;
  readonly instanceId: string;
}

export interface GroupToGather {
  readonly region: string;
  readonly group: string;
  readonly zone: string;
  readonly slots: readonly ReplicaSlot[];
}

/** Every group of the plan in `regions` (default: all), its claimed replicas queried at once. */
export async function clusterStatus(
  nc: NatsConnection,
  cluster: string,
  options: { readonly regions?: readonly string[]; readonly deadlineMs: number },
): Promise<GroupRow[]> {
  const targets = await clusterTargets(nc, cluster, options.regions);
  return Promise.all(targets.map((group) => groupStatus(nc, cluster, group, options.deadlineMs)));
}

/** What `clusterStatus` asks: every group of the plan in `regions` (default: all) with its slot claims. */
export async function clusterTargets(
  nc: NatsConnection,
  cluster: string,
  regions?: readonly string[],
): Promise<GroupToGather[]> {
  const plan = await readPlan(nc, cluster);
  const wanted = regions ?? plan.regions;
  const unknown = wanted.filter((r) => !plan.regions.includes(r));
  if (unknown.length > 0) throw new RangeError(`not regions of the plan: ${unknown.join(', ')}`);
  const claims = await readSlots(nc, cluster);
  return wanted.flatMap((region) =>
    plan.groups.map(
      (group): GroupToGather => ({
        region,
        group: group.id,
        zone: group.zone,
        slots: claims.filter((c) => c.region === region && c.group === group.id),
      }),
    ),
  );
}

/** One group's replicas asked their status at once, each within `deadlineMs` (at most STATUS_DEADLINE_MS_MAX). */
export async function groupStatus(
  nc: NatsConnection,
  cluster: string,
  target: GroupToGather,
  deadlineMs: number,
): Promise<GroupRow> {
  const { region, group, zone, slots } = target;
  const askMs = Math.min(deadlineMs, STATUS_DEADLINE_MS_MAX);
  const client = await RaftClient.connect({ nc, cluster, region, group, deadlineMs: askMs });
  try {
    const answers = await Promise.all(
      slots.map(async (slot) => {
        try {
          return { slot, status: await client.status(slot.instanceId, { deadlineMs: askMs }), error: null };
        } catch (error) {
          return { slot, status: null, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const maxTerm = Math.max(0, ...answers.map((a) => count(a.status?.term) ?? 0));
    const leaderStatus = answers.find(
      (a) => a.status?.role === 'leader' && a.status.term === maxTerm,
    )?.status;
    const leaderApplied = count(leaderStatus?.appliedIndex);
    const replicas = answers.map(({ slot, status, error }): ReplicaRow => {
      const applied = count(status?.appliedIndex);
      return {
        region,
        group,
        index: slot.index,
        replica: slot.instanceId,
        reachable: status !== null,
        role: text(status?.role),
        term: count(status?.term),
        leader: text(status?.leaderId),
        commitIndex: count(status?.commitIndex),
        appliedIndex: applied,
        lag: applied === null || leaderApplied === null ? null : Math.max(0, leaderApplied - applied),
        dnsQueries: count(status?.dnsQueries),
        writesApplied: count(status?.writesApplied),
        writeSecondsApplied: count(status?.writeSecondsApplied),
        error,
      };
    });
    return {
      region,
      group,
      zone,
      leader: text(leaderStatus?.replica),
      replicas,
      agreement: agreementRows(leaderStatus?.regionAgreement),
    };
  } finally {
    await client.close();
  }
}

/** A replica's figure if it is a finite non-negative number, else null (unknown). */
function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Longest name or role kept from a replica's word. */
const TEXT_CHARS_MAX = 256;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length <= TEXT_CHARS_MAX ? value : null;
}
