import { quorumRound } from '../raft/quorum.js';
import type { ReplicaId } from '../raft/types.js';

/** How long a lease lasts, and how long a new leader waits out its predecessor's (thesis §6.4.1). */
export interface LeaseTiming {
  /**
   * One tick less than the minimum election timeout, less the clock drift bound; no lease
   * when not positive. Voters' stickiness counts whole ticks from the first tick after the
   * contact, so it is guaranteed only one tick less than the timeout; left in, that tick
   * would use up the whole drift allowance.
   */
  readonly leaseMs: number;
  /** The maximum election timeout: no predecessor's lease outlives it from our election. */
  readonly predecessorLeaseMs: number;
}

export function leaseTiming(
  raft: { readonly electionTicksMin: number; readonly electionTicksMax: number; readonly tickMs: number },
  clockDriftBoundMs: number,
): LeaseTiming {
  return {
    leaseMs: (raft.electionTicksMin - 1) * raft.tickMs - clockDriftBoundMs,
    predecessorLeaseMs: raft.electionTicksMax * raft.tickMs,
  };
}

export interface LeaseInput {
  readonly nowMs: number;
  readonly timing: LeaseTiming;
  /** When this replica started leading. */
  readonly leaderSinceMs: number;
  /** When the newest round a majority acknowledged was sent; undefined when unknown. */
  readonly confirmedRoundSentAtMs: number | undefined;
}

/**
 * When the lease a confirmed round gives ends: its send time plus `leaseMs`, since no
 * follower that acknowledged it votes for another candidate before its election timeout
 * (less the drift bound, thesis §6.4.1); null without a lease or a known send time.
 */
function roundLeaseEndMs(timing: LeaseTiming, sentAtMs: number | undefined): number | null {
  return timing.leaseMs <= 0 || sentAtMs === undefined ? null : sentAtMs + timing.leaseMs;
}

/**
 * Thesis §6.4.1: when the lease ends by our clock (it may have ended already); null while
 * none is held. A new leader holds none until any lease its predecessor may hold is over.
 */
export function leaseEndMs(input: LeaseInput): number | null {
  if (input.nowMs < input.leaderSinceMs + input.timing.predecessorLeaseMs) return null;
  return roundLeaseEndMs(input.timing, input.confirmedRoundSentAtMs);
}

/** Thesis §6.4.1: how much longer the lease holds, 0 when none is held. */
export function leaseRemainingMs(input: LeaseInput): number {
  const end = leaseEndMs(input);
  return end === null ? 0 : Math.max(0, end - input.nowMs);
}

/**
 * The leader's heartbeat rounds (thesis §6.4): every heartbeat broadcast starts a new
 * round, followers acknowledge the rounds they answer, and the highest round a majority
 * acknowledged confirms the reads that waited for it and dates the lease (§6.4.1). Send
 * times are kept only for rounds not older than the confirmed one.
 */
export class ReadLease {
  private currentRound = 0;
  private leaderSinceMs = 0;
  /**
   * Set once this term's leader sent TimeoutNow (thesis §3.10): the target then campaigns
   * past its voters' stickiness, so no lease of this term is safe afterwards, even if the
   * transfer is abandoned.
   */
  private forfeited = false;
  private readonly roundSentAtMs = new Map<number, number>();

  constructor(private readonly timing: LeaseTiming) {}

  /** The newest round sent (0 before the first). */
  get round(): number {
    return this.currentRound;
  }

  /** Lease start: this replica leads from `nowMs`. */
  beginLeadership(nowMs: number): void {
    this.leaderSinceMs = nowMs;
    this.forfeited = false;
  }

  /** TimeoutNow went out: no lease for the rest of this term. */
  forfeit(): void {
    this.forfeited = true;
  }

  /**
   * How much longer no leader of a later term can be elected (thesis §6.4.1): the voters
   * that acknowledged the confirmed round ignore other candidates for `leaseMs` after
   * hearing it. Unlike `remainingMs`, it does not wait out a predecessor's lease: it says
   * whether this leader's own messages still come from the newest term. 0 once forfeited.
   */
  unrivalledForMs(nowMs: number, confirmedRound: number): number {
    if (this.forfeited) return 0;
    const end = roundLeaseEndMs(this.timing, this.roundSentAtMs.get(confirmedRound));
    return end === null ? 0 : Math.max(0, end - nowMs);
  }

  /** A heartbeat round goes out at `nowMs`; returns its number. */
  startRound(nowMs: number): number {
    this.currentRound++;
    this.roundSentAtMs.set(this.currentRound, nowMs);
    return this.currentRound;
  }

  /** Forgets send times of rounds older than `confirmedRound`, keeping at least one. */
  prune(confirmedRound: number): void {
    for (const round of this.roundSentAtMs.keys()) {
      if (round < confirmedRound && this.roundSentAtMs.size > 1) this.roundSentAtMs.delete(round);
    }
  }

  /** The highest round a majority of `voters` acknowledged, the leader (`self`) counting the current one. */
  confirmedRound(
    voters: readonly ReplicaId[],
    self: ReplicaId,
    ackedRoundOf: (voter: ReplicaId) => number,
  ): number {
    return quorumRound(voters, (voter) => (voter === self ? this.currentRound : ackedRoundOf(voter)));
  }

  /** When `round` was sent, if its send time is still kept. */
  sentAtMs(round: number): number | undefined {
    return this.roundSentAtMs.get(round);
  }

  /**
   * When the lease ends by our clock (it may have ended already), given the confirmed
   * round; null while none is held: no lease at all, forfeited, still waiting out a
   * predecessor's, or no confirmed round's send time.
   */
  untilMs(nowMs: number, confirmedRound: number): number | null {
    return this.forfeited ? null : leaseEndMs(this.leaseInput(nowMs, confirmedRound));
  }

  /** Thesis §6.4.1: how much longer the lease holds at `nowMs`, given the confirmed round. */
  remainingMs(nowMs: number, confirmedRound: number): number {
    return this.forfeited ? 0 : leaseRemainingMs(this.leaseInput(nowMs, confirmedRound));
  }

  private leaseInput(nowMs: number, confirmedRound: number): LeaseInput {
    return {
      nowMs,
      timing: this.timing,
      leaderSinceMs: this.leaderSinceMs,
      confirmedRoundSentAtMs: this.roundSentAtMs.get(confirmedRound),
    };
  }
}
