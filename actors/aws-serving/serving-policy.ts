/**
 * What the AWS-serving actor does next, as a pure function of what it knows: whether this
 * replica can serve DNS, whether it is leaving, what it last saw of its own target, and the
 * time. No I/O, no clock, no randomness of its own (the caller passes a jitter draw).
 *
 * Every replica that can serve belongs in its region's DNS target group: a follower answers
 * in its read mode and forwards UPDATEs, so the load balancer can spread queries over all of
 * them and a leader's death costs no registration at all. A replica touches only its own
 * target, so no fencing is needed (unlike the leader-only target group of actors/aws-lease/).
 *
 * - It can serve while the latest leadership observation names a leader of its term (itself
 *   or another replica) — lease and read-index reads need one, and bounded reads need recent
 *   contact with one — and its DNS side is ready: every DNS listener open and the DNS copy
 *   within a bound of the commit index (the rule of `/readyz`). A target the load balancer
 *   checks before its listeners are open fails its checks, and one registered while far
 *   behind answers stale or slowly; both matter when every target fails and AWS fails open.
 *   An election or a DNS actor's restart leaves the replica unable to serve for a moment;
 *   only `unservingGraceMs` of it takes the replica out, since a registration costs the
 *   load balancer's healthy threshold × interval (and AWS's registration time) to come back.
 * - Wanted: registered while it can serve (or within the grace), deregistered otherwise and
 *   for good once it leaves (graceful shutdown).
 * - Every `reconcileMs` it describes the target group and repairs its own registration.
 */
import { backoffMs } from '../aws-lease/lease-policy.js';
import { sameTarget, type Target, type TargetDescription } from '../aws-lease/target-registry.js';
import type { Leadership } from '../log/protocol.js';

export interface ServingPolicyConfig {
  /** This replica as a target: its advertised address and DNS port. */
  readonly self: Target;
  readonly reconcileMs: number;
  /** How long without a known leader before the replica takes itself out. */
  readonly unservingGraceMs: number;
  /** Attempts per action before it is left to the next reconcile; at least 1. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export type ServingAction =
  | { readonly kind: 'register' }
  | { readonly kind: 'deregister' }
  | { readonly kind: 'describe' };

export type ServingNext =
  | { readonly kind: 'wait'; readonly untilMs: number }
  /** Nothing will be due without a new input (left, and deregistered). */
  | { readonly kind: 'idle' }
  | { readonly kind: 'act'; readonly action: ServingAction; readonly attempt: number };

export type ServingOutcome =
  | { readonly ok: true; readonly targets?: readonly TargetDescription[] }
  | { readonly ok: false; readonly retryable: boolean };

/** States in which a target is on its way out: it must register again to serve. */
const LEAVING_STATES: ReadonlySet<string> = new Set(['draining', 'unhealthy.draining']);

export class ServingPolicy {
  /** Registered as far as we know; undefined until a call or a describe told us. */
  private registered: boolean | undefined;
  private servingSinceMs: number | undefined;
  /** Since when the replica cannot serve (no leader, or its DNS side not ready); undefined while it can. */
  private unservingSinceMs: number | undefined;
  private observed = false;
  private leaderKnown = false;
  /** Whether the DNS side is ready, by the last look; false until one said so. */
  private dnsReady = false;
  private leaving = false;
  private describedAtMs: number | undefined;
  private failures = 0;
  private notBeforeMs = 0;

  constructor(readonly config: ServingPolicyConfig) {
    if (!(config.maxAttempts >= 1)) throw new RangeError('maxAttempts must be >= 1');
    if (!(config.reconcileMs > 0)) throw new RangeError('reconcileMs must be > 0');
    if (!(config.unservingGraceMs >= 0)) throw new RangeError('unservingGraceMs must be >= 0');
  }

  /** Takes in a leadership observation. */
  observe(leadership: Leadership, nowMs: number): void {
    this.observed = true;
    this.leaderKnown = leadership.leaderId !== null;
    this.refresh(nowMs);
  }

  /** Takes in a look at the DNS side: listeners open and the copy caught up, or not. */
  readiness(ready: boolean, nowMs: number): void {
    this.dnsReady = ready;
    this.refresh(nowMs);
  }

