/**
 * The AWS-serving actor: keeps this replica's own registration in its region's DNS target
 * group true to whether it can serve (serving-policy.ts), so the load balancer spreads
 * queries over every replica that can answer them. One per replica (when configured), on
 * its own worker thread, so an AWS call never delays Raft or DNS.
 *
 * It subscribes to the log actor's leadership observations like the AWS-lease actor
 * (renewed every LEADERSHIP_RENEW_MS) and decides whenever one arrives, a call completes or
 * a wait ends; at most one call is in flight, each with a deadline, retried with backoff.
 * `leave` (graceful shutdown) deregisters it and keeps it out; the answer comes once it is
 * out, or once the attempt failed (the shutdown does not wait for AWS beyond that).
 *
 * Whether the DNS side is ready it learns by looking (dns-readiness.ts): it asks the DNS
 * actor for its listeners and applied index and the log actor for the commit index, every
 * READINESS_LOOK_MS (more often while not ready, so a replica that becomes ready registers
 * at once), one look in flight.
 */
import type { Actor, ActorContext, ActorFactory, MessageMeta, Replier } from '../../runtime/actor.js';
import { createElbv2TargetRegistry } from '../aws-lease/elbv2-target-registry.js';
import { asRegistryError, type TargetRegistry, targetText } from '../aws-lease/target-registry.js';
import type { DnsActorMessage } from '../dns/protocol.js';
import { LEADERSHIP_RENEW_MS, type LogMessage } from '../log/protocol.js';
import { DNS, LOG } from '../raft/actor-names.js';
import type { AwsServingActorOptions } from './aws-serving-options.js';
import { dnsReadiness } from './dns-readiness.js';
import type { AwsServingCounters, AwsServingMessage, AwsServingStatus } from './protocol.js';
import { type ServingAction, ServingPolicy } from './serving-policy.js';

/** Between looks at the DNS side while it is ready, and while it is not. */
export const READINESS_LOOK_MS = 1_000;
export const READINESS_LOOK_NOT_READY_MS = 100;
/** A look that gets no answer within this counts as not ready. */
const READINESS_LOOK_TIMEOUT_MS = 1_000;

const RESUBSCRIBE_AFTER_FAILURE_MS = 100;
/** Asks to leave kept waiting at once; more are answered with the current state. */
const LEAVE_WAITERS_MAX = 8;

export type ServingRegistryFactory = (options: AwsServingActorOptions) => TargetRegistry;

interface InFlight {
  readonly seq: number;
  readonly action: ServingAction;
  readonly attempt: number;
  readonly startedAtMs: number;
  readonly abort: AbortController;
}

class AwsServingActor implements Actor<AwsServingMessage> {
  private readonly policy: ServingPolicy;
  private registry: TargetRegistry | undefined;
  private callSeq = 0;
  private inFlight: InFlight | undefined;
  private checkAtMs: number | undefined;
  private lookInFlight = false;
  private lastNotReady: string | undefined;
  private readonly leaveWaiters: Replier[] = [];
  private readonly counters: AwsServingCounters = {
    observations: 0,
    looks: 0,
    looksNotReady: 0,
    subscriptions: 0,
    subscribeFailures: 0,
    calls: {
      register: { issued: 0, ok: 0, failed: 0 },
      deregister: { issued: 0, ok: 0, failed: 0 },
      describe: { issued: 0, ok: 0, failed: 0 },
    },
    deadlines: 0,
  };

  constructor(
    private readonly ctx: ActorContext<AwsServingMessage>,
    private readonly options: AwsServingActorOptions,
    private readonly makeRegistry: ServingRegistryFactory,
  ) {
    this.policy = new ServingPolicy({
      self: { id: options.targetAddress, port: options.targetPort },
      reconcileMs: options.reconcileMs,
      unservingGraceMs: options.unservingGraceMs,
      maxAttempts: options.maxAttempts,
      backoffBaseMs: options.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs,
    });
  }

