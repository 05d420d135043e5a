/**
 * The AWS-serving actor in a stepped, single-threaded host: a virtual clock, its timers and
 * self-messages delivered one turn at a time, a scripted log actor that publishes who leads
 * (at once on subscribing and on every change) and answers `contact` with its commit index,
 * a scripted DNS actor that answers `status` with its open listeners and applied index (or
 * does not answer), and an in-memory target group (spec/actors/aws-lease/fake-registry.ts).
 */
import { expect } from 'chai';
import {
  awsServingActorFactory,
  READINESS_LOOK_MS,
  READINESS_LOOK_NOT_READY_MS,
} from '../../../actors/aws-serving/aws-serving-actor.js';
import {
  type AwsServingActorOptions,
  DEFAULT_AWS_SERVING_ACTOR,
} from '../../../actors/aws-serving/aws-serving-options.js';
import type { AwsServingMessage, LeaveResult } from '../../../actors/aws-serving/protocol.js';
import type { Leadership } from '../../../actors/log/protocol.js';
import type { Actor, ActorContext, Replier } from '../../../runtime/actor.js';
import type { Logger } from '../../../runtime/log.js';
import { SeededRandom } from '../../../runtime/random.js';
import { FakeRegistry } from '../aws-lease/fake-registry.js';

const SELF = '10.0.0.1:53';
const OPTIONS: AwsServingActorOptions = {
  ...DEFAULT_AWS_SERVING_ACTOR,
  targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dns/0123456789abcdef',
  awsRegion: 'us-east-1',
  targetAddress: '10.0.0.1',
  targetPort: 53,
  reconcileMs: 2_000,
  dnsListeners: 2,
};

interface Timer {
  readonly atMs: number;
  readonly seq: number;
  readonly message: AwsServingMessage;
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => silent,
};

class Harness {
  now = 0;
  readonly registry = new FakeRegistry(() => this.now);
  private leadership: Leadership = { leading: false, term: 1, leaderId: null };
  /** What the DNS actor reports (or `silent`: it does not answer), and the log's commit index. */
  dns: { listeners: number; appliedIndex: number } | 'silent' = { listeners: 2, appliedIndex: 10 };
  commitIndex = 10;
  private subscribed = false;
  private readonly timers: Timer[] = [];
  private readonly queue: AwsServingMessage[] = [];
  private timerSeq = 0;
  private readonly actor: Actor<AwsServingMessage>;

  constructor(seed = 1) {
    const ctx = {
      name: 'aws-serving',
      replicaId: 'r1',
      clock: { nowMs: () => this.now },
      random: new SeededRandom(seed),
      log: silent,
      send: (to: string, message: { type: string }) => {
        expect(to).to.equal('log');
        expect(message.type).to.equal('subscribe-leadership');
        this.subscribed = true;
        this.publish();
        return { status: 'sent' as const };
      },
      request: (to: string, message: { type: string }) => {
        if (to === 'log' && message.type === 'contact')
          return Promise.resolve({ ok: true, ageMs: 5, commitIndex: this.commitIndex });
        expect(to).to.equal('dns');
        expect(message.type).to.equal('status');
        const dns = this.dns;
        if (dns === 'silent') return Promise.reject(new Error('request to dns timed out'));
        return Promise.resolve({
          listeners: Array.from({ length: dns.listeners }, (_, i) => ({
            address: '10.0.0.1',
            port: 53,
            family: i === 0 ? 'IPv4' : 'IPv6',
            mode: 'lease',
          })),
          appliedIndex: dns.appliedIndex,
          zones: 1,
          heldQueries: 0,
        });
      },
      self: (message: AwsServingMessage) => {
        this.queue.push(message);
        return { status: 'sent' as const };
      },
      after: (delayMs: number, message: AwsServingMessage) => {
        const timer = { atMs: this.now + delayMs, seq: this.timerSeq++, message };
        this.timers.push(timer);
        return () => this.timers.splice(this.timers.indexOf(timer), 1);
      },
    } as unknown as ActorContext<AwsServingMessage>;
    this.actor = awsServingActorFactory(() => this.registry)(ctx, OPTIONS);
  }

  async start(): Promise<void> {
    await this.actor.start?.();
    await this.settle();
  }

  /** Who the log actor says leads: `r2` (a follower of r2), `self`, or nobody. */
  async leader(who: 'r2' | 'self' | null, term = 1): Promise<void> {
    this.leadership =
      who === 'self'
        ? { leading: true, term, leaderId: 'r1', readyIndex: 1, leaseUntilMs: this.now + 100 }
        : { leading: false, term, leaderId: who };
    this.publish();
    await this.settle();
  }

