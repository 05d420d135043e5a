import { expect } from 'chai';
import {
  backoffMs,
  type CallOutcome,
  type FenceResult,
  type LeaseAction,
  LeasePolicy,
  type LeasePolicyConfig,
  type Next,
} from '../../../actors/aws-lease/lease-policy.js';
import type { Leadership } from '../../../actors/log/protocol.js';

const SELF = { id: '10.0.0.1', port: 53 };
const OTHER = { id: '10.0.0.2', port: 53 };
const THIRD = { id: '10.0.0.3', port: 53 };
const CONFIG: LeasePolicyConfig = {
  self: SELF,
  reconcileMs: 5_000,
  leaseMarginMs: 20,
  maxAttempts: 4,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
};

/** This replica leads `term`, its no-op committed, its lease ending at `leaseUntilMs`. */
const leading = (
  term: number,
  leaseUntilMs: number | null = 100,
): Extract<Leadership, { leading: true }> => ({
  leading: true,
  term,
  leaderId: 'r1',
  readyIndex: 7,
  leaseUntilMs,
});
const following = (term: number): Leadership => ({ leading: false, term, leaderId: 'r2' });
const OK: CallOutcome = { ok: true };
const described = (...targets: Array<{ id: string; port: number; state?: string }>): CallOutcome => ({
  ok: true,
  targets: targets.map((t) => ({ id: t.id, port: t.port, state: t.state ?? 'healthy' })),
});
const failed = (kind: 'throttling' | 'server' | 'network' | 'client'): CallOutcome => ({
  ok: false,
  kind,
  code: kind,
  message: kind,
});

function action(next: Next): LeaseAction {
  if (next.kind !== 'act') expect.fail(`expected an action, got ${JSON.stringify(next)}`);
  return next.action;
}

