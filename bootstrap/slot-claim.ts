/**
 * Slot claims: the plan has `replicasPerGroup` slots per group per region; an instance
 * becomes a replica of a group by holding one of them. Claims are `kv.create` on the slot's
 * key — the server applies it only while the key has no value — so two instances never hold
 * one slot, however many start at once: the loser of a race moves on to the next slot.
 *
 * Slots are filled in plan order (groups as listed, parents first; indexes 0..n-1), so the
 * first instances of a region form the root group. A restarted instance finds its id in a
 * slot and rejoins it: its data dir holds that group's Raft state.
 */
import type { KV } from '@nats-io/kv';
import { GROUP_VOTERS_MAX } from '../protocol/limits.js';
import { type ClusterPlan, slotKey } from '../protocol/plan.js';
import type { Logger } from '../runtime/log.js';
import { BootstrapError } from './errors.js';
import { isWrongLastSequence, sleepUntilNextPoll } from './plan-store.js';

export interface SlotRef {
  readonly region: string;
  readonly group: string;
  readonly index: number;
  /** The slot's key in the slots bucket (`<region>.<group>.<index>`). */
  readonly key: string;
}

export interface SlotState extends SlotRef {
  /** The instance holding the slot, or undefined while it is free. */
  readonly holder: string | undefined;
}

export interface SlotClaim extends SlotRef {
  readonly instanceId: string;
  /** True when this instance already held the slot (a restart), false when it took it now. */
  readonly rejoined: boolean;
  /** The dead holder whose slot this instance took over (slot-replacement.ts). */
  readonly replaced?: string;
}

/**
 * Called when every slot of the region is held by someone else, with the region's slots:
 * the place for replacing a dead replica (slot-replacement.ts takes the slot of an instance
 * whose registration expired; the group's leader then changes its Raft membership). Answers
 * the slot taken, or undefined to fail with `no-free-slot`.
 */
export type ReplacementHook = (context: {
  readonly plan: ClusterPlan;
  readonly instanceId: string;
  readonly region: string;
  readonly slots: readonly SlotState[];
}) => Promise<SlotClaim | undefined>;

/** Every slot of `region`, in claim order (groups in plan order, then index). */
export function regionSlots(plan: ClusterPlan, region: string): SlotRef[] {
  const out: SlotRef[] = [];
  for (const group of plan.groups)
    for (let index = 0; index < plan.replicasPerGroup; index++)
      out.push({ region, group: group.id, index, key: slotKey(region, group.id, index) });
  return out;
}

/** The slots of `region` (optionally of one group) with their holders, in claim order. */
export async function readSlots(
  slots: KV,
  plan: ClusterPlan,
  region: string,
  group?: string,
): Promise<SlotState[]> {
  const refs = regionSlots(plan, region).filter((ref) => group === undefined || ref.group === group);
  const entries = await Promise.all(refs.map((ref) => slots.get(ref.key)));
  return refs.map((ref, i) => {
    const entry = entries[i];
    const holder =
      entry !== null && entry !== undefined && entry.operation === 'PUT' ? entry.string() : undefined;
    return { ...ref, holder: holder === '' ? undefined : holder };
  });
}

export interface ClaimSlotRequest {
  readonly instanceId: string;
  readonly region: string;
  /**
   * Only a slot of this group: the one whose Raft state the instance's data dir holds
   * (undefined: any group, for an empty data dir).
   */
  readonly group?: string;
}

/**
 * The slot of `instanceId` in `region`: the one it holds already (a restart), else the
 * first free one (of `group` when given) taken atomically. Fails with `region-unknown` for
 * a region not in the plan and `no-free-slot` when all are held by others and `replace` (if
 * any) took none.
 */
