import type { Random } from '../random.js';

export interface RestartPolicyConfig {
  /** More crashes than this within `windowMs` escalate instead of restarting. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyConfig = {
  maxRestarts: 5,
  windowMs: 60_000,
  backoffBaseMs: 100,
  backoffMaxMs: 10_000,
};

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly attempt: number }
  | { readonly action: 'escalate'; readonly reason: string };

/**
 * Decides what a crash leads to, from the crash times alone (pure; time is passed in).
 * Backoff doubles with each crash still inside the window, capped, with jitter in
 * [delay/2, delay] so actors that crashed together do not restart in lockstep.
 */
export class RestartPolicy {
  private crashesMs: number[] = [];

  constructor(
    private readonly config: RestartPolicyConfig,
    private readonly random: Random,
  ) {
    if (!Number.isInteger(config.maxRestarts) || config.maxRestarts < 0) {
      throw new RangeError(`maxRestarts must be a non-negative integer, got ${config.maxRestarts}`);
    }
    if (!(config.windowMs > 0 && config.backoffBaseMs >= 0 && config.backoffMaxMs >= config.backoffBaseMs)) {
      throw new RangeError('restart policy needs windowMs > 0 and 0 <= backoffBaseMs <= backoffMaxMs');
    }
  }

  onCrash(nowMs: number): RestartDecision {
    this.crashesMs = this.crashesMs.filter((at) => nowMs - at < this.config.windowMs);
    this.crashesMs.push(nowMs);
    const attempt = this.crashesMs.length;
    if (attempt > this.config.maxRestarts) {
      return {
        action: 'escalate',
        reason: `${attempt} crashes within ${this.config.windowMs} ms exceed the budget of ${this.config.maxRestarts}`,
      };
    }
    const ceiling = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** (attempt - 1));
    const delayMs = Math.round(ceiling / 2 + this.random.nextFloat() * (ceiling / 2));
    return { action: 'restart', delayMs, attempt };
  }
}
