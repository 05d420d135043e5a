/**
 * What the AWS-lease actor does next, as a pure function of what it knows: whether this
 * replica leads (and in which term), what it last saw in the target group, and the time.
 * No I/O, no clock, no randomness of its own (the caller passes a jitter draw), so every
 * decision is unit-tested with a fake registry and a stepped clock.
 *
 * While this replica leads term T (per the log actor's latest leadership observation: it
 * leads T, the newest term observed, and T's no-op has committed):
 *   1. register itself (the new leader answers as soon as possible);
 *   2. describe the target group, then deregister every other target;
 *   3. every `reconcileMs`, describe again and repair drift (self missing: register;
 *      others present: deregister).
 * A replica that does not lead does nothing, and forgets its plan: whatever it knew
 * belongs to a term that may already be someone else's. It never deregisters itself;
 * the next leader does. Each call also needs the lease: `fence` checks, at the time of
 * the call, that at least `leaseMarginMs` of the observed lease remain.
 */
import { type Leadership, leadsReady } from '../log/protocol.js';
import {
  type RegistryErrorKind,
  sameTarget,
  type Target,
  type TargetDescription,
} from './target-registry.js';

export interface LeasePolicyConfig {
  /** This replica as a target: its advertised address and DNS port. */
  readonly self: Target;
  /** Describe the target group this often while leading, and retry failed actions this late. */
  readonly reconcileMs: number;
  /** A call is issued only with at least this much lease left (the call's time to reach AWS). */
  readonly leaseMarginMs: number;
  /** Attempts per action before it is left to the next reconcile; at least 1. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export type LeaseAction =
  | { readonly kind: 'register'; readonly targets: readonly Target[] }
  | { readonly kind: 'deregister'; readonly targets: readonly Target[] }
  | { readonly kind: 'describe' };

export type LeaseActionKind = LeaseAction['kind'];

export type Next =
  /** Not leading: nothing to do. */
  | { readonly kind: 'idle' }
  /** Leading, nothing due before `untilMs` (a reconcile, or a retry's backoff). */
  | { readonly kind: 'wait'; readonly untilMs: number }
  /** Issue `action` for `term` (after `fence` agrees), attempt number `attempt` from 1. */
  | { readonly kind: 'act'; readonly term: number; readonly action: LeaseAction; readonly attempt: number };

export type FenceResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'not-leading' | 'term-changed' | 'stale-term' | 'lease-short' };

export type CallOutcome =
  | { readonly ok: true; readonly targets?: readonly TargetDescription[] }
  | { readonly ok: false; readonly kind: RegistryErrorKind; readonly code: string; readonly message: string };

export type Completion =
  /** The result was of another term (or of a plan since dropped): ignored. */
  | { readonly status: 'stale' }
  | { readonly status: 'applied' }
  /** A retryable failure: the same action again after `delayMs`. */
  | { readonly status: 'retry'; readonly delayMs: number; readonly attempt: number }
  /** Attempts exhausted, or not retryable: left to the next reconcile, `delayMs` from now. */
  | { readonly status: 'gave-up'; readonly delayMs: number };

export type Transition =
  | { readonly kind: 'started'; readonly term: number }
  | { readonly kind: 'ended'; readonly term: number; readonly why: string };

/** What the leader of one term knows about the target group. */
interface TermPlan {
  readonly term: number;
  /** Self is registered (our register succeeded, or the last describe showed it). */
  selfRegistered: boolean;
  /** Other registered targets as last described (minus those we deregistered since); undefined until described. */
  others: Target[] | undefined;
  describedAtMs: number | undefined;
  /** Failed attempts of the pending action so far. */
  failures: number;
  notBeforeMs: number;
}

/** A target in these states is leaving or gone: nothing to deregister, and self must register again. */
const LEAVING_STATES: ReadonlySet<string> = new Set(['draining', 'unhealthy.draining']);

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay plus a random
 * share of the other half, so retries of several replicas spread out but never fire at once.
 * `failures` counts from 1; `jitter01` is uniform in [0, 1).
 */
export function backoffMs(
  config: Pick<LeasePolicyConfig, 'backoffBaseMs' | 'backoffMaxMs'>,
  failures: number,
  jitter01: number,
): number {
  const exponential = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential / 2 + (jitter01 * exponential) / 2);
}

export class LeasePolicy {
  private plan: TermPlan | undefined;
  private newest = 0;

  constructor(readonly config: LeasePolicyConfig) {
    if (!(config.maxAttempts >= 1)) throw new RangeError('maxAttempts must be >= 1');
    if (!(config.reconcileMs > 0)) throw new RangeError('reconcileMs must be > 0');
  }

  /** The newest term any leadership observation showed. */
  get newestTerm(): number {
    return this.newest;
  }

  /** The term this replica currently acts for, if it leads. */
  get leadingTerm(): number | undefined {
    return this.plan?.term;
  }

