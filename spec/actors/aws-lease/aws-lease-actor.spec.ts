/**
 * The AWS-lease actor in a stepped, single-threaded host: a virtual clock, its timers and
 * self-messages delivered one turn at a time, a scripted log actor that publishes
 * leadership observations the way the real one does (at once on subscribing and on every
 * change, lease extensions once per heartbeat interval), and an in-memory target group
 * (FakeRegistry). Every observation the actor receives and every registry call goes into
 * one event log, so the fence can be checked from outside.
 */
import { expect } from 'chai';
import { awsLeaseActorFactory } from '../../../actors/aws-lease/aws-lease-actor.js';
import {
  type AwsLeaseActorOptions,
  DEFAULT_AWS_LEASE_ACTOR,
} from '../../../actors/aws-lease/aws-lease-options.js';
import type { AwsLeaseMessage, AwsLeaseStatus } from '../../../actors/aws-lease/protocol.js';
import type { Target, TargetRegistry } from '../../../actors/aws-lease/target-registry.js';
import { LEADERSHIP_RENEW_MS, type Leadership } from '../../../actors/log/protocol.js';
import type { Actor, ActorContext, Replier } from '../../../runtime/actor.js';
import type { LogFields, Logger } from '../../../runtime/log.js';
import { SeededRandom } from '../../../runtime/random.js';
import { FakeRegistry } from './fake-registry.js';

const SELF: Target = { id: '10.0.0.1', port: 53 };
const OTHER: Target = { id: '10.0.0.2', port: 53 };
const THIRD: Target = { id: '10.0.0.3', port: 53 };
/** The scripted log actor's heartbeat interval: how often it extends a lease. */
const HEARTBEAT_MS = 50;

const OPTIONS: AwsLeaseActorOptions = {
  ...DEFAULT_AWS_LEASE_ACTOR,
  targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dns/0123456789abcdef',
  awsRegion: 'us-east-1',
  targetAddress: SELF.id,
  targetPort: SELF.port,
  reconcileMs: 2_000,
};

type Event =
  | { readonly kind: 'observed'; readonly atMs: number; readonly leadership: Leadership }
  | { readonly kind: 'call'; readonly atMs: number; readonly op: string };

/** What the scripted log actor says: leading `term` with a lease of `leaseMs` from each heartbeat, or following. */
type Script =
  | { readonly kind: 'leading'; readonly term: number; readonly leaseMs: number }
  | { readonly kind: 'following'; readonly term: number };

const leading = (term: number, leaseMs = 100): Script => ({ kind: 'leading', term, leaseMs });
const following = (term: number): Script => ({ kind: 'following', term });

interface Timer {
  readonly atMs: number;
  readonly seq: number;
  readonly fire: () => Promise<void> | void;
}

class Harness {
  now = 0;
  /** Subscriptions and renewals the actor sent. */
  subscriptions = 0;
  readonly events: Event[] = [];
  readonly logs: Array<{ level: string; fields: LogFields; message: string }> = [];
  readonly registry = new FakeRegistry(() => this.now);
  private script: Script | null = following(1);
  /** Whether the scripted log actor holds the actor's subscription (a restart forgets it). */
  private subscribed = false;
  private readonly timers: Timer[] = [];
  private readonly queue: AwsLeaseMessage[] = [];
  private timerSeq = 0;
  private readonly actor: Actor<AwsLeaseMessage>;