describe('aws-lease: lease policy', () => {
  it('does nothing while not leading, whatever the term', () => {
    const policy = new LeasePolicy(CONFIG);
    expect(policy.observe(following(1), 0)).to.equal(undefined);
    expect(policy.next(0)).to.deep.equal({ kind: 'idle' });
    policy.observe(following(7), 100);
    expect(policy.next(100)).to.deep.equal({ kind: 'idle' });
    expect(policy.newestTerm).to.equal(7);
  });

  it('on leading: registers itself, describes, deregisters the others, then reconciles every reconcileMs', () => {
    const policy = new LeasePolicy(CONFIG);
    expect(policy.observe(leading(3), 0)).to.deep.equal({ kind: 'started', term: 3 });
    expect(policy.next(0)).to.deep.equal({
      kind: 'act',
      term: 3,
      action: { kind: 'register', targets: [SELF] },
      attempt: 1,
    });
    expect(policy.complete(3, { kind: 'register', targets: [SELF] }, OK, 10, 0.5)).to.deep.equal({
      status: 'applied',
    });
    expect(action(policy.next(10))).to.deep.equal({ kind: 'describe' });
    policy.complete(3, { kind: 'describe' }, described(SELF, OTHER, THIRD), 20, 0.5);
    const deregister = action(policy.next(20));
    expect(deregister).to.deep.equal({ kind: 'deregister', targets: [OTHER, THIRD] });
    policy.complete(3, deregister, OK, 30, 0.5);
    expect(policy.next(30)).to.deep.equal({ kind: 'wait', untilMs: 5_020 });
    expect(policy.next(5_019).kind).to.equal('wait');
    expect(action(policy.next(5_020))).to.deep.equal({ kind: 'describe' });
  });

  it('repairs drift found by a reconcile: self missing is registered, a newcomer deregistered', () => {
    const policy = new LeasePolicy(CONFIG);
    policy.observe(leading(2), 0);
    policy.complete(2, { kind: 'register', targets: [SELF] }, OK, 0, 0);
    policy.complete(2, { kind: 'describe' }, described(SELF), 0, 0);
    expect(policy.next(0)).to.deep.equal({ kind: 'wait', untilMs: 5_000 });
    policy.complete(2, { kind: 'describe' }, described(OTHER), 5_000, 0);
    expect(action(policy.next(5_000))).to.deep.equal({ kind: 'register', targets: [SELF] });
    policy.complete(2, { kind: 'register', targets: [SELF] }, OK, 5_010, 0);
    expect(action(policy.next(5_010))).to.deep.equal({ kind: 'deregister', targets: [OTHER] });
  });

  it('counts draining targets as gone: nothing to deregister, and a draining self registers again', () => {
    const policy = new LeasePolicy(CONFIG);
    policy.observe(leading(2), 0);
    policy.complete(2, { kind: 'register', targets: [SELF] }, OK, 0, 0);
    policy.complete(2, { kind: 'describe' }, described({ ...OTHER, state: 'draining' }, SELF), 0, 0);
    expect(policy.next(0).kind).to.equal('wait');
    policy.complete(2, { kind: 'describe' }, described({ ...SELF, state: 'draining' }), 5_000, 0);
    expect(action(policy.next(5_000))).to.deep.equal({ kind: 'register', targets: [SELF] });
  });

  it('treats the same address on another port as another target', () => {
    const policy = new LeasePolicy(CONFIG);
    policy.observe(leading(2), 0);
    policy.complete(2, { kind: 'register', targets: [SELF] }, OK, 0, 0);
    policy.complete(2, { kind: 'describe' }, described(SELF, { id: SELF.id, port: 5353 }), 0, 0);
    expect(action(policy.next(0))).to.deep.equal({
      kind: 'deregister',
      targets: [{ id: SELF.id, port: 5353 }],
    });
  });

  describe('fencing', () => {
    it('lets a call through only for the term it leads now, with lease to spare at the time of the call', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(4), 0);
      const cases: Array<[string, Leadership | undefined, number, FenceResult]> = [
        ['plenty of lease', leading(4, 100), 0, { ok: true }],
        ['exactly the margin', leading(4, 120), 100, { ok: true }],
        ['1 ms short of the margin', leading(4, 119), 100, { ok: false, why: 'lease-short' }],
        ['lease ended', leading(4, 100), 150, { ok: false, why: 'lease-short' }],
        ['no lease yet', leading(4, null), 0, { ok: false, why: 'lease-short' }],
        ['no-op not committed', { ...leading(4), readyIndex: null }, 0, { ok: false, why: 'not-leading' }],
        ['following', following(4), 0, { ok: false, why: 'not-leading' }],
        ['nothing observed yet', undefined, 0, { ok: false, why: 'not-leading' }],
        ['another term', leading(5), 0, { ok: false, why: 'term-changed' }],
      ];
      for (const [what, leadership, nowMs, expected] of cases)
        expect(policy.fence(leadership, 4, nowMs), what).to.deep.equal(expected);
    });

    it('never acts for a term older than the newest seen', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(following(9), 0);
      // A (stale) answer that we lead 8: not acted on.
      expect(policy.observe(leading(8), 10)).to.equal(undefined);
      expect(policy.next(10)).to.deep.equal({ kind: 'idle' });
      expect(policy.fence(leading(8), 8, 10)).to.deep.equal({ ok: false, why: 'stale-term' });
    });

    it('forgets its plan when leadership ends, and starts over in a new term', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(4), 0);
      policy.complete(4, { kind: 'register', targets: [SELF] }, OK, 0, 0);
      expect(policy.observe(following(4), 50)).to.deep.equal({ kind: 'ended', term: 4, why: 'not-leading' });
      expect(policy.next(50)).to.deep.equal({ kind: 'idle' });
      expect(policy.observe(leading(6), 60)).to.deep.equal({ kind: 'started', term: 6 });
      expect(action(policy.next(60))).to.deep.equal({ kind: 'register', targets: [SELF] });
    });

    it("does not lead before the term's no-op committed", () => {
      const policy = new LeasePolicy(CONFIG);
      expect(policy.observe({ ...leading(4), readyIndex: null }, 0)).to.equal(undefined);
      expect(policy.next(0)).to.deep.equal({ kind: 'idle' });
      expect(policy.observe(leading(4), 10)).to.deep.equal({ kind: 'started', term: 4 });
    });

    it('keeps its plan through a lapsed lease in the same term; only the fence holds calls back', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(4, 100), 0);
      policy.complete(4, { kind: 'register', targets: [SELF] }, OK, 10, 0);
      expect(policy.fence(leading(4, 100), 4, 200)).to.deep.equal({ ok: false, why: 'lease-short' });
      expect(policy.observe(leading(4, 400), 300)).to.equal(undefined);
      expect(action(policy.next(300))).to.deep.equal({ kind: 'describe' });
    });

    it('ignores the result of a call that completes after the term changed', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(4), 0);
      policy.observe(leading(5), 10);
      // A describe issued in term 4 that saw no self: applying it would change nothing we could trust.
      expect(policy.complete(4, { kind: 'register', targets: [SELF] }, OK, 20, 0)).to.deep.equal({
        status: 'stale',
      });
      expect(action(policy.next(20))).to.deep.equal({ kind: 'register', targets: [SELF] });
      policy.observe(following(5), 30);
      expect(policy.complete(5, { kind: 'register', targets: [SELF] }, OK, 40, 0)).to.deep.equal({
        status: 'stale',
      });
    });
  });

  describe('retries', () => {
    it('retries throttling, 5xx and network failures with growing jittered backoff, then leaves it to the next reconcile', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(1), 0);
      const register: LeaseAction = { kind: 'register', targets: [SELF] };
      let now = 0;
      const delays: number[] = [];
      for (const kind of ['throttling', 'server', 'network'] as const) {
        const next = policy.next(now);
        expect(next).to.deep.include({ kind: 'act', attempt: delays.length + 1 });
        const completion = policy.complete(1, register, failed(kind), now, 0.5);
        if (completion.status !== 'retry') expect.fail(JSON.stringify(completion));
        delays.push(completion.delayMs);
        expect(policy.next(now + completion.delayMs - 1).kind).to.equal('wait');
        now += completion.delayMs;
      }
      // base 100: 100, 200, 400 with equal jitter at 0.5: 75, 150, 300.
      expect(delays).to.deep.equal([75, 150, 300]);
      expect(policy.next(now)).to.deep.include({ kind: 'act', attempt: 4 });
      expect(policy.complete(1, register, failed('throttling'), now, 0.5)).to.deep.equal({
        status: 'gave-up',
        delayMs: 5_000,
      });
      expect(policy.next(now + 4_999).kind).to.equal('wait');
      expect(policy.next(now + 5_000)).to.deep.include({ kind: 'act', attempt: 1 });
    });

    it('does not retry other errors before the next reconcile', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(1), 0);
      expect(
        policy.complete(1, { kind: 'register', targets: [SELF] }, failed('client'), 0, 0.5),
      ).to.deep.equal({
        status: 'gave-up',
        delayMs: 5_000,
      });
      expect(policy.next(100)).to.deep.equal({ kind: 'wait', untilMs: 5_000 });
    });

    it('after giving up, describes again before deregistering (the failure may come from stale knowledge)', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(1), 0);
      policy.complete(1, { kind: 'register', targets: [SELF] }, OK, 0, 0);
      policy.complete(1, { kind: 'describe' }, described(SELF, OTHER), 0, 0);
      const deregister = action(policy.next(0));
      expect(deregister).to.deep.equal({ kind: 'deregister', targets: [OTHER] });
      policy.complete(1, deregister, failed('client'), 0, 0);
      expect(action(policy.next(5_000))).to.deep.equal({ kind: 'describe' });
    });

    it('a success resets the attempt count', () => {
      const policy = new LeasePolicy(CONFIG);
      policy.observe(leading(1), 0);
      policy.complete(1, { kind: 'register', targets: [SELF] }, failed('server'), 0, 0);
      policy.complete(1, { kind: 'register', targets: [SELF] }, OK, 1_000, 0);
      expect(policy.next(1_000)).to.deep.include({ kind: 'act', attempt: 1 });
    });

    it('backoff: capped, jittered within [half, full] of the exponential delay', () => {
      for (let failures = 1; failures <= 10; failures++) {
        const exponential = Math.min(1_000, 100 * 2 ** (failures - 1));
        expect(backoffMs(CONFIG, failures, 0)).to.equal(exponential / 2);
        expect(backoffMs(CONFIG, failures, 0.999_999)).to.be.within(exponential - 1, exponential);
      }
    });
  });
});
