import { expect } from 'chai';
import { type GateFailure, type PositionMode, ReadGate } from '../../../../actors/dns/read-gate.js';

interface Recorder {
  readonly positions: Array<{ mode: PositionMode; round: number }>;
  readonly retries: PositionMode[];
  contacts: number;
  readonly released: string[];
  readonly failed: Array<[string, GateFailure]>;
}

function gate(
  maxWaiting = 100,
  waitTimeoutMs = 1000,
  maxRoundsInFlight = 1,
): { gate: ReadGate<string>; rec: Recorder } {
  const rec: Recorder = { positions: [], retries: [], contacts: 0, released: [], failed: [] };
  const g = new ReadGate<string>(
    {
      maxWaiting,
      waitTimeoutMs,
      maxRoundsInFlight: { lease: maxRoundsInFlight, linearizable: maxRoundsInFlight },
    },
    {
      requestPosition: (mode, round) => rec.positions.push({ mode, round }),
      retryLater: (mode) => rec.retries.push(mode),
      requestContact: () => {
        rec.contacts++;
      },
      release: (token) => rec.released.push(token),
      fail: (token, why) => rec.failed.push([token, why]),
    },
  );
  return { gate: g, rec };
}

const LEASE = { kind: 'lease' } as const;
const LINEARIZABLE = { kind: 'linearizable' } as const;

