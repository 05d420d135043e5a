/**
 * The AWS-lease actor: keeps the group's load-balancer target group pointing at the
 * group's leader only. One per replica (when configured), on its own worker thread, so an
 * AWS call never delays Raft or DNS.
 *
 * It subscribes to the log actor's leadership observations (`subscribe-leadership`,
 * renewed every LEADERSHIP_RENEW_MS) and decides whenever one arrives, a call completes or
 * a wait ends. The pure `LeasePolicy` decides the next action; before each AWS call the
 * actor fences it with the latest observation, at the time of the call: this replica
 * leads that very term with its no-op committed, no newer term seen, and at least
 * `leaseMarginMs` left until the observed lease end by the actor clock. Otherwise the call
 * is dropped; a short lease is looked at again when the next observation (its extension)
 * arrives. At most one call is in flight; an observation of another term, or of no longer
 * leading, aborts it, and its result is ignored. A replica that does not lead never calls
 * AWS.
 *
 * The target registry (AWS) is created in `start()` by the factory the actor was built
 * with: ELBv2 in production (`createAwsLeaseActor`), a fake in tests.
 */
import type { Actor, ActorContext, ActorFactory, MessageMeta } from '../../runtime/actor.js';
import { LEADERSHIP_RENEW_MS, type Leadership, type LogMessage } from '../log/protocol.js';
import { LOG } from '../raft/actor-names.js';
import type { AwsLeaseActorOptions } from './aws-lease-options.js';
import { createElbv2TargetRegistry } from './elbv2-target-registry.js';
import {
  type CallOutcome,
  type Completion,
  type LeaseAction,
  type LeaseActionKind,
  LeasePolicy,
} from './lease-policy.js';
import type { AwsLeaseCounters, AwsLeaseMessage, AwsLeaseStatus, CallCounters } from './protocol.js';
import { asRegistryError, type TargetRegistry, targetText } from './target-registry.js';

/** A subscription that could not be sent is tried again this soon. */
const RESUBSCRIBE_AFTER_FAILURE_MS = 100;

/** Builds the registry the actor talks to, in `start()`. */
export type TargetRegistryFactory = (options: AwsLeaseActorOptions) => TargetRegistry;

interface InFlight {
  readonly seq: number;
  readonly term: number;
  readonly action: LeaseAction;
  readonly attempt: number;
  readonly startedAtMs: number;
  readonly abort: AbortController;
}

const newCallCounters = (): CallCounters => ({
  issued: 0,
  ok: 0,
  failed: 0,
  retried: 0,
  gaveUp: 0,
  stale: 0,
});

class AwsLeaseActor implements Actor<AwsLeaseMessage> {
  private readonly policy: LeasePolicy;
  private registry: TargetRegistry | undefined;
  /** The log actor's latest leadership observation; undefined until the first arrives. */
  private leadership: Leadership | undefined;
  private callSeq = 0;
  private inFlight: InFlight | undefined;
  /** When a `check` timer is already set to fire (so waits do not pile up timers). */
  private checkAtMs: number | undefined;
  private readonly counters: AwsLeaseCounters = {
    observations: 0,
    subscriptions: 0,
    subscribeFailures: 0,
    cancelled: 0,
    termsLed: 0,
    fenced: { 'not-leading': 0, 'term-changed': 0, 'stale-term': 0, 'lease-short': 0 },
    calls: { register: newCallCounters(), deregister: newCallCounters(), describe: newCallCounters() },
    errors: { throttling: 0, server: 0, network: 0, client: 0 },
    deadlines: 0,
  };

  constructor(
    private readonly ctx: ActorContext<AwsLeaseMessage>,
    private readonly options: AwsLeaseActorOptions,
    private readonly makeRegistry: TargetRegistryFactory,
  ) {
    this.policy = new LeasePolicy({
      self: { id: options.targetAddress, port: options.targetPort },
      reconcileMs: options.reconcileMs,
      leaseMarginMs: options.leaseMarginMs,
      maxAttempts: options.maxAttempts,
      backoffBaseMs: options.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs,
    });
  }