  constructor(options: AwsLeaseActorOptions = OPTIONS, seed = 1) {
    const logger = (): Logger => {
      const at =
        (level: string) =>
        (fields: LogFields, message: string): void => {
          this.logs.push({ level, fields, message });
        };
      const self: Logger = {
        debug: at('debug'),
        info: at('info'),
        warn: at('warn'),
        error: at('error'),
        fatal: at('fatal'),
        child: () => self,
      };
      return self;
    };
    const ctx = {
      name: 'aws-lease',
      replicaId: 'r1',
      clock: { nowMs: () => this.now },
      random: new SeededRandom(seed),
      log: logger(),
      openStore: () => Promise.reject(new Error('no stores here')),
      openTransport: () => Promise.reject(new Error('no transports here')),
      send: (to: string, message: { type: string }) => {
        expect(to).to.equal('log');
        expect(message.type).to.equal('subscribe-leadership');
        this.subscriptions++;
        this.subscribed = true;
        this.publish();
        return { status: 'sent' as const };
      },
      request: () => expect.fail('the actor asks nothing'),
      self: (message: AwsLeaseMessage) => {
        this.queue.push(message);
        return { status: 'sent' as const };
      },
      after: (delayMs: number, message: AwsLeaseMessage) =>
        this.at(this.now + delayMs, () => this.deliver(message)),
    } as unknown as ActorContext<AwsLeaseMessage>;
    const registry = this.registry;
    const events = this.events;
    const logged: TargetRegistry = {
      register: (targets, call) => {
        events.push({ kind: 'call', atMs: this.now, op: 'register' });
        return registry.register(targets, call);
      },
      deregister: (targets, call) => {
        events.push({ kind: 'call', atMs: this.now, op: 'deregister' });
        return registry.deregister(targets, call);
      },
      describe: (call) => {
        events.push({ kind: 'call', atMs: this.now, op: 'describe' });
        return registry.describe(call);
      },
      close: () => registry.close(),
    };
    this.actor = awsLeaseActorFactory(() => logged)(ctx, options);
    this.heartbeat();
  }

  async start(): Promise<void> {
    await this.actor.start?.();
  }

  /** The log actor's view changes: subscribers hear of it at once. null: it falls silent (no more observations). */
  set leadership(script: Script | null) {
    this.script = script;
    this.publish();
  }

  /** The log actor restarted: it forgot its subscribers until they renew. */
  forgetSubscribers(): void {
    this.subscribed = false;
  }

  /** Runs every turn due up to `now + ms`, in time order. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      await this.settle();
      this.timers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const timer = this.timers[0];
      if (timer === undefined || timer.atMs > until) break;
      this.timers.shift();
      this.now = Math.max(this.now, timer.atMs);
      await timer.fire();
    }
    this.now = until;
    await this.settle();
  }

  /** Advances in 10 ms steps until `check` holds; returns the time it took. */
  async until(what: string, limitMs: number, check: () => boolean): Promise<number> {
    const from = this.now;
    while (!check()) {
      if (this.now - from > limitMs) expect.fail(`not ${what} within ${limitMs} ms`);
      await this.advance(10);
    }
    return this.now - from;
  }

  async status(): Promise<AwsLeaseStatus> {
    let answer: unknown;
    const reply: Replier = {
      ok: (value) => {
        answer = value;
      },
      fail: (error) => expect.fail(String(error)),
    };
    await this.actor.receive({ type: 'status' }, { from: 'external', reply });
    return answer as AwsLeaseStatus;
  }

  calls(): string[] {
    return this.registry.calls.map((c) => `${c.op}${c.targets.map((t) => ` ${t.id}:${t.port}`).join('')}`);
  }

  private at(atMs: number, fire: () => Promise<void> | void): () => void {
    const timer: Timer = { atMs, seq: this.timerSeq++, fire };
    this.timers.push(timer);
    return () => {
      const index = this.timers.indexOf(timer);
      if (index >= 0) this.timers.splice(index, 1);
    };
  }

  /** The scripted log actor's heartbeat: while leading, the lease is extended and published. */
  private heartbeat(): void {
    this.at(this.now + HEARTBEAT_MS, () => {
      if (this.script?.kind === 'leading') this.publish();
      this.heartbeat();
    });
  }

  /** Queues the current observation for the actor, if it is subscribed and the log actor speaks. */
  private publish(): void {
    const script = this.script;
    if (script === null || !this.subscribed) return;
    const leadership: Leadership =
      script.kind === 'leading'
        ? {
            leading: true,
            term: script.term,
            leaderId: 'r1',
            readyIndex: 1,
            leaseUntilMs: this.now + script.leaseMs,
          }
        : { leading: false, term: script.term, leaderId: 'r2' };
    this.queue.push({ type: 'leadership-observed', leadership });
  }

