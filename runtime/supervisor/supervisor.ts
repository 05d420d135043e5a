import { EventEmitter } from 'node:events';
import type { ActorSpec } from '../actor.js';
import type { Clock, Timers } from '../clock.js';
import type { Logger } from '../log.js';
import type { Random } from '../random.js';
import { RestartPolicy, type RestartPolicyConfig } from './restart-policy.js';

/** Where actors live; the supervisor only needs to start them, stop them and hear of exits. */
export interface Placement {
  onExit: (name: string, error: Error) => void;
  /** Gets ready to spawn these actors (e.g. boots their threads side by side); starts none. */
  prepare?(specs: readonly ActorSpec[]): void;
  spawn(spec: ActorSpec): Promise<void>;
  stopAll(drainDeadlineMs: number): Promise<void>;
}

export interface SupervisorEvents {
  crashed: [name: string, error: Error];
  restarted: [name: string, attempt: number];
  escalated: [reason: string];
}

/**
 * Restarts crashed actors with exponential backoff (each actor recovers from its own
 * durable state in `start`). When an actor crashes more often than its budget allows,
 * the supervisor escalates: `onEscalate` is expected to end the process non-zero, so
 * systemd or Kubernetes restarts the whole replica.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly specs = new Map<string, ActorSpec>();
  private readonly policies = new Map<string, RestartPolicy>();
  private readonly restartTimers = new Set<() => void>();
  private stopping = false;
  private escalation: string | undefined;

  constructor(
    private readonly placement: Placement,
    private readonly policy: RestartPolicyConfig,
    private readonly deps: {
      readonly clock: Clock;
      readonly timers: Timers;
      readonly random: Random;
      readonly log: Logger;
    },
    private readonly onEscalate: (reason: string) => void,
  ) {
    super();
    placement.onExit = (name, error) => this.crashed(name, error);
  }

  get escalated(): string | undefined {
    return this.escalation;
  }

  /** Starts the actors in order; if one cannot start, stops those already started and throws. */
  async start(specs: readonly ActorSpec[]): Promise<void> {
    for (const spec of specs) {
      this.specs.set(spec.name, spec);
      this.policies.set(spec.name, new RestartPolicy(this.policy, this.deps.random.fork()));
    }
    try {
      this.placement.prepare?.(specs);
      for (const spec of specs) await this.placement.spawn(spec);
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /** No more restarts; stop every actor, draining each for at most `drainDeadlineMs`. */
  async stop(drainDeadlineMs: number): Promise<void> {
    this.stopping = true;
    for (const cancel of this.restartTimers) cancel();
    this.restartTimers.clear();
    await this.placement.stopAll(drainDeadlineMs);
  }

  private crashed(name: string, error: Error): void {
    if (this.stopping || this.escalation !== undefined) return;
    const spec = this.specs.get(name);
    const policy = this.policies.get(name);
    if (spec === undefined || policy === undefined) return;
    this.emit('crashed', name, error);
    const decision = policy.onCrash(this.deps.clock.nowMs());
    if (decision.action === 'escalate') {
      const reason = `actor ${name}: ${decision.reason}; last error: ${error.message}`;
      this.escalation = reason;
      this.deps.log.fatal({ actor: name, err: error }, `restart budget exhausted: ${reason}`);
      this.emit('escalated', reason);
      this.onEscalate(reason);
      return;
    }
    this.deps.log.warn(
      { actor: name, err: error, attempt: decision.attempt, delayMs: decision.delayMs },
      'actor crashed; restarting',
    );
    const cancel = this.deps.timers.after(decision.delayMs, () => {
      this.restartTimers.delete(cancel);
      if (this.stopping || this.escalation !== undefined) return;
      this.placement.spawn(spec).then(
        () => this.emit('restarted', name, decision.attempt),
        // A failed start terminates the worker, which reports the exit as a crash: nothing more to do here.
        (startError: unknown) => this.deps.log.warn({ actor: name, err: startError }, 'restart failed'),
      );
    });
    this.restartTimers.add(cancel);
  }
}
