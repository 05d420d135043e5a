import type { ReplicaId } from '../raft/types.js';
import type { TransferResult } from './protocol.js';

export interface TransferRequestInput {
  readonly to: ReplicaId;
  readonly self: ReplicaId;
  readonly leading: boolean;
  /** Who this replica believes leads, for the not-leader answer. */
  readonly leaderId: ReplicaId | null;
  readonly voters: readonly ReplicaId[];
  /** A membership change or another transfer is under way. */
  readonly busy: boolean;
}

/** What a leader does with a request to hand leadership to `to` (thesis §3.10). */
export type TransferDecision =
  | { readonly action: 'answer'; readonly result: TransferResult }
  /** Bring `to` up to date, then send it TimeoutNow. */
  | { readonly action: 'start' };

export function decideTransfer(input: TransferRequestInput): TransferDecision {
  if (!input.leading) {
    return { action: 'answer', result: { ok: false, reason: 'not-leader', leaderId: input.leaderId } };
  }
  if (input.to === input.self) return { action: 'answer', result: { ok: true } };
  if (!input.voters.includes(input.to)) {
    return {
      action: 'answer',
      result: { ok: false, reason: 'invalid', detail: `${input.to} is not a voter` },
    };
  }
  if (input.busy) {
    return {
      action: 'answer',
      result: { ok: false, reason: 'busy', detail: 'another change or transfer is under way' },
    };
  }
  return { action: 'start' };
}

/** What the leader knows of one follower when choosing whom to hand leadership to. */
export interface SuccessorCandidate {
  readonly id: ReplicaId;
  /** The highest index known to match the leader's log (Figure 2's matchIndex). */
  readonly match: number;
  /** Ticks since the follower last answered. */
  readonly silentTicks: number;
  /** An InstallSnapshot is under way to it: it is far behind. */
  readonly installingSnapshot: boolean;
}

export interface SuccessorInput {
  readonly self: ReplicaId;
  readonly voters: readonly ReplicaId[];
  readonly followers: readonly SuccessorCandidate[];
  /** A follower silent this long or longer is not chosen (it may be down). */
  readonly silentTicksMax: number;
}

/**
 * Whom a leader that is about to stop hands leadership to (thesis §3.10): a voter other than
 * itself that answered recently and is not receiving a snapshot, the most caught-up first
 * (the shortest catch-up before TimeoutNow), then the most recently heard, then by id so the
 * choice is deterministic. Undefined when no follower is eligible.
 */
export function chooseSuccessor(input: SuccessorInput): ReplicaId | undefined {
  let best: SuccessorCandidate | undefined;
  for (const candidate of input.followers) {
    if (candidate.id === input.self || !input.voters.includes(candidate.id)) continue;
    if (candidate.installingSnapshot || candidate.silentTicks >= input.silentTicksMax) continue;
    if (best === undefined || ranksBefore(candidate, best)) best = candidate;
  }
  return best?.id;
}

function ranksBefore(a: SuccessorCandidate, b: SuccessorCandidate): boolean {
  if (a.match !== b.match) return a.match > b.match;
  if (a.silentTicks !== b.silentTicks) return a.silentTicks < b.silentTicks;
  return a.id < b.id;
}

/** A transfer under way: its target, the caller's reply, and whether TimeoutNow went out. */
export interface TransferInProgress<Reply> {
  readonly to: ReplicaId;
  readonly reply: Reply;
  ticksLeft: number;
  sent: boolean;
}

/**
 * The leadership transfer a leader runs (thesis §3.10): while it is under way the leader
 * takes no new entries; once the target's log matches the leader's whole log it is sent
 * TimeoutNow; a transfer not done within an election timeout is abandoned. `Reply` is
 * whatever the caller answers the operator with.
 */
export class LeadershipTransfer<Reply> {
  private transfer: TransferInProgress<Reply> | undefined;

  get underWay(): boolean {
    return this.transfer !== undefined;
  }

  /** The replica leadership is being handed to, if a transfer is under way. */
  get target(): ReplicaId | undefined {
    return this.transfer?.to;
  }

  begin(to: ReplicaId, reply: Reply, ticks: number): void {
    this.transfer = { to, reply, ticksLeft: ticks, sent: false };
  }

  /**
   * Whether TimeoutNow goes out now: the target's `match` covers the leader's `lastIndex`
   * and none was sent yet. When it does, the transfer is marked sent and returned.
   */
  takeReadyToSend(match: number | undefined, lastIndex: number): TransferInProgress<Reply> | undefined {
    const transfer = this.transfer;
    if (transfer === undefined || transfer.sent) return undefined;
    if (match === undefined || match < lastIndex) return undefined;
    transfer.sent = true;
    return transfer;
  }

  /**
   * One tick. Thesis §3.10: a transfer that does not complete within an election timeout is
   * abandoned; returns it when it was abandoned before TimeoutNow went out (its reply is owed).
   */
  tick(): TransferInProgress<Reply> | undefined {
    const transfer = this.transfer;
    if (transfer !== undefined && --transfer.ticksLeft <= 0) {
      this.transfer = undefined;
      if (!transfer.sent) return transfer;
    }
    return undefined;
  }

  /** Leadership is gone: returns the transfer if its reply is still owed. */
  abort(): TransferInProgress<Reply> | undefined {
    const transfer = this.transfer;
    this.transfer = undefined;
    return transfer !== undefined && !transfer.sent ? transfer : undefined;
  }
}
