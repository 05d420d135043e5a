/**
 * Creating, deleting and listing the zones of a running cluster (the zone registry,
 * protocol/zone-directory.ts). The registry entry is the intent; each group leader in each
 * region carries it out (runtime/composition/zone-registry-reconciler.ts); these calls write
 * the intent and wait until every region shows the result, so they are idempotent (a
 * repeated or interrupted call finishes the same work) and a crash of the caller leaves
 * nothing half-done that the next call cannot finish.
 *
 * - create: the zone's group in every region holds it (SOA + NS), then the parent zone's
 *   delegation to it is in place (the parent delegates only once the child exists), so no
 *   resolver is sent to a nameserver that does not serve the zone yet.
 * - delete: the entry turns `deleting`; the parent's delegation goes first in every region;
 *   after a drain time (resolutions in flight still reach the zone) the zone goes in every
 *   region; then the entry is removed. Zones below it are refused unless `recursive`
 *   (then they go first, deepest first).
 * - move: the entry turns `moving` (to the new group); in every region the old group
 *   freezes the zone, the new group copies it, the parent delegates to the copy; then the
 *   entry turns active in the new group, and after the drain time (default the delegation's
 *   NS TTL) the old group deletes its copy; the call waits for that too, then clears the
 *   entry's record of the old group.
 * Zones of the plan are created and removed with the plan, never here.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ZoneRegistryConflict, type ZoneRegistryStore } from '../bootstrap/zone-registry-store.js';
import { DELEGATION_TTL } from '../protocol/dns/delegation-ttl.js';
import { agreementRows, type ZoneAgreement } from '../protocol/dns/region-repair.js';
import type { DnsZoneSummary } from '../protocol/dns/views.js';
import { DELETE_DRAIN_MS_DEFAULT } from '../protocol/dns/zone-delete-drain.js';
import { frozenZoneKey } from '../protocol/dns/zone-freeze-key.js';
import type { ClusterPlan } from '../protocol/plan.js';
import { MOVE_RRSETS_MAX, type ServedZone, ZoneDirectory, zoneKey } from '../protocol/zone-directory.js';
import { RaftClient } from './raft-client.js';

export type ZoneLifecycleErrorCode =
  | 'invalid'
  | 'occupied'
  | 'planned'
  | 'has-children'
  | 'conflict'
  | 'timeout';

export class ZoneLifecycleError extends Error {
  constructor(
    readonly code: ZoneLifecycleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ZoneLifecycleError';
  }
}

export interface ZoneInRegion {
  readonly region: string;
  /** Null when this region's group does not hold the zone (or could not be asked: see `error`). */
  readonly serial: number | null;
  readonly rrsets: number | null;
  readonly error?: string;
  /**
   * What this region's leader last found comparing the zone with the other regions
   * (anti-entropy, protocol/dns/region-repair.ts), per other region; empty when it has not
   * compared it. Without the time of the last comparison, so a listing changes only when a
   * state does.
   */
  readonly agreement: readonly Pick<ZoneAgreement, 'region' | 'state' | 'sinceMs'>[];
}

export interface ZoneListing {
  readonly zone: string;
  readonly group: string;
  readonly source: ServedZone['source'];
  readonly state: ServedZone['state'];
  /** While moving: the group it moves to. */
  readonly to?: string;
  /** After a move: the group whose copy is kept until `drainUntil` (ISO 8601). */
  readonly movedFrom?: string;
  readonly drainUntil?: string;
  /** While deleting, once the parent's delegation is gone: when the zone's copy goes (ISO 8601). */
  readonly deleteAfter?: string;
  readonly regions: readonly ZoneInRegion[];
}

export interface CreateOutcome {
  readonly zone: string;
  readonly group: string;
  /** `exists`: the zone was already registered to this group (the call finished its creation). */
  readonly outcome: 'created' | 'exists';
  readonly elapsedMs: number;
}

export interface CreateManyOutcome {
  readonly group: string;
  readonly created: readonly string[];
  readonly existing: readonly string[];
  readonly elapsedMs: number;
}

export interface DeleteOutcome {
  /** The zones removed, deepest first; empty when the zone was already absent. */
  readonly deleted: readonly string[];
  readonly elapsedMs: number;
}

/** A step of a move seen in one region (`region` absent: the registry). */
export interface MoveProgress {
  readonly step: 'moving' | 'frozen' | 'copied' | 'delegated' | 'moved' | 'drained' | 'done';
  readonly region?: string;
  readonly elapsedMs: number;
}

