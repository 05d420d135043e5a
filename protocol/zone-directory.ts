/**
 * Which group serves which zone. Two sources: the plan's groups (each serves the zone it was
 * planned for, forever), and the zone registry, where `raftns zone create` (or the HTTP
 * API) assigns any further zone to a group of the plan at runtime (bootstrap/
 * zone-registry-store.ts). A group serves its planned zone plus any number of registered
 * ones; a zone belongs to exactly one group.
 *
 * A registered zone is `active` (its group creates and keeps it, its parent delegates to it)
 * or `deleting` (the parent's delegation goes first, then the zone; the entry is removed
 * once no region holds the zone). Lookups are by label suffix through a map, so routing a
 * name costs O(labels) whatever the number of zones.
 *
 * A zone moving to another group (moveProblem, `raftns zone move`) is `moving` with `to`:
 * its group freezes it, the `to` group copies it, the parent's delegation switches to the
 * copy region by region; then the entry turns `active` in the `to` group with `movedFrom`
 * and `drainUntil`, and the old group deletes its frozen copy after that time
 * (runtime/composition/zone-registry-reconciler.ts; docs/ARCHITECTURE.md explains why the
 * sequence loses no write and answers nothing wrong). Routing keeps sending a moving
 * zone's writes to its group, whose `zone-moving` refusal names the group to retry in.
 *
 * Rules for a new zone (creationProblem): a valid name that no group serves yet, not inside
 * the reserved catalog namespace, assigned to a group of the plan, and with no served zone
 * below it. The last rule means a zone is only ever created at the bottom of the hierarchy
 * it joins, so an existing delegation is never occluded by a new cut above it (RFC 1034
 * §4.2.1), and the nameserver names of every group (inside the group's planned zone) are
 * never inside a registered zone: registered zones need no glue.
 */
import { z } from 'zod';
import { Name } from './dns/wire/name.js';
import { BATCH_CHANGES_MAX, GROUP_ZONES_MAX } from './limits.js';
import type { ClusterPlan } from './plan.js';

/** Zones the registry holds at most (one NATS KV entry each). */
export const REGISTERED_ZONES_MAX = 100_000;
/** Zones one group serves at most (its store's bound, protocol/limits.ts). */
export const ZONES_PER_GROUP_MAX = GROUP_ZONES_MAX;

/** RRsets a zone may hold to be moved: its copy is one batch, the create-zone the rest. */
export const MOVE_RRSETS_MAX = BATCH_CHANGES_MAX - 1;

/** Catalog zones live here (protocol/dns/catalog-zone.ts); no served zone may. */
const RESERVED_SUFFIX = Name.parse('raftns.invalid.');

export type ZoneState = 'active' | 'deleting' | 'moving';

/** One registry entry, as stored. */
export interface RegisteredZone {
  /** Absolute, lowercased. */
  readonly zone: string;
  readonly group: string;
  readonly state: ZoneState;
  /** When the entry was first written, ISO 8601 (informational). */
  readonly createdAt: string;
  /** While `moving`: the group the zone moves to. */
  readonly to?: string;
  /** After a move: the group that still holds the frozen old copy until `drainUntil`. */
  readonly movedFrom?: string;
  /** After a move: when the old group may delete its copy, ISO 8601. */
  readonly drainUntil?: string;
  /**
   * While `deleting`, once the parent's delegation is gone in every region: when the zone's
   * group may drop its copy, ISO 8601. Until then the copy keeps answering the resolvers
   * that were handed the delegation just before it went.
   */
  readonly deleteAfter?: string;
}

export const registeredZoneSchema = z
  .strictObject({
    zone: z.string().min(1).max(1024),
    group: z.string().min(1).max(64),
    state: z.enum(['active', 'deleting', 'moving']),
    createdAt: z.string().max(64),
    to: z.string().min(1).max(64).optional(),
    movedFrom: z.string().min(1).max(64).optional(),
    drainUntil: z.string().max(64).optional(),
    deleteAfter: z.string().max(64).optional(),
  })
  .refine((e) => (e.state === 'moving') === (e.to !== undefined), 'a moving entry, and only it, names `to`')
  .refine(
    (e) => (e.movedFrom === undefined) === (e.drainUntil === undefined),
    'movedFrom goes with drainUntil',
  )
  .refine(
    (e) => e.deleteAfter === undefined || e.state === 'deleting',
    'only a deleting entry names `deleteAfter`',
  );

