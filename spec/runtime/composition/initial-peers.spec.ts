import { expect } from 'chai';
import { initialPeers } from '../../../runtime/composition/bootstrap-process.js';

describe('a bootstrapped replica’s initial voters', () => {
  const holders = ['a', 'b', 'n'];
  it('are the slot holders for a group starting for the first time', () => {
    expect(initialPeers('n', { rejoined: false }, holders, undefined)).to.deep.equal(holders);
  });
  it('are the running group’s voters for a newcomer in an added slot, so it waits to be added', () => {
    expect(initialPeers('n', { rejoined: false }, ['a', 'b', 'c', 'n', 'm'], ['a', 'b', 'c'])).to.deep.equal([
      'a',
      'b',
      'c',
    ]);
  });
  it('are the holders when the running leader already counts this replica a voter', () => {
    expect(initialPeers('n', { rejoined: false }, holders, ['a', 'b', 'n'])).to.deep.equal(holders);
  });
  it('are the group as it was for a replacement: the dead holder in its place', () => {
    expect(
      initialPeers('n', { rejoined: false, replaced: 'dead' }, holders, ['a', 'b', 'dead']),
    ).to.deep.equal(['a', 'b', 'dead']);
  });
});
