/**
 * Keeps a group's delegation data current (delegation-plan.ts says what it should be): run
 * by every replica, acting only while its replica leads the group with its term's no-op
 * committed (its leadership observations, leadership-feed.ts). A pass runs when the
 * replica becomes that ready leader and every `intervalMs` after, for changes outside the
 * group (members joining or leaving, the parent's zone appearing). Each pass, as leader:
 * 1. reads the group's members (slots and registrations of this region);
 * 2. creates the group's zone if it does not exist (SOA + NS + the nameservers' addresses),
 *    otherwise brings the apex NS RRset and the nameservers' A/AAAA RRsets up to date;
 * 3. does the same for the delegation in the parent group's zone (NS at the cut + glue),
 *    once the parent's zone exists; a delegation not there yet is created only once the
 *    group's zone is filled in this region (`zoneFilled`, protocol/dns/region-repair.ts:
 *    the group's leader found it holding what the other regions hold), so a region added
 *    to the plan sends no resolver to a zone anti-entropy has not filled yet.
 * Reads are linearizable; writes carry versions from a hybrid clock that observed every
 * version it read, so a new leader's write is never older than its predecessor's. A pass
 * that finds nothing to change writes nothing (serials move only on real changes).
 * Every pass is bounded by the clients' deadlines; a failed pass is logged and retried on
 * the next tick.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { leadsReady } from '../../actors/log/protocol.js';
import { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import { agreementRows, zoneFilled } from '../../protocol/dns/region-repair.js';
import { DELEGATION_WRITER_PREFIX, HybridClock } from '../../protocol/dns/version.js';
import type { DnsNameView } from '../../protocol/dns/views.js';
import type { ClusterPlan, GroupPlan } from '../../protocol/plan.js';
import type { Logger } from '../log.js';
import {
  type DesiredRRset,
  type GroupMember,
  nameserverRRsets,
  reconcileChanges,
  staleNameservers,
  withAddresses,
} from './delegation-plan.js';
import { followReadyLeadership, type LeadershipSource } from './leadership-feed.js';
import { PeriodicTask } from './periodic-task.js';

export interface DelegationReconcilerOptions {
  readonly nc: NatsConnection;
  /** The cluster plan as it is now (its replicas per group may grow while the replica runs). */
  readonly plan: () => ClusterPlan;
  readonly region: string;
  readonly groupId: string;
  readonly instanceId: string;
  /** This region's members per group id; a group missing or short of replicas is skipped. */
  readonly members: () => Promise<ReadonlyMap<string, readonly GroupMember[]>>;
  /**
   * Addresses to publish for every nameserver of a group instead of the replicas' own (in
   * its zone and as glue in the parent's), e.g. the group's Global Accelerator addresses;
   * undefined: the replicas' own. Asked once per pass.
   */
  readonly addressOverride?: (groupId: string) => Promise<readonly string[] | undefined>;
  readonly leadership: LeadershipSource;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly nowMs: () => number;
}

export type PassOutcome =
  | { readonly kind: 'not-leader' }
  | { readonly kind: 'incomplete'; readonly group: string }
  | {
      readonly kind: 'done';
      readonly ownChanges: number;
      readonly parentChanges: number | 'parent-zone-missing' | 'awaiting-fill';
    }
  /** The group left the plan (`raftns plan apply`): the parent's delegation to it, removed. */
  | { readonly kind: 'withdrawn'; readonly parentChanges: number };

const CALL_DEADLINE_MS = 5_000;

export class DelegationReconciler {
  private readonly group: GroupPlan;
  private readonly parent: GroupPlan | undefined;
  private readonly clock: HybridClock;
  private readonly clients = new Map<string, RaftClient>();
  private readonly task: PeriodicTask<PassOutcome>;
  private stopFollowing: (() => void) | undefined;
  /** The instances the last complete pass of this leadership published as nameservers. */
  private published: ReadonlySet<string> | undefined;

