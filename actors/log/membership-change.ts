import { applyChange, type MembershipChange } from '../raft/membership.js';
import type { Membership, ReplicaId } from '../raft/types.js';
import type { ChangeResult } from './protocol.js';

/** Catch-up rounds for a new voter (thesis §4.2.1) before its addition is proposed anyway. */
export const CATCH_UP_ROUNDS_MAX = 10;

export interface ChangeRequestInput {
  readonly change: MembershipChange;
  readonly leading: boolean;
  /** Who this replica believes leads, for the not-leader answer. */
  readonly leaderId: ReplicaId | null;
  /** A change or a leadership transfer is already under way. */
  readonly busy: boolean;
  readonly commitIndex: number;
  /** Index of this term's no-op. */
  readonly termStartIndex: number;
  /** Index of the newest configuration entry in the log (0 when none follows the snapshot). */
  readonly latestConfigIndex: number;
  /** The configuration in effect: the newest in the log (thesis §4.1). */
  readonly current: Membership;
}

/** Why a single-server change cannot start now (thesis §4.1), or undefined when it may. */
export function changeRefusal(input: ChangeRequestInput): ChangeResult | undefined {
  if (!input.leading) return { ok: false, reason: 'not-leader', leaderId: input.leaderId };
  if (input.busy) {
    return { ok: false, reason: 'busy', detail: 'another change or transfer is under way' };
  }
  // Thesis §4.1 (and its erratum): one change at a time, and only once this term's no-op committed.
  if (input.commitIndex < input.termStartIndex) {
    return { ok: false, reason: 'not-ready', detail: 'this leader has not committed an entry yet' };
  }
  if (input.latestConfigIndex > input.commitIndex) {
    return { ok: false, reason: 'busy', detail: 'the previous configuration is not committed yet' };
  }
  const check = applyChange(input.current, input.change);
  return check.ok ? undefined : { ok: false, reason: 'invalid', detail: check.reason };
}

/** What to do after the catching-up server's match index moved (thesis §4.2.1). */
export type CatchUpStep =
  /** No addition is catching up, or it has not reached this round's target. */
  | { readonly action: 'wait' }
  /** It reached the target but is still far behind: another round, to the log's end now. */
  | { readonly action: 'next-round'; readonly target: number }
  /** Close enough (or out of rounds): propose the configuration. */
  | { readonly action: 'propose' };

export interface CatchUpInput {
  /** The new server's match index, undefined when the leader tracks no progress for it. */
  readonly match: number | undefined;
  readonly target: number;
  readonly rounds: number;
  readonly lastIndex: number;
  /** A server at most this far behind catches up within one append. */
  readonly maxEntriesPerAppend: number;
}

/**
 * Thesis §4.2.1: the new server replicates in rounds, each to the leader's last index when
 * the round began; once a round ends with the server less than one append behind (or after
 * `CATCH_UP_ROUNDS_MAX` rounds) the addition is proposed.
 */
export function catchUpStep(input: CatchUpInput): CatchUpStep {
  if (input.match === undefined || input.match < input.target) return { action: 'wait' };
  const behind = input.lastIndex - input.match;
  if (behind > input.maxEntriesPerAppend && input.rounds < CATCH_UP_ROUNDS_MAX) {
    return { action: 'next-round', target: input.lastIndex };
  }
  return { action: 'propose' };
}

/**
 * Which followers the leader tracks when the configuration in effect changes: every voter
 * but itself, plus a server still catching up as a non-voter (thesis §4.2.1). Lists are in
 * the order the leader applies them: additions in voter order, removals in tracked order.
 */
export function trackedPeerChanges(input: {
  readonly voters: readonly ReplicaId[];
  readonly self: ReplicaId;
  readonly tracked: readonly ReplicaId[];
  readonly catchingUp: ReplicaId | undefined;
}): { readonly add: ReplicaId[]; readonly remove: ReplicaId[] } {
  const { voters, self, tracked, catchingUp } = input;
  const add = voters.filter((voter) => voter !== self && !tracked.includes(voter));
  const remove = tracked.filter((peer) => !voters.includes(peer) && peer !== catchingUp);
  return { add, remove };
}

/** Thesis §4.2.2: a leader removed from the configuration steps down once that configuration commits. */
export function removedLeaderStepsDown(input: {
  readonly voters: readonly ReplicaId[];
  readonly self: ReplicaId;
  readonly commitIndex: number;
  readonly latestConfigIndex: number;
}): boolean {
  return !input.voters.includes(input.self) && input.commitIndex >= input.latestConfigIndex;
}

/**
 * The one membership change a leader runs at a time (thesis §4.1): an addition first
 * catches up (`catching-up`, thesis §4.2.1), then its configuration entry is appended
 * (`committing`) and the change completes when that entry commits. `Reply` is whatever the
 * caller answers the operator with.
 */
export interface ChangeInProgress<Reply> {
  readonly change: MembershipChange;
  readonly reply: Reply;
  phase: 'catching-up' | 'committing';
  /** The index the new server must reach to end this catch-up round. */
  target: number;
  rounds: number;
  /** Ticks left for catching up before the addition is abandoned. */
  ticksLeft: number;
  /** Index of the configuration entry once appended (0 before). */
  configIndex: number;
}

export class MembershipChanges<Reply> {
  private change: ChangeInProgress<Reply> | undefined;

  get underWay(): boolean {
    return this.change !== undefined;
  }

  /** The server catching up as a non-voter, if any. */
  get catchingUp(): ReplicaId | undefined {
    return this.change?.phase === 'catching-up' ? this.change.change.replica : undefined;
  }

  /** The change under way, if any (for its catch-up input). */
  get current(): Readonly<ChangeInProgress<Reply>> | undefined {
    return this.change;
  }

  /** Starts a change the caller checked with `changeRefusal`: an addition catches up first. */
  begin(change: MembershipChange, reply: Reply, lastIndex: number, catchUpTicks: number): void {
    this.change = {
      change,
      reply,
      phase: change.op === 'add' ? 'catching-up' : 'committing',
      target: lastIndex,
      rounds: 0,
      ticksLeft: catchUpTicks,
      configIndex: 0,
    };
  }

  /** Another catch-up round, to `target`. */
  nextRound(target: number): void {
    const change = this.change;
    if (change === undefined) return;
    change.rounds++;
    change.target = target;
  }

  /** The configuration entry is in the log at `configIndex`. */
  proposed(configIndex: number): void {
    const change = this.change;
    if (change === undefined) return;
    change.phase = 'committing';
    change.configIndex = configIndex;
  }

  /** The commit index reached `commitIndex`: the change it completes, removed. */
  takeCommitted(commitIndex: number): ChangeInProgress<Reply> | undefined {
    const change = this.change;
    if (change?.phase === 'committing' && change.configIndex > 0 && commitIndex >= change.configIndex) {
      this.change = undefined;
      return change;
    }
    return undefined;
  }

  /** One tick: the addition whose catch-up time ran out, removed. */
  tick(): ChangeInProgress<Reply> | undefined {
    const change = this.change;
    if (change?.phase === 'catching-up' && --change.ticksLeft <= 0) {
      this.change = undefined;
      return change;
    }
    return undefined;
  }

  /** Removes and returns the change under way (leadership is gone, or it cannot be proposed). */
  take(): ChangeInProgress<Reply> | undefined {
    const change = this.change;
    this.change = undefined;
    return change;
  }
}
