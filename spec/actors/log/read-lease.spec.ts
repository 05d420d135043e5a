import { expect } from 'chai';
import { type LeaseInput, leaseRemainingMs, leaseTiming, ReadLease } from '../../../actors/log/read-lease.js';

/** Ticks of 10 ms, election timeout 150–300 ms, drift bound 20 ms: a 120 ms lease (one tick less than 150 − 20). */
const TIMING = leaseTiming({ electionTicksMin: 15, electionTicksMax: 30, tickMs: 10 }, 20);

describe('actors/log/read-lease', () => {
  it('times a lease as one tick less than the minimum election timeout, less the drift bound (thesis §6.4.1)', () => {
    expect(TIMING).to.deep.equal({ leaseMs: 120, predecessorLeaseMs: 300 });
  });

  describe('how much longer the lease holds (thesis §6.4.1)', () => {
    const base: LeaseInput = { nowMs: 1_000, timing: TIMING, leaderSinceMs: 0, confirmedRoundSentAtMs: 950 };
    const cases: ReadonlyArray<{ name: string; input: Partial<LeaseInput>; expected: number }> = [
      { name: 'from the confirmed round’s send time', input: {}, expected: 70 },
      { name: 'sent just now', input: { confirmedRoundSentAtMs: 1_000 }, expected: 120 },
      { name: 'expired exactly', input: { confirmedRoundSentAtMs: 880 }, expected: 0 },
      { name: 'expired long ago', input: { confirmedRoundSentAtMs: 100 }, expected: 0 },
      { name: 'no confirmed round', input: { confirmedRoundSentAtMs: undefined }, expected: 0 },
      {
        name: 'a new leader waits out its predecessor’s lease',
        input: { leaderSinceMs: 701 },
        expected: 0,
      },
      {
        name: 'the predecessor’s lease has just run out',
        input: { leaderSinceMs: 700 },
        expected: 70,
      },
      {
        name: 'a drift bound as long as the election timeout leaves no lease',
        input: { timing: leaseTiming({ electionTicksMin: 15, electionTicksMax: 30, tickMs: 10 }, 150) },
        expected: 0,
      },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expected} ms`, () => {
        expect(leaseRemainingMs({ ...base, ...c.input })).to.equal(c.expected);
      });
    }
  });

  describe('which acknowledgements confirm a round (thesis §6.4 step 3)', () => {
    const cases: ReadonlyArray<{ voters: string[]; acked: Record<string, number>; expected: number }> = [
      // The leader counts itself at the current round (3).
      { voters: ['a'], acked: {}, expected: 3 },
      { voters: ['a', 'b', 'c'], acked: {}, expected: 0 },
      { voters: ['a', 'b', 'c'], acked: { b: 2 }, expected: 2 },
      { voters: ['a', 'b', 'c'], acked: { b: 1, c: 3 }, expected: 3 },
      { voters: ['a', 'b', 'c', 'd'], acked: { b: 3, c: 1 }, expected: 1 },
      { voters: ['a', 'b', 'c', 'd', 'e'], acked: { b: 3, c: 2, d: 1, e: 0 }, expected: 2 },
      // A removed leader does not count itself.
      { voters: ['b', 'c', 'd'], acked: { b: 3, c: 2, d: 1 }, expected: 2 },
    ];
    for (const c of cases) {
      it(`voters ${c.voters.join(',')} acks ${JSON.stringify(c.acked)}: round ${c.expected}`, () => {
        const lease = new ReadLease(TIMING);
        for (let ms = 10; ms <= 30; ms += 10) lease.startRound(ms);
        expect(lease.confirmedRound(c.voters, 'a', (voter) => c.acked[voter] ?? 0)).to.equal(c.expected);
      });
    }
  });

  it('dates the lease by the confirmed round and starts it when leadership begins', () => {
    const lease = new ReadLease(TIMING);
    lease.beginLeadership(0);
    expect(lease.startRound(300)).to.equal(1);
    expect(lease.startRound(350)).to.equal(2);
    expect(lease.round).to.equal(2);
    expect(lease.remainingMs(400, 1)).to.equal(20);
    expect(lease.remainingMs(400, 2)).to.equal(70);
    expect(lease.remainingMs(400, 0)).to.equal(0);
    lease.beginLeadership(380);
    expect(lease.remainingMs(400, 2)).to.equal(0);
  });

  it('holds no lease for the rest of a term once TimeoutNow went out (thesis §3.10), until the next term', () => {
    const lease = new ReadLease(TIMING);
    lease.beginLeadership(0);
    lease.startRound(350);
    expect(lease.remainingMs(400, 1)).to.equal(70);
    expect(lease.unrivalledForMs(400, 1)).to.equal(70);
    expect(lease.untilMs(400, 1)).to.equal(470);
    lease.forfeit();
    expect(lease.remainingMs(400, 1)).to.equal(0);
    expect(lease.unrivalledForMs(400, 1)).to.equal(0);
    expect(lease.untilMs(400, 1)).to.equal(null);
    lease.beginLeadership(1_000);
    lease.startRound(1_350);
    expect(lease.remainingMs(1_400, 2)).to.equal(70);
  });

  it('unrivalled time does not wait out a predecessor’s lease; the lease does', () => {
    const lease = new ReadLease(TIMING);
    lease.beginLeadership(300);
    lease.startRound(350);
    expect(lease.remainingMs(400, 1)).to.equal(0);
    expect(lease.untilMs(400, 1)).to.equal(null);
    expect(lease.unrivalledForMs(400, 1)).to.equal(70);
  });

  it('forgets send times older than the confirmed round but always keeps one', () => {
    const lease = new ReadLease(TIMING);
    for (let ms = 10; ms <= 40; ms += 10) lease.startRound(ms);
    lease.prune(3);
    expect([1, 2, 3, 4].map((round) => lease.sentAtMs(round))).to.deep.equal([undefined, undefined, 30, 40]);
    lease.prune(9);
    expect([3, 4].map((round) => lease.sentAtMs(round))).to.deep.equal([undefined, 40]);
  });
});
