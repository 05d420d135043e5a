/**
 * A bootstrapped replica whose place the plan no longer has leaves for good. It follows the
 * stored plan and checks every `pollMs`:
 * - its slot removed (`raftns plan apply` lowering `replicasPerGroup` drops the
 *   highest-numbered slots): it asks its group's leader for the voters, and leaves when a
 *   leader other than itself answers without it (the leader removed it:
 *   membership-reconciler.ts, after withdrawing it from the zone's NS and the parent's glue);
 * - its group retired (removed from the plan): it leaves once the parent's zone no longer
 *   delegates to the group's zone (its leader removes that delegation first,
 *   delegation-reconciler.ts); the whole group stops, no configuration change is needed;
 * - its region retired (removed from the plan): it leaves at once, as does every replica of
 *   the region (the other regions held its data: `raftns plan apply` checked; no other
 *   region delegates to it, each region being its own hierarchy).
 * Leaving, it marks its data directory retired (retired-marker.ts), releases its
 * slot (compare-and-set on the slot's revision, only while it holds it), deletes its
 * registration, and asks the process to stop, which ends with exit code 0.
 *
 * The removal must be committed, not only appended (a leader's `votersCommitted`): a
 * replica that left on an appended change the group then lost would leave a voter missing.
 *
 * It stops rather than idles: a removed replica no longer receives the log (the leader
 * stops replicating to it once the change is appended, thesis §4.1), so every answer it gave
 * would grow staler, and after the timeouts it would campaign in vain with a configuration
 * the group left. Exit code 0 tells a supervisor that restarts failures only (systemd
 * `Restart=on-failure`) to leave it down. Until the leader has removed it, it serves as any
 * voter. While its slot is gone but it is still a voter it does nothing itself: only the
 * leader changes the configuration.
 */
import type { PlanStore } from '../../bootstrap/plan-store.js';
import type { Registration } from '../../bootstrap/registry.js';
import type { SlotClaim } from '../../bootstrap/slot-claim.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import type { Logger } from '../log.js';
import { PeriodicTask } from './periodic-task.js';

/** Why a replica's place is gone from the plan, if it is. */
export type Departure =
  /** Fewer replicas per group: its slot index is beyond the new count. */
  | { readonly kind: 'slot-removed'; readonly reason: string }
  /** Its group left the plan (retired): every replica of the group leaves. */
  | { readonly kind: 'group-retired'; readonly reason: string }
  /** Its region left the plan (retired): every replica of the region leaves. */
  | { readonly kind: 'region-retired'; readonly reason: string };

/** Why `claim`'s slot is not in `plan` any more, or undefined while it is. */
export function departure(
  plan: ClusterPlan,
  claim: Pick<SlotClaim, 'region' | 'group' | 'index' | 'key'>,
): Departure | undefined {
  if (!plan.regions.includes(claim.region))
    return { kind: 'region-retired', reason: `region ${claim.region} was retired from the plan` };
  if (!plan.groups.some((g) => g.id === claim.group))
    return { kind: 'group-retired', reason: `group ${claim.group} was retired from the plan` };
  if (claim.index >= plan.replicasPerGroup)
    return {
      kind: 'slot-removed',
      reason: `slot ${claim.key} is beyond the plan's ${plan.replicasPerGroup} replica(s) per group`,
    };
  return undefined;
}

/** What the group's leader says of its voters (`RaftClient.status` without a replica). */
export interface LeaderView {
  readonly leaderId: string;
  readonly voters: readonly string[];
  /** Whether the group committed that configuration (false or unknown: it may be lost yet). */
  readonly committed: boolean;
}

/**
 * Whether `self` is out of its group's configuration, by the word of another replica that
 * leads, in a configuration committed: one only appended could be lost with its leader,
 * and the group would count a voter that left.
 */
export function removedByLeader(self: string, view: LeaderView | undefined): boolean {
  return view?.committed === true && view.leaderId !== self && !view.voters.includes(self);
}