  /**
   * Takes in a leadership observation. Returns a transition when leading started or ended.
   * A lease running out ends nothing: while the observation still says this replica leads
   * the term, no other replica can have led a later one (its followers would have left the
   * term), so the plan stays and only the fence holds calls back.
   */
  observe(leadership: Leadership, nowMs: number): Transition | undefined {
    this.newest = Math.max(this.newest, leadership.term);
    const plan = this.plan;
    const leadingTerm =
      leadsReady(leadership) && leadership.term >= this.newest ? leadership.term : undefined;
    if (leadingTerm !== undefined && plan?.term === leadingTerm) return undefined;
    if (plan !== undefined) {
      this.plan = undefined;
      if (leadingTerm === undefined) {
        const why = leadership.term !== plan.term ? 'term-changed' : 'not-leading';
        return { kind: 'ended', term: plan.term, why };
      }
    }
    if (leadingTerm === undefined) return undefined;
    this.plan = {
      term: leadingTerm,
      selfRegistered: false,
      others: undefined,
      describedAtMs: undefined,
      failures: 0,
      notBeforeMs: nowMs,
    };
    return { kind: 'started', term: leadingTerm };
  }

  /** The next step, given what was last observed. */
  next(nowMs: number): Next {
    const plan = this.plan;
    if (plan === undefined) return { kind: 'idle' };
    if (nowMs < plan.notBeforeMs) return { kind: 'wait', untilMs: plan.notBeforeMs };
    const act = (action: LeaseAction): Next => ({
      kind: 'act',
      term: plan.term,
      action,
      attempt: plan.failures + 1,
    });
    if (!plan.selfRegistered) return act({ kind: 'register', targets: [this.config.self] });
    if (plan.others === undefined) return act({ kind: 'describe' });
    if (plan.others.length > 0) return act({ kind: 'deregister', targets: plan.others });
    const dueMs = (plan.describedAtMs ?? nowMs) + this.config.reconcileMs;
    if (nowMs >= dueMs) return act({ kind: 'describe' });
    return { kind: 'wait', untilMs: dueMs };
  }

  /**
   * Whether a call for `term` may be issued at `nowMs`, by the latest leadership
   * observation (undefined: none yet): still leading that very term with its no-op
   * committed, no newer term seen, and at least `leaseMarginMs` of the observed lease left
   * at `nowMs`, for the call to reach AWS before any other replica could lead.
   */
  fence(leadership: Leadership | undefined, term: number, nowMs: number): FenceResult {
    if (!leadsReady(leadership)) return { ok: false, why: 'not-leading' };
    if (leadership.term !== term) return { ok: false, why: 'term-changed' };
    if (term < this.newest) return { ok: false, why: 'stale-term' };
    if (leadership.leaseUntilMs === null || leadership.leaseUntilMs - nowMs < this.config.leaseMarginMs)
      return { ok: false, why: 'lease-short' };
    return { ok: true };
  }

  /**
   * The result of `action`, issued for `term`. Results of another term than the one we now
   * lead (or of a plan dropped meanwhile) are ignored: they describe a world another leader
   * may have changed since.
   */
  complete(
    term: number,
    action: LeaseAction,
    outcome: CallOutcome,
    nowMs: number,
    jitter01: number,
  ): Completion {
    const plan = this.plan;
    if (plan === undefined || plan.term !== term) return { status: 'stale' };
    if (outcome.ok) {
      plan.failures = 0;
      plan.notBeforeMs = nowMs;
      this.applySuccess(plan, action, outcome.targets, nowMs);
      return { status: 'applied' };
    }
    plan.failures++;
    const retryable = outcome.kind !== 'client';
    if (retryable && plan.failures < this.config.maxAttempts) {
      const delayMs = backoffMs(this.config, plan.failures, jitter01);
      plan.notBeforeMs = nowMs + delayMs;
      return { status: 'retry', delayMs, attempt: plan.failures + 1 };
    }
    plan.failures = 0;
    plan.notBeforeMs = nowMs + this.config.reconcileMs;
    // What we knew may be why it failed (a target deregistered meanwhile is InvalidTarget):
    // look again before deregistering anything.
    plan.others = undefined;
    return { status: 'gave-up', delayMs: this.config.reconcileMs };
  }

  /** A JSON-able view for `inspect`. */
  view(): unknown {
    const plan = this.plan;
    return {
      newestTerm: this.newest,
      leading:
        plan === undefined
          ? null
          : {
              term: plan.term,
              selfRegistered: plan.selfRegistered,
              others: plan.others ?? null,
              describedAtMs: plan.describedAtMs ?? null,
              failures: plan.failures,
              notBeforeMs: plan.notBeforeMs,
            },
    };
  }

  private applySuccess(
    plan: TermPlan,
    action: LeaseAction,
    described: readonly TargetDescription[] | undefined,
    nowMs: number,
  ): void {
    const self = this.config.self;
    switch (action.kind) {
      case 'register':
        if (action.targets.some((t) => sameTarget(t, self))) plan.selfRegistered = true;
        return;
      case 'deregister':
        plan.others = (plan.others ?? []).filter((o) => !action.targets.some((t) => sameTarget(t, o)));
        return;
      case 'describe': {
        const present = (described ?? []).filter((t) => !LEAVING_STATES.has(t.state));
        plan.selfRegistered = present.some((t) => sameTarget(t, self));
        plan.others = present.filter((t) => !sameTarget(t, self)).map((t) => ({ id: t.id, port: t.port }));
        plan.describedAtMs = nowMs;
        return;
      }
    }
  }
}
