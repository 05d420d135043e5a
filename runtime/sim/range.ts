import type { Random } from '../random.js';

/** An inclusive range of integers, for latencies and intervals drawn from the simulator's PRNG. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

export function validateRange(what: string, range: Range): Range {
  if (
    !Number.isInteger(range.min) ||
    !Number.isInteger(range.max) ||
    range.min < 0 ||
    range.max < range.min
  ) {
    throw new RangeError(`${what}: need integers with 0 <= min <= max, got [${range.min}, ${range.max}]`);
  }
  return range;
}

export function validateProbability(what: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what}: need a probability in [0, 1], got ${p}`);
  return p;
}

/** Uniform in `range`, both ends included. */
export function pick(random: Random, range: Range): number {
  return range.min === range.max ? range.min : random.intBetween(range.min, range.max);
}