export interface MoveOutcome {
  readonly zone: string;
  readonly from: string;
  readonly to: string;
  /** `already`: the zone was in `to` with no move left to finish. */
  readonly outcome: 'moved' | 'already';
  /**
   * Per region, how long writes waited: from the old group's freeze observed to the new
   * group taking writes observed (each within one poll of the call).
   */
  readonly freezeMs: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
}

export interface MoveOptions {
  /**
   * How long the old group keeps serving its frozen copy after the switch; default the
   * delegation's NS TTL, so a resolver that cached the old delegation still gets answers.
   */
  readonly drainMs?: number;
  readonly onProgress?: (progress: MoveProgress) => void;
}

export interface DeleteOptions {
  /** Delete the zones below it first (deepest first) instead of refusing. */
  readonly recursive?: boolean;
  /**
   * How long a zone's copy keeps answering after its parent's delegation is gone in every
   * region; default DELETE_DRAIN_MS_DEFAULT.
   */
  readonly drainMs?: number;
}

export interface ZoneLifecycleOptions {
  readonly nc: NatsConnection;
  readonly plan: ClusterPlan;
  readonly registry: ZoneRegistryStore;
  /** How long a create or delete waits for every region. */
  readonly deadlineMs: number;
  /** How often it looks. */
  readonly pollMs?: number;
  readonly nowMs?: () => number;
}

const CALL_DEADLINE_MS = 5_000;
const POLL_MS_DEFAULT = 50;
/** Registry entries `createMany` writes at once. */
const REGISTRY_WRITES_IN_FLIGHT = 32;
/** Types a parent may hold at a new zone's apex: the delegation itself (NS, DS). */
const CUT_TYPES = new Set(['NS', 'DS']);

export class ZoneLifecycle {
  private readonly clients = new Map<string, Promise<RaftClient>>();

  constructor(private readonly options: ZoneLifecycleOptions) {}

  async directory(): Promise<ZoneDirectory> {
    return new ZoneDirectory(this.options.plan, await this.options.registry.list());
  }

  /** Creates `zone` in `group` (or the group holding the fewest RRsets) in every region. */
  async create(zoneName: string, group?: string): Promise<CreateOutcome> {
    const started = this.now();
    let zone: string;
    try {
      zone = zoneKey(zoneName);
    } catch (error) {
      throw new ZoneLifecycleError(
        'invalid',
        `${JSON.stringify(zoneName)} is not a domain name: ${(error as Error).message}`,
      );
    }
    const directory = await this.directory();
    const existing = directory.get(zone);
    if (
      existing?.source === 'registry' &&
      existing.state === 'active' &&
      (group === undefined || group === existing.group)
    ) {
      await this.waitUntil(() => this.created(directory, existing), `${zone} to be served in every region`);
      return { zone, group: existing.group, outcome: 'exists', elapsedMs: this.now() - started };
    }
    const chosen = group ?? (await this.leastLoadedGroup());
    const problem = directory.creationProblem(zone, chosen);
    if (problem !== undefined) throw new ZoneLifecycleError('invalid', problem);
    await this.checkParentFree(directory, zone);
    let entry: ServedZone;
    try {
      const stored = await this.options.registry.create(zone, chosen, new Date(this.now()));
      entry = { zone: stored.entry.zone, group: chosen, source: 'registry', state: 'active' };
    } catch (error) {
      if (!(error instanceof ZoneRegistryConflict)) throw error;
      const current = error.current;
      if (current === undefined || current.state !== 'active' || current.group !== chosen)
        throw new ZoneLifecycleError(
          'conflict',
          `${zone} was registered meanwhile${current === undefined ? '' : ` (group ${current.group}, ${current.state})`}`,
        );
      entry = { zone, group: chosen, source: 'registry', state: 'active' };
    }
    const after = await this.directory();
    await this.waitUntil(() => this.created(after, entry), `${zone} to be served in every region`);
    return {
      zone,
      group: chosen,
      outcome: existing === undefined ? 'created' : 'exists',
      elapsedMs: this.now() - started,
    };
  }

