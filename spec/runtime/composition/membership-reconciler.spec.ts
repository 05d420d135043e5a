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

  it('shrinks one voter at a time, the leader itself last, each only once withdrawn from the nameservers', () => {
    const withdrawn = (gone: readonly string[]) => (replica: string) => gone.includes(replica);
    // 5 → 3: slots 3 and 4 (held by d and e) go; e leads.
    const voters = ['a', 'b', 'c', 'd', 'e'];
    const holders = ['a', 'b', 'c'];
    const five = new Set([...voters]);
    expect(nextMembershipChange(voters, holders, five, { self: 'e', withdrawn: withdrawn([]) })).to.equal(
      undefined,
    );
    expect(
      nextMembershipChange(voters, holders, five, { self: 'e', withdrawn: withdrawn(['d', 'e']) }),
    ).to.deep.equal({ op: 'remove', replica: 'd' });
    expect(
      nextMembershipChange(['a', 'b', 'c', 'e'], holders, five, {
        self: 'e',
        withdrawn: withdrawn(['d', 'e']),
      }),
    ).to.deep.equal({ op: 'remove', replica: 'e' });
    // Another leader removes the one left.
    expect(
      nextMembershipChange(['a', 'b', 'c', 'e'], holders, five, { self: 'a', withdrawn: withdrawn(['e']) }),
    ).to.deep.equal({ op: 'remove', replica: 'e' });
  });

  it('removes a voter that is down before live ones, and never a live one that would leave no live majority', () => {
    // 3 → 1 with c (slot 2) down: c goes first; removing b first would leave {a, c}, needing c.
    const up = new Set(['a', 'b']);
    expect(nextMembershipChange(['a', 'b', 'c'], ['a'], up, { self: 'a' })).to.deep.equal({
      op: 'remove',
      replica: 'c',
    });
    expect(nextMembershipChange(['a', 'b'], ['a'], up, { self: 'a' })).to.deep.equal({
      op: 'remove',
      replica: 'b',
    });
    // The kept b is down: removing the live d would leave {a, b, c} with a, c live (a majority)...
    expect(
      nextMembershipChange(['a', 'b', 'c', 'd'], ['a', 'b', 'c'], new Set(['a', 'c', 'd'])),
    ).to.deep.equal({
      op: 'remove',
      replica: 'd',
    });
    // ...but with c down too it would leave one live voter of three: wait.
    expect(nextMembershipChange(['a', 'b', 'c', 'd'], ['a', 'b', 'c'], new Set(['a', 'd']))).to.equal(
      undefined,
    );
  });
});