export type RetirementPass =
  | { readonly kind: 'in-plan' }
  | { readonly kind: 'still-a-voter'; readonly reason: string }
  | { readonly kind: 'still-delegated-to'; readonly reason: string }
  | { readonly kind: 'retired'; readonly reason: string };

export interface SlotRetirementOptions {
  readonly store: PlanStore;
  readonly plan: ClusterPlan;
  readonly claim: SlotClaim;
  readonly registration: Registration;
  /** The group's leader's view, or undefined when no leader answers in time. */
  readonly leaderView: () => Promise<LeaderView | undefined>;
  /**
   * Whether the parent's zone still delegates to the group's zone (NS at the cut), read
   * linearizably; true when it cannot be read. A retired group's replicas leave only once
   * its leader removed the delegation (delegation-reconciler.ts): no referral the parent
   * gives from then on names a nameserver that stopped (one cached before may, until its TTL).
   */
  readonly parentDelegates: () => Promise<boolean>;
  /** Marks the data directory retired, before anything else (retired-marker.ts). */
  readonly markRetired: (reason: string) => Promise<void>;
  /** Called once, after the slot is released: stops the process (exit code 0). */
  readonly retire: (reason: string) => void;
  readonly log: Logger;
  readonly pollMs: number;
}

export const SLOT_RETIREMENT_POLL_MS = 1_000;

export class SlotRetirement {
  private plan: ClusterPlan;
  private readonly task: PeriodicTask<RetirementPass>;
  private stopWatching: (() => void) | undefined;
  private retired = false;
  /** `retire` was called (once). */
  private stopping = false;

  constructor(private readonly options: SlotRetirementOptions) {
    this.plan = options.plan;
    this.task = new PeriodicTask(
      () => this.pass(),
      options.pollMs,
      (outcome) => {
        if (outcome.kind === 'retired' && !this.stopping) {
          this.stopping = true;
          options.log.info(
            { reason: outcome.reason, slot: options.claim.key },
            'removed from the group: stopping',
          );
          void this.task.stop();
          this.stopWatching?.();
          options.retire(outcome.reason);
        }
      },
      (error) => options.log.warn({ err: String(error) }, 'slot retirement pass failed; retrying'),
    );
  }

  async start(): Promise<void> {
    this.stopWatching = await this.options.store.watchPlan(
      (next) => {
        this.plan = next;
        if (departure(next, this.options.claim) !== undefined) this.task.runSoon();
      },
      () => undefined, // group-maintenance.ts logs a refused plan
    );
    this.task.start();
  }

  async stop(): Promise<void> {
    this.stopWatching?.();
    await this.task.stop();
  }

  async pass(): Promise<RetirementPass> {
    if (this.retired) return { kind: 'retired', reason: 'already retired' };
    const gone = departure(this.plan, this.options.claim);
    if (gone === undefined) return { kind: 'in-plan' };
    const { reason } = gone;
    if (gone.kind === 'slot-removed') {
      const view = await this.options.leaderView();
      if (!removedByLeader(this.options.claim.instanceId, view)) return { kind: 'still-a-voter', reason };
    } else if (gone.kind === 'group-retired' && (await this.options.parentDelegates()))
      return { kind: 'still-delegated-to', reason };
    await this.options.markRetired(reason);
    await this.releaseSlot();
    await this.options.registration.withdraw();
    this.retired = true;
    return { kind: 'retired', reason };
  }

  /** Deletes the slot's key if this instance still holds it (compare-and-set on its revision). */
  private async releaseSlot(): Promise<void> {
    const { key, instanceId } = this.options.claim;
    const entry = await this.options.store.slots.get(key);
    if (entry === null || entry.operation !== 'PUT' || entry.string() !== instanceId) return;
    await this.options.store.slots.delete(key, { previousSeq: entry.revision });
  }
}
