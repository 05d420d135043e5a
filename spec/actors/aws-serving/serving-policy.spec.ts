import { expect } from 'chai';
import {
  type ServingAction,
  type ServingNext,
  type ServingOutcome,
  ServingPolicy,
  type ServingPolicyConfig,
} from '../../../actors/aws-serving/serving-policy.js';
import type { Leadership } from '../../../actors/log/protocol.js';

const SELF = { id: '10.0.0.1', port: 53 };
const CONFIG: ServingPolicyConfig = {
  self: SELF,
  reconcileMs: 5_000,
  unservingGraceMs: 3_000,
  maxAttempts: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
};
const following = (term: number): Leadership => ({ leading: false, term, leaderId: 'r2' });
const leaderless = (term: number): Leadership => ({ leading: false, term, leaderId: null });
const leadingNotReady = (term: number): Leadership => ({
  leading: true,
  term,
  leaderId: 'r1',
  readyIndex: null,
  leaseUntilMs: null,
});
const OK: ServingOutcome = { ok: true };
const described = (state?: string): ServingOutcome => ({
  ok: true,
  targets: state === undefined ? [] : [{ ...SELF, state }],
});

/** A policy whose DNS side is ready from the start: the tests about leaders and calls. */
function dnsReadyPolicy(): ServingPolicy {
  const policy = new ServingPolicy(CONFIG);
  policy.readiness(true, 0);
  return policy;
}

function action(next: ServingNext): ServingAction['kind'] {
  if (next.kind !== 'act') expect.fail(`expected an action, got ${JSON.stringify(next)}`);
  return next.action.kind;
}