  /**
   * Creates many zones in one group at once (`zone create A B C …`, the scale benchmark):
   * the same checks as `create` for each, every registry entry written (at most
   * REGISTRY_WRITES_IN_FLIGHT at once), then one wait for all of them — the group's leaders
   * create them in batches. Zones this group already serves are reported as `existing`.
   */
  async createMany(names: readonly string[], group?: string): Promise<CreateManyOutcome> {
    const started = this.now();
    const zones: string[] = [];
    for (const name of names) {
      try {
        zones.push(zoneKey(name));
      } catch (error) {
        throw new ZoneLifecycleError(
          'invalid',
          `${JSON.stringify(name)} is not a domain name: ${(error as Error).message}`,
        );
      }
    }
    const unique = [...new Set(zones)];
    const directory = await this.directory();
    const chosen = group ?? (await this.leastLoadedGroup());
    const existing: string[] = [];
    const fresh: string[] = [];
    for (const zone of unique) {
      const served = directory.get(zone);
      if (served?.source === 'registry' && served.state === 'active' && served.group === chosen)
        existing.push(zone);
      else {
        const problem = directory.creationProblem(zone, chosen);
        if (problem !== undefined) throw new ZoneLifecycleError('invalid', problem);
        fresh.push(zone);
      }
    }
    for (const zone of fresh) await this.checkParentFree(directory, zone);
    for (let i = 0; i < fresh.length; i += REGISTRY_WRITES_IN_FLIGHT)
      await Promise.all(
        fresh.slice(i, i + REGISTRY_WRITES_IN_FLIGHT).map(async (zone) => {
          try {
            await this.options.registry.create(zone, chosen, new Date(this.now()));
          } catch (error) {
            if (!(error instanceof ZoneRegistryConflict)) throw error;
            if (error.current?.state !== 'active' || error.current.group !== chosen)
              throw new ZoneLifecycleError('conflict', `${zone} was registered meanwhile`);
          }
        }),
      );
    const after = await this.directory();
    const waiting = new Set(unique);
    await this.waitUntil(async () => {
      for (const region of this.options.plan.regions) {
        const held = await this.zonesOf(region, chosen);
        for (const zone of [...waiting]) {
          if (!held.has(zone)) return false;
          const parent = after.parentOf(zone);
          if (parent !== undefined && !(await this.delegated(region, parent, zone))) return false;
          if (region === this.options.plan.regions.at(-1)) waiting.delete(zone);
        }
      }
      return waiting.size === 0;
    }, `${waiting.size} zones to be served in every region`);
    return { group: chosen, created: fresh, existing, elapsedMs: this.now() - started };
  }

  /** Deletes `zone` (and with `recursive`, the zones below it first) in every region. */
  async delete(zoneName: string, options: DeleteOptions = {}): Promise<DeleteOutcome> {
    const started = this.now();
    let zone: string;
    try {
      zone = zoneKey(zoneName);
    } catch (error) {
      throw new ZoneLifecycleError(
        'invalid',
        `${JSON.stringify(zoneName)} is not a domain name: ${(error as Error).message}`,
      );
    }
    const directory = await this.directory();
    const target = directory.get(zone);
    if (target === undefined) return { deleted: [], elapsedMs: this.now() - started };
    if (target.source === 'plan')
      throw new ZoneLifecycleError(
        'planned',
        `${zone} is a zone of the plan (group ${target.group}); it goes with the plan`,
      );
    if (target.state === 'moving' || target.movedFrom !== undefined)
      throw new ZoneLifecycleError(
        'conflict',
        `${zone} is moving (or its old copy is draining); run the move again to finish it, then delete it`,
      );
    const below = directory.below(zone);
    if (below.length > 0 && options.recursive !== true)
      throw new ZoneLifecycleError(
        'has-children',
        `${zone} has zones below it (${below
          .map((z) => z.zone)
          .slice(0, 5)
          .join(', ')}); delete them first or use --recursive`,
      );
    const planned = below.filter((z) => z.source === 'plan');
    if (planned.length > 0)
      throw new ZoneLifecycleError(
        'planned',
        `${zone} contains zones of the plan (${planned.map((z) => z.zone).join(', ')})`,
      );
    const deleted: string[] = [];
    for (const served of [...below, target]) {
      await this.deleteOne(served.zone, options.drainMs ?? DELETE_DRAIN_MS_DEFAULT);
      deleted.push(served.zone);
    }
    return { deleted, elapsedMs: this.now() - started };
  }

