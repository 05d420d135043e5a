/**
 * What changing a running cluster's plan would do, and whether it is safe (`raftns plan
 * apply`). Both plans are valid on their own (validatePlan); this compares them.
 *
 * Safe today:
 * - **adding groups** (new ids, each under a group of the plan): their slots are free, new
 *   instances claim them, and the new group's leader creates its zone and its delegation in
 *   the parent (runtime/composition/delegation-reconciler.ts). A new group's zone must not
 *   be one the zone registry serves already (`registered`: it would be served twice), nor
 *   contain a served zone (its cut would hide that zone's delegation).
 * - **more replicas per group**: every group gets new slots; new instances claim them and
 *   join their running group (bootstrap-process.ts asks its leader for the voters), and each
 *   leader adds them one at a time (membership-reconciler.ts), then publishes them as
 *   nameservers once every slot is held.
 * - **fewer replicas per group** (still odd and at least 1: validatePlan): the slots at the
 *   highest indexes go (`n..old-1` of every group in every region), so the lowest-numbered
 *   slots, the group's oldest members, stay. Each leader withdraws the holders of the
 *   removed slots from the zone's NS and the parent's glue, then removes them from the Raft
 *   configuration one at a time (membership-reconciler.ts; a removed leader steps down once
 *   the change commits, thesis §4.2.2); each removed instance, seeing itself out of the
 *   configuration, releases its slot and stops (slot-retirement.ts).
 * - **retiring a group** (removing it from the plan): only once nothing but its planned zone
 *   depends on it: no zone created at runtime is served by it, moving to it or draining from
 *   it (`raftns zone move` them elsewhere first), none lies below its planned zone (it would
 *   lose its delegation), and no group of the new plan has it as parent (validatePlan). Its
 *   planned zone goes with it: zone move does not move zones of the plan, and only this group
 *   can serve it. Its leader removes the delegation (NS at the cut, glue) from the parent's
 *   zone in each region, then its replicas leave (runtime/composition/slot-retirement.ts);
 *   names below the cut are then the parent zone's (NXDOMAIN unless written there).
 *   The root group cannot retire (a plan has exactly one).
 * - **adding regions** at the end of the list: every group gets slots there; the region's
 *   instances (waiting for the plan to name their region, bootstrap-process.ts) claim them,
 *   each group's leader there creates its planned zone and the zones the registry gives
 *   it, anti-entropy (region-repair.ts) fills every zone from the other regions, and each
 *   delegation there is created once its child is filled. Writers that write to every
 *   region (the region writer, UPDATEs) add it as they follow the plan.
 * - **retiring regions** (removing them; at least one stays): writers that follow the plan
 *   stop writing there, anti-entropy stops comparing with them, and their replicas leave
 *   (slot-retirement.ts). `raftns plan apply` also checks, unless told to discard it, that
 *   every zone the retiring region holds was held by a remaining region (the data is not
 *   lost); resolvers must be pointed elsewhere first (each region is its own hierarchy).
 * Refused, with the reason:
 * - another cluster name or plan version;
 * - regions reordered: the remaining ones keep their order, new ones go at the end;
 * - an existing group's zone or parent changed (its data and delegation are where they are),
 *   or the existing groups reordered;
 */
import { Name } from './dns/wire/name.js';
import type { ZoneRrset } from './dns/zone-content.js';
import type { ClusterPlan } from './plan.js';
import type { RegisteredZone } from './zone-directory.js';

/** What the check needs of a zone created at runtime (zone registry). */
export type RegistryZoneRef = Pick<RegisteredZone, 'zone' | 'group' | 'to' | 'movedFrom'>;

export interface PlanChange {
  /** One line per difference, `+`/`-`/`~` first (empty: the same plan). */
  readonly changes: readonly string[];
  /** Why the change is refused (empty: it may be applied). */
  readonly problems: readonly string[];
}

