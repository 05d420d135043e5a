import { realTimers, type Timers } from './clock.js';
import { ControlTimeoutError } from './errors.js';

/**
 * Bounds a control-plane call. comlink never rejects a call to a worker that died
 * (comlink issues #601, #665), so every call through it goes through here.
 */
export function withTimeout<T>(
  operation: string,
  timeoutMs: number,
  call: Promise<T>,
  timers: Timers = realTimers,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = timers.after(timeoutMs, () => reject(new ControlTimeoutError(operation, timeoutMs)));
    call.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