  constructor(private readonly options: DelegationReconcilerOptions) {
    const group = options.plan().groups.find((g) => g.id === options.groupId);
    if (group === undefined) throw new RangeError(`group ${options.groupId} is not in the plan`);
    this.group = group;
    this.parent = options.plan().groups.find((g) => g.id === group.parent);
    this.clock = new HybridClock(`${DELEGATION_WRITER_PREFIX}${options.instanceId}`, options.nowMs);
    this.task = new PeriodicTask(
      () => this.pass(),
      options.intervalMs,
      (outcome) => {
        if (outcome.kind === 'withdrawn' && outcome.parentChanges > 0)
          options.log.info({ ...outcome }, 'group retired: delegation removed from the parent');
        if (
          outcome.kind === 'done' &&
          (outcome.ownChanges > 0 || (typeof outcome.parentChanges === 'number' && outcome.parentChanges > 0))
        )
          options.log.info({ ...outcome }, 'delegation data updated');
      },
      (error) => options.log.warn({ err: String(error) }, 'delegation pass failed; retrying'),
    );
  }

  start(): void {
    this.task.start();
    this.stopFollowing = followReadyLeadership(this.options.leadership, () => this.task.runSoon());
  }

  async stop(): Promise<void> {
    this.stopFollowing?.();
    await this.task.stop();
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
  }

  /**
   * Whether the group's zone and the parent's glue, as this leader last wrote them, do not
   * name `instanceId` (false until this leader completed a pass). The membership
   * reconciler removes a voter only then (a shrink: membership-reconciler.ts).
   */
  withdrawn(instanceId: string): boolean {
    return this.published !== undefined && !this.published.has(instanceId);
  }

  /** One reconcile pass (the timer runs them; tests may too). */
  async pass(): Promise<PassOutcome> {
    if (!leadsReady(this.options.leadership.current())) {
      this.published = undefined;
      return { kind: 'not-leader' };
    }
    if (!this.options.plan().groups.some((g) => g.id === this.group.id)) return this.withdraw();
    const members = await this.options.members();
    const listed = members.get(this.group.id);
    const own =
      listed === undefined
        ? undefined
        : withAddresses(listed, await this.options.addressOverride?.(this.group.id));
    if (
      own === undefined ||
      own.length < this.options.plan().replicasPerGroup ||
      own.some((m) => m.addresses.length === 0)
    )
      return { kind: 'incomplete', group: this.group.id };
    const desired = nameserverRRsets(this.group, own);
    const ownChanges = (await this.reconcileZone(this.group, this.group.zone, desired, true)) ?? 0;
    if (this.parent === undefined) {
      this.published = new Set(own.map((m) => m.instanceId));
      return { kind: 'done', ownChanges, parentChanges: 0 };
    }
    this.published = new Set(own.map((m) => m.instanceId));
    if (!(await this.filledOrDelegated(this.parent)))
      return { kind: 'done', ownChanges, parentChanges: 'awaiting-fill' };
    const parentChanges = await this.reconcileZone(this.parent, this.parent.zone, desired, false);
    return { kind: 'done', ownChanges, parentChanges: parentChanges ?? 'parent-zone-missing' };
  }

  /**
   * Whether the parent may delegate to the group's zone: it does already (kept current
   * whatever the data), or the zone is filled in this region by its leader's comparisons
   * with the other regions (this replica, asked through the group's status).
   */
  private async filledOrDelegated(parent: GroupPlan): Promise<boolean> {
    const others = this.options.plan().regions.filter((r) => r !== this.options.region);
    if (others.length === 0) return true;
    // The usual case, a delegation in place, costs one read and no status.
    const cut = await this.read(await this.client(parent.id), parent.zone, this.group.zone).catch(() => null);
    if (cut?.rrsets.some((r) => r.type === 'NS') === true) return true;
    const status = await (await this.client(this.group.id)).status(undefined, {
      deadlineMs: CALL_DEADLINE_MS,
    });
    return zoneFilled(this.group.zone, agreementRows(status.regionAgreement), others);
  }

