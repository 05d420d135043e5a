/**
 * Keeps a group's Raft voters equal to its slot holders, from the leader: a holder that is
 * not a voter (a replacement that took a dead replica's slot) is added, then a voter that
 * holds no slot any more (the dead replica) is removed — one single-server change at a
 * time, adding before removing so the group never shrinks below its size while the
 * newcomer catches up (thesis §4.1, §4.2.1; the log actor refuses overlapping changes and
 * counts a new voter only once it has caught up). A holder without a live registration is
 * not added. A pass runs when this replica becomes the ready leader of a term (its
 * leadership observations, leadership-feed.ts) and every `intervalMs` after, for changes
 * outside Raft (slots, registrations); it is skipped unless the latest observation says
 * this replica leads with its term's no-op committed (the log actor refuses changes
 * before that, thesis §4.1).
 *
 * The same rule shrinks a group (`raftns plan apply` lowering `replicasPerGroup`): the
 * holders of the removed slots are no longer holders, so they are removed one at a time.
 * A voter is removed only once `withdrawn` says the group's nameservers (the zone's NS, the
 * parent's glue) no longer name it: it keeps serving as a voter, with every committed
 * write, while resolvers still learn its address. The leader removes itself last, so a
 * shrink costs at most one election (thesis §4.2.2: it steps down once that change commits).
 */
import { type LogMessage, leadsReady } from '../../actors/log/protocol.js';
import { LOG } from '../../actors/raft/actor-names.js';
import type { MembershipChange } from '../../actors/raft/membership.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import type { MessageOf } from '../message.js';
import { followReadyLeadership, type LeadershipSource } from './leadership-feed.js';
import { PeriodicTask } from './periodic-task.js';

export interface MembershipReconcilerOptions {
  readonly external: ExternalEndpoint;
  readonly leadership: LeadershipSource;
  /** False while the group is being retired (out of the plan): its voters stay as they are. */
  readonly inPlan?: () => boolean;
  /** This replica's instance id (removed last when it leaves). */
  readonly self?: string;
  /** Whether a voter that holds no slot may be removed now (default: always). */
  readonly withdrawn?: (replica: string) => boolean;
  /**
   * Called on a pass that finds the voters equal to the holders, with the voters (the
   * place to release the slots of replicas that left).
   */
  readonly whenInSync?: (voters: readonly string[]) => Promise<void>;
  /** The group's slot holders (instance ids) and which of them are registered and alive. */
  readonly holders: () => Promise<{
    readonly holders: readonly string[];
    readonly live: ReadonlySet<string>;
  }>;
  readonly log: Logger;
  readonly intervalMs: number;
}

export type MembershipPass =
  | { readonly kind: 'not-leader' }
  | { readonly kind: 'in-sync' }
  | { readonly kind: 'changed'; readonly change: MembershipChange }
  | { readonly kind: 'refused'; readonly change: MembershipChange; readonly reason: string };

const TAIL_TIMEOUT_MS = 1_000;
/** An added voter must catch up first: allow it time. */
const CHANGE_TIMEOUT_MS = 60_000;

/**
 * The next single-server change that moves `voters` toward `holders`, if any: additions
 * first; then the removal of a voter holding no slot that `withdrawn` allows: the ones not
 * alive first (removing a live voter while a dead one stays would shrink the live majority:
 * 3 voters with one down, a live one removed, and the remaining two must both answer), then
 * the others, `self` last. A live voter is removed only if the live voters left are still
 * a majority of the new configuration.
 */
export function nextMembershipChange(
  voters: readonly string[],
  holders: readonly string[],
  live: ReadonlySet<string>,
  options: { readonly self?: string; readonly withdrawn?: (replica: string) => boolean } = {},
): MembershipChange | undefined {
  const add = holders.find((holder) => !voters.includes(holder) && live.has(holder));
  if (add !== undefined) return { op: 'add', replica: add };
  if (holders.some((holder) => !voters.includes(holder))) return undefined; // wait for the newcomer
  const leaving = voters.filter((voter) => !holders.includes(voter));
  const rank = (voter: string) => (voter === options.self ? 2 : live.has(voter) ? 1 : 0);
  const next = [...leaving].sort((a, b) => rank(a) - rank(b))[0];
  if (next === undefined) return undefined;
  if (options.withdrawn !== undefined && !options.withdrawn(next)) return undefined;
  if (live.has(next)) {
    const remaining = voters.filter((voter) => voter !== next);
    const liveLeft = remaining.filter((voter) => live.has(voter)).length;
    if (liveLeft < Math.floor(remaining.length / 2) + 1) return undefined;
  }
  return { op: 'remove', replica: next };
}

export class MembershipReconciler {
  private readonly task: PeriodicTask<MembershipPass>;
  private stopFollowing: (() => void) | undefined;

  constructor(private readonly options: MembershipReconcilerOptions) {
    this.task = new PeriodicTask(
      () => this.pass(),
      options.intervalMs,
      (outcome) => {
        if (outcome.kind === 'changed' || outcome.kind === 'refused')
          options.log.info({ ...outcome }, 'membership pass');
      },
      (error) => options.log.warn({ err: String(error) }, 'membership pass failed; retrying'),
    );
  }

  start(): void {
    this.task.start();
    this.stopFollowing = followReadyLeadership(this.options.leadership, () => this.task.runSoon());
  }

  stop(): Promise<void> {
    this.stopFollowing?.();
    return this.task.stop();
  }

  async pass(): Promise<MembershipPass> {
    if (!leadsReady(this.options.leadership.current())) return { kind: 'not-leader' };
    if (this.options.inPlan?.() === false) return { kind: 'in-sync' };
    const { voters } = await this.options.external.request<MessageOf<LogMessage, 'tail'>>(
      LOG,
      { type: 'tail' },
      { timeoutMs: TAIL_TIMEOUT_MS },
    );
    const { holders, live } = await this.options.holders();
    const change = nextMembershipChange(voters, holders, live, {
      ...(this.options.self === undefined ? {} : { self: this.options.self }),
      ...(this.options.withdrawn === undefined ? {} : { withdrawn: this.options.withdrawn }),
    });
    if (change === undefined) {
      const same = voters.length === holders.length && voters.every((voter) => holders.includes(voter));
      if (same) await this.options.whenInSync?.(voters);
      return { kind: 'in-sync' };
    }
    this.options.log.info({ change, voters, holders }, 'changing the group membership to match the slots');
    const result = await this.options.external.request<MessageOf<LogMessage, 'change-membership'>>(
      LOG,
      { type: 'change-membership', change },
      { timeoutMs: CHANGE_TIMEOUT_MS },
    );
    if (result.ok) return { kind: 'changed', change };
    return {
      kind: 'refused',
      change,
      reason: 'detail' in result ? `${result.reason}: ${result.detail}` : result.reason,
    };
  }
}
