import { expect } from 'chai';
import {
  decideLocalRead,
  decideRemoteRead,
  type LocalReadDecision,
  type LocalReadInput,
  type PendingRead,
  ReadIndexQueue,
  type RemoteReadDecision,
  type RemoteReadInput,
} from '../../../actors/log/read-index.js';

/** A leader whose no-op (index 5) committed, with room for reads and no lease. */
const LEADER: LocalReadInput = {
  leading: true,
  mode: 'linearizable',
  queued: 0,
  maxPendingReads: 4,
  commitIndex: 7,
  termStartIndex: 5,
  leaseHeld: false,
  nextRound: 12,
};

describe('actors/log/read-index', () => {
  describe('a local read-index request (thesis §6.4 steps 1–2, §6.4.1)', () => {
    const cases: ReadonlyArray<{
      name: string;
      input: Partial<LocalReadInput>;
      expected: LocalReadDecision;
    }> = [
      { name: 'a follower forwards it', input: { leading: false }, expected: { action: 'forward' } },
      {
        name: 'a follower forwards it even when full',
        input: { leading: false, queued: 4 },
        expected: { action: 'forward' },
      },
      { name: 'the queue is full', input: { queued: 4 }, expected: { action: 'overloaded' } },
      {
        name: 'full beats waiting for the no-op',
        input: { queued: 4, commitIndex: 4 },
        expected: { action: 'overloaded' },
      },
      {
        name: '§6.4 step 1: the no-op has not committed',
        input: { commitIndex: 4 },
        expected: { action: 'await-noop' },
      },
      {
        name: '§6.4.1: a lease read before the no-op commits still waits',
        input: { commitIndex: 4, mode: 'lease', leaseHeld: true },
        expected: { action: 'await-noop' },
      },
      {
        name: 'the no-op itself committed is enough',
        input: { commitIndex: 5 },
        expected: { action: 'confirm', readIndex: 5, round: 12 },
      },
      {
        name: '§6.4 steps 2–3: a linearizable read waits for the next round',
        input: {},
        expected: { action: 'confirm', readIndex: 7, round: 12 },
      },
      {
        name: 'a linearizable read ignores the lease',
        input: { leaseHeld: true },
        expected: { action: 'confirm', readIndex: 7, round: 12 },
      },
      {
        name: '§6.4.1: a lease read while the lease holds is answered at once',
        input: { mode: 'lease', leaseHeld: true },
        expected: { action: 'answer', readIndex: 7 },
      },
      {
        name: '§6.4.1: a lease read without the lease falls back to a round',
        input: { mode: 'lease', leaseHeld: false },
        expected: { action: 'confirm', readIndex: 7, round: 12 },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(decideLocalRead({ ...LEADER, ...c.input })).to.deep.equal(c.expected);
      });
    }
  });

  describe("a follower's ReadIndex request at the leader (thesis §6.4)", () => {
    const base: RemoteReadInput = {
      leading: true,
      pending: 0,
      maxPendingReads: 2,
      commitIndex: 9,
      termStartIndex: 9,
      leaseHeld: false,
      nextRound: 3,
    };
    const cases: ReadonlyArray<{
      name: string;
      input: Partial<RemoteReadInput>;
      expected: RemoteReadDecision;
    }> = [
      { name: 'not leading', input: { leading: false }, expected: { action: 'refuse' } },
      { name: 'the no-op has not committed', input: { commitIndex: 8 }, expected: { action: 'refuse' } },
      { name: 'full', input: { pending: 2 }, expected: { action: 'refuse' } },
      { name: 'admitted', input: { pending: 1 }, expected: { action: 'confirm', readIndex: 9, round: 3 } },
      {
        name: '§6.4.1: a lease read while the lease holds is answered at once, even when rounds are full',
        input: { leaseHeld: true, pending: 2 },
        expected: { action: 'answer', readIndex: 9 },
      },
      {
        name: '§6.4.1: a lease read waits for the no-op like any other',
        input: { leaseHeld: true, commitIndex: 8 },
        expected: { action: 'refuse' },
      },
      {
        name: 'a lease read by a deposed leader is refused',
        input: { leaseHeld: true, leading: false },
        expected: { action: 'refuse' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(decideRemoteRead({ ...base, ...c.input })).to.deep.equal(c.expected);
      });
    }
  });

  describe('which acknowledged round confirms which reads (thesis §6.4 steps 3–4)', () => {
    const local = (readIndex: number, round: number): PendingRead<string> => ({
      kind: 'local',
      readIndex,
      round,
      reply: `r${readIndex}@${round}`,
    });
    const remote = (readIndex: number, round: number): PendingRead<string> => ({
      kind: 'remote',
      readIndex,
      round,
      from: 'b',
      requestId: readIndex,
    });
    const reads = [local(3, 1), remote(4, 2), local(4, 2), local(6, 3)];
    const cases: ReadonlyArray<{ confirmedRound: number; confirmed: number[]; left: number[] }> = [
      { confirmedRound: 0, confirmed: [], left: [0, 1, 2, 3] },
      { confirmedRound: 1, confirmed: [0], left: [1, 2, 3] },
      { confirmedRound: 2, confirmed: [0, 1, 2], left: [3] },
      { confirmedRound: 3, confirmed: [0, 1, 2, 3], left: [] },
      { confirmedRound: 9, confirmed: [0, 1, 2, 3], left: [] },
    ];
    for (const c of cases) {
      it(`round ${c.confirmedRound} confirms reads ${JSON.stringify(c.confirmed)}, oldest first`, () => {
        const queue = new ReadIndexQueue<string>();
        for (const read of reads) queue.add(read);
        expect(queue.takeConfirmed(c.confirmedRound)).to.deep.equal(c.confirmed.map((i) => reads[i]));
        expect(queue.pendingCount).to.equal(c.left.length);
        expect(queue.takeAll().pending).to.deep.equal(c.left.map((i) => reads[i]));
      });
    }
  });

  it('counts reads awaiting the no-op as queued, releases them once, and fails every read on step-down', () => {
    const queue = new ReadIndexQueue<string>();
    queue.awaitNoop({ mode: 'lease', reply: 'a' });
    queue.add({ kind: 'local', readIndex: 1, round: 1, reply: 'b' });
    queue.awaitNoop({ mode: 'linearizable', reply: 'c' });
    expect([queue.pendingCount, queue.queuedCount]).to.deep.equal([1, 3]);
    expect(queue.takeAwaitingNoop()).to.deep.equal([
      { mode: 'lease', reply: 'a' },
      { mode: 'linearizable', reply: 'c' },
    ]);
    expect(queue.takeAwaitingNoop()).to.deep.equal([]);
    queue.awaitNoop({ mode: 'lease', reply: 'd' });
    expect(queue.takeAll()).to.deep.equal({
      pending: [{ kind: 'local', readIndex: 1, round: 1, reply: 'b' }],
      awaitingNoop: [{ mode: 'lease', reply: 'd' }],
    });
    expect(queue.queuedCount).to.equal(0);
  });
});
