import { expect } from 'chai';
import { exactCopy, readExactArray } from '../../protocol/exact-array.js';

describe('protocol/exact-array', () => {
  it('reads count values in order, each read once, into an array of exactly count elements', () => {
    let reads = 0;
    const values = readExactArray(5, (i) => {
      reads++;
      return i * 10;
    });
    expect(values).to.deep.equal([0, 10, 20, 30, 40]);
    expect(reads).to.equal(5);
    expect(readExactArray(0, () => expect.fail('no read for 0'))).to.deep.equal([]);
  });

  it('a throw inside a read propagates (a decoder failing part-way)', () => {
    expect(() =>
      readExactArray(3, (i) => {
        if (i === 1) throw new RangeError('bad');
        return i;
      }),
    ).to.throw(RangeError, 'bad');
  });

  it('copies a non-empty array (later pushes to the original do not show) and keeps an empty one', () => {
    const original = [1, 2];
    const copy = exactCopy(original);
    original.push(3);
    expect(copy).to.deep.equal([1, 2]);
    const empty: number[] = [];
    expect(exactCopy(empty)).to.equal(empty);
  });
});
