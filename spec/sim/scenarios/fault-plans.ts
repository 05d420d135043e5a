import type { FaultPlan } from '../../../runtime/sim/fault-plan.js';

/**
 * The mixed faults the Raft and DNS scenarios share: whole-replica crashes (never more
 * than a minority of `voters` down at once), single-actor crashes and partitions, all
 * stopping at `untilMs` so the group can settle before the run's checks.
 */
export function mixedFaults(voters: number, untilMs: number): FaultPlan {
  return {
    replicaCrash: {
      everyMs: { min: 300, max: 900 },
      downMs: { min: 20, max: 300 },
      maxDown: Math.max(1, Math.floor((voters - 1) / 2)),
    },
    actorCrash: { everyMs: { min: 400, max: 1200 } },
    partition: { everyMs: { min: 300, max: 800 }, durationMs: { min: 50, max: 400 } },
    untilMs,
  };
}
