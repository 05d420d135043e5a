/**
 * The AWS-lease actor: keeps the group's load-balancer target group pointing at the
 * group's leader only. One per replica (when configured), on its own worker thread, so an
 * AWS call never delays Raft or DNS.
 *
 * Every `tickMs` it asks the log actor whether this replica leads (`leadership`: leading
 * term T, T's no-op committed, lease holding). The pure `LeasePolicy` decides the next
 * action; before each AWS call the actor fences it with the leadership answer taken just
 * before (same term, no newer term seen, lease left beyond `leaseMarginMs` after the
 * answer's age), and drops it otherwise. At most one call is in flight; its result is
 * ignored if the term changed meanwhile. A replica that does not lead never calls AWS.
 *
 * The target registry (AWS) is created in `start()` by the factory the actor was built
 * with: ELBv2 in production (`createAwsLeaseActor`), a fake in tests.
 */
import type { Actor, ActorContext, ActorFactory, MessageMeta } from '../../runtime/actor.js';
import type { MessageOf } from '../../runtime/message.js';
import type { LeadershipResult, LogMessage } from '../log/protocol.js';
import { LOG } from '../raft/actor-names.js';
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

export interface AwsLeaseActorOptions {
  readonly targetGroupArn: string;
  readonly awsRegion: string;
  /** An endpoint other than AWS's (tests). */
  readonly endpoint?: string;
  /** This replica as a target: its advertised IP address and DNS port. */
  readonly targetAddress: string;
  readonly targetPort: number;
  /** Describe the target group and repair drift this often while leading. */
  readonly reconcileMs: number;
  /** How often the actor asks the log actor for leadership. */
  readonly tickMs: number;
  /** A call is issued only with at least this much lease left. */
  readonly leaseMarginMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** One AWS call is aborted after this. */
  readonly callTimeoutMs: number;
  /** The log actor's leadership answer is awaited this long. */
  readonly leadershipTimeoutMs: number;
}

export const DEFAULT_AWS_LEASE_ACTOR: Omit<
  AwsLeaseActorOptions,
  'targetGroupArn' | 'awsRegion' | 'endpoint' | 'targetAddress' | 'targetPort' | 'reconcileMs'
> = {
  tickMs: 100,
  leaseMarginMs: 20,
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 2_000,
  callTimeoutMs: 3_000,
  leadershipTimeoutMs: 500,
};

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
  private askSeq = 0;
  private asking = false;
  private callSeq = 0;
  private inFlight: InFlight | undefined;
  /** When a `check` timer is already set to fire (so waits do not pile up timers). */
  private checkAtMs: number | undefined;
  private readonly counters: AwsLeaseCounters = {
    ticks: 0,
    leadershipAsks: 0,
    leadershipUnanswered: 0,
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
    this.ctx.after(this.options.tickMs, { type: 'tick' });
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
      case 'tick':
        this.counters.ticks++;
        this.ctx.after(this.options.tickMs, { type: 'tick' });
        this.check();
        return;
      case 'check':
        this.checkAtMs = undefined;
        this.check();
        return;
      case 'leadership-answer':
        this.onLeadership(message.seq, message.askedAtMs, message.leadership);
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

  /** Asks the log actor for leadership, unless an ask is already out. */
  private check(): void {
    if (this.asking) return;
    this.asking = true;
    const seq = ++this.askSeq;
    const askedAtMs = this.ctx.clock.nowMs();
    this.counters.leadershipAsks++;
    this.ctx
      .request<MessageOf<LogMessage, 'leadership'>>(
        LOG,
        { type: 'leadership' },
        { timeoutMs: this.options.leadershipTimeoutMs },
      )
      .then(
        (leadership) => this.ctx.self({ type: 'leadership-answer', seq, askedAtMs, leadership }),
        () => this.ctx.self({ type: 'leadership-answer', seq, askedAtMs, leadership: null }),
      );
  }

  private onLeadership(seq: number, askedAtMs: number, answer: LeadershipResult | null): void {
    if (seq !== this.askSeq) return;
    this.asking = false;
    const nowMs = this.ctx.clock.nowMs();
    if (answer === null) this.counters.leadershipUnanswered++;
    // The lease was measured when the log actor answered, at the latest now: count the ask's age against it.
    const leadership: LeadershipResult | null =
      answer?.leading === true
        ? { ...answer, leaseRemainingMs: answer.leaseRemainingMs - (nowMs - askedAtMs) }
        : answer;
    const transition = this.policy.observe(leadership, nowMs);
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
    if (this.inFlight !== undefined) return; // one call at a time; its completion checks again
    const next = this.policy.next(nowMs);
    switch (next.kind) {
      case 'idle':
        return;
      case 'wait':
        this.wakeAt(next.untilMs, nowMs);
        return;
      case 'act': {
        const fence = this.policy.fence(leadership, next.term);
        if (!fence.ok) {
          this.counters.fenced[fence.why]++;
          this.ctx.log.debug(
            { term: next.term, action: next.action.kind, outcome: `fenced:${fence.why}` },
            'aws-lease: call dropped by the fence',
          );
          // A short lease is usually renewed by the next heartbeat: look again soon.
          if (fence.why === 'lease-short') this.wakeAt(nowMs + Math.ceil(this.options.tickMs / 4), nowMs);
          return;
        }
        this.issue(next.term, next.action, next.attempt, nowMs);
        return;
      }
    }
  }

  /** Makes sure a `check` runs by `atMs` (ticks alone would be up to a tick late). */
  private wakeAt(atMs: number, nowMs: number): void {
    if (atMs - nowMs >= this.options.tickMs) return; // a tick comes first
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
    this.check();
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