describe('ReadGate', () => {
  it('batches queries into one read index per round and answers them once applied', () => {
    const { gate: g, rec } = gate();
    expect(g.admit(LEASE, 'a', 0)).to.equal('held');
    // A round is in flight: b and c wait for the next one.
    g.admit(LEASE, 'b', 1);
    g.admit(LEASE, 'c', 1);
    expect(rec.positions).to.deep.equal([{ mode: 'lease', round: 1 }]);
    g.onPosition('lease', 1, { ok: true, index: 5 });
    expect(rec.released).to.deep.equal([]); // not applied yet
    expect(rec.positions).to.deep.equal([
      { mode: 'lease', round: 1 },
      { mode: 'lease', round: 2 },
    ]);
    g.onApplied(5);
    expect(rec.released).to.deep.equal(['a']);
    g.onPosition('lease', 2, { ok: true, index: 4 });
    expect(rec.released).to.deep.equal(['a', 'b', 'c']);
    expect(g.held).to.equal(0);
  });

  it('never lets a query share a read index requested before it arrived', () => {
    const { gate: g, rec } = gate();
    g.onApplied(10);
    g.admit(LINEARIZABLE, 'early', 0);
    g.admit(LINEARIZABLE, 'late', 0);
    // The index for round 1 (10) was asked for before `late` arrived: late waits for round 2.
    g.onPosition('linearizable', 1, { ok: true, index: 10 });
    expect(rec.released).to.deep.equal(['early']);
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2]);
    g.onPosition('linearizable', 2, { ok: true, index: 12 });
    expect(rec.released).to.deep.equal(['early']);
    g.onApplied(12);
    expect(rec.released).to.deep.equal(['early', 'late']);
  });

  it('starts a round per query while fewer than the limit are in flight, then batches', () => {
    const { gate: g, rec } = gate(100, 1000, 2);
    g.admit(LEASE, 'a', 0);
    g.admit(LEASE, 'b', 1); // a second round at once: b need not wait for a's
    g.admit(LEASE, 'c', 2); // two in flight: c waits
    g.admit(LEASE, 'd', 2);
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2]);
    // Rounds answer in any order; each serves only the queries it was asked for.
    g.onPosition('lease', 2, { ok: true, index: 7 });
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2, 3]); // c and d, together
    g.onApplied(7);
    expect(rec.released).to.deep.equal(['b']); // a's round is still in flight
    g.onPosition('lease', 1, { ok: true, index: 6 });
    expect(rec.released).to.deep.equal(['b', 'a']);
    g.onPosition('lease', 3, { ok: true, index: 9 });
    expect(rec.released).to.deep.equal(['b', 'a']);
    g.onApplied(9);
    expect(rec.released).to.deep.equal(['b', 'a', 'c', 'd']);
    expect(g.held).to.equal(0);
  });

  it('holds each mode to its own limit on rounds in flight', () => {
    const rec: Recorder = { positions: [], retries: [], contacts: 0, released: [], failed: [] };
    const g = new ReadGate<string>(
      { maxWaiting: 100, waitTimeoutMs: 1000, maxRoundsInFlight: { lease: 2, linearizable: 1 } },
      {
        requestPosition: (mode, round) => rec.positions.push({ mode, round }),
        retryLater: () => {},
        requestContact: () => {},
        release: () => {},
        fail: () => {},
      },
    );
    for (const token of ['r1', 'r2', 'r3']) g.admit(LINEARIZABLE, token, 0);
    for (const token of ['l1', 'l2', 'l3']) g.admit(LEASE, token, 0);
    expect(rec.positions).to.deep.equal([
      { mode: 'linearizable', round: 1 },
      { mode: 'lease', round: 2 },
      { mode: 'lease', round: 3 },
    ]);
  });

  it('rejects a limit on rounds in flight below one', () => {
    expect(() => gate(100, 1000, 0)).to.throw(RangeError, /maxRoundsInFlight\.lease/);
  });

  it('retries once for several rounds that found no leader, keeping the rest in flight', () => {
    const { gate: g, rec } = gate(100, 1000, 3);
    g.admit(LINEARIZABLE, 'a', 0);
    g.admit(LINEARIZABLE, 'b', 0);
    g.admit(LINEARIZABLE, 'c', 0);
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2, 3]);
    g.onPosition('linearizable', 1, { ok: false, why: 'not-leader' });
    g.onPosition('linearizable', 3, { ok: false, why: 'not-leader' });
    expect(rec.retries).to.deep.equal(['linearizable']);
    // Round 2 was answered by a leader: its query is served without the retry.
    g.onApplied(4);
    g.onPosition('linearizable', 2, { ok: true, index: 4 });
    expect(rec.released).to.deep.equal(['b']);
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2, 3]); // nothing before the retry
    g.retryRound('linearizable');
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2, 3, 4]); // a and c, together
    g.onPosition('linearizable', 4, { ok: true, index: 4 });
    expect(rec.released[0]).to.equal('b');
    expect(rec.released.slice(1)).to.have.members(['a', 'c']);
    expect(g.held).to.equal(0);
  });

  it('fails queries of every round in flight once their hold time passes', () => {
    const { gate: g, rec } = gate(100, 100, 2);
    g.admit(LEASE, 'a', 0);
    g.admit(LEASE, 'b', 50);
    g.expire(120);
    expect(rec.failed).to.deep.equal([['a', 'timeout']]);
    g.onPosition('lease', 1, { ok: true, index: 0 }); // a's round answers late: nothing to release
    g.onPosition('lease', 2, { ok: true, index: 0 });
    expect(rec.released).to.deep.equal(['b']);
    expect(g.held).to.equal(0);
  });

  it('answers a query with a known read index (the published lease) now, or once applied', () => {
    const { gate: g, rec } = gate(1);
    g.onApplied(5);
    expect(g.admitAt(5, 'now', 0)).to.equal('now');
    expect(g.admitAt(7, 'later', 0)).to.equal('held');
    expect(g.admitAt(8, 'too-many', 0)).to.equal('overloaded');
    expect(rec.positions).to.deep.equal([]); // no read-index request
    g.onApplied(7);
    expect(rec.released).to.deep.equal(['later']);
  });

  it('keeps lease and linearizable rounds apart and ignores answers to other rounds', () => {
    const { gate: g, rec } = gate();
    g.admit(LEASE, 'l', 0);
    g.admit(LINEARIZABLE, 'r', 0);
    expect(rec.positions).to.deep.equal([
      { mode: 'lease', round: 1 },
      { mode: 'linearizable', round: 2 },
    ]);
    g.onPosition('lease', 2, { ok: true, index: 0 }); // not lease's round
    expect(rec.released).to.deep.equal([]);
    g.onPosition('linearizable', 2, { ok: false, why: 'overloaded' });
    expect(rec.failed).to.deep.equal([['r', 'overloaded']]);
    g.onPosition('lease', 1, { ok: true, index: 0 });
    expect(rec.released).to.deep.equal(['l']);
  });

  it('holds a round that found no leader for a retry instead of failing it', () => {
    const { gate: g, rec } = gate(100, 1000);
    g.admit(LEASE, 'a', 0);
    g.onPosition('lease', 1, { ok: false, why: 'not-leader' });
    expect(rec.failed).to.deep.equal([]);
    expect(rec.retries).to.deep.equal(['lease']);
    // Queries arriving before the retry wait for it: no round starts early.
    g.admit(LEASE, 'b', 5);
    expect(rec.positions).to.deep.equal([{ mode: 'lease', round: 1 }]);
    g.retryRound('lease');
    expect(rec.positions).to.deep.equal([
      { mode: 'lease', round: 1 },
      { mode: 'lease', round: 2 },
    ]);
    // The retried round was asked for after both arrived: its index serves both.
    g.onPosition('lease', 2, { ok: true, index: 0 });
    expect(rec.released).to.deep.equal(['a', 'b']);
    expect(g.held).to.equal(0);
  });

  it('still fails a query held for retries once its hold time passes', () => {
    const { gate: g, rec } = gate(100, 100);
    g.admit(LINEARIZABLE, 'a', 0);
    g.onPosition('linearizable', 1, { ok: false, why: 'not-leader' });
    g.retryRound('linearizable');
    g.onPosition('linearizable', 2, { ok: false, why: 'not-leader' });
    expect(rec.failed).to.deep.equal([]);
    g.expire(101);
    expect(rec.failed).to.deep.equal([['a', 'timeout']]);
    expect(g.held).to.equal(0);
    // The retry that was pending finds nothing to ask for.
    g.retryRound('linearizable');
    expect(rec.positions.map((p) => p.round)).to.deep.equal([1, 2]);
  });

  it('answers bounded reads locally while the leader contact is within the bound', () => {
    const { gate: g, rec } = gate();
    expect(g.admit({ kind: 'bounded', maxStaleMs: 100 }, 'a', 1000)).to.equal('held');
    expect(rec.contacts).to.equal(1);
    g.onContact({ ok: true, ageMs: 10, commitIndex: 3 }, 1000);
    expect(rec.released).to.deep.equal([]); // applied 0 < 3
    g.onApplied(3);
    expect(rec.released).to.deep.equal(['a']);
    // Contact at 990: fresh until 1090, refreshed in the background after 1040.
    expect(g.admit({ kind: 'bounded', maxStaleMs: 100 }, 'b', 1030)).to.equal('now');
    expect(rec.contacts).to.equal(1);
    expect(g.admit({ kind: 'bounded', maxStaleMs: 100 }, 'c', 1050)).to.equal('now');
    expect(rec.contacts).to.equal(2);
    // Past the bound without a newer contact: the query waits for one.
    expect(g.admit({ kind: 'bounded', maxStaleMs: 100 }, 'd', 1200)).to.equal('held');
    g.onContact({ ok: false, why: 'stale' }, 1201);
    expect(rec.failed).to.deep.equal([['d', 'stale']]);
  });

  it('fails a bounded read whose only contact is older than its bound', () => {
    const { gate: g, rec } = gate();
    g.admit({ kind: 'bounded', maxStaleMs: 50 }, 'a', 0);
    g.onContact({ ok: true, ageMs: 80, commitIndex: 1 }, 0);
    expect(rec.failed).to.deep.equal([['a', 'stale']]);
  });

  it('bounds what it holds and times held queries out', () => {
    const { gate: g, rec } = gate(2, 100);
    expect(g.admit(LEASE, 'a', 0)).to.equal('held');
    expect(g.admit(LEASE, 'b', 50)).to.equal('held');
    expect(g.admit(LEASE, 'c', 50)).to.equal('overloaded');
    g.expire(120);
    expect(rec.failed).to.deep.equal([['a', 'timeout']]);
    expect(g.held).to.equal(1);
    // The answer to a round whose queries timed out releases nothing twice.
    g.onPosition('lease', 1, { ok: true, index: 0 });
    expect(rec.released).to.deep.equal([]);
    g.failAll('not-leader');
    expect(rec.failed).to.deep.equal([
      ['a', 'timeout'],
      ['b', 'not-leader'],
    ]);
    expect(g.held).to.equal(0);
  });
});