  private async deliver(message: AwsLeaseMessage): Promise<void> {
    if (message.type === 'leadership-observed')
      this.events.push({ kind: 'observed', atMs: this.now, leadership: message.leadership });
    await this.actor.receive(message, {
      from: message.type === 'leadership-observed' ? 'log' : 'self',
      reply: undefined,
    });
  }

  /** Delivers queued messages (observations, promise continuations) until none is left. */
  private async settle(): Promise<void> {
    for (let idle = 0; idle < 3; ) {
      await new Promise((resolve) => setImmediate(resolve));
      const message = this.queue.shift();
      if (message === undefined) {
        idle++;
        continue;
      }
      idle = 0;
      await this.deliver(message);
    }
  }
}

/**
 * The fence, checked from outside: every call is issued while the latest observation the
 * actor received says this replica leads the newest term any observation showed, with its
 * no-op committed, and at least the margin of lease left at the moment of the call.
 */
function expectFencedCalls(events: readonly Event[], marginMs: number): void {
  let newest = 0;
  let last: Extract<Event, { kind: 'observed' }> | undefined;
  for (const event of events) {
    if (event.kind === 'observed') {
      last = event;
      newest = Math.max(newest, event.leadership.term);
      continue;
    }
    const why = `${event.op} at ${event.atMs} after ${JSON.stringify(last)}`;
    const leadership = last?.leadership;
    expect(leadership?.leading, why).to.equal(true);
    if (leadership?.leading !== true) return;
    expect(leadership.readyIndex, why).to.not.equal(null);
    expect(leadership.term, why).to.equal(newest);
    expect((leadership.leaseUntilMs ?? 0) - event.atMs, why).to.be.at.least(marginMs);
  }
}

