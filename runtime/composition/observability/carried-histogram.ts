/**
 * Histograms an actor keeps (runtime/bucket-counts.ts) as Prometheus histograms: each
 * scrape hands the latest reading, and what was added since the previous one joins the
 * running totals, so `_bucket`, `_sum` and `_count` only go up across actor restarts (as
 * `CarriedCounter` does for counters). prom-client's `Histogram` can only observe single
 * values, so the metric registered here is a small collector of its own that prints the
 * totals in the same form.
 */
import type { Metric, Registry } from 'prom-client';
import type { BucketReading } from '../../bucket-counts.js';

/** Running totals of one series: counts per bucket (not cumulative), sum and count. */
export class CarriedHistogram {
  private last: BucketReading | undefined;
  private totals: number[] | undefined;
  private totalSum = 0;
  private totalCount = 0;

  /**
   * Adds what `reading` holds beyond the previous reading. A bucket below its previous
   * count means the actor restarted, and all of the reading is new. A reading with other
   * bounds than the first is refused (the series would change meaning).
   */
  advance(reading: BucketReading): void {
    if (this.totals === undefined) this.totals = new Array<number>(reading.counts.length).fill(0);
    const last = this.last;
    if (last !== undefined && !sameBounds(last.bounds, reading.bounds))
      throw new Error(
        `histogram bounds changed from [${last.bounds.join(',')}] to [${reading.bounds.join(',')}]`,
      );
    const restarted =
      last === undefined ||
      reading.count < last.count ||
      reading.counts.some((count, i) => count < (last.counts[i] as number));
    for (let i = 0; i < this.totals.length; i++) {
      const now = reading.counts[i] ?? 0;
      this.totals[i] =
        (this.totals[i] as number) + (restarted ? now : now - ((last?.counts[i] as number) ?? 0));
    }
    this.totalSum += restarted ? reading.sum : reading.sum - (last?.sum ?? 0);
    this.totalCount += restarted ? reading.count : reading.count - (last?.count ?? 0);
    this.last = reading;
  }

  /** Cumulative `le` counts, `+Inf` last; undefined before the first reading. */
  cumulative():
    | { readonly le: Array<[string, number]>; readonly sum: number; readonly count: number }
    | undefined {
    const last = this.last;
    const totals = this.totals;
    if (last === undefined || totals === undefined) return undefined;
    const le: Array<[string, number]> = [];
    let running = 0;
    for (let i = 0; i < totals.length; i++) {
      running += totals[i] as number;
      le.push([i < last.bounds.length ? String(last.bounds[i]) : '+Inf', running]);
    }
    return { le, sum: this.totalSum, count: this.totalCount };
  }
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

type Labels = Readonly<Record<string, string>>;

interface SampleValue {
  readonly metricName: string;
  readonly labels: Labels;
  readonly value: number;
}

/**
 * One histogram metric in a prom-client registry, fed with actor readings per label set.
 * Label values come from fixed lists at the call sites, so the series stay bounded.
 */
export class ActorHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<
    string,
    { readonly labels: Labels; readonly carried: CarriedHistogram }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    // prom-client types its registry to its own four classes; it reads only `name` and `get`.
    registry.registerMetric(this as unknown as Metric);
  }

  advance(reading: BucketReading, labels: Labels = {}): void {
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels, carried: new CarriedHistogram() };
      this.series.set(key, series);
    }
    series.carried.advance(reading);
  }

  /** What prom-client prints: the totals in the `_bucket`/`_sum`/`_count` form. */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: SampleValue[];
  }> {
    const values: SampleValue[] = [];
    for (const { labels, carried } of this.series.values()) {
      const totals = carried.cumulative();
      if (totals === undefined) continue;
      for (const [le, value] of totals.le)
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value });
      values.push({ metricName: `${this.name}_sum`, labels, value: totals.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: totals.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