export function planChange(
  stored: ClusterPlan,
  given: ClusterPlan,
  registeredZones: readonly RegistryZoneRef[] = [],
): PlanChange {
  const changes: string[] = [];
  const problems: string[] = [];
  if (stored.cluster !== given.cluster)
    problems.push(`cluster: ${stored.cluster} cannot become ${given.cluster}`);
  if (stored.version !== given.version)
    problems.push(`version: ${stored.version} cannot become ${given.version}`);
  const remaining = stored.regions.filter((r) => given.regions.includes(r));
  const inOrder = remaining.every((r, i) => given.regions[i] === r);
  if (!inOrder) {
    changes.push(`~ regions: ${stored.regions.join(',')} → ${given.regions.join(',')}`);
    problems.push(
      'regions: the remaining regions keep their order, before the new ones (new regions go at the end)',
    );
  } else {
    for (const region of stored.regions.filter((r) => !given.regions.includes(r)))
      changes.push(
        `- region ${region}: retired; its replicas leave their groups and stop (point resolvers at other regions first)`,
      );
    for (const region of given.regions.slice(remaining.length))
      changes.push(
        `+ region ${region}: every group gets ${given.replicasPerGroup} slot(s) there; its zones are filled from the other regions by anti-entropy`,
      );
  }
  if (stored.replicasPerGroup !== given.replicasPerGroup) {
    changes.push(`~ replicasPerGroup: ${stored.replicasPerGroup} → ${given.replicasPerGroup}`);
    if (given.replicasPerGroup < stored.replicasPerGroup)
      changes.push(
        `- slots ${removedSlots(stored.replicasPerGroup, given.replicasPerGroup)} of every group in every region (their replicas leave their groups and stop)`,
      );
  }
  const givenById = new Map(given.groups.map((g) => [g.id, g]));
  const storedIds = new Set(stored.groups.map((g) => g.id));
  for (const group of stored.groups) {
    const after = givenById.get(group.id);
    if (after === undefined) {
      changes.push(
        `- group ${group.id}: retired; its zone ${group.zone} goes with it (the delegation in ${group.parent ?? '(none)'} is removed first), its replicas stop`,
      );
      problems.push(...retirementProblems(group, registeredZones));
      continue;
    }
    if (!Name.parse(after.zone).equals(Name.parse(group.zone))) {
      changes.push(`~ group ${group.id}: zone ${group.zone} → ${after.zone}`);
      problems.push(`groups.${group.id}.zone: an existing group keeps its zone`);
    }
    if (after.parent !== group.parent) {
      changes.push(`~ group ${group.id}: parent ${group.parent ?? '(none)'} → ${after.parent ?? '(none)'}`);
      problems.push(`groups.${group.id}.parent: an existing group keeps its parent`);
    }
  }
  const keptOrder = given.groups.filter((g) => storedIds.has(g.id)).map((g) => g.id);
  const storedOrder = stored.groups.filter((g) => givenById.has(g.id)).map((g) => g.id);
  if (keptOrder.some((id, i) => storedOrder[i] !== id))
    problems.push('groups: the existing groups keep their order (new groups may follow or sit between them)');
  const registered = registeredZones.map((z) => Name.parse(z.zone));
  const served = [...stored.groups.map((g) => Name.parse(g.zone)), ...registered];
  for (const group of given.groups) {
    if (storedIds.has(group.id)) continue;
    changes.push(`+ group ${group.id} (${group.zone}, parent ${group.parent ?? '(none)'})`);
    const apex = Name.parse(group.zone);
    if (registered.some((z) => z.equals(apex)))
      problems.push(
        `groups.${group.id}.zone: ${group.zone} is a zone created at runtime already (raftns zone list); delete it first`,
      );
    const below = served.filter((z) => !z.equals(apex) && z.isSubdomainOf(apex));
    if (below.length > 0)
      problems.push(
        `groups.${group.id}.zone: ${group.zone} would contain zones the cluster serves (${below
          .slice(0, 3)
          .map((z) => z.toString())
          .join(', ')}); a new group's zone goes below every zone it joins`,
      );
  }
  return { changes, problems };
}

/** The slot indexes a shrink removes, the highest ones: `3, 4` for 5 → 3. */
function removedSlots(before: number, after: number): string {
  const indexes: number[] = [];
  for (let index = after; index < before; index++) indexes.push(index);
  return indexes.join(', ');
}

/** Why `group` cannot leave the plan yet (empty: it may). */
function retirementProblems(
  group: ClusterPlan['groups'][number],
  registered: readonly RegistryZoneRef[],
): string[] {
  const problems: string[] = [];
  if (group.parent === undefined)
    problems.push(`groups: ${group.id} serves the root zone and cannot be retired`);
  const served = registered.filter(
    (z) => z.group === group.id || z.to === group.id || z.movedFrom === group.id,
  );
  if (served.length > 0)
    problems.push(
      `groups: ${group.id} still serves zones created at runtime (${served
        .slice(0, 3)
        .map((z) => z.zone)
        .join(
          ', ',
        )}${served.length > 3 ? ', …' : ''}): move them first (raftns zone move ZONE --to GROUP) and wait for the move to finish`,
    );
  const apex = Name.parse(group.zone);
  const below = registered.filter((z) => z.group !== group.id && Name.parse(z.zone).isSubdomainOf(apex));
  if (below.length > 0)
    problems.push(
      `groups: ${group.id}'s zone ${group.zone} delegates zones created at runtime (${below
        .slice(0, 3)
        .map((z) => z.zone)
        .join(', ')}): delete them first (raftns zone delete), or they would lose their delegation`,
    );
  return problems;
}

/**
 * The RRsets of a retiring group's planned zone that would go with it: everything but the
 * apex SOA and NS and the addresses of the nameservers that NS RRset names (what the group's
 * leader writes itself). `raftns plan apply` refuses a retirement while any is left, unless
 * told to discard them.
 */
export function plannedZoneData(apex: string, rrsets: readonly ZoneRrset[]): ZoneRrset[] {
  const top = Name.parse(apex);
  const isApex = (name: string) => Name.parse(name).equals(top);
  const nameservers = new Set(
    rrsets
      .filter((r) => r.type === 'NS' && isApex(r.name))
      .flatMap((r) => r.rdata.map((target) => Name.parse(target).toString().toLowerCase())),
  );
  return rrsets.filter((r) => {
    if (isApex(r.name) && (r.type === 'SOA' || r.type === 'NS')) return false;
    if ((r.type === 'A' || r.type === 'AAAA') && nameservers.has(Name.parse(r.name).toString().toLowerCase()))
      return false;
    return true;
  });
}
