/**
 * Taking over the slot of a dead replica: when every slot of its region is held, a new
 * instance takes the first slot whose holder no longer has a registration (it stopped
 * heartbeating for a registration TTL), with a compare-and-set on the slot's revision, so
 * two replacements racing for one slot cannot both win. The group's leader then adds the
 * newcomer to the Raft configuration and removes the dead holder (membership-reconciler.ts);
 * until then the newcomer is a joining replica: its initial voters are the group as it was,
 * without itself, so it never starts an election on its own (thesis §4.2.1).
 */
import type { Logger } from '../runtime/log.js';
import { isWrongLastSequence, type PlanStore } from './plan-store.js';
import { liveInstances } from './registry.js';
import type { ReplacementHook, SlotClaim } from './slot-claim.js';

export function replaceDeadHolder(store: PlanStore, log: Logger): ReplacementHook {
  return async ({ instanceId, slots }) => {
    const live = new Set((await liveInstances(store)).map((r) => r.instanceId));
    for (const slot of slots) {
      if (slot.holder === undefined || live.has(slot.holder)) continue;
      const entry = await store.slots.get(slot.key);
      if (entry === null || entry.operation !== 'PUT' || entry.string() !== slot.holder) continue;
      try {
        await store.slots.update(slot.key, instanceId, entry.revision);
      } catch (error) {
        if (isWrongLastSequence(error)) continue; // another replacement won this slot
        throw error;
      }
      log.info(
        { slot: slot.key, replaced: slot.holder },
        'took over the slot of a replica that stopped heartbeating',
      );
      const claim: SlotClaim = {
        region: slot.region,
        group: slot.group,
        index: slot.index,
        key: slot.key,
        instanceId,
        rejoined: false,
        replaced: slot.holder,
      };
      return claim;
    }
    return undefined;
  };
}