  /** Moves registered `zone` to group `to` in every region (see the header); idempotent. */
  async move(zoneName: string, to: string, options: MoveOptions = {}): Promise<MoveOutcome> {
    const started = this.now();
    const elapsed = () => this.now() - started;
    const progress = (step: MoveProgress['step'], region?: string) =>
      options.onProgress?.({ step, ...(region === undefined ? {} : { region }), elapsedMs: elapsed() });
    let zone: string;
    try {
      zone = zoneKey(zoneName);
    } catch (error) {
      throw new ZoneLifecycleError(
        'invalid',
        `${JSON.stringify(zoneName)} is not a domain name: ${(error as Error).message}`,
      );
    }
    const directory = await this.directory();
    const problem = directory.moveProblem(zone, to);
    if (problem !== undefined)
      throw new ZoneLifecycleError(directory.get(zone)?.source === 'plan' ? 'planned' : 'invalid', problem);
    let stored = await this.options.registry.get(zone);
    if (stored === undefined) throw new ZoneLifecycleError('conflict', `${zone} was removed meanwhile`);
    const from =
      stored.entry.state === 'moving' ? stored.entry.group : (stored.entry.movedFrom ?? stored.entry.group);
    const freezeMs: Record<string, number> = {};
    if (stored.entry.state === 'active' && stored.entry.group === to && stored.entry.movedFrom === undefined)
      return { zone, from, to, outcome: 'already', freezeMs, elapsedMs: elapsed() };
    if (stored.entry.state === 'active' && stored.entry.group !== to) {
      for (const region of this.options.plan.regions) {
        const summary = (await this.zonesOf(region, stored.entry.group)).get(zone);
        if (summary !== undefined && summary.rrsets > MOVE_RRSETS_MAX)
          throw new ZoneLifecycleError(
            'invalid',
            `${zone} holds ${summary.rrsets} RRsets in ${region}; a move copies at most ${MOVE_RRSETS_MAX} in one batch`,
          );
      }
      stored = await this.registryStep(() =>
        this.options.registry.markMoving(stored as NonNullable<typeof stored>, to),
      );
    }
    if (stored.entry.state === 'moving') {
      progress('moving');
      const after = await this.directory();
      const parent = after.parentOf(zone);
      const frozenAt = new Map<string, number>();
      const copied = new Set<string>();
      const switched = new Set<string>();
      await this.waitUntil(async () => {
        for (const region of this.options.plan.regions) {
          if (switched.has(region)) continue;
          if (!frozenAt.has(region)) {
            const old = await this.client(region, from);
            if (
              (await old.get(frozenZoneKey(zone), { mode: 'linearizable', deadlineMs: CALL_DEADLINE_MS })) ===
              null
            )
              if ((await this.zonesOf(region, to)).has(zone) === false) continue;
            frozenAt.set(region, this.now());
            progress('frozen', region);
          }
          if (!copied.has(region)) {
            if (!(await this.zonesOf(region, to)).has(zone)) continue;
            copied.add(region);
            progress('copied', region);
          }
          if (parent !== undefined) {
            const apex = await (await this.client(region, to)).dnsRrsets(zone, zone, 'linearizable', {
              deadlineMs: CALL_DEADLINE_MS,
            });
            const cut = await (await this.client(region, parent.group)).dnsRrsets(
              parent.zone,
              zone,
              'linearizable',
              {
                deadlineMs: CALL_DEADLINE_MS,
              },
            );
            if (
              !sameRdata(
                apex?.rrsets.find((r) => r.type === 'NS')?.rdata,
                cut?.rrsets.find((r) => r.type === 'NS')?.rdata,
              )
            )
              continue;
          }
          switched.add(region);
          freezeMs[region] = this.now() - (frozenAt.get(region) as number);
          progress('delegated', region);
        }
        return switched.size === this.options.plan.regions.length;
      }, `${zone} to be copied to group ${to} and delegated to it in every region`);
      const drainMs = options.drainMs ?? DELEGATION_TTL * 1000;
      stored = await this.registryStep(() =>
        this.options.registry.markMoved(stored as NonNullable<typeof stored>, new Date(this.now() + drainMs)),
      );
      progress('moved');
    }
    if (stored.entry.movedFrom !== undefined) {
      const old = stored.entry.movedFrom;
      const until = Date.parse(stored.entry.drainUntil ?? '') || 0;
      await this.waitUntil(
        () => this.goneFrom(old, zone),
        `${zone} to be deleted from group ${old} in every region (after ${new Date(until).toISOString()})`,
        this.options.deadlineMs,
        until,
      );
      progress('drained');
      await this.registryStep(() =>
        this.options.registry.clearMovedFrom(stored as NonNullable<typeof stored>),
      );
    }
    progress('done');
    return { zone, from, to, outcome: 'moved', freezeMs, elapsedMs: elapsed() };
  }

