/**
 * Brings a region's data to what the zone registry says (protocol/zone-directory.ts,
 * bootstrap/zone-registry-store.ts): run by every replica, acting only while its replica
 * leads its group with its term's no-op committed, like the delegation reconciler. A pass
 * runs on becoming that leader, on every change of the registry, every `intervalMs`, and
 * again after `pendingRetryMs` while something waits on another group.
 *
 * For each registered zone this group serves:
 * - `active`: create it when missing (SOA, and the apex NS listing this group's nameservers,
 *   the names the delegation reconciler keeps in the group's planned zone), else keep the
 *   apex NS equal to the group's nameservers;
 * - `deleting`: delete it once the parent's delegation to it is gone in this region
 *   (a resolver must never be sent to a zone that no longer exists).
 * For each registered zone whose parent zone this group serves:
 * - `active`: once the child zone exists in its group in this region (the child answers
 *   before anyone is sent to it), keep the NS RRset at the cut equal to the child group's
 *   nameservers (RFC 1034 §4.2.1). No glue: a registered zone never contains a nameserver
 *   name (zone-directory.ts);
 * - `deleting`: remove the NS RRset at the cut.
 * Reads are linearizable; versions come from a hybrid clock that observed every version it
 * read. A pass that finds nothing to change writes nothing. Zones whose NS were found
 * current for the same nameservers are not read again until those nameservers change, so
 * a steady pass over many zones costs one zone listing per group involved.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { leadsReady } from '../../actors/log/protocol.js';
import type { ZoneRegistryStore } from '../../bootstrap/zone-registry-store.js';
import { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import { HybridClock, ZONE_REGISTRY_WRITER_PREFIX } from '../../protocol/dns/version.js';
import type { DnsNameView } from '../../protocol/dns/views.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import { type RegisteredZone, type ServedZone, ZoneDirectory } from '../../protocol/zone-directory.js';
import type { Logger } from '../log.js';
import { DELEGATION_TTL, type GroupMember, nameserverName } from './delegation-plan.js';
import { followReadyLeadership, type LeadershipSource } from './leadership-feed.js';
import { PeriodicTask } from './periodic-task.js';

export interface ZoneRegistryReconcilerOptions {
  readonly nc: NatsConnection;
  /** The cluster plan as it is now (it may gain groups while the replica runs). */
  readonly plan: () => ClusterPlan;
  readonly region: string;
  readonly groupId: string;
  readonly registry: ZoneRegistryStore;
  /** This region's members per group id; a group short of replicas is left alone. */
  readonly members: () => Promise<ReadonlyMap<string, readonly GroupMember[]>>;
  readonly leadership: LeadershipSource;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly pendingRetryMs: number;
  readonly nowMs: () => number;
}

export type ZonePassOutcome =
  | { readonly kind: 'not-leader' }
  | { readonly kind: 'done'; readonly changes: number; readonly pending: number };

const CALL_DEADLINE_MS = 5_000;
/** Zone creations per committed batch (each a few hundred bytes; BATCH_CHANGES_MAX bounds it). */
const CREATIONS_PER_BATCH = 64;
/** The SOA timers of a created zone (RFC 1035 §3.3.13; RFC 1912 §2.2 ranges). */
const NEW_ZONE_SOA = { refresh: 3600, retry: 600, expire: 604_800, minimum: 60, ttl: 3600 } as const;

export class ZoneRegistryReconciler {
  private readonly clock: HybridClock;
  private readonly clients = new Map<string, RaftClient>();
  private readonly task: PeriodicTask<ZonePassOutcome>;
  /** Zone (or `cut:` + zone) → the NS rdata found current, while this replica leads. */
  private readonly checked = new Map<string, string>();
  private stopFollowing: (() => void) | undefined;
  private stopWatching: (() => void) | undefined;
  /** The registry as the watch delivered it last (read whole at start). */
  private registered: readonly RegisteredZone[] = [];

