import type { SnapshotSending } from './snapshot-sending.js';

/**
 * The leader's view of one follower (Figure 2's nextIndex and matchIndex, plus flow
 * control). `probe`: one append at a time until the follower's log matches ours;
 * `replicate`: pipelined appends, at most `maxInflight` unacknowledged.
 */
export class Progress {
  match = 0;
  /** The highest heartbeat round the follower answered in this term (ReadIndex, leases). */
  ackedRound = 0;
  /** The commit index we last told the follower. */
  commitSent = 0;
  private mode: 'probe' | 'replicate' = 'probe';
  /** Last index of each unacknowledged append, oldest first. */
  private inflight: number[] = [];
  private ticksSinceHeard = 0;
  /** Ticks since the follower last answered anything; unlike ticksSinceHeard, never reset by a silence. */
  silentTicks = 0;
  /** While InstallSnapshot is under way: which snapshot, and the offset the follower expects next. */
  snapshot: SnapshotSending | undefined;

  constructor(
    public next: number,
    private readonly maxInflight: number,
  ) {}

  get state(): 'probe' | 'replicate' {
    return this.mode;
  }

  canSend(): boolean {
    if (this.snapshot !== undefined) return false;
    if (this.mode === 'probe') return this.inflight.length === 0;
    return this.inflight.length < this.maxInflight;
  }

  onSent(lastIndex: number): void {
    this.inflight.push(lastIndex);
    this.next = lastIndex + 1;
  }

  /** Returns whether match advanced. */
  onSuccess(matchIndex: number): boolean {
    this.inflight = this.inflight.filter((index) => index > matchIndex);
    if (this.mode === 'probe') this.mode = 'replicate';
    if (matchIndex <= this.match) return false;
    this.match = matchIndex;
    if (this.next <= matchIndex) this.next = matchIndex + 1;
    return true;
  }

  /** The follower's log diverges before `next`: probe again from `nextIndex` (never below match + 1). */
  onReject(nextIndex: number): void {
    this.mode = 'probe';
    this.inflight = [];
    this.next = Math.max(this.match + 1, Math.min(nextIndex, this.next));
  }

  beginSnapshot(lastIndex: number): void {
    this.snapshot = { lastIndex, nextOffset: 0 };
    this.inflight = [];
    this.ticksSinceHeard = 0;
  }

  /** The follower installed a snapshot up to `lastIndex`: replicate from there. */
  onSnapshotInstalled(lastIndex: number): void {
    this.snapshot = undefined;
    this.mode = 'probe';
    if (lastIndex > this.match) this.match = lastIndex;
    this.next = this.match + 1;
  }

  abortSnapshot(): void {
    this.snapshot = undefined;
    this.mode = 'probe';
  }

  acknowledgeRound(round: number): void {
    if (round > this.ackedRound) this.ackedRound = round;
  }

  heard(): void {
    this.ticksSinceHeard = 0;
    this.silentTicks = 0;
  }

  /** Appends lost on the way never get answers: after a silence, forget them and probe from match. */
  tick(silenceTicks: number): void {
    this.ticksSinceHeard++;
    this.silentTicks++;
    if (this.ticksSinceHeard >= silenceTicks && this.snapshot !== undefined) {
      this.abortSnapshot();
      this.ticksSinceHeard = 0;
    } else if (this.ticksSinceHeard >= silenceTicks && this.inflight.length > 0) {
      this.inflight = [];
      this.mode = 'probe';
      this.next = this.match + 1;
      this.ticksSinceHeard = 0;
    }
  }
}
