import { expect } from 'chai';
import {
  type Delivered,
  LeadershipObservers,
  observationDue,
} from '../../../actors/log/leadership-observers.js';
import type { Leadership } from '../../../actors/log/protocol.js';

const INTERVAL_MS = 50;
const following = (term: number, leaderId: string | null = 'r2'): Leadership => ({
  leading: false,
  term,
  leaderId,
});
const leading = (term: number, readyIndex: number | null, leaseUntilMs: number | null): Leadership => ({
  leading: true,
  term,
  leaderId: 'r1',
  readyIndex,
  leaseUntilMs,
});
const sent = (leadership: Leadership, atMs: number): Delivered => ({ leadership, atMs });

describe('log: leadership observers', () => {
  it('observationDue: what is sent at once, what waits for the heartbeat interval, what is not sent', () => {
    const cases: Array<[string, Delivered | undefined, Leadership, number, boolean]> = [
      ['first observation', undefined, following(1), 0, true],
      ['nothing changed', sent(following(1), 0), following(1), 10, false],
      ['term changed', sent(following(1), 0), following(2), 10, true],
      ['leader learned', sent(following(2, null), 0), following(2, 'r2'), 10, true],
      ['became leader', sent(following(2, null), 0), leading(2, null, null), 10, true],
      ['stepped down in the term', sent(leading(2, 5, 100), 0), following(2, null), 10, true],
      ['no-op committed', sent(leading(2, null, null), 0), leading(2, 5, null), 10, true],
      ['lease gained', sent(leading(2, 5, null), 0), leading(2, 5, 300), 10, true],
      ['same lease', sent(leading(2, 5, 300), 0), leading(2, 5, 300), 500, false],
      ['lease extended within the interval', sent(leading(2, 5, 300), 0), leading(2, 5, 320), 49, false],
      ['lease extended at the interval', sent(leading(2, 5, 300), 0), leading(2, 5, 320), 50, true],
      [
        'lease extended after the sent one ran out',
        sent(leading(2, 5, 300), 280),
        leading(2, 5, 420),
        300,
        true,
      ],
      ['lease shrank', sent(leading(2, 5, 300), 0), leading(2, 5, 290), 10, true],
      ['lease gone', sent(leading(2, 5, 300), 0), leading(2, 5, null), 10, true],
    ];
    for (const [what, delivered, current, nowMs, due] of cases)
      expect(observationDue(delivered, current, nowMs, INTERVAL_MS), what).to.equal(due);
  });

  it('sends the current value on subscribing and renewing, then only what is due', () => {
    const observers = new LeadershipObservers({
      maxSubscribers: 2,
      subscriptionTtlMs: 1_000,
      leaseExtensionIntervalMs: INTERVAL_MS,
    });
    const log: string[] = [];
    const publish = (current: Leadership, nowMs: number, accept = true) =>
      observers.publish(current, nowMs, (name, leadership) => {
        log.push(`${nowMs} ${name} t${leadership.term} ${leadership.leading ? 'leading' : 'following'}`);
        return accept;
      });
    expect(observers.subscribe('aws-lease', 0)).to.equal('subscribed');
    publish(following(1), 0);
    publish(following(1), 10);
    expect(observers.subscribe('external', 20)).to.equal('subscribed');
    publish(following(1), 20);
    publish(leading(2, 4, null), 30);
    expect(observers.subscribe('aws-lease', 40)).to.equal('renewed');
    publish(leading(2, 4, null), 40);
    expect(log).to.deep.equal([
      '0 aws-lease t1 following',
      '20 external t1 following',
      '30 aws-lease t2 leading',
      '30 external t2 leading',
      '40 aws-lease t2 leading',
    ]);
  });

  it('retries a send that did not leave, drops subscriptions not renewed in time, and holds at most maxSubscribers', () => {
    const observers = new LeadershipObservers({
      maxSubscribers: 2,
      subscriptionTtlMs: 1_000,
      leaseExtensionIntervalMs: INTERVAL_MS,
    });
    const sends: string[] = [];
    let accept = false;
    const publish = (nowMs: number) =>
      observers.publish(following(3), nowMs, (name) => {
        sends.push(`${nowMs} ${name}`);
        return accept;
      });
    observers.subscribe('a', 0);
    observers.subscribe('b', 500);
    expect(observers.subscribe('c', 600)).to.equal('full');
    publish(700);
    accept = true;
    publish(800);
    publish(900);
    // `a` lapses at 1000 without a renewal; `b` lives until 1500.
    publish(1_000);
    expect(observers.size).to.equal(1);
    expect(observers.subscribe('c', 1_100)).to.equal('subscribed');
    publish(1_100);
    expect(sends).to.deep.equal(['700 a', '700 b', '800 a', '800 b', '1100 c']);
    publish(1_600);
    expect(observers.size).to.equal(1);
  });
});
