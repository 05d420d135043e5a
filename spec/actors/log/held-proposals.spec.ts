import { expect } from 'chai';
import { HeldProposals } from '../../../actors/log/held-proposals.js';

const bytes = (n: number) => new Uint8Array([n]);

describe('actors/log/held-proposals: proposals held while leadership is settled', () => {
  it('holds up to its limit and refuses more, so the caller answers them at once', () => {
    const held = new HeldProposals<string>(2, 10);
    expect(held.hold(bytes(1), 'a')).to.equal(true);
    expect(held.hold(bytes(2), 'b')).to.equal(true);
    expect(held.hold(bytes(3), 'c')).to.equal(false);
    expect(held.size).to.equal(2);
  });

  it('gives every held proposal back in arrival order, once', () => {
    const held = new HeldProposals<string>(8, 10);
    for (const [i, reply] of ['a', 'b', 'c'].entries()) held.hold(bytes(i), reply);
    expect(held.takeAll().map((p) => [p.reply, p.data[0]])).to.deep.equal([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    expect(held.takeAll()).to.deep.equal([]);
    expect(held.size).to.equal(0);
  });

  it('gives back, tick by tick, those held for its tick limit and keeps the younger ones', () => {
    const held = new HeldProposals<string>(8, 3);
    held.hold(bytes(1), 'old');
    expect(held.tick()).to.deep.equal([]);
    held.hold(bytes(2), 'young');
    expect(held.tick()).to.deep.equal([]);
    expect(held.tick().map((p) => p.reply)).to.deep.equal(['old']);
    expect(held.size).to.equal(1);
    expect(held.tick().map((p) => p.reply)).to.deep.equal(['young']);
    expect(held.size).to.equal(0);
    // Room again once they are given back.
    expect(held.hold(bytes(3), 'next')).to.equal(true);
  });
});