  start(): void {
    this.registry = this.makeRegistry(this.options);
    this.subscribe();
    this.ctx.log.info(
      {
        targetGroupArn: this.options.targetGroupArn,
        region: this.options.awsRegion,
        target: targetText(this.policy.config.self),
        reconcileMs: this.options.reconcileMs,
      },
      'aws-lease started',
    );
  }

  stop(): void {
    this.inFlight?.abort.abort();
    this.registry?.close?.();
  }

  receive(message: AwsLeaseMessage, meta: MessageMeta): void {
    switch (message.type) {
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'leadership-observed':
        this.onLeadership(message.leadership);
        return;
      case 'renew':
        this.subscribe();
        return;
      case 'check':
        this.checkAtMs = undefined;
        this.decide();
        return;
      case 'call-done':
        this.onCallDone(message.seq, message.outcome);
        return;
      case 'call-deadline':
        if (this.inFlight?.seq === message.seq) {
          this.counters.deadlines++;
          this.inFlight.abort.abort();
        }
        return;
    }
  }

  inspect(): unknown {
    return { ...this.status(), policy: this.policy.view() };
  }

  // ------------------------------------------------------------------ leadership

  /** Subscribes (or renews) and arms the next renewal: a restarted log actor forgets its subscribers. */
  private subscribe(): void {
    const sent = this.ctx.send(LOG, { type: 'subscribe-leadership' } satisfies LogMessage).status === 'sent';
    if (sent) this.counters.subscriptions++;
    else this.counters.subscribeFailures++;
    this.ctx.after(sent ? LEADERSHIP_RENEW_MS : RESUBSCRIBE_AFTER_FAILURE_MS, { type: 'renew' });
  }

  private onLeadership(leadership: Leadership): void {
    this.counters.observations++;
    this.leadership = leadership;
    const transition = this.policy.observe(leadership, this.ctx.clock.nowMs());
    if (transition?.kind === 'started') {
      this.counters.termsLed++;
      this.ctx.log.info(
        { term: transition.term, action: 'lead' },
        'aws-lease: leading, taking the target group',
      );
    } else if (transition?.kind === 'ended') {
      this.ctx.log.info(
        { term: transition.term, action: 'stop', outcome: transition.why },
        'aws-lease: no longer leading, hands off the target group',
      );
    }
    // A call of a term we no longer lead: its result would be ignored anyway; free the slot.
    const call = this.inFlight;
    if (call !== undefined && call.term !== this.policy.leadingTerm && !call.abort.signal.aborted) {
      this.counters.cancelled++;
      call.abort.abort();
    }
    this.decide();
  }

  /** The next step by the policy, fenced by the latest observation at this very moment. */
  private decide(): void {
    if (this.inFlight !== undefined) return; // one call at a time; its completion decides again
    const nowMs = this.ctx.clock.nowMs();
    const next = this.policy.next(nowMs);
    switch (next.kind) {
      case 'idle':
        return;
      case 'wait':
        this.wakeAt(next.untilMs, nowMs);
        return;
      case 'act': {
        const fence = this.policy.fence(this.leadership, next.term, nowMs);
        if (!fence.ok) {
          // A short lease: its extension arrives with the next observation, which decides again.
          this.counters.fenced[fence.why]++;
          this.ctx.log.debug(
            { term: next.term, action: next.action.kind, outcome: `fenced:${fence.why}` },
            'aws-lease: call dropped by the fence',
          );
          return;
        }
        this.issue(next.term, next.action, next.attempt, nowMs);
        return;
      }
    }
  }

  /** Makes sure a `check` runs by `atMs`. */
  private wakeAt(atMs: number, nowMs: number): void {
    if (this.checkAtMs !== undefined && this.checkAtMs <= atMs) return;
    this.checkAtMs = atMs;
    this.ctx.after(Math.max(0, atMs - nowMs), { type: 'check' });
  }

  // ------------------------------------------------------------------ calls