describe('aws-lease: the actor in a stepped host with a fake target group', () => {
  it('a replica that does not lead never calls AWS', async () => {
    const h = new Harness();
    h.registry.put(OTHER);
    await h.start();
    h.leadership = following(3);
    await h.advance(10_000);
    h.leadership = null;
    await h.advance(2_000);
    expect(h.registry.calls).to.deep.equal([]);
    const status = await h.status();
    expect(status.counters.subscriptions).to.be.at.least(12_000 / LEADERSHIP_RENEW_MS);
    expect(status.leadingTerm).to.equal(null);
  });

  it('a leader registers itself, then deregisters every other target; each call is logged and counted', async () => {
    const h = new Harness();
    h.registry.put(OTHER);
    h.registry.put(THIRD);
    await h.start();
    h.leadership = leading(2);
    const tookMs = await h.until(
      'only self registered',
      1_000,
      () => h.registry.active().join() === '10.0.0.1:53',
    );
    // Pushed, not polled: the calls follow the observation within the same step.
    expect(tookMs).to.be.at.most(10);
    expect(h.calls()).to.deep.equal([
      'register 10.0.0.1:53',
      'describe',
      'deregister 10.0.0.2:53 10.0.0.3:53',
    ]);
    const status = await h.status();
    expect(status.leadingTerm).to.equal(2);
    expect(status.counters.termsLed).to.equal(1);
    expect(status.counters.calls.register).to.deep.include({ issued: 1, ok: 1, failed: 0 });
    expect(status.counters.calls.deregister).to.deep.include({ issued: 1, ok: 1 });
    const logged = h.logs.filter((l) => l.message === 'aws-lease call').map((l) => l.fields);
    expect(logged[0]).to.deep.include({ term: 2, action: 'register', target: '10.0.0.1:53', outcome: 'ok' });
    expect(logged.at(-1)).to.deep.include({
      term: 2,
      action: 'deregister',
      target: '10.0.0.2:53,10.0.0.3:53',
      outcome: 'ok',
    });
    expectFencedCalls(h.events, OPTIONS.leaseMarginMs);
  });

  it('reconciles every reconcileMs: repairs a missing self and removes a newcomer', async () => {
    const h = new Harness();
    await h.start();
    h.leadership = leading(2);
    await h.until('registered', 1_000, () => h.registry.active().join() === '10.0.0.1:53');
    await h.advance(100);
    const describes = () => h.registry.calls.filter((c) => c.op === 'describe').length;
    const before = describes();
    h.registry.remove(SELF);
    h.registry.put(OTHER);
    const tookMs = await h.until('drift repaired', OPTIONS.reconcileMs + 500, () => {
      return h.registry.active().join() === '10.0.0.1:53';
    });
    expect(tookMs).to.be.at.most(OPTIONS.reconcileMs + 10);
    expect(describes()).to.equal(before + 1);
    await h.advance(OPTIONS.reconcileMs * 3);
    expect(describes()).to.be.within(before + 3, before + 5);
    expectFencedCalls(h.events, OPTIONS.leaseMarginMs);
  });

  it('issues nothing while the lease is too short, and starts as soon as it is long enough', async () => {
    const h = new Harness();
    await h.start();
    h.leadership = leading(2, OPTIONS.leaseMarginMs - 1);
    await h.advance(1_000);
    expect(h.registry.calls).to.deep.equal([]);
    expect((await h.status()).counters.fenced['lease-short']).to.be.greaterThan(0);
    h.leadership = leading(2, OPTIONS.leaseMarginMs);
    await h.until('registered', 200, () => h.registry.active().length === 1);
  });

  it('keeps one call in flight at most, and ignores its result once the term changed', async () => {
    const h = new Harness();
    await h.start();
    h.registry.hold();
    h.leadership = leading(2);
    await h.advance(1_000);
    expect(h.calls()).to.deep.equal(['register 10.0.0.1:53']);
    // Deposed while the call is out: the next leader's term is 3.
    h.leadership = following(3);
    await h.advance(200);
    h.registry.release();
    await h.advance(2_000);
    expect(h.registry.maxInFlight).to.equal(1);
    expect(h.calls()).to.deep.equal(['register 10.0.0.1:53']);
    const status = await h.status();
    expect(status.counters.calls.register.stale).to.equal(1);
    expect(status.counters.cancelled).to.equal(1);
    expect(h.registry.calls[0]?.outcome).to.equal('aborted');
    expect(status.leadingTerm).to.equal(null);
    // Leading again in a later term: starts over.
    h.leadership = leading(4);
    await h.until('describe in term 4', 1_000, () => h.registry.calls.some((c) => c.op === 'describe'));
    expectFencedCalls(h.events, OPTIONS.leaseMarginMs);
  });

  it('retries throttling and server errors with backoff and ends registered', async () => {
    const h = new Harness();
    h.registry.put(OTHER);
    h.registry.failNext('register', 2, 'throttling');
    h.registry.failNext('deregister', 2, 'server');
    await h.start();
    h.leadership = leading(2);
    await h.until('only self', 3_000, () => h.registry.active().join() === '10.0.0.1:53');
    const status = await h.status();
    expect(status.counters.calls.register).to.deep.include({ issued: 3, ok: 1, failed: 2, retried: 2 });
    expect(status.counters.calls.deregister).to.deep.include({ issued: 3, ok: 1, failed: 2, retried: 2 });
    expect(status.counters.errors).to.deep.include({ throttling: 2, server: 2 });
    const registers = h.registry.calls.filter((c) => c.op === 'register').map((c) => c.atMs);
    // Backoff from 100 ms with equal jitter: the gaps are 50–100 ms, then 100–200 ms (plus a turn).
    expect(registers[1]! - registers[0]!).to.be.within(50, 110);
    expect(registers[2]! - registers[1]!).to.be.within(100, 210);
  });

  it('gives up after maxAttempts and tries again at the next reconcile; client errors wait for it at once', async () => {
    const h = new Harness();
    h.registry.failNext('register', OPTIONS.maxAttempts, 'server');
    await h.start();
    h.leadership = leading(2);
    await h.until('gave up', 5_000, () => h.registry.calls.length === OPTIONS.maxAttempts);
    const gaveUpAt = h.now;
    await h.until('registered', OPTIONS.reconcileMs + 500, () => h.registry.active().length === 1);
    expect(h.now - gaveUpAt).to.be.within(OPTIONS.reconcileMs - 200, OPTIONS.reconcileMs + 200);
    expect((await h.status()).counters.calls.register.gaveUp).to.equal(1);

    const h2 = new Harness();
    h2.registry.failNext('register', 1, 'client');
    await h2.start();
    h2.leadership = leading(2);
    await h2.advance(OPTIONS.reconcileMs - 200);
    expect(h2.calls()).to.deep.equal(['register 10.0.0.1:53']);
    await h2.until('registered', 1_000, () => h2.registry.active().length === 1);
    expect(h2.logs.some((l) => l.level === 'warn' && l.fields.outcome === 'client:client')).to.equal(true);
  });

  it("aborts a call that outlives the actor's deadline and retries it", async () => {
    const h = new Harness();
    await h.start();
    h.registry.hold();
    h.leadership = leading(2);
    await h.advance(OPTIONS.callTimeoutMs + 10);
    expect(h.registry.calls[0]?.outcome).to.equal('aborted');
    expect((await h.status()).counters.deadlines).to.equal(1);
    h.registry.release();
    await h.until('registered', 2_000, () => h.registry.active().length === 1);
    expect(h.registry.maxInFlight).to.equal(1);
  });

  it('fences by the clock at the call: a retry after the observed lease ran out is dropped', async () => {
    const h = new Harness();
    h.registry.failNext('register', 2, 'throttling');
    await h.start();
    h.leadership = leading(2, 100);
    await h.advance(0);
    // The log actor falls silent (cut off): no extension arrives; the backoffs outlast the lease.
    h.leadership = null;
    await h.advance(1_000);
    expect(h.registry.calls.length).to.be.within(1, 2);
    expect((await h.status()).counters.fenced['lease-short']).to.be.greaterThan(0);
    expectFencedCalls(h.events, OPTIONS.leaseMarginMs);
    // Leadership observed again (an extension in the same term): the retry goes out.
    h.leadership = leading(2, 100);
    await h.until('registered', 200, () => h.registry.active().length === 1);
    expectFencedCalls(h.events, OPTIONS.leaseMarginMs);
  });

  it('renews its subscription, so a log actor that forgot it (restarted) is heard from again', async () => {
    const h = new Harness();
    await h.start();
    expect(h.subscriptions).to.equal(1);
    h.forgetSubscribers();
    h.leadership = leading(2);
    await h.advance(LEADERSHIP_RENEW_MS - 10);
    expect(h.registry.calls).to.deep.equal([]);
    const tookMs = await h.until('registered', LEADERSHIP_RENEW_MS, () => h.registry.active().length === 1);
    expect(tookMs).to.be.at.most(20);
    expect(h.subscriptions).to.equal(2);
  });

  it('random leadership changes and failures: every call fenced, one at a time, converging once a leader is stable', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const h = new Harness(OPTIONS, seed);
      const random = new SeededRandom(seed * 7919);
      h.registry.put(OTHER);
      await h.start();
      let term = 1;
      for (let step = 0; step < 60; step++) {
        const roll = random.nextFloat();
        if (roll < 0.15) term++;
        const state = random.intBetween(0, 4);
        h.leadership =
          state === 0
            ? null
            : state === 1
              ? following(term)
              : leading(term, state === 2 ? random.intBetween(0, 40) : random.intBetween(20, 120));
        if (random.chance(0.2))
          h.registry.failNext('register', 1, random.chance(0.5) ? 'throttling' : 'client');
        if (random.chance(0.2)) h.registry.failNext('describe', 1, 'server');
        if (random.chance(0.1)) h.registry.put(THIRD);
        await h.advance(random.intBetween(10, 400));
      }
      h.registry.clearFailures();
      h.leadership = leading(term + 1);
      await h.until(`seed ${seed}: converged`, OPTIONS.reconcileMs * 2 + 1_000, () => {
        return h.registry.active().join() === '10.0.0.1:53';
      });
      expectFencedCalls(h.events, OPTIONS.leaseMarginMs);
      expect(h.registry.maxInFlight, `seed ${seed}`).to.equal(1);
    }
  });
});