  /** Asks the actor to leave; resolves with its answer once given (advancing time as needed). */
  async leave(limitMs = 10_000): Promise<LeaveResult> {
    let answer: LeaveResult | undefined;
    const reply: Replier = {
      ok: (value) => {
        answer = value as LeaveResult;
      },
      fail: (error) => expect.fail(String(error)),
    };
    await this.actor.receive({ type: 'leave' }, { from: 'external', reply });
    const from = this.now;
    while (answer === undefined) {
      if (this.now - from > limitMs) expect.fail('leave not answered');
      await this.advance(10);
    }
    return answer;
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
      await this.actor.receive(timer.message, { from: 'timer', reply: undefined });
    }
    this.now = until;
    await this.settle();
  }

  /** The registry's calls other than describes: `register`, `deregister`. */
  changes(): string[] {
    return this.registry.calls.filter((c) => c.op !== 'describe').map((c) => `${c.op}@${c.atMs}`);
  }

  private publish(): void {
    if (this.subscribed) this.queue.push({ type: 'leadership-observed', leadership: this.leadership });
  }

  private async settle(): Promise<void> {
    for (let idle = 0; idle < 3; ) {
      await new Promise((resolve) => setImmediate(resolve));
      const message = this.queue.shift();
      if (message === undefined) {
        idle++;
        continue;
      }
      idle = 0;
      await this.actor.receive(message, {
        from: message.type === 'leadership-observed' ? 'log' : 'self',
        reply: undefined,
      });
    }
  }
}

describe('aws-serving: the actor (stepped host, in-memory target group)', () => {
  it('registers once a leader is known, keeps it through a short election, leaves after the grace, comes back', async () => {
    const h = new Harness();
    await h.start();
    await h.advance(500);
    expect(h.registry.active(), 'nobody leads yet').to.deep.equal([]);
    await h.leader('r2');
    expect(h.registry.active()).to.deep.equal([SELF]);
    await h.advance(100);
    await h.leader(null, 2);
    await h.advance(DEFAULT_AWS_SERVING_ACTOR.unservingGraceMs - 500);
    await h.leader('self', 2);
    await h.advance(5_000);
    expect(h.changes(), 'an election shorter than the grace costs nothing').to.deep.equal(['register@500']);
    await h.leader(null, 3);
    const leaderlessAt = h.now;
    await h.advance(DEFAULT_AWS_SERVING_ACTOR.unservingGraceMs + 100);
    expect(h.registry.active()).to.deep.equal([]);
    expect(h.changes()).to.deep.equal([
      'register@500',
      `deregister@${leaderlessAt + DEFAULT_AWS_SERVING_ACTOR.unservingGraceMs}`,
    ]);
    await h.leader('r2', 3);
    expect(h.registry.active()).to.deep.equal([SELF]);
    expect(h.registry.maxInFlight).to.equal(1);
  });

  it('registers only once every DNS listener is open and the DNS copy caught up; a silent DNS actor past the grace takes it out', async () => {
    const h = new Harness();
    h.dns = { listeners: 1, appliedIndex: 0 };
    await h.start();
    await h.leader('r2');
    await h.advance(1_000);
    expect(h.registry.active(), 'one of two listeners open').to.deep.equal([]);
    h.dns = { listeners: 2, appliedIndex: 0 };
    h.commitIndex = 5_000;
    await h.advance(1_000);
    expect(h.registry.active(), 'the DNS copy 5,000 entries behind').to.deep.equal([]);
    h.dns = { listeners: 2, appliedIndex: 4_500 };
    const readyAt = h.now;
    await h.advance(500);
    expect(h.registry.active()).to.deep.equal([SELF]);
    const registeredAt = Number(h.changes()[0]?.split('@')[1]);
    expect(registeredAt - readyAt, 'registered within a look of becoming ready').to.be.at.most(
      READINESS_LOOK_NOT_READY_MS,
    );
    // The DNS actor stops answering (restarting): kept for the grace, then out.
    h.dns = 'silent';
    await h.advance(DEFAULT_AWS_SERVING_ACTOR.unservingGraceMs - READINESS_LOOK_MS);
    expect(h.registry.active()).to.deep.equal([SELF]);
    await h.advance(READINESS_LOOK_MS * 2 + 100);
    expect(h.registry.active()).to.deep.equal([]);
    h.dns = { listeners: 2, appliedIndex: 5_000 };
    await h.advance(READINESS_LOOK_NOT_READY_MS + 10);
    expect(h.registry.active()).to.deep.equal([SELF]);
  });

  it('repairs its registration when it vanishes behind its back, at the next reconcile', async () => {
    const h = new Harness();
    await h.start();
    await h.leader('r2');
    h.registry.remove({ id: '10.0.0.1', port: 53 });
    await h.advance(OPTIONS.reconcileMs + 100);
    expect(h.registry.active()).to.deep.equal([SELF]);
  });

  it('leave: deregisters, answers out, and stays out while a leader is still known', async () => {
    const h = new Harness();
    await h.start();
    await h.leader('r2');
    expect(await h.leave()).to.deep.equal({ out: true });
    expect(h.registry.active()).to.deep.equal([]);
    await h.leader('self', 2);
    await h.advance(OPTIONS.reconcileMs * 3);
    expect(h.registry.active()).to.deep.equal([]);
    expect(h.changes().filter((c) => c.startsWith('register'))).to.have.length(1);
  });

  it('leave when AWS refuses: answers not out after the one attempt, without waiting for retries', async () => {
    const h = new Harness();
    await h.start();
    await h.leader('r2');
    h.registry.failNext('deregister', 5, 'server');
    const asked = h.now;
    expect(await h.leave()).to.deep.equal({ out: false });
    expect(h.now - asked).to.be.below(OPTIONS.backoffBaseMs);
  });
});
