/**
 * Time is injected. The deterministic core reads time only through `Clock` and waits
 * only through `Timers`; the simulator supplies virtual ones, production real ones.
 */
export interface Clock {
  /** Monotonic milliseconds; only differences are meaningful. */
  nowMs(): number;
}

export type CancelTimer = () => void;

export interface Timers {
  /** Calls `fire` once after `delayMs` of this clock's time, unless cancelled. */
  after(delayMs: number, fire: () => void): CancelTimer;
}

/**
 * Production clock: monotonic within the process (it never jumps back with NTP), anchored
 * to the Unix epoch at process start, so times stamped by different replicas (a leader's
 * log time) are comparable up to clock skew.
 */
export const monotonicClock: Clock = {
  nowMs: () => performance.timeOrigin + performance.now(),
};

/** Production timers. Unref'd so a pending timer never keeps a stopping process alive. */
export const realTimers: Timers = {
  after(delayMs, fire) {
    const handle = setTimeout(fire, Math.max(0, delayMs));
    handle.unref();
    return () => clearTimeout(handle);
  },
};
