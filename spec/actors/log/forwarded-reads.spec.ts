import { expect } from 'chai';
import { type ForwardDecision, ForwardedReads } from '../../../actors/log/forwarded-reads.js';

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
      expected: { action: 'send', to: 'b', requestId: 2 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expected.action}`, () => {
      const reads = new ForwardedReads<string>(2);
      for (let i = 0; i < c.waiting; i++) reads.forward('b', 'a', `earlier${i}`);
      expect(reads.forward(c.leaderId, 'a', 'this')).to.deep.equal(c.expected);
      expect(reads.size).to.equal(c.waiting + (c.expected.action === 'send' ? 1 : 0));
    });
  }

  it('settles each request id once, and hands back the rest in order when the term ends', () => {
    const reads = new ForwardedReads<string | undefined>(8);
    reads.forward('b', 'a', 'one');
    reads.forward('b', 'a', undefined);
    reads.forward('b', 'a', 'three');
    expect(reads.settle(2)).to.deep.equal({ reply: undefined });
    expect(reads.settle(2)).to.equal(undefined);
    expect(reads.settle(99)).to.equal(undefined);
    expect(reads.takeAll()).to.deep.equal(['one', 'three']);
    expect(reads.size).to.equal(0);
    // Request ids are never reused within the actor's life: a late answer cannot settle a newer read.
    expect(reads.forward('c', 'a', 'four')).to.deep.equal({ action: 'send', to: 'c', requestId: 4 });
  });
});
