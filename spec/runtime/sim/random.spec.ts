import { expect } from 'chai';
import { SeededRandom } from '../../../runtime/random.js';

/** The simulator's only source of randomness: equal seeds must give equal streams, and the streams must look uniform. */
describe('SeededRandom (the simulator PRNG)', () => {
  it('gives the same sequence for the same seed, and a different one for another seed', () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 64 }, () => random.nextUint32());
    };
    expect(draw(7)).to.deep.equal(draw(7));
    expect(draw(7)).to.not.deep.equal(draw(8));
    expect(draw(0)).to.not.deep.equal(draw(1));
  });

  it('forks independent streams deterministically', () => {
    const a = new SeededRandom(99);
    const b = new SeededRandom(99);
    const forkA = a.fork();
    const forkB = b.fork();
    const seqA = Array.from({ length: 16 }, () => forkA.nextUint32());
    expect(Array.from({ length: 16 }, () => forkB.nextUint32())).to.deep.equal(seqA);
    // The parent moves on independently of what the child draws.
    expect(a.nextUint32()).to.equal(b.nextUint32());
    expect(Array.from({ length: 16 }, () => a.nextUint32())).to.not.deep.equal(seqA);
  });

  it('spreads intBetween uniformly over its range (chi-square sanity)', () => {
    const random = new SeededRandom(12345);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = random.intBetween(0, 9);
      buckets[v] = (buckets[v] ?? Number.NaN) + 1;
    }
    expect(buckets.reduce((a, b) => a + b, 0)).to.equal(n);
    const expected = n / 10;
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: p = 0.001 at 27.9.
    expect(chiSquare).to.be.lessThan(27.9);
  });

  it('hits both ends of intBetween and stays inside', () => {
    const random = new SeededRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.intBetween(-2, 2));
    expect([...seen].sort()).to.deep.equal([-1, -2, 0, 1, 2]);
  });

  it('chance(p) comes true about p of the time; chance(0) never', () => {
    const random = new SeededRandom(77);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (random.chance(0.2)) hits++;
    expect(hits).to.be.within(19_000, 21_000);
    for (let i = 0; i < 1000; i++) expect(random.chance(0)).to.equal(false);
  });

  it('nextFloat has mean about 1/2 and stays in [0, 1)', () => {
    const random = new SeededRandom(5);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 50_000; i++) {
      const f = random.nextFloat();
      if (!(f >= 0 && f < 1)) outside++;
      sum += f;
    }
    expect(outside).to.equal(0);
    expect(sum / 50_000).to.be.within(0.49, 0.51);
  });
});