export async function claimSlot(
  slots: KV,
  plan: ClusterPlan,
  request: ClaimSlotRequest,
  options: { readonly replace?: ReplacementHook } = {},
): Promise<SlotClaim> {
  const { instanceId, region } = request;
  if (!plan.regions.includes(region))
    throw new BootstrapError(
      'region-unknown',
      `region ${region} is not in the plan (regions: ${plan.regions.join(', ')})`,
    );
  const ofGroup = (all: SlotState[]) =>
    request.group === undefined ? all : all.filter((slot) => slot.group === request.group);
  const states = ofGroup(await readSlots(slots, plan, region));
  const mine = states.find((slot) => slot.holder === instanceId);
  if (mine !== undefined) return { ...refOf(mine), instanceId, rejoined: true };
  for (const slot of states) {
    if (slot.holder !== undefined) continue;
    try {
      await slots.create(slot.key, instanceId);
      return { ...refOf(slot), instanceId, rejoined: false };
    } catch (error) {
      // Someone else took it since the read: try the next one.
      if (!isWrongLastSequence(error)) throw error;
    }
  }
  const after = ofGroup(await readSlots(slots, plan, region));
  const replaced = await options.replace?.({ plan, instanceId, region, slots: after });
  if (replaced !== undefined) return replaced;
  throw new BootstrapError(
    'no-free-slot',
    request.group === undefined
      ? `every slot of region ${region} is taken (${after.length} slots: ${after
          .map((s) => `${s.key}=${s.holder ?? '?'}`)
          .join(', ')}) by live replicas`
      : `every slot of group ${request.group} in region ${region}, whose Raft state the data dir holds, is taken (${
          after.map((s) => `${s.key}=${s.holder ?? '?'}`).join(', ') || 'the group is not in the plan'
        }) by live replicas: start with an empty data dir to join another group`,
  );
}

export interface WaitForGroupOptions {
  readonly log?: Logger;
  /** Give up (`group-timeout`) at this `Date.now()` time; default never. */
  readonly deadlineMs?: number;
  readonly pollMs?: number;
  /** How often the slots still empty are logged. */
  readonly reportEveryMs?: number;
  readonly signal?: AbortSignal;
}

export const GROUP_POLL_MS = 200;
export const GROUP_WAITING_REPORT_MS = 3_000;

/**
 * Waits until every slot of `group` in `region` is held; returns the holders in slot order
 * (the group's Raft voters). Logs which slots are still empty every `reportEveryMs`.
 */
export async function waitForGroup(
  slots: KV,
  plan: ClusterPlan,
  region: string,
  group: string,
  options: WaitForGroupOptions = {},
): Promise<string[]> {
  if (!plan.groups.some((g) => g.id === group)) throw new RangeError(`group ${group} is not in the plan`);
  const pollMs = options.pollMs ?? GROUP_POLL_MS;
  const reportEveryMs = options.reportEveryMs ?? GROUP_WAITING_REPORT_MS;
  const started = Date.now();
  let reportedAt: number | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const states = await readSlots(slots, plan, region, group);
    const empty = states.filter((slot) => slot.holder === undefined).map((slot) => slot.key);
    if (empty.length === 0) return states.map((slot) => slot.holder as string);
    const now = Date.now();
    if (options.deadlineMs !== undefined && now >= options.deadlineMs)
      throw new BootstrapError(
        'group-timeout',
        `group ${group} in region ${region} still has empty slots after ${now - started} ms: ${empty.join(', ')}`,
      );
    if (reportedAt === undefined || now - reportedAt >= reportEveryMs) {
      reportedAt = now;
      options.log?.info(
        {
          group,
          region,
          empty,
          held: states.filter((s) => s.holder !== undefined).map((s) => `${s.key}=${s.holder}`),
          waitedMs: now - started,
        },
        'waiting for the group to fill its slots',
      );
    }
    await sleepUntilNextPoll(pollMs, options.signal);
  }
}

function refOf(slot: SlotRef): SlotRef {
  return { region: slot.region, group: slot.group, index: slot.index, key: slot.key };
}

/**
 * Deletes the keys of `group`'s slots in `region` beyond the plan's `replicasPerGroup`
 * (removed by a shrink) whose holder `gone` says has left (neither a voter nor registered): a
 * removed replica releases its own slot when it leaves (runtime/composition/slot-retirement.ts);
 * one that was down at the time cannot, and its key would otherwise make a later growth
 * see that slot as held by a dead replica. `gone` is asked after the slot is read: an
 * instance registers before it claims, so a newcomer that claimed a slot of a plan grown
 * since this replica read it is seen registered and kept. Each delete is a compare-and-set
 * on the revision read. Answers the keys deleted.
 */
export async function releaseLeftSlots(
  slots: KV,
  plan: ClusterPlan,
  region: string,
  group: string,
  gone: (holder: string) => Promise<boolean>,
): Promise<string[]> {
  const released: string[] = [];
  for (let index = plan.replicasPerGroup; index < GROUP_VOTERS_MAX; index++) {
    const key = slotKey(region, group, index);
    const entry = await slots.get(key);
    if (entry === null || entry.operation !== 'PUT' || !(await gone(entry.string()))) continue;
    try {
      await slots.delete(key, { previousSeq: entry.revision });
      released.push(key);
    } catch (error) {
      // Its holder released it (or it changed) since the read: nothing to do.
      if (!isWrongLastSequence(error)) throw error;
    }
  }
  return released;
}
