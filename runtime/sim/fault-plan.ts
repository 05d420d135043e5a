import type { Random } from '../random.js';
import { pick, type Range, validateRange } from './range.js';

/**
 * Faults injected at random times drawn from the simulator's PRNG (its own stream, so
 * changing the plan does not shift the scheduler's choices). Every part is optional.
 */
export interface FaultPlan {
  /** Power loss of a whole replica, rebooted from its disk after `downMs`. */
  readonly replicaCrash?: {
    readonly everyMs: Range;
    readonly downMs: Range;
    /** Eligible replicas; all by default. */
    readonly replicas?: readonly string[];
    /** At most this many replicas down at once; default: a minority, at least 1. */
    readonly maxDown?: number;
  };
  /** One actor killed (its worker dies); its supervisor restarts it after backoff. */
  readonly actorCrash?: {
    readonly everyMs: Range;
    /** Eligible actors; every actor of every replica by default. */
    readonly targets?: ReadonlyArray<{ readonly replica: string; readonly actor: string }>;
  };
  /** The replicas split into two random sides, healed after `durationMs`. */
  readonly partition?: {
    readonly everyMs: Range;
    readonly durationMs: Range;
  };
  /** No fault starts at or after this virtual time, so a run can end healthy. */
  readonly untilMs?: number;
}

/** What the fault injector may do to the world (implemented by `Simulator`). */
export interface FaultTarget {
  partition(a: readonly string[], b: readonly string[]): void;
  heal(): void;
  nowMs(): number;
  replicaIds(): readonly string[];
  actorNames(replica: string): readonly string[];
  isReplicaUp(replica: string): boolean;
  crashReplica(replica: string, reason: string): void;
  restartReplica(replica: string): void;
  crashActor(replica: string, actor: string, reason: string): boolean;
  /** Runs `fire` as a `fault` event `delayMs` from now. */
  scheduleFault(delayMs: number, detail: string, fire: () => void): void;
}

export function validateFaultPlan(plan: FaultPlan): FaultPlan {
  if (plan.replicaCrash !== undefined) {
    validateRange('replicaCrash.everyMs', plan.replicaCrash.everyMs);
    validateRange('replicaCrash.downMs', plan.replicaCrash.downMs);
  }
  if (plan.actorCrash !== undefined) validateRange('actorCrash.everyMs', plan.actorCrash.everyMs);
  if (plan.partition !== undefined) {
    validateRange('partition.everyMs', plan.partition.everyMs);
    validateRange('partition.durationMs', plan.partition.durationMs);
  }
  return plan;
}

/** Schedules the first fault of each kind; each fault schedules the next. */
export function installFaultPlan(plan: FaultPlan, target: FaultTarget, random: Random): void {
  validateFaultPlan(plan);
  const active = (): boolean => plan.untilMs === undefined || target.nowMs() < plan.untilMs;

  const replicaCrash = plan.replicaCrash;
  if (replicaCrash !== undefined) {
    const all = target.replicaIds();
    const eligible = replicaCrash.replicas ?? all;
    const maxDown = replicaCrash.maxDown ?? Math.max(1, Math.floor((all.length - 1) / 2));
    const next = (): void =>
      target.scheduleFault(pick(random, replicaCrash.everyMs), 'replica-crash', () => {
        if (!active()) return;
        next();
        const down = all.filter((r) => !target.isReplicaUp(r)).length;
        const up = eligible.filter((r) => target.isReplicaUp(r));
        if (down >= maxDown || up.length === 0) return;
        const victim = up[random.intBetween(0, up.length - 1)] as string;
        target.crashReplica(victim, 'fault plan');
        target.scheduleFault(pick(random, replicaCrash.downMs), `replica-restart ${victim}`, () => {
          if (!target.isReplicaUp(victim)) target.restartReplica(victim);
        });
      });
    next();
  }

  const actorCrash = plan.actorCrash;
  if (actorCrash !== undefined) {
    const targets =
      actorCrash.targets ??
      target
        .replicaIds()
        .flatMap((replica) => target.actorNames(replica).map((actor) => ({ replica, actor })));
    const next = (): void =>
      target.scheduleFault(pick(random, actorCrash.everyMs), 'actor-crash', () => {
        if (!active()) return;
        next();
        if (targets.length === 0) return;
        const victim = targets[random.intBetween(0, targets.length - 1)] as {
          replica: string;
          actor: string;
        };
        target.crashActor(victim.replica, victim.actor, 'fault plan');
      });
    next();
  }

  const partition = plan.partition;
  if (partition !== undefined && target.replicaIds().length >= 2) {
    let partitioned = false;
    const next = (): void =>
      target.scheduleFault(pick(random, partition.everyMs), 'partition', () => {
        if (!active()) return;
        next();
        if (partitioned) return;
        const replicas = target.replicaIds();
        const sideA = replicas.filter(() => random.chance(0.5));
        if (sideA.length === 0) sideA.push(replicas[random.intBetween(0, replicas.length - 1)] as string);
        if (sideA.length === replicas.length) sideA.splice(random.intBetween(0, sideA.length - 1), 1);
        const sideB = replicas.filter((r) => !sideA.includes(r));
        target.partition(sideA, sideB);
        partitioned = true;
        target.scheduleFault(pick(random, partition.durationMs), 'heal', () => {
          target.heal();
          partitioned = false;
        });
      });
    next();
  }
}
