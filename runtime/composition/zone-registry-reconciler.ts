/**
 * Brings a region's data to what the zone registry says (protocol/zone-directory.ts,
 * bootstrap/zone-registry-store.ts): run by every replica, acting only while its replica
 * leads its group with its term's no-op committed, like the delegation reconciler. A pass
 * runs on becoming that leader, on every change of the registry, every `intervalMs`, again
 * after `pendingRetryMs` while something waits on another group, and at the end of the
 * earliest drain still running.
 *
 * For each registered zone this group serves:
 * - `active`: create it when missing (SOA, and the apex NS listing this group's nameservers,
 *   the names the delegation reconciler keeps in the group's planned zone), else keep the
 *   apex NS equal to the group's nameservers;
 * - `deleting`: delete it once its `deleteAfter` passed (set by the caller once the parent's
 *   delegation is gone in every region) and the parent's delegation to it is gone in this region
 *   (a resolver must never be sent to a zone that no longer exists).
 * For each registered zone whose parent zone this group serves:
 * - `active`: once the child zone exists in its group in this region (the child answers
 *   before anyone is sent to it), keep the NS RRset at the cut equal to the child group's
 *   nameservers (RFC 1034 §4.2.1). A cut not there yet is added only once the child is
 *   filled in this region (`zoneFilled`: its group's leader found it holding what the
 *   other regions hold), so a region added to the plan sends no resolver to a zone before
 *   anti-entropy filled it. No glue: a registered zone never contains a nameserver name
 *   (zone-directory.ts);
 * - `deleting`: remove the NS RRset at the cut.
 * For a zone moving from group A to group B (protocol/zone-directory.ts; the order is why
 * no write is lost and no answer is wrong, docs/ARCHITECTURE.md "Moving a zone"):
 * - A's leader freezes it: one committed `dns-frozen/` entry after which A refuses writes
 *   to it as `zone-moving` (actors/state-machine/zone-freeze.ts);
 * - B's leader, once A is frozen in this region, freezes the zone in B too and copies it
 *   there in one batch at one state after the freeze, versions kept (zone-move-copy.ts);
 * - the parent's leader delegates to B once B holds the copy (to A until then);
 * - B's leader unfreezes the zone in B once the parent delegates to B in this region: from
 *   then on writes land in B, and resolvers are sent to B;
 * - after the entry turned active in B, A's leader deletes its frozen copy once the entry's
 *   `drainUntil` passed (resolvers that cached the delegation to A, up to its TTL, still
 *   get A's answers meanwhile) and the parent no longer delegates to A.
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
import { DELEGATION_TTL } from '../../protocol/dns/delegation-ttl.js';
import { agreementRows, type ZoneAgreement, zoneFilled } from '../../protocol/dns/region-repair.js';
import { HybridClock, ZONE_REGISTRY_WRITER_PREFIX } from '../../protocol/dns/version.js';
import type { DnsNameView } from '../../protocol/dns/views.js';
import { frozenZoneKey } from '../../protocol/dns/zone-freeze-key.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import { type RegisteredZone, type ServedZone, ZoneDirectory } from '../../protocol/zone-directory.js';
import type { Logger } from '../log.js';
import { type GroupMember, nameserverName } from './delegation-plan.js';
import { followReadyLeadership, type LeadershipSource } from './leadership-feed.js';
import { PeriodicTask } from './periodic-task.js';
import { copyBatch, frozenFor, readFrozenZone } from './zone-move-copy.js';

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
  | {
      readonly kind: 'done';
      readonly changes: number;
      /** Zones waiting on another group's work: looked at again after `pendingRetryMs`. */
      readonly pending: number;
      /** The earliest drain end still ahead, when one is: a pass is due then, not before. */
      readonly wakeAtMs?: number;
    };

/** What one zone's reconciliation did, and what it waits for. */
interface ZoneStep {
  readonly changes: number;
  readonly pending: boolean;
  /** Nothing to do for this zone before this time (a drain's end). */
  readonly wakeAtMs?: number;
}

/**
 * The wait before the next pass after `outcome`: `pendingRetryMs` while work waits on other
 * groups, else until the earliest drain end, else undefined (the interval). A drain of minutes
 * costs one pass at its end, not one every `pendingRetryMs`.
 */
