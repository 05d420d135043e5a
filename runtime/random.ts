import { randomBytes } from 'node:crypto';

/** Randomness is injected: the simulator seeds it, production seeds it from the OS. */
export interface Random {
  /** Uniform in [0, 2^32). */
  nextUint32(): number;
  /** Uniform in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** An independent generator derived from this one, so adding draws in one place does not shift another. */
  fork(): Random;
}

/** splitmix32: spreads a small seed over the generator's state (Vigna). */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128** (Blackman & Vigna 2018): small, fast, good enough for scheduling and fault choices. */
export class SeededRandom implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * A generator with its whole 128-bit state given, not spread from a 32-bit seed: two
   * generators made from independent OS draws share a stream with probability 2^-128, not
   * 2^-32. `seed` is then the first word, for logs only.
   */
  static fromState(state: Uint32Array): SeededRandom {
    if (state.length !== 4) throw new RangeError('a xoshiro128 state is four 32-bit words');
    const generator = new SeededRandom(state[0] ?? 0);
    generator.s0 = state[0] ?? 0;
    generator.s1 = state[1] ?? 0;
    generator.s2 = state[2] ?? 0;
    generator.s3 = state[3] ?? 0;
    if ((generator.s0 | generator.s1 | generator.s2 | generator.s3) === 0) generator.s0 = 1;
    return generator;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  intBetween(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`intBetween(${min}, ${max}): need integers with min <= max`);
    }
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  chance(p: number): boolean {
    return p > 0 && this.nextFloat() < p;
  }

  fork(): Random {
    return new SeededRandom(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Production randomness: a generator whose whole state comes from the OS, so two actor
 * incarnations never share a stream (a log actor's fresh ReadIndex request ids rely on it,
 * actors/log/forwarded-reads.ts).
 */
export function osSeededRandom(): SeededRandom {
  const bytes = randomBytes(16);
  return SeededRandom.fromState(
    Uint32Array.of(
      bytes.readUInt32LE(0),
      bytes.readUInt32LE(4),
      bytes.readUInt32LE(8),
      bytes.readUInt32LE(12),
    ),
  );
}
