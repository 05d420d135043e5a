import type { CancelTimer, Clock, Timers } from '../clock.js';
import type { EventQueue } from './event-queue.js';

/** Virtual milliseconds since the simulation began. Only the scheduler moves it, and only forward. */
export class VirtualClock implements Clock {
  private now = 0;

  nowMs(): number {
    return this.now;
  }

  advanceTo(ms: number): void {
    if (!(ms >= this.now)) throw new RangeError(`virtual time cannot go back from ${this.now} to ${ms}`);
    this.now = ms;
  }
}

/**
 * One replica's clock: virtual time at the replica's own rate (its milliseconds per virtual
 * millisecond), as a real oscillator drifts. Its timers (`VirtualTimers` with the same
 * rate) wait its own milliseconds, so they fire early or late in virtual time, while
 * network and disk delays stay in virtual time. Rate 1 reads exactly the virtual clock.
 */
export class DriftingClock implements Clock {
  constructor(
    private readonly base: VirtualClock,
    readonly rate: number,
  ) {
    if (!(rate >= DRIFT_RATE_MIN && rate <= DRIFT_RATE_MAX))
      throw new RangeError(`clock rate must be in [${DRIFT_RATE_MIN}, ${DRIFT_RATE_MAX}], got ${rate}`);
  }

  nowMs(): number {
    return this.rate === 1 ? this.base.nowMs() : this.base.nowMs() * this.rate;
  }
}

/** Drift beyond these is a broken clock, not drift. */
export const DRIFT_RATE_MIN = 0.5;
export const DRIFT_RATE_MAX = 2;

/** Whose timers these are: labels for the trace, and whether the owner still exists. */
export interface TimerOwner {
  readonly replica: string;
  readonly actor: string;
  /** A timer of a dead owner (a crashed actor, a crashed replica) never fires. */
  readonly alive: boolean;
}

/**
 * `Timers` over the simulator's event queue: a timer is an event at now + delay, so it
 * fires in (time, scheduling order) like every other event, interleaved by the scheduler.
 */
export class VirtualTimers implements Timers {
  constructor(
    private readonly clock: VirtualClock,
    private readonly queue: EventQueue,
    private readonly owner: TimerOwner,
    /** The owner's clock rate (`DriftingClock`): a delay of its milliseconds is delay / rate virtual ones. */
    private readonly rate = 1,
  ) {}

  after(delayMs: number, fire: () => void): CancelTimer {
    if (Number.isNaN(delayMs)) throw new RangeError('timer delay is NaN');
    const owner = this.owner;
    if (!owner.alive) return () => undefined;
    const handle = this.queue.schedule(this.clock.nowMs() + Math.max(0, delayMs) / this.rate, {
      kind: 'timer',
      replica: owner.replica,
      actor: owner.actor,
      detail: '',
      settles: true,
      fire: () => {
        if (owner.alive) fire();
      },
    });
    return () => handle.cancel();
  }
}