export function zonePassRetryAfter(
  outcome: ZonePassOutcome,
  nowMs: number,
  pendingRetryMs: number,
): number | undefined {
  if (outcome.kind !== 'done') return undefined;
  if (outcome.pending > 0) return pendingRetryMs;
  if (outcome.wakeAtMs !== undefined) return Math.max(0, outcome.wakeAtMs - nowMs);
  return undefined;
}

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
      (error) => {
        // A pass marks zones and cuts current as it queues their changes, before the batches
        // commit: after a failed commit those marks may be false, and a marked cut is never
        // read again. The next pass reads everything.
        this.checked.clear();
        options.log.warn({ err: String(error) }, 'zone registry pass failed; retrying');
      },
      (outcome) => zonePassRetryAfter(outcome, options.nowMs(), options.pendingRetryMs),
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
    const incoming: ServedZone[] = [];
    const draining: ServedZone[] = [];
    const children: Array<{ child: ServedZone; parent: ServedZone }> = [];
    for (const zone of directory.zones()) {
      if (zone.source !== 'registry') continue;
      if (zone.group === this.options.groupId) mine.push(zone);
      if (zone.state === 'moving' && zone.to === this.options.groupId) incoming.push(zone);
      if (zone.movedFrom === this.options.groupId && zone.group !== this.options.groupId) draining.push(zone);
      const parent = directory.parentOf(zone.zone);
      if (parent?.group === this.options.groupId) children.push({ child: zone, parent });
    }
    if (mine.length === 0 && children.length === 0 && incoming.length === 0 && draining.length === 0)
      return { kind: 'done', changes: 0, pending: 0 };

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
    // Each group's leader is asked for its comparisons with the other regions once a pass.
    const agreements = new Map<string, Promise<readonly ZoneAgreement[]>>();
    const filled = (group: string, zone: string): Promise<boolean> => {
      const others = this.options.plan().regions.filter((r) => r !== this.options.region);
      if (others.length === 0) return Promise.resolve(true);
      let rows = agreements.get(group);
      if (rows === undefined) {
        rows = this.client(group)
          .then((c) => c.status(undefined, { deadlineMs: CALL_DEADLINE_MS }))
          .then((status) => agreementRows(status.regionAgreement))
          .catch(() => []);
        agreements.set(group, rows);
      }
      return rows.then((r) => zoneFilled(zone, r, others));
    };
    let changes = 0;
    let pending = 0;
    let wakeAtMs: number | undefined;
    const wake = (step: ZoneStep): void => {
      if (step.wakeAtMs !== undefined) wakeAtMs = Math.min(wakeAtMs ?? step.wakeAtMs, step.wakeAtMs);
    };
    const creations: DnsChange[] = [];
    for (const zone of mine) {
      const outcome = await this.reconcileOwn(zone, directory, members, existing, creations);
      changes += outcome.changes;
      pending += outcome.pending ? 1 : 0;
      wake(outcome);
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
    for (const zone of incoming) {
      const outcome = await this.reconcileIncoming(zone, directory, members, existing);
      changes += outcome.changes;
      pending += outcome.pending ? 1 : 0;
      // The parent's delegation follows the copy at once.
      if (outcome.changes > 0) listings.clear();
    }
    for (const zone of draining) {
      const outcome = await this.reconcileDrain(zone, directory, members, existing);
      changes += outcome.changes;
      pending += outcome.pending ? 1 : 0;
      wake(outcome);
    }
    const cuts: DnsChange[] = [];
    for (const { child, parent } of children) {
      const outcome = await this.reconcileCut(child, parent, members, existing, filled, cuts);
      changes += outcome.changes;
      pending += outcome.pending ? 1 : 0;
    }
    // Delegations likewise, in this group's zones (every cut here is in a zone this group serves).
    if (cuts.length > 0) {
      const client = await this.client(this.options.groupId);
      for (let i = 0; i < cuts.length; i += CREATIONS_PER_BATCH)
        changes += await this.commit(client, cuts.slice(i, i + CREATIONS_PER_BATCH));
    }
    return wakeAtMs === undefined
      ? { kind: 'done', changes, pending }
      : { kind: 'done', changes, pending, wakeAtMs };
  }

  /** Adds the zone's creation to `creations` when it is missing (the pass commits them in batches). */
  private async reconcileOwn(
    zone: ServedZone,
    directory: ZoneDirectory,
    members: ReadonlyMap<string, readonly GroupMember[]>,
    existing: (group: string) => Promise<Set<string>>,
    creations: DnsChange[],
  ): Promise<ZoneStep> {
    const client = await this.client(zone.group);
    const exists = (await existing(zone.group)).has(zone.zone);
    if (zone.state === 'deleting') {
      if (!exists) return { changes: 0, pending: false };
      // The copy stays until its drain time: a resolver handed the delegation just before it
      // went still finds the zone here, not a lame server. Until the caller sets that time,
      // nothing is due (setting it changes the entry, which runs a pass).
      if (zone.deleteAfterMs === undefined) return { changes: 0, pending: false };
      if (this.options.nowMs() < zone.deleteAfterMs)
        return { changes: 0, pending: false, wakeAtMs: zone.deleteAfterMs };
      const parent = directory.parentOf(zone.zone);
      if (parent !== undefined) {
        const cut = await this.read(await this.client(parent.group), parent.zone, zone.zone);
        if (cut?.rrsets.some((r) => r.type === 'NS')) return { changes: 0, pending: true };
      }
      this.checked.delete(zone.zone);
      return { changes: await this.commit(client, [{ op: 'delete-zone', zone: zone.zone }]), pending: false };
    }
    if (zone.state === 'moving') {
      if (!exists || this.checked.get(`freeze:${zone.zone}`) === zone.to)
        return { changes: 0, pending: false };
      let changes = 0;
      if ((await frozenFor(client, zone.zone, CALL_DEADLINE_MS)) !== zone.to) {
        await client.put(frozenZoneKey(zone.zone), zone.to as string, { deadlineMs: CALL_DEADLINE_MS });
        this.options.log.info({ zone: zone.zone, to: zone.to }, 'zone frozen for its move');
        changes = 1;
      }
      this.checked.set(`freeze:${zone.zone}`, zone.to as string);
      return { changes, pending: false };
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
    // An active zone is never frozen in its own group (a move into it ended).
    if ((await frozenFor(client, zone.zone, CALL_DEADLINE_MS)) !== undefined)
      await client.delete(frozenZoneKey(zone.zone), { deadlineMs: CALL_DEADLINE_MS });
    const change = await this.nsChange(client, zone.zone, zone.zone, ns);
    if (change !== undefined) creations.push(change);
    this.checked.set(zone.zone, fingerprint);
    return { changes: 0, pending: false };
  }

  /**
   * Copies a zone moving to this group from its frozen old group, in one batch, into a zone
   * frozen here too; unfreezes it once the parent delegates here in this region.
   */
  private async reconcileIncoming(
    zone: ServedZone,
    directory: ZoneDirectory,
    members: ReadonlyMap<string, readonly GroupMember[]>,
    existing: (group: string) => Promise<Set<string>>,
  ): Promise<ZoneStep> {
    const ns = this.nameservers(this.options.groupId, members);
    if (ns === undefined) return { changes: 0, pending: true };
    const here = await this.client(this.options.groupId);
    if ((await existing(this.options.groupId)).has(zone.zone)) {
      if ((await frozenFor(here, zone.zone, CALL_DEADLINE_MS)) !== undefined) {
        const parent = directory.parentOf(zone.zone);
        if (parent !== undefined) {
          const cut = await this.read(await this.client(parent.group), parent.zone, zone.zone);
          const delegated = cut?.rrsets.find((r) => r.type === 'NS')?.rdata.map((r) => r.toLowerCase()) ?? [];
          if (delegated.length !== ns.length || !ns.every((n) => delegated.includes(n)))
            return { changes: 0, pending: true };
        }
        await here.delete(frozenZoneKey(zone.zone), { deadlineMs: CALL_DEADLINE_MS });
        this.options.log.info(
          { zone: zone.zone, from: zone.group },
          'moved zone takes writes in its new group',
        );
      }
      return { changes: 0, pending: false };
    }
    const from = await this.client(zone.group);
    const read = await readFrozenZone(from, zone.zone, CALL_DEADLINE_MS);
    if (read.kind !== 'ready') {
      if (read.kind === 'too-large')
        this.options.log.warn(
          { zone: zone.zone, rrsets: read.rrsets },
          'zone too large to move in one batch',
        );
      return { changes: 0, pending: true };
    }
    for (const view of read.names) {
      for (const rrset of view.rrsets) this.clock.observe(rrset.version);
      for (const deleted of view.deleted) this.clock.observe(deleted.version);
      if (view.nameDeleted !== null) this.clock.observe(view.nameDeleted);
    }
    const batch = copyBatch(zone.zone, read.serial, read.names, ns, DELEGATION_TTL);
    if (batch === undefined) {
      this.options.log.warn({ zone: zone.zone }, 'zone cannot be copied in one batch');
      return { changes: 0, pending: true };
    }
    // Frozen before it exists: no write lands here before the parent delegates here.
    await here.put(frozenZoneKey(zone.zone), this.options.groupId, { deadlineMs: CALL_DEADLINE_MS });
    const changes = await this.commit(here, batch);
    this.options.log.info({ zone: zone.zone, from: zone.group, changes }, 'moving zone copied');
    return { changes, pending: true };
  }

  /**
   * Deletes this group's frozen copy of a zone moved away, once its drain time passed and
   * the parent delegates elsewhere in this region.
   */
  private async reconcileDrain(
    zone: ServedZone,
    directory: ZoneDirectory,
    members: ReadonlyMap<string, readonly GroupMember[]>,
    existing: (group: string) => Promise<Set<string>>,
  ): Promise<ZoneStep> {
    if (!(await existing(this.options.groupId)).has(zone.zone)) return { changes: 0, pending: false };
    const drainUntilMs = zone.drainUntilMs ?? 0;
    if (this.options.nowMs() < drainUntilMs) return { changes: 0, pending: false, wakeAtMs: drainUntilMs };
    const parent = directory.parentOf(zone.zone);
    const ns = this.nameservers(this.options.groupId, members);
    if (parent !== undefined && ns !== undefined) {
      const cut = await this.read(await this.client(parent.group), parent.zone, zone.zone);
      const delegated = cut?.rrsets.find((r) => r.type === 'NS')?.rdata.map((r) => r.toLowerCase()) ?? [];
      if (delegated.some((r) => ns.includes(r))) return { changes: 0, pending: true };
    }
    const changes = await this.commit(await this.client(this.options.groupId), [
      { op: 'delete-zone', zone: zone.zone },
    ]);
    this.options.log.info({ zone: zone.zone, to: zone.group }, 'moved zone deleted from its old group');
    return { changes, pending: false };
  }

  /** Adds the changes the cut needs to `cuts` (the pass commits them in batches). */
  private async reconcileCut(
    child: ServedZone,
    parent: ServedZone,
    members: ReadonlyMap<string, readonly GroupMember[]>,
    existing: (group: string) => Promise<Set<string>>,
    filled: (group: string, zone: string) => Promise<boolean>,
    cuts: DnsChange[],
  ): Promise<ZoneStep> {
    const client = await this.client(parent.group);
    const key = `cut:${child.zone}`;
    // A frozen parent takes no write until its move ends; its cuts are copied with it.
    if (parent.state === 'moving') return { changes: 0, pending: true };
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
    // A moving child is delegated to its new group once the whole copy is there, to its
    // old group until then.
    const serving =
      child.state === 'moving' && child.to !== undefined && (await existing(child.to)).has(child.zone)
        ? child.to
        : child.group;
    // Nobody is sent to the child before it exists in its group in this region.
    if (!(await existing(serving)).has(child.zone)) return { changes: 0, pending: true };
    const ns = this.nameservers(serving, members);
    if (ns === undefined) return { changes: 0, pending: true };
    // Until the copy is there, look again soon: it is made by another group's leader.
    const waitingForCopy = child.state === 'moving' && serving !== child.to;
    const fingerprint = ns.join(' ');
    if (this.checked.get(key) === fingerprint) return { changes: 0, pending: waitingForCopy };
    const cut = await this.read(client, parent.zone, child.zone);
    const delegated = cut?.rrsets.some((r) => r.type === 'NS') === true;
    if (!delegated && !(await filled(serving, child.zone))) return { changes: 0, pending: true };
    const change = await this.nsChange(client, parent.zone, child.zone, ns, cut);
    if (change !== undefined) cuts.push(change);
    this.checked.set(key, fingerprint);
    return { changes: 0, pending: waitingForCopy };
  }

  /**
   * The change making the NS RRset at `name` in `zone` list exactly `ns`; undefined when it
   * does. `read` is the name as just read, if it was.
   */
  private async nsChange(
    client: RaftClient,
    zone: string,
    name: string,
    ns: readonly string[],
    read?: DnsNameView | null,
  ): Promise<DnsChange | undefined> {
    const view = read === undefined ? await this.read(client, zone, name) : read;
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
