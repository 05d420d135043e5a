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

/** Production clock: monotonic, from the process's high-resolution timer. */
export const monotonicClock: Clock = {
  nowMs: () => Number(process.hrtime.bigint() / 1000n) / 1000,
};

/** Production timers. Unref'd so a pending timer never keeps a stopping process alive. */
export const realTimers: Timers = {
  after(delayMs, fire) {
    const handle = setTimeout(fire, Math.max(0, delayMs));
    handle.unref();
    return () => clearTimeout(handle);
  },
};
