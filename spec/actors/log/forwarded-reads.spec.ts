import { expect } from 'chai';
import { type ForwardDecision, ForwardedReads, firstRequestId } from '../../../actors/log/forwarded-reads.js';
import { SeededRandom } from '../../../runtime/random.js';

describe('actors/log/forwarded-reads (thesis §6.4: a follower asks the leader for a read index)', () => {
  const cases: ReadonlyArray<{
    name: string;
    leaderId: string | null;
    waiting: number;
    expected: ForwardDecision;
  }> = [
    { name: 'no leader known', leaderId: null, waiting: 0, expected: { action: 'not-leader' } },
    {
      name: 'itself named leader, yet not leading',
      leaderId: 'a',
      waiting: 0,
      expected: { action: 'not-leader' },
    },
    { name: 'full', leaderId: 'b', waiting: 2, expected: { action: 'overloaded' } },
    {
      name: 'sent to the leader',
      leaderId: 'b',
      waiting: 1,
      expected: { action: 'send', to: 'b', requestId: 2, lease: false },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expected.action}`, () => {
      const reads = new ForwardedReads<string>(2, 1, 10);
      for (let i = 0; i < c.waiting; i++) reads.forward('b', 'a', 'linearizable', `earlier${i}`);
      expect(reads.forward(c.leaderId, 'a', 'linearizable', 'this')).to.deep.equal(c.expected);
      expect(reads.size).to.equal(c.waiting + (c.expected.action === 'send' ? 1 : 0));
    });
  }

  it('settles each request id once, and hands back the rest in order when the term ends', () => {
    const reads = new ForwardedReads<string | undefined>(8, 1, 10);
    reads.forward('b', 'a', 'linearizable', 'one');
    reads.forward('b', 'a', 'linearizable', undefined);
    reads.forward('b', 'a', 'linearizable', 'three');
    expect(reads.settle(2)).to.deep.equal({ reply: undefined });
    expect(reads.settle(2)).to.equal(undefined);
    expect(reads.settle(99)).to.equal(undefined);
    expect(reads.takeAll()).to.deep.equal(['one', 'three']);
    expect(reads.size).to.equal(0);
    // Request ids are never reused within the actor's life: a late answer cannot settle a newer read.
    expect(reads.forward('c', 'a', 'linearizable', 'four')).to.deep.equal({
      action: 'send',
      to: 'c',
      requestId: 4,
      lease: false,
    });
  });

  // The raft-reconfig seed 2521394336: a follower's log actor asked the leader for a read
  // index, crashed and restarted, and asked again for a read invoked after a write was
  // acknowledged. The leader answered both at once; the answer to the predecessor's request
  // (the commit index before the write) settled the new read under the same request id, and
  // the read returned the value the write had replaced.
  it("a restarted incarnation's read is never settled by an answer to its predecessor's request", () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const random = new SeededRandom(seed); // the replica's randomness, shared by its incarnations
      const predecessor = new ForwardedReads<string>(8, firstRequestId(random), 10);
      const asked: number[] = [];
      for (let i = 0; i < 8; i++) {
        const decision = predecessor.forward('b', 'a', 'linearizable', `old${i}`);
        if (decision.action === 'send') asked.push(decision.requestId);
      }
      const successor = new ForwardedReads<string>(8, firstRequestId(random), 10);
      for (let i = 0; i < 8; i++) successor.forward('b', 'a', 'linearizable', `new${i}`);
      for (const requestId of asked) expect(successor.settle(requestId), `seed ${seed}`).to.equal(undefined);
      expect(successor.size).to.equal(8);
    }
  });

  it('draws first request ids over the whole safe-integer range and wraps past its end', () => {
    const random = new SeededRandom(7);
    const firsts = Array.from({ length: 64 }, () => firstRequestId(random));
    for (const id of firsts) expect(Number.isSafeInteger(id) && id >= 1).to.equal(true);
    expect(Math.max(...firsts)).to.be.greaterThan(2 ** 48);
    const reads = new ForwardedReads<string>(4, Number.MAX_SAFE_INTEGER, 10);
    expect(reads.forward('b', 'a', 'linearizable', 'last')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: Number.MAX_SAFE_INTEGER,
      lease: false,
    });
    expect(reads.forward('b', 'a', 'linearizable', 'wrapped')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: 1,
      lease: false,
    });
    expect(() => new ForwardedReads<string>(4, 0, 10)).to.throw(RangeError);
    expect(() => new ForwardedReads<string>(4, 1, 0)).to.throw(RangeError);
  });

  it('expires reads the leader left unanswered for maxAgeTicks, oldest first, and no others', () => {
    const reads = new ForwardedReads<string>(8, 1, 3);
    reads.forward('b', 'a', 'linearizable', 'one');
    reads.tick();
    reads.forward('b', 'a', 'linearizable', 'two');
    reads.forward('b', 'a', 'linearizable', 'three');
    expect(reads.settle(2)).to.deep.equal({ reply: 'two' });
    expect(reads.tick()).to.deep.equal([]);
    expect(reads.tick()).to.deep.equal(['one']);
    expect(reads.tick()).to.deep.equal(['three']);
    expect(reads.size).to.equal(0);
    // An answer after expiry settles nothing: the read was already answered not-leader.
    expect(reads.settle(1)).to.equal(undefined);
  });

  it('asks with lease-read-index for lease reads, and with read-index once a leader left one unanswered this term', () => {
    const reads = new ForwardedReads<string>(8, 1, 2);
    expect(reads.forward('b', 'a', 'lease', 'one')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: 1,
      lease: true,
    });
    expect(reads.forward('b', 'a', 'linearizable', 'two')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: 2,
      lease: false,
    });
    // Answered, the lease request leaves no mark.
    reads.settle(1);
    reads.tick();
    reads.tick();
    expect(reads.forward('b', 'a', 'lease', 'three')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: 3,
      lease: true,
    });
    reads.tick();
    expect(reads.tick()).to.deep.equal(['three']);
    // b (an earlier release, say) dropped it: b gets read-index now; another leader gets lease-read-index.
    expect(reads.forward('b', 'a', 'lease', 'four')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: 4,
      lease: false,
    });
    expect(reads.forward('c', 'a', 'lease', 'five')).to.deep.equal({
      action: 'send',
      to: 'c',
      requestId: 5,
      lease: true,
    });
    // A new term tries the lease again.
    reads.takeAll();
    expect(reads.forward('b', 'a', 'lease', 'six')).to.deep.equal({
      action: 'send',
      to: 'b',
      requestId: 6,
      lease: true,
    });
  });
});