describe('aws-serving: serving policy', () => {
  it('before any leader is seen: only looks, never deregisters a registration a crash left behind', () => {
    const policy = new ServingPolicy(CONFIG);
    expect(action(policy.next(0))).to.equal('describe');
    policy.complete({ kind: 'describe' }, described('healthy'), 10, 0.5);
    expect(policy.next(10)).to.deep.equal({ kind: 'wait', untilMs: 5_010 });
    policy.observe(leaderless(2), 20);
    expect(policy.next(20)).to.deep.equal({ kind: 'wait', untilMs: 5_010 });
  });

  it('registers once a leader is known (a follower, or a leader before its no-op commits); then reconciles', () => {
    for (const seen of [following(3), leadingNotReady(3)]) {
      const policy = dnsReadyPolicy();
      policy.observe(seen, 0);
      expect(action(policy.next(0))).to.equal('register');
      policy.complete({ kind: 'register' }, OK, 5, 0.5);
      expect(policy.next(5)).to.deep.equal({ kind: 'wait', untilMs: 5_005 });
      expect(action(policy.next(5_005))).to.equal('describe');
      policy.complete({ kind: 'describe' }, described('initial'), 5_006, 0.5);
      expect(policy.next(5_006)).to.deep.equal({ kind: 'wait', untilMs: 10_006 });
      // Drift: the target vanished (or is draining); it registers again.
      policy.complete({ kind: 'describe' }, described('draining'), 10_006, 0.5);
      expect(action(policy.next(10_006))).to.equal('register');
    }
  });

  it('keeps its registration through an election shorter than the grace; leaves after a longer one, and returns', () => {
    const policy = dnsReadyPolicy();
    policy.observe(following(3), 0);
    policy.complete({ kind: 'register' }, OK, 1, 0.5);
    policy.complete({ kind: 'describe' }, described('healthy'), 2, 0.5);
    policy.observe(leaderless(4), 100);
    expect(policy.next(100)).to.deep.equal({ kind: 'wait', untilMs: 3_100 });
    policy.observe(following(4), 900);
    expect(policy.wanted(3_100)).to.equal(true);
    policy.observe(leaderless(5), 4_000);
    expect(policy.next(4_000)).to.deep.equal({ kind: 'wait', untilMs: 5_002 });
    policy.complete({ kind: 'describe' }, described('healthy'), 5_002, 0.5);
    // The grace's end comes before the next reconcile.
    expect(policy.next(5_002)).to.deep.equal({ kind: 'wait', untilMs: 7_000 });
    expect(action(policy.next(7_000))).to.equal('deregister');
    policy.complete({ kind: 'deregister' }, OK, 7_010, 0.5);
    expect(policy.isOut).to.equal(true);
    policy.observe(following(5), 8_000);
    expect(action(policy.next(8_000))).to.equal('register');
  });

  it('registers only once its DNS side is ready; a DNS side not ready for less than the grace costs nothing, longer takes it out', () => {
    const policy = new ServingPolicy(CONFIG);
    policy.observe(following(3), 0);
    policy.readiness(false, 0);
    expect(policy.wanted(0), 'listeners not open yet').to.equal(false);
    expect(action(policy.next(0))).to.equal('describe');
    policy.complete({ kind: 'describe' }, described(), 5, 0.5);
    expect(policy.next(5)).to.deep.equal({ kind: 'wait', untilMs: 5_005 });
    policy.readiness(true, 400);
    expect(action(policy.next(400))).to.equal('register');
    policy.complete({ kind: 'register' }, OK, 410, 0.5);
    // The DNS actor restarts: not ready for a moment, within the grace.
    policy.readiness(false, 1_000);
    expect(policy.next(1_000)).to.deep.equal({ kind: 'wait', untilMs: 4_000 });
    policy.readiness(true, 1_500);
    expect(policy.wanted(4_000)).to.equal(true);
    // Not ready for longer than the grace (its copy fell far behind): out, then back.
    policy.readiness(false, 6_000);
    expect(policy.wanted(8_999)).to.equal(true);
    expect(policy.wanted(9_000)).to.equal(false);
    expect(action(policy.next(9_000))).to.equal('deregister');
    policy.complete({ kind: 'deregister' }, OK, 9_010, 0.5);
    policy.readiness(true, 9_500);
    expect(action(policy.next(9_500))).to.equal('register');
  });

  it('leave: deregisters, then stays out whatever it observes', () => {
    const policy = dnsReadyPolicy();
    policy.observe(following(3), 0);
    policy.complete({ kind: 'register' }, OK, 1, 0.5);
    policy.leave(10);
    expect(action(policy.next(10))).to.equal('deregister');
    policy.complete({ kind: 'deregister' }, OK, 20, 0.5);
    expect(policy.next(20)).to.deep.equal({ kind: 'idle' });
    policy.observe(following(3), 30);
    expect(policy.next(30)).to.deep.equal({ kind: 'idle' });
  });

  it('leave before it knows whether it is registered: looks first, deregisters only if it is', () => {
    const policy = dnsReadyPolicy();
    policy.leave(0);
    expect(action(policy.next(0))).to.equal('describe');
    policy.complete({ kind: 'describe' }, described(), 5, 0.5);
    expect(policy.next(5)).to.deep.equal({ kind: 'idle' });
    expect(policy.isOut).to.equal(true);
  });

  it('retries retryable failures with backoff, then leaves the action to the next reconcile', () => {
    const policy = dnsReadyPolicy();
    policy.observe(following(1), 0);
    const failure: ServingOutcome = { ok: false, retryable: true };
    const first = policy.complete({ kind: 'register' }, failure, 0, 0);
    expect(first).to.equal(50);
    expect(policy.next(49)).to.deep.equal({ kind: 'wait', untilMs: 50 });
    const second = policy.complete({ kind: 'register' }, failure, 50, 0.999);
    expect(second).to.be.within(100, 200);
    expect(policy.complete({ kind: 'register' }, failure, 300, 0.5)).to.equal(CONFIG.reconcileMs);
    expect(policy.next(300 + CONFIG.reconcileMs)).to.deep.include({ kind: 'act', attempt: 1 });
    // A client error is not retried at once.
    const fresh = dnsReadyPolicy();
    fresh.observe(following(1), 0);
    expect(fresh.complete({ kind: 'register' }, { ok: false, retryable: false }, 0, 0.5)).to.equal(
      CONFIG.reconcileMs,
    );
  });
});
