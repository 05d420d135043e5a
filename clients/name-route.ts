/**
 * Which group of the plan serves a name, and in which of its zones: the longest served zone
 * containing the name, from the plan or the zone registry (protocol/zone-directory.ts). The
 * region writer routes every change through it, and a one-shot read (clients/record-reader.ts)
 * its one name.
 */
import { withFinalDot } from '../protocol/dns/wire/name.js';
import type { ClusterPlan, GroupPlan } from '../protocol/plan.js';
import type { ZoneDirectory } from '../protocol/zone-directory.js';
import { InvalidBatchError } from './invalid-batch-error.js';

export interface NameRoute {
  readonly group: GroupPlan;
  /** The zone as the store spells it: a planned zone in the plan's spelling. */
  readonly zone: string;
}

/**
 * The group serving `name` and its zone; throws InvalidBatchError when `name` is not a
 * domain name, no group serves it, or its zone is being deleted.
 */
export function routeName(plan: ClusterPlan, directory: ZoneDirectory, name: string): NameRoute {
  let served: ReturnType<ZoneDirectory['zoneFor']>;
  try {
    served = directory.zoneFor(withFinalDot(name));
  } catch (error) {
    throw new InvalidBatchError({
      code: 'bad-name',
      message: `${JSON.stringify(name)} is not a domain name: ${(error as Error).message}`,
    });
  }
  const group = plan.groups.find((g) => g.id === served?.group);
  if (served === undefined || group === undefined)
    throw new InvalidBatchError({ code: 'no-group', message: `no group of the cluster serves ${name}` });
  if (served.state === 'deleting')
    throw new InvalidBatchError({ code: 'no-group', message: `zone ${served.zone} is being deleted` });
  // A zone served since the plan keeps the plan's spelling (writes name their zone as the store does).
  return { group, zone: served.source === 'plan' ? group.zone : served.zone };
}