  /**
   * The group was retired: removes the NS at the cut and the glue below it from the parent's
   * zone (read linearizably; nothing written when they are gone already). The group's
   * replicas leave once the parent no longer delegates to them (slot-retirement.ts).
   */
  private async withdraw(): Promise<PassOutcome> {
    if (this.parent === undefined) return { kind: 'withdrawn', parentChanges: 0 };
    const client = await this.client(this.parent.id);
    const cut = await this.read(client, this.parent.zone, this.group.zone);
    const ns = cut?.rrsets.find((r) => r.type === 'NS');
    const changes: DnsChange[] = [];
    for (const target of ns?.rdata ?? []) {
      const glue = await this.read(client, this.parent.zone, target);
      if (glue !== null && glue.rrsets.length > 0)
        changes.push({
          op: 'delete-name',
          zone: this.parent.zone,
          name: glue.name,
          version: this.clock.next(),
        });
    }
    if (ns !== undefined)
      changes.push({
        op: 'delete-rrset',
        zone: this.parent.zone,
        name: cut?.name ?? this.group.zone,
        type: 'NS',
        version: this.clock.next(),
      });
    return {
      kind: 'withdrawn',
      parentChanges: changes.length === 0 ? 0 : await this.commit(client, changes),
    };
  }

  /**
   * Brings `desired` about in `zone`, served by `group` in this region. Creates the zone
   * when `create` and it is missing; returns null when it is missing and not ours to create.
   */
  private async reconcileZone(
    group: GroupPlan,
    zone: string,
    desired: readonly DesiredRRset[],
    create: boolean,
  ): Promise<number | null> {
    const client = await this.client(group.id);
    const zones = await client.dnsZones('linearizable', { deadlineMs: CALL_DEADLINE_MS });
    const exists = zones.some((z) => z.zone.toLowerCase() === zone.toLowerCase());
    if (!exists) {
      if (!create) return null;
      return this.commit(client, this.createZone(zone, desired));
    }
    const apex = desired[0]?.name ?? zone;
    const current = new Map<string, DnsNameView | null>();
    for (const name of new Set(desired.map((d) => d.name)))
      current.set(name, await this.read(client, zone, name));
    const stale = staleNameservers(apex, desired, current);
    for (const name of stale) current.set(name, await this.read(client, zone, name));
    const changes = reconcileChanges(zone, desired, current, stale, () => this.clock.next());
    return changes.length === 0 ? 0 : this.commit(client, changes);
  }

  private createZone(zone: string, desired: readonly DesiredRRset[]): DnsChange[] {
    const ns = desired.find((d) => d.type === 'NS');
    const nameservers = ns?.rdata ?? [];
    const first = nameservers[0];
    if (first === undefined) throw new Error(`no nameservers for ${zone}`);
    return [
      {
        op: 'create-zone',
        zone,
        soa: {
          mname: first,
          rname: zone === '.' ? 'hostmaster.' : `hostmaster.${zone}`,
          refresh: 3600,
          retry: 600,
          expire: 604_800,
          minimum: 60,
          ttl: 3600,
        },
        ns: [...nameservers],
        nsTtl: ns?.ttl ?? 300,
      },
      ...desired
        .filter((d) => d.type !== 'NS')
        .map(
          (d): DnsChange => ({
            op: 'upsert',
            zone,
            name: d.name,
            type: d.type,
            ttl: d.ttl,
            rdata: [...d.rdata],
            version: this.clock.next(),
          }),
        ),
    ];
  }

  private async read(client: RaftClient, zone: string, name: string): Promise<DnsNameView | null> {
    const view = await client.dnsRrsets(zone, name, 'linearizable', { deadlineMs: CALL_DEADLINE_MS });
    if (view !== null) {
      for (const rrset of view.rrsets) this.clock.observe(rrset.version);
      for (const deleted of view.deleted) this.clock.observe(deleted.version);
      if (view.nameDeleted !== null) this.clock.observe(view.nameDeleted);
    }
    return view;
  }

  private async commit(client: RaftClient, changes: DnsChange[]): Promise<number> {
    const result = await client.dnsBatch({ changes }, { deadlineMs: CALL_DEADLINE_MS });
    if (!result.ok) throw new Error(`delegation write refused: ${result.error.message}`);
    return changes.length;
  }

  private async client(groupId: string): Promise<RaftClient> {
    let client = this.clients.get(groupId);
    if (client === undefined) {
      client = await RaftClient.connect({
        nc: this.options.nc,
        cluster: this.options.plan().cluster,
        region: this.options.region,
        group: groupId,
        deadlineMs: CALL_DEADLINE_MS,
      });
      this.clients.set(groupId, client);
    }
    return client;
  }
}
