/**
 * Proposals held for a moment instead of answered at once, while who leads is being settled
 * here: at a candidate, whose campaign decides within an election timeout whether it leads
 * (it then proposes them with its no-op), and at a leader handing leadership off, which
 * answers them `not-leader` naming its successor once it has voted for it (thesis §3.10).
 * Either way a client makes one trip to the new leader instead of backing off and asking
 * around while the election runs. Bounded by count and by age; the log actor answers every
 * proposal it takes back from here.
 */
export interface HeldProposal<Reply> {
  readonly data: Uint8Array;
  readonly reply: Reply;
}

interface Holding<Reply> extends HeldProposal<Reply> {
  ticks: number;
}

export class HeldProposals<Reply> {
  private held: Array<Holding<Reply>> = [];

  constructor(
    private readonly max: number,
    private readonly maxTicks: number,
  ) {}

  get size(): number {
    return this.held.length;
  }

  /** Holds one proposal; false when the holding is full (answer it now). */
  hold(data: Uint8Array, reply: Reply): boolean {
    if (this.held.length >= this.max) return false;
    this.held.push({ data, reply, ticks: 0 });
    return true;
  }

  /** Every proposal held, oldest first; none is held afterwards. */
  takeAll(): Array<HeldProposal<Reply>> {
    const all = this.held;
    this.held = [];
    return all;
  }

  /** One tick: returns the proposals held `maxTicks` ticks (answer them now), oldest first. */
  tick(): Array<HeldProposal<Reply>> {
    if (this.held.length === 0) return [];
    for (const holding of this.held) holding.ticks++;
    const expired = this.held.filter((h) => h.ticks >= this.maxTicks);
    if (expired.length > 0) this.held = this.held.filter((h) => h.ticks < this.maxTicks);
    return expired;
  }
}
