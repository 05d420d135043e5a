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
 * The epoch offset of this process's monotonic clock: taken once in the main thread and
 * handed to every worker (`setClockAnchor`), so every thread of a process reads the very
 * same clock — a time one actor publishes (a lease end) means the same to another.
 */
let anchorMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;

export function clockAnchorMs(): number {
  return anchorMs;
}

/** Adopts the main thread's anchor (workers, at start, before any actor runs). */
export function setClockAnchor(ms: number): void {
  anchorMs = ms;
}

/**
 * Production clock: CLOCK_MONOTONIC (it never jumps back with NTP, and it is the same in
 * every thread), anchored to the Unix epoch at process start, so times stamped by
 * different replicas (a leader's log time) are comparable up to clock skew.
 */
export const monotonicClock: Clock = {
  nowMs: () => anchorMs + Number(process.hrtime.bigint()) / 1e6,
};

/** Production timers. Unref'd so a pending timer never keeps a stopping process alive. */
export const realTimers: Timers = {
  after(delayMs, fire) {
    const handle = setTimeout(fire, Math.max(0, delayMs));
    handle.unref();
    return () => clearTimeout(handle);
  },
};