  /** Whether the DNS side was ready at the last look. */
  get isDnsReady(): boolean {
    return this.dnsReady;
  }

  private refresh(nowMs: number): void {
    if (this.leaderKnown && this.dnsReady) {
      this.unservingSinceMs = undefined;
      this.servingSinceMs ??= nowMs;
    } else if (this.servingSinceMs !== undefined) {
      this.unservingSinceMs ??= nowMs;
    }
  }

  /** Graceful shutdown: deregister, and never register again. */
  leave(nowMs: number): void {
    if (this.leaving) return;
    this.leaving = true;
    this.failures = 0;
    this.notBeforeMs = nowMs;
  }

  get isLeaving(): boolean {
    return this.leaving;
  }

  /** Registered as far as we know; undefined until a call or a describe told us. */
  get registration(): boolean | undefined {
    return this.registered;
  }

  /** Whether this replica is, as far as we know, out of the target group. */
  get isOut(): boolean {
    return this.registered === false;
  }

  /** Whether the replica belongs in the target group at `nowMs`. */
  wanted(nowMs: number): boolean {
    if (this.leaving || !this.observed || this.servingSinceMs === undefined) return false;
    return (
      this.unservingSinceMs === undefined || nowMs - this.unservingSinceMs < this.config.unservingGraceMs
    );
  }

  next(nowMs: number): ServingNext {
    if (nowMs < this.notBeforeMs) return { kind: 'wait', untilMs: this.notBeforeMs };
    const act = (kind: ServingAction['kind']): ServingNext => ({
      kind: 'act',
      action: { kind },
      attempt: this.failures + 1,
    });
    const wanted = this.wanted(nowMs);
    if (wanted && this.registered !== true) return act('register');
    // Only a replica that served (or is leaving) takes itself out: one restarting after a
    // crash keeps a registration it may still have until it can tell whether it serves.
    if (!wanted && (this.servingSinceMs !== undefined || this.leaving)) {
      if (this.registered === true) return act('deregister');
      if (this.registered === undefined) return act('describe');
    }
    if (this.leaving) return { kind: 'idle' };
    const reconcileAtMs =
      this.registered === undefined ? nowMs : (this.describedAtMs ?? nowMs) + this.config.reconcileMs;
    if (nowMs >= reconcileAtMs) return act('describe');
    // While registered but unable to serve, the grace's end is the next moment to decide.
    const graceEndMs =
      wanted && this.unservingSinceMs !== undefined
        ? this.unservingSinceMs + this.config.unservingGraceMs
        : Number.POSITIVE_INFINITY;
    return { kind: 'wait', untilMs: Math.min(reconcileAtMs, graceEndMs) };
  }

  /** The result of `action`; returns the delay before the next try when it failed. */
  complete(
    action: ServingAction,
    outcome: ServingOutcome,
    nowMs: number,
    jitter01: number,
  ): number | undefined {
    if (outcome.ok) {
      this.failures = 0;
      this.notBeforeMs = nowMs;
      // Any success tells where the target stands now: the next look is a reconcile away.
      this.describedAtMs = nowMs;
      if (action.kind === 'register') this.registered = true;
      else if (action.kind === 'deregister') this.registered = false;
      else {
        const self = (outcome.targets ?? []).find((t) => sameTarget(t, this.config.self));
        this.registered = self !== undefined && !LEAVING_STATES.has(self.state);
      }
      return undefined;
    }
    this.failures++;
    if (outcome.retryable && this.failures < this.config.maxAttempts) {
      const delayMs = backoffMs(this.config, this.failures, jitter01);
      this.notBeforeMs = nowMs + delayMs;
      return delayMs;
    }
    this.failures = 0;
    this.notBeforeMs = nowMs + this.config.reconcileMs;
    // What we knew may be why it failed: look before acting again.
    this.registered = undefined;
    return this.config.reconcileMs;
  }

  view(): unknown {
    return {
      registered: this.registered ?? null,
      leaving: this.leaving,
      servingSinceMs: this.servingSinceMs ?? null,
      leaderKnown: this.leaderKnown,
      dnsReady: this.dnsReady,
      unservingSinceMs: this.unservingSinceMs ?? null,
      describedAtMs: this.describedAtMs ?? null,
      failures: this.failures,
      notBeforeMs: this.notBeforeMs,
    };
  }
}