  start(): void {
    this.registry = this.makeRegistry(this.options);
    this.subscribe();
    this.look();
    this.ctx.log.info(
      {
        targetGroupArn: this.options.targetGroupArn,
        region: this.options.awsRegion,
        target: targetText(this.policy.config.self),
      },
      'aws-serving started',
    );
  }

  stop(): void {
    this.inFlight?.abort.abort();
    this.registry?.close?.();
    this.answerLeave();
  }

  receive(message: AwsServingMessage, meta: MessageMeta): void {
    switch (message.type) {
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'leave':
        this.policy.leave(this.ctx.clock.nowMs());
        if (meta.reply !== undefined) {
          if (this.leaveWaiters.length < LEAVE_WAITERS_MAX) this.leaveWaiters.push(meta.reply);
          else meta.reply.ok({ out: this.policy.isOut });
        }
        this.ctx.log.info({ action: 'leave' }, 'aws-serving: leaving the target group');
        this.decide();
        return;
      case 'leadership-observed':
        this.counters.observations++;
        this.policy.observe(message.leadership, this.ctx.clock.nowMs());
        this.decide();
        return;
      case 'renew':
        this.subscribe();
        return;
      case 'check':
        this.checkAtMs = undefined;
        this.decide();
        return;
      case 'look':
        this.look();
        return;
      case 'looked':
        this.onLooked(message.notReady);
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

  private subscribe(): void {
    const sent = this.ctx.send(LOG, { type: 'subscribe-leadership' } satisfies LogMessage).status === 'sent';
    if (sent) this.counters.subscriptions++;
    else this.counters.subscribeFailures++;
    this.ctx.after(sent ? LEADERSHIP_RENEW_MS : RESUBSCRIBE_AFTER_FAILURE_MS, { type: 'renew' });
  }

  private look(): void {
    if (this.lookInFlight) return;
    this.lookInFlight = true;
    const options = { timeoutMs: READINESS_LOOK_TIMEOUT_MS };
    const dns =
      this.options.dnsListeners > 0
        ? this.ctx.request(DNS, { type: 'status' } satisfies DnsActorMessage, options)
        : Promise.resolve(undefined);
    const contact = this.ctx.request(LOG, { type: 'contact' } satisfies LogMessage, options);
    Promise.all([dns, contact]).then(
      ([status, reached]) => {
        const verdict = dnsReadiness(status, reached, this.options);
        this.ctx.self({ type: 'looked', notReady: verdict.ready ? null : verdict.reason });
      },
      (error: unknown) => this.ctx.self({ type: 'looked', notReady: `no answer: ${String(error)}` }),
    );
  }

  /** One look in flight at a time, so its answer is the current one. */
  private onLooked(notReady: string | null): void {
    this.lookInFlight = false;
    this.counters.looks++;
    if (notReady !== null) {
      this.counters.looksNotReady++;
      if (notReady !== this.lastNotReady)
        this.ctx.log.info({ reason: notReady }, 'aws-serving: DNS not ready');
    }
    this.lastNotReady = notReady ?? undefined;
    this.policy.readiness(notReady === null, this.ctx.clock.nowMs());
    this.ctx.after(notReady === null ? READINESS_LOOK_MS : READINESS_LOOK_NOT_READY_MS, { type: 'look' });
    this.decide();
  }

  private decide(): void {
    if (this.inFlight !== undefined) return;
    const nowMs = this.ctx.clock.nowMs();
    const next = this.policy.next(nowMs);
    if (this.policy.isLeaving && (this.policy.isOut || next.kind === 'idle')) this.answerLeave();
    switch (next.kind) {
      case 'idle':
        return;
      case 'wait':
        if (Number.isFinite(next.untilMs)) this.wakeAt(next.untilMs, nowMs);
        return;
      case 'act':
        this.issue(next.action, next.attempt, nowMs);
        return;
    }
  }

  private wakeAt(atMs: number, nowMs: number): void {
    if (this.checkAtMs !== undefined && this.checkAtMs <= atMs) return;
    this.checkAtMs = atMs;
    this.ctx.after(Math.max(0, atMs - nowMs), { type: 'check' });
  }

  private issue(action: ServingAction, attempt: number, nowMs: number): void {
    const registry = this.registry;
    if (registry === undefined) return;
    const seq = ++this.callSeq;
    const abort = new AbortController();
    this.inFlight = { seq, action, attempt, startedAtMs: nowMs, abort };
    this.counters.calls[action.kind].issued++;
    const self = [this.policy.config.self];
    const options = { signal: abort.signal };
    const call =
      action.kind === 'describe'
        ? registry.describe(options).then((targets) => ({ ok: true as const, targets }))
        : (action.kind === 'register'
            ? registry.register(self, options)
            : registry.deregister(self, options)
          ).then(() => ({ ok: true as const }));
    call.then(
      (outcome) => this.ctx.self({ type: 'call-done', seq, outcome }),
      (error: unknown) => {
        const failure = asRegistryError(error);
        this.ctx.self({
          type: 'call-done',
          seq,
          outcome: { ok: false, retryable: failure.retryable, code: failure.code, message: failure.message },
        });
      },
    );
    this.ctx.after(this.options.callTimeoutMs, { type: 'call-deadline', seq });
  }

  private onCallDone(
    seq: number,
    outcome: Extract<AwsServingMessage, { type: 'call-done' }>['outcome'],
  ): void {
    const call = this.inFlight;
    if (call === undefined || call.seq !== seq) return;
    this.inFlight = undefined;
    const nowMs = this.ctx.clock.nowMs();
    const counters = this.counters.calls[call.action.kind];
    if (outcome.ok) counters.ok++;
    else counters.failed++;
    const retryInMs = this.policy.complete(call.action, outcome, nowMs, this.ctx.random.nextFloat());
    const fields = {
      action: call.action.kind,
      target: targetText(this.policy.config.self),
      attempt: call.attempt,
      durationMs: Math.round(nowMs - call.startedAtMs),
      outcome: outcome.ok ? 'ok' : `${outcome.retryable ? 'retryable' : 'client'}:${outcome.code}`,
      ...(retryInMs === undefined ? {} : { retryInMs }),
      ...(outcome.ok ? {} : { error: outcome.message }),
    };
    if (!outcome.ok) this.ctx.log.warn(fields, 'aws-serving call failed');
    else if (call.action.kind === 'describe') this.ctx.log.debug(fields, 'aws-serving call');
    else this.ctx.log.info(fields, 'aws-serving call');
    // A shutdown does not wait on AWS beyond one attempt.
    if (!outcome.ok && this.policy.isLeaving) this.answerLeave();
    this.decide();
  }

  private answerLeave(): void {
    for (const reply of this.leaveWaiters.splice(0)) reply.ok({ out: this.policy.isOut });
  }

  private status(): AwsServingStatus {
    return {
      targetGroupArn: this.options.targetGroupArn,
      self: this.policy.config.self,
      wanted: this.policy.wanted(this.ctx.clock.nowMs()),
      dnsReady: this.policy.isDnsReady,
      registered: this.policy.registration ?? null,
      leaving: this.policy.isLeaving,
      counters: structuredClone(this.counters),
    };
  }
}

/** The actor over a registry of the caller's choosing (tests pass a fake). */
export function awsServingActorFactory(
  makeRegistry: ServingRegistryFactory,
): ActorFactory<AwsServingMessage, AwsServingActorOptions> {
  return (ctx, options) => new AwsServingActor(ctx, options, makeRegistry);
}

/** Production: the DNS target group through ELBv2, credentials from the SDK's default chain. */
export const createAwsServingActor: ActorFactory<AwsServingMessage, AwsServingActorOptions> =
  awsServingActorFactory((options) =>
    createElbv2TargetRegistry({
      region: options.awsRegion,
      targetGroupArn: options.targetGroupArn,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      requestTimeoutMs: options.callTimeoutMs,
    }),
  );