/** A zone the cluster serves, from either source. */
export interface ServedZone {
  /** Absolute, lowercased. */
  readonly zone: string;
  readonly group: string;
  readonly source: 'plan' | 'registry';
  readonly state: ZoneState;
  /** While moving: the group it moves to. */
  readonly to?: string;
  /** After a move, until the old copy is gone: the old group and when it may delete it. */
  readonly movedFrom?: string;
  readonly drainUntilMs?: number;
  /** While deleting: when its group may drop its copy (absent: not yet scheduled). */
  readonly deleteAfterMs?: number;
}

/** The canonical stored form of a zone name; throws NameError when it is not a name. */
export function zoneKey(zone: string): string {
  return Name.parse(zone.endsWith('.') ? zone : `${zone}.`).key;
}

export class ZoneDirectory {
  readonly #byZone = new Map<string, ServedZone>();
  #registeredCount: number | undefined;
  #perGroup: Map<string, number> | undefined;

  constructor(
    readonly plan: ClusterPlan,
    registered: readonly RegisteredZone[],
  ) {
    for (const entry of registered) {
      let key: string;
      try {
        key = zoneKey(entry.zone);
      } catch {
        continue;
      }
      if (!plan.groups.some((g) => g.id === entry.group)) continue;
      const drainUntilMs = entry.drainUntil === undefined ? Number.NaN : Date.parse(entry.drainUntil);
      const deleteAfterMs = entry.deleteAfter === undefined ? Number.NaN : Date.parse(entry.deleteAfter);
      this.#byZone.set(key, {
        zone: key,
        group: entry.group,
        source: 'registry',
        state: entry.state,
        ...(entry.to === undefined ? {} : { to: entry.to }),
        ...(entry.movedFrom === undefined || Number.isNaN(drainUntilMs)
          ? {}
          : { movedFrom: entry.movedFrom, drainUntilMs }),
        ...(entry.state !== 'deleting' || Number.isNaN(deleteAfterMs) ? {} : { deleteAfterMs }),
      });
    }
    // The plan wins over a registry entry for the same zone.
    for (const group of plan.groups) {
      const key = zoneKey(group.zone);
      this.#byZone.set(key, { zone: key, group: group.id, source: 'plan', state: 'active' });
    }
  }

  /** Every served zone, parents before children (fewest labels first), then by name. */
  zones(): ServedZone[] {
    const depth = new Map<string, number>();
    for (const z of this.#byZone.values()) depth.set(z.zone, labelCount(z.zone));
    return [...this.#byZone.values()].sort(
      (a, b) =>
        (depth.get(a.zone) ?? 0) - (depth.get(b.zone) ?? 0) ||
        (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0),
    );
  }

  get(zone: string): ServedZone | undefined {
    return this.#byZone.get(zoneKey(zone));
  }

  /** The served zone with the longest apex containing `name` (deleting zones included). */
  zoneFor(name: string): ServedZone | undefined {
    let at: Name | undefined = Name.parse(name.endsWith('.') ? name : `${name}.`);
    while (at !== undefined) {
      const found = this.#byZone.get(at.key);
      if (found !== undefined) return found;
      at = at.parent();
    }
    return undefined;
  }

  /** The served zone directly above `zone` (where its delegation lives); undefined for a top one. */
  parentOf(zone: string): ServedZone | undefined {
    const parent = Name.parse(zoneKey(zone)).parent();
    return parent === undefined ? undefined : this.zoneFor(parent.toString());
  }

  /** Served zones strictly below `zone`, deepest first (the order a recursive delete takes). */
  below(zone: string): ServedZone[] {
    const apex = Name.parse(zoneKey(zone));
    return this.zones()
      .filter((z) => z.zone !== apex.key && Name.parse(z.zone).isSubdomainOf(apex))
      .reverse();
  }

  /** Why `zone` cannot be created in `group`; undefined when it can. */
  creationProblem(zone: string, group: string): string | undefined {
    let apex: Name;
    try {
      apex = Name.parse(zone.endsWith('.') ? zone : `${zone}.`);
    } catch (error) {
      return `${JSON.stringify(zone)} is not a domain name: ${(error as Error).message}`;
    }
    if (apex.isRoot) return 'the root zone is served by the plan';
    if (apex.isSubdomainOf(RESERVED_SUFFIX))
      return `${apex.key} is inside the reserved ${RESERVED_SUFFIX.key}`;
    if (!this.plan.groups.some((g) => g.id === group))
      return `no group ${JSON.stringify(group)} in the plan (groups: ${this.plan.groups.map((g) => g.id).join(', ')})`;
    const existing = this.#byZone.get(apex.key);
    if (existing !== undefined)
      return existing.state === 'deleting'
        ? `${apex.key} is being deleted; run the delete again to finish it, then create it`
        : existing.state === 'moving'
          ? `${apex.key} is already served by group ${existing.group} (moving to ${existing.to})`
          : `${apex.key} is already served by group ${existing.group}`;
    const inside = this.firstBelow(apex, 4);
    if (inside.length > 0)
      return `${apex.key} would contain zones the cluster already serves (${inside
        .slice(0, 3)
        .map((z) => z.zone)
        .sort()
        .join(', ')}${inside.length > 3 ? ', …' : ''}); a zone can only be created below every zone it joins`;
    if (this.registeredCount() >= REGISTERED_ZONES_MAX)
      return `the registry holds its maximum of ${REGISTERED_ZONES_MAX} zones`;
    if (this.zonesOf(group) >= ZONES_PER_GROUP_MAX)
      return `group ${group} serves its maximum of ${ZONES_PER_GROUP_MAX} zones; add a group (raftns plan apply)`;
    return undefined;
  }

  /**
   * Why `zone` cannot move to `group`; undefined when it can, or when a move to `group` is
   * under way or finishing (running it again continues it).
   */
  moveProblem(zone: string, group: string): string | undefined {
    let key: string;
    try {
      key = zoneKey(zone);
    } catch (error) {
      return `${JSON.stringify(zone)} is not a domain name: ${(error as Error).message}`;
    }
    const served = this.#byZone.get(key);
    if (served === undefined) return `${key} is not a zone of the cluster`;
    if (served.source === 'plan')
      return `${key} is a zone of the plan (group ${served.group}); it moves with the plan`;
    if (!this.plan.groups.some((g) => g.id === group))
      return `no group ${JSON.stringify(group)} in the plan (groups: ${this.plan.groups.map((g) => g.id).join(', ')})`;
    if (served.state === 'deleting') return `${key} is being deleted`;
    if (served.state === 'moving')
      return served.to === group
        ? undefined
        : `${key} is moving to group ${served.to}; finish that move first`;
    if (served.group === group)
      return served.movedFrom !== undefined ? undefined : `${key} is already served by group ${group}`;
    if (served.movedFrom !== undefined)
      return `${key} still has a copy in group ${served.movedFrom} from its last move; run that move again to finish it`;
    if (this.zonesOf(group) >= ZONES_PER_GROUP_MAX)
      return `group ${group} serves its maximum of ${ZONES_PER_GROUP_MAX} zones; add a group (raftns plan apply)`;
    return undefined;
  }

  /** How many zones `group` serves (planned and registered, moving ones in both groups). */
  zonesOf(group: string): number {
    if (this.#perGroup === undefined) {
      this.#perGroup = new Map();
      // A moving zone counts in both groups: both hold it until the move ends.
      for (const z of this.#byZone.values())
        for (const g of z.to === undefined ? [z.group] : [z.group, z.to])
          this.#perGroup.set(g, (this.#perGroup.get(g) ?? 0) + 1);
    }
    return this.#perGroup.get(group) ?? 0;
  }

  registeredCount(): number {
    this.#registeredCount ??= [...this.#byZone.values()].filter((z) => z.source === 'registry').length;
    return this.#registeredCount;
  }

  /** Up to `max` served zones strictly below `apex`, in no order (cheaper than `below`). */
  private firstBelow(apex: Name, max: number): ServedZone[] {
    const found: ServedZone[] = [];
    for (const zone of this.#byZone.values()) {
      if (zone.zone === apex.key) continue;
      if (Name.parse(zone.zone).isSubdomainOf(apex)) found.push(zone);
      if (found.length >= max) break;
    }
    return found;
  }
}

function labelCount(key: string): number {
  return Name.parse(key).labelCount;
}