  constructor(private readonly options: ZoneRegistryReconcilerOptions) {
    this.clock = new HybridClock(
      `${ZONE_REGISTRY_WRITER_PREFIX}${options.groupId}-${options.region}`,
      options.nowMs,
    );
    this.task = new PeriodicTask(
      () => this.pass(),
      options.intervalMs,
      (outcome) => {
        if (outcome.kind === 'done' && outcome.changes > 0)
          options.log.info({ ...outcome }, 'registered zones updated');
      },
      (error) => options.log.warn({ err: String(error) }, 'zone registry pass failed; retrying'),
      (outcome) => (outcome.kind === 'done' && outcome.pending > 0 ? options.pendingRetryMs : undefined),
    );
  }

  async start(): Promise<void> {
    this.task.start();
    this.stopFollowing = followReadyLeadership(this.options.leadership, () => {
      this.checked.clear();
      this.task.runSoon();
    });
    this.registered = await this.options.registry.list();
    this.stopWatching = await this.options.registry.watch(
      (zones) => {
        this.registered = zones;
        this.task.runSoon();
      },
      (key, why) => this.options.log.warn({ key, why }, 'zone registry entry ignored'),
    );
  }

  async stop(): Promise<void> {
    this.stopFollowing?.();
    this.stopWatching?.();
    await this.task.stop();
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
  }

  /** One pass (the timer runs them; tests may too). */
  async pass(): Promise<ZonePassOutcome> {
    if (!leadsReady(this.options.leadership.current())) {
      this.checked.clear();
      return { kind: 'not-leader' };
    }
    const directory = new ZoneDirectory(this.options.plan(), this.registered);
    const mine: ServedZone[] = [];
    const children: Array<{ child: ServedZone; parent: ServedZone }> = [];
    for (const zone of directory.zones()) {
      if (zone.source !== 'registry') continue;
      if (zone.group === this.options.groupId) mine.push(zone);
      const parent = directory.parentOf(zone.zone);
      if (parent?.group === this.options.groupId) children.push({ child: zone, parent });
    }
    if (mine.length === 0 && children.length === 0) return { kind: 'done', changes: 0, pending: 0 };

    const members = await this.options.members();
    const listings = new Map<string, Promise<Set<string>>>();
    const existing = (group: string): Promise<Set<string>> => {
      let listing = listings.get(group);
      if (listing === undefined) {
        listing = this.client(group)
          .then((c) => c.dnsZones('linearizable', { deadlineMs: CALL_DEADLINE_MS }))
          .then((zones) => new Set(zones.map((z) => z.zone.toLowerCase())));
        listings.set(group, listing);
      }
      return listing;
    };
    let changes = 0;
    let pending = 0;
    const creations: DnsChange[] = [];
    for (const zone of mine) {
      const outcome = await this.reconcileOwn(zone, directory, members, existing, creations);
      changes += outcome.changes;
      pending += outcome.pending ? 1 : 0;
    }
    // Zones to create (and apex NS to correct) go in batches: a thousand new zones are a few
    // Raft entries, not a thousand.
    if (creations.length > 0) {
      const client = await this.client(this.options.groupId);
      for (let i = 0; i < creations.length; i += CREATIONS_PER_BATCH)
        changes += await this.commit(client, creations.slice(i, i + CREATIONS_PER_BATCH));
      // The children of new zones wait for them: look again at once.
      listings.clear();
      pending++;
    }
    const cuts: DnsChange[] = [];
    for (const { child, parent } of children) {
      const outcome = await this.reconcileCut(child, parent, members, existing, cuts);
      changes += outcome.changes;
      pending += outcome.pending ? 1 : 0;
    }
    // Delegations likewise, in this group's zones (every cut here is in a zone this group serves).
    if (cuts.length > 0) {
      const client = await this.client(this.options.groupId);
      for (let i = 0; i < cuts.length; i += CREATIONS_PER_BATCH)
        changes += await this.commit(client, cuts.slice(i, i + CREATIONS_PER_BATCH));
    }
    return { kind: 'done', changes, pending };
  }

