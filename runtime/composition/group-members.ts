/**
 * Who serves each group in a region, as the delegation reconciler needs it: the slot
 * holders (slots bucket) with the addresses they registered (instances bucket). A holder
 * whose registration expired (no heartbeat) is listed without addresses, so the group
 * counts as incomplete and its delegation data is left as it is until it is replaced.
 */

import type { PlanStore } from '../../bootstrap/plan-store.js';
import { liveInstances } from '../../bootstrap/registry.js';
import { readSlots } from '../../bootstrap/slot-claim.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import type { GroupMember } from './delegation-plan.js';

export async function regionMembers(
  store: PlanStore,
  plan: ClusterPlan,
  region: string,
): Promise<Map<string, GroupMember[]>> {
  // The store, not its instances bucket: listing a bucket's keys while heartbeats land
  // every few hundred milliseconds may not end (see registry.ts).
  const [slots, live] = await Promise.all([readSlots(store.slots, plan, region), liveInstances(store)]);
  const addresses = new Map(live.map((r) => [r.instanceId, r.dnsAddresses]));
  const members = new Map<string, GroupMember[]>();
  for (const slot of slots) {
    if (slot.holder === undefined) continue;
    const list = members.get(slot.group) ?? [];
    list.push({ instanceId: slot.holder, addresses: addresses.get(slot.holder) ?? [] });
    members.set(slot.group, list);
  }
  return members;
}
