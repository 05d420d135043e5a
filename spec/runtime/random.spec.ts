import { expect } from 'chai';
import { SeededRandom } from '../../runtime/random.js';

describe('runtime/random: injected randomness', () => {
  it('a seeded generator replays its stream; one built from a full state does too', () => {
    const draws = (r: SeededRandom) => Array.from({ length: 8 }, () => r.nextUint32());
    expect(draws(new SeededRandom(42))).to.deep.equal(draws(new SeededRandom(42)));
    const state = Uint32Array.of(1, 2, 3, 4);
    expect(draws(SeededRandom.fromState(state))).to.deep.equal(draws(SeededRandom.fromState(state)));
    // Words beyond the first change the stream: the state is not spread from 32 bits.
    expect(draws(SeededRandom.fromState(Uint32Array.of(1, 2, 3, 5)))).to.not.deep.equal(
      draws(SeededRandom.fromState(state)),
    );
    expect(() => SeededRandom.fromState(Uint32Array.of(1, 2))).to.throw(RangeError);
    // xoshiro's all-zero state would draw 0 for ever.
    const fromZero = SeededRandom.fromState(new Uint32Array(4));
    expect(
      Array.from({ length: 8 }, () => fromZero.nextUint32()).some((n) => n !== 0),
      'an all-zero state is moved off zero',
    ).to.equal(true);
  });
});
