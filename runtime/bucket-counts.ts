/**
 * A histogram an actor can keep on its hot path: fixed upper bounds, one plain number per
 * bucket, no allocation per observation. The actor reports a `BucketReading` in its status
 * answer; the main thread turns successive readings into a Prometheus histogram at scrape
 * time (runtime/composition/observability/carried-histogram.ts).
 *
 * Buckets follow Prometheus's `le` rule: an observation goes to the first bucket whose
 * upper bound is at least the value; above the last bound it goes to the overflow bucket
 * (`+Inf`). Counts here are per bucket, not cumulative.
 */

/** Limit on bounds per histogram: each is a series per label set at every scrape. */
export const BUCKET_BOUNDS_MAX = 32;

/** One histogram as an actor reports it: structured-cloneable, counts since the actor started. */
export interface BucketReading {
  /** Ascending finite upper bounds. */
  readonly bounds: readonly number[];
  /** `bounds.length + 1` counts; the last is the overflow bucket. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** Checks `bounds` (ascending, finite, at most BUCKET_BOUNDS_MAX); returns them. */
export function checkedBounds(bounds: readonly number[]): readonly number[] {
  if (bounds.length === 0 || bounds.length > BUCKET_BOUNDS_MAX)
    throw new RangeError(`a histogram needs 1 to ${BUCKET_BOUNDS_MAX} bucket bounds, got ${bounds.length}`);
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i] as number;
    if (!Number.isFinite(bound)) throw new RangeError(`bucket bound ${i} is not finite: ${bound}`);
    if (i > 0 && bound <= (bounds[i - 1] as number))
      throw new RangeError(`bucket bounds must ascend: ${bounds[i - 1]} then ${bound}`);
  }
  return bounds;
}

export class BucketCounts {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[]) {
    checkedBounds(bounds);
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts `value`; a NaN is ignored (it would poison the sum). */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }

  reading(): BucketReading {
    return { bounds: this.bounds, counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

/** Powers of two from 1 to `max` (a count of entries, of bytes): `[1, 2, 4, …, max]`. */
export function powersOfTwo(max: number): number[] {
  const bounds: number[] = [];
  for (let bound = 1; bound <= max && bounds.length < BUCKET_BOUNDS_MAX; bound *= 2) bounds.push(bound);
  return bounds;
}