  /** Adds the zone's creation to `creations` when it is missing (the pass commits them in batches). */
  private async reconcileOwn(
    zone: ServedZone,
    directory: ZoneDirectory,
    members: ReadonlyMap<string, readonly GroupMember[]>,
    existing: (group: string) => Promise<Set<string>>,
    creations: DnsChange[],
  ): Promise<{ changes: number; pending: boolean }> {
    const client = await this.client(zone.group);
    const exists = (await existing(zone.group)).has(zone.zone);
    if (zone.state === 'deleting') {
      if (!exists) return { changes: 0, pending: false };
      const parent = directory.parentOf(zone.zone);
      if (parent !== undefined) {
        const cut = await this.read(await this.client(parent.group), parent.zone, zone.zone);
        if (cut?.rrsets.some((r) => r.type === 'NS')) return { changes: 0, pending: true };
      }
      this.checked.delete(zone.zone);
      return { changes: await this.commit(client, [{ op: 'delete-zone', zone: zone.zone }]), pending: false };
    }
    const ns = this.nameservers(zone.group, members);
    if (ns === undefined) return { changes: 0, pending: true };
    const fingerprint = ns.join(' ');
    if (!exists) {
      const first = ns[0] as string;
      this.checked.set(zone.zone, fingerprint);
      creations.push({
        op: 'create-zone',
        zone: zone.zone,
        soa: { mname: first, rname: `hostmaster.${zone.zone}`, ...NEW_ZONE_SOA },
        ns,
        nsTtl: DELEGATION_TTL,
      });
      return { changes: 0, pending: false };
    }
    if (this.checked.get(zone.zone) === fingerprint) return { changes: 0, pending: false };
    const change = await this.nsChange(client, zone.zone, zone.zone, ns);
    if (change !== undefined) creations.push(change);
    this.checked.set(zone.zone, fingerprint);
    return { changes: 0, pending: false };
  }

  /** Adds the changes the cut needs to `cuts` (the pass commits them in batches). */
  private async reconcileCut(
    child: ServedZone,
    parent: ServedZone,
    members: ReadonlyMap<string, readonly GroupMember[]>,
    existing: (group: string) => Promise<Set<string>>,
    cuts: DnsChange[],
  ): Promise<{ changes: number; pending: boolean }> {
    const client = await this.client(parent.group);
    const key = `cut:${child.zone}`;
    if (child.state === 'deleting') {
      this.checked.delete(key);
      const cut = await this.read(client, parent.zone, child.zone);
      if (!cut?.rrsets.some((r) => r.type === 'NS')) return { changes: 0, pending: false };
      cuts.push({
        op: 'delete-rrset',
        zone: parent.zone,
        name: child.zone,
        type: 'NS',
        version: this.clock.next(),
      });
      return { changes: 0, pending: false };
    }
    // Nobody is sent to the child before it exists in its group in this region.
    if (!(await existing(child.group)).has(child.zone)) return { changes: 0, pending: true };
    const ns = this.nameservers(child.group, members);
    if (ns === undefined) return { changes: 0, pending: true };
    const fingerprint = ns.join(' ');
    if (this.checked.get(key) === fingerprint) return { changes: 0, pending: false };
    const change = await this.nsChange(client, parent.zone, child.zone, ns);
    if (change !== undefined) cuts.push(change);
    this.checked.set(key, fingerprint);
    return { changes: 0, pending: false };
  }

  /** The change making the NS RRset at `name` in `zone` list exactly `ns`; undefined when it does. */
  private async nsChange(
    client: RaftClient,
    zone: string,
    name: string,
    ns: readonly string[],
  ): Promise<DnsChange | undefined> {
    const view = await this.read(client, zone, name);
    const have = view?.rrsets.find((r) => r.type === 'NS');
    const same =
      have !== undefined &&
      have.ttl === DELEGATION_TTL &&
      have.rdata.length === ns.length &&
      have.rdata.every((r) => ns.includes(r.toLowerCase()));
    if (same) return undefined;
    return {
      op: 'upsert',
      zone,
      name,
      type: 'NS',
      ttl: DELEGATION_TTL,
      rdata: [...ns],
      version: this.clock.next(),
    };
  }

  /** The nameserver names of `group` in this region, sorted; undefined while it is short of replicas. */
  private nameservers(
    group: string,
    members: ReadonlyMap<string, readonly GroupMember[]>,
  ): string[] | undefined {
    const current = this.options.plan();
    const plan = current.groups.find((g) => g.id === group);
    const listed = members.get(group);
    if (plan === undefined || listed === undefined || listed.length < current.replicasPerGroup)
      return undefined;
    return listed.map((m) => nameserverName(m.instanceId, plan.zone)).sort();
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
    if (!result.ok) throw new Error(`zone registry write refused: ${result.error.message}`);
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
