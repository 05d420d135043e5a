import { expect } from 'chai';
import { nextMembershipChange } from '../../../runtime/composition/membership-reconciler.js';

describe('bootstrap/membership-reconciler: nextMembershipChange', () => {
  const live = new Set(['a', 'b', 'c', 'd']);

  it('is nothing when the voters are the slot holders', () => {
    expect(nextMembershipChange(['a', 'b', 'c'], ['c', 'a', 'b'], live)).to.equal(undefined);
  });

  it('adds a live newcomer before removing the replica it replaced', () => {
    expect(nextMembershipChange(['a', 'b', 'x'], ['a', 'b', 'd'], live)).to.deep.equal({
      op: 'add',
      replica: 'd',
    });
    expect(nextMembershipChange(['a', 'b', 'x', 'd'], ['a', 'b', 'd'], live)).to.deep.equal({
      op: 'remove',
      replica: 'x',
    });
  });

  it('never adds a holder that is not registered, and then removes nobody either', () => {
    expect(nextMembershipChange(['a', 'b', 'x'], ['a', 'b', 'e'], live)).to.equal(undefined);
  });
});