  private issue(term: number, action: LeaseAction, attempt: number, nowMs: number): void {
    const registry = this.registry;
    if (registry === undefined) return;
    const seq = ++this.callSeq;
    const abort = new AbortController();
    this.inFlight = { seq, term, action, attempt, startedAtMs: nowMs, abort };
    this.counters.calls[action.kind].issued++;
    const options = { signal: abort.signal };
    const call: Promise<CallOutcome> =
      action.kind === 'describe'
        ? registry.describe(options).then((targets) => ({ ok: true, targets }))
        : (action.kind === 'register'
            ? registry.register(action.targets, options)
            : registry.deregister(action.targets, options)
          ).then(() => ({ ok: true }));
    call.then(
      (outcome) => this.ctx.self({ type: 'call-done', seq, outcome }),
      (error: unknown) => {
        const failure = asRegistryError(error);
        this.ctx.self({
          type: 'call-done',
          seq,
          outcome: { ok: false, kind: failure.kind, code: failure.code, message: failure.message },
        });
      },
    );
    this.ctx.after(this.options.callTimeoutMs, { type: 'call-deadline', seq });
  }

  private onCallDone(seq: number, outcome: CallOutcome): void {
    const call = this.inFlight;
    if (call === undefined || call.seq !== seq) return;
    this.inFlight = undefined;
    const nowMs = this.ctx.clock.nowMs();
    const kind = call.action.kind;
    const counters = this.counters.calls[kind];
    if (outcome.ok) counters.ok++;
    else {
      counters.failed++;
      this.counters.errors[outcome.kind]++;
    }
    const completion = this.policy.complete(
      call.term,
      call.action,
      outcome,
      nowMs,
      this.ctx.random.nextFloat(),
    );
    if (completion.status === 'stale') counters.stale++;
    if (completion.status === 'retry') counters.retried++;
    if (completion.status === 'gave-up') counters.gaveUp++;
    this.logCall(call, outcome, completion, nowMs);
    this.decide();
  }

  private logCall(call: InFlight, outcome: CallOutcome, completion: Completion, nowMs: number): void {
    const fields = {
      term: call.term,
      action: call.action.kind,
      target:
        call.action.kind === 'describe' ? undefined : call.action.targets.map((t) => targetText(t)).join(','),
      attempt: call.attempt,
      durationMs: Math.round(nowMs - call.startedAtMs),
      outcome: outcome.ok ? 'ok' : `${outcome.kind}:${outcome.code}`,
      result: completion.status,
      ...(outcome.ok && outcome.targets !== undefined
        ? { targets: outcome.targets.map((t) => `${targetText(t)}=${t.state}`).join(',') }
        : {}),
      ...(completion.status === 'retry' || completion.status === 'gave-up'
        ? { retryInMs: completion.delayMs }
        : {}),
      ...(outcome.ok ? {} : { error: outcome.message }),
    };
    if (!outcome.ok) this.ctx.log.warn(fields, 'aws-lease call failed');
    else if (call.action.kind === 'describe') this.ctx.log.debug(fields, 'aws-lease call');
    else this.ctx.log.info(fields, 'aws-lease call');
  }

  private status(): AwsLeaseStatus {
    const call = this.inFlight;
    return {
      targetGroupArn: this.options.targetGroupArn,
      self: this.policy.config.self,
      leadingTerm: this.policy.leadingTerm ?? null,
      newestTerm: this.policy.newestTerm,
      inFlight:
        call === undefined
          ? null
          : { term: call.term, action: call.action.kind as LeaseActionKind, attempt: call.attempt },
      counters: structuredClone(this.counters),
    };
  }
}

/** The actor over a registry of the caller's choosing (tests pass a fake). */
export function awsLeaseActorFactory(
  makeRegistry: TargetRegistryFactory,
): ActorFactory<AwsLeaseMessage, AwsLeaseActorOptions> {
  return (ctx, options) => new AwsLeaseActor(ctx, options, makeRegistry);
}

/** Production: the target group through ELBv2, credentials from the SDK's default chain. */
export const createAwsLeaseActor: ActorFactory<AwsLeaseMessage, AwsLeaseActorOptions> = awsLeaseActorFactory(
  (options) =>
    createElbv2TargetRegistry({
      region: options.awsRegion,
      targetGroupArn: options.targetGroupArn,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      requestTimeoutMs: options.callTimeoutMs,
    }),
);