  /** A registry write; a concurrent change of the entry is a `conflict` (run the command again). */
  private async registryStep<T>(write: () => Promise<T>, command: 'move' | 'delete' = 'move'): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof ZoneRegistryConflict)) throw error;
      throw new ZoneLifecycleError('conflict', `${error.message}; run the ${command} again to continue`);
    }
  }

  /** Every zone of the cluster with its serial and RRset count in each region. */
  async list(): Promise<ZoneListing[]> {
    const directory = await this.directory();
    const zones = directory.zones();
    const summaries = new Map<string, Promise<Map<string, DnsZoneSummary> | string>>();
    const agreements = new Map<string, Promise<ZoneAgreement[]>>();
    const agreementOf = (region: string, group: string) => {
      const key = `${region}/${group}`;
      let found = agreements.get(key);
      if (found === undefined) {
        found = this.client(region, group)
          .then((client) => client.status(undefined, { deadlineMs: CALL_DEADLINE_MS }))
          .then((status) => agreementRows(status.regionAgreement))
          .catch(() => []);
        agreements.set(key, found);
      }
      return found;
    };
    const summaryOf = (region: string, group: string) => {
      const key = `${region}/${group}`;
      let found = summaries.get(key);
      if (found === undefined) {
        found = this.zonesOf(region, group).catch((error: unknown) => String(error));
        summaries.set(key, found);
      }
      return found;
    };
    const listings: ZoneListing[] = [];
    for (const served of zones) {
      const regions: ZoneInRegion[] = [];
      for (const region of this.options.plan.regions) {
        const summary = await summaryOf(region, served.group);
        const agreement = (await agreementOf(region, served.group))
          .filter((a) => a.zone.toLowerCase() === served.zone.toLowerCase())
          .map((a) => ({ region: a.region, state: a.state, sinceMs: a.sinceMs }));
        if (typeof summary === 'string')
          regions.push({ region, serial: null, rrsets: null, error: summary, agreement });
        else {
          const found = summary.get(served.zone);
          regions.push({ region, serial: found?.serial ?? null, rrsets: found?.rrsets ?? null, agreement });
        }
      }
      listings.push({
        zone: served.zone,
        group: served.group,
        source: served.source,
        state: served.state,
        ...(served.to === undefined ? {} : { to: served.to }),
        ...(served.movedFrom === undefined ? {} : { movedFrom: served.movedFrom }),
        ...(served.drainUntilMs === undefined
          ? {}
          : { drainUntil: new Date(served.drainUntilMs).toISOString() }),
        ...(served.deleteAfterMs === undefined
          ? {}
          : { deleteAfter: new Date(served.deleteAfterMs).toISOString() }),
        regions,
      });
    }
    return listings;
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) await (await client.catch(() => undefined))?.close();
    this.clients.clear();
  }

  private async deleteOne(zone: string, drainMs: number): Promise<void> {
    let stored = await this.options.registry.get(zone);
    if (stored === undefined) return;
    if (stored.entry.state === 'active') stored = await this.options.registry.markDeleting(stored);
    const group = stored.entry.group;
    if (stored.entry.deleteAfter === undefined) {
      const parent = (await this.directory()).parentOf(zone);
      if (parent !== undefined)
        await this.waitUntil(async () => {
          for (const region of this.options.plan.regions)
            if (await this.delegated(region, parent, zone)) return false;
          return true;
        }, `the delegation to ${zone} to be gone from every region`);
      stored = await this.registryStep(
        () =>
          this.options.registry.markDeleteAfter(
            stored as NonNullable<typeof stored>,
            new Date(this.now() + drainMs),
          ),
        'delete',
      );
    }
    const deleteAfterMs = Date.parse(stored.entry.deleteAfter ?? '') || 0;
    await this.waitUntil(
      () => this.goneFrom(group, zone),
      `${zone} to be gone from every region (after ${new Date(deleteAfterMs).toISOString()})`,
      this.options.deadlineMs,
      deleteAfterMs,
    );
    try {
      await this.options.registry.remove(stored);
    } catch (error) {
      if (!(error instanceof ZoneRegistryConflict)) throw error;
      throw new ZoneLifecycleError('conflict', `${zone} changed while it was deleted: ${error.message}`);
    }
  }

  /** True when the zone is in its group and delegated from its parent in every region. */
  private async created(directory: ZoneDirectory, zone: ServedZone): Promise<boolean> {
    const parent = directory.parentOf(zone.zone);
    for (const region of this.options.plan.regions) {
      if (!(await this.zonesOf(region, zone.group)).has(zone.zone)) return false;
      if (parent !== undefined && !(await this.delegated(region, parent, zone.zone))) return false;
    }
    return true;
  }

  /** True when `group` serves `zone` in no region. */
  private async goneFrom(group: string, zone: string): Promise<boolean> {
    for (const region of this.options.plan.regions)
      if ((await this.zonesOf(region, group)).has(zone)) return false;
    return true;
  }

  /** True when `parent` holds NS at `zone` in `region` (a linearizable read of its group). */
  private async delegated(region: string, parent: ServedZone, zone: string): Promise<boolean> {
    const client = await this.client(region, parent.group);
    const cut = await client.dnsRrsets(parent.zone, zone, 'linearizable', { deadlineMs: CALL_DEADLINE_MS });
    return cut?.rrsets.some((r) => r.type === 'NS') === true;
  }

  /** Refuses a zone whose apex the parent zone already holds data at (it would be hidden by the cut). */
  private async checkParentFree(directory: ZoneDirectory, zone: string): Promise<void> {
    const parent = directory.parentOf(zone);
    if (parent === undefined) return;
    for (const region of this.options.plan.regions) {
      const client = await this.client(region, parent.group);
      const view = await client.dnsRrsets(parent.zone, zone, 'linearizable', {
        deadlineMs: CALL_DEADLINE_MS,
      });
      const occupied = view?.rrsets.filter((r) => !CUT_TYPES.has(r.type)) ?? [];
      if (occupied.length > 0)
        throw new ZoneLifecycleError(
          'occupied',
          `${parent.zone} holds ${occupied.map((r) => r.type).join(', ')} at ${zone} in region ${region}; delete them (or export and re-import them into the new zone) first`,
        );
    }
  }

  /** The group of the plan whose zones hold the fewest RRsets in the first region (ties: by id). */
  private async leastLoadedGroup(): Promise<string> {
    const region = this.options.plan.regions[0] as string;
    let best: { group: string; rrsets: number } | undefined;
    for (const group of this.options.plan.groups) {
      const zones = await this.zonesOf(region, group.id);
      let rrsets = 0;
      for (const summary of zones.values()) rrsets += summary.rrsets;
      if (best === undefined || rrsets < best.rrsets) best = { group: group.id, rrsets };
    }
    if (best === undefined) throw new ZoneLifecycleError('invalid', 'the plan has no groups');
    return best.group;
  }

  private async zonesOf(region: string, group: string): Promise<Map<string, DnsZoneSummary>> {
    const client = await this.client(region, group);
    const zones = await client.dnsZones('linearizable', { deadlineMs: CALL_DEADLINE_MS });
    return new Map(zones.map((z) => [z.zone.toLowerCase(), z]));
  }

  /**
   * Polls `condition` until it holds, for at most `deadlineMs` counted from `notBeforeMs`
   * (a drain's end: nothing can change before it, so the first look is then, and a drain
   * longer than the deadline does not time the wait out).
   */
  private async waitUntil(
    condition: () => Promise<boolean>,
    what: string,
    deadlineMs = this.options.deadlineMs,
    notBeforeMs = 0,
  ): Promise<void> {
    const idleMs = notBeforeMs - this.now();
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    const deadline = this.now() + deadlineMs;
    let lastError: unknown;
    for (;;) {
      try {
        if (await condition()) return;
      } catch (error) {
        lastError = error;
      }
      if (this.now() >= deadline)
        throw new ZoneLifecycleError(
          'timeout',
          `timed out after ${deadlineMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}; run the same command again to finish`,
        );
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? POLL_MS_DEFAULT));
    }
  }

  private client(region: string, group: string): Promise<RaftClient> {
    const key = `${region}/${group}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = RaftClient.connect({
        nc: this.options.nc,
        cluster: this.options.plan.cluster,
        region,
        group,
        deadlineMs: CALL_DEADLINE_MS,
      });
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  private now(): number {
    return (this.options.nowMs ?? Date.now)();
  }
}

function sameRdata(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  const set = new Set(a.map((r) => r.toLowerCase()));
  return b.every((r) => set.has(r.toLowerCase()));
}
