import { expect } from 'chai';
import { PeriodicTask } from '../../../runtime/composition/periodic-task.js';

/** A pass the test finishes by hand, so it can ask for passes while one runs. */
class Passes {
  readonly started: Array<() => void> = [];
  private waiters: Array<() => void> = [];

  readonly pass = (): Promise<number> =>
    new Promise<number>((resolve) => {
      this.started.push(() => resolve(this.started.length));
      for (const waiter of this.waiters.splice(0)) waiter();
    });

  /** True when a pass number `count` starts within `withinMs`. */
  startsWithin(count: number, withinMs: number): Promise<boolean> {
    return Promise.race([
      this.startedCount(count).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), withinMs)),
    ]);
  }

  /** Resolves once `count` passes have started. */
  async startedCount(count: number): Promise<void> {
    while (this.started.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

describe('composition: periodic task', () => {
  const HOUR_MS = 3_600_000;

  /** A task of `passes` due every hour (so only what a test asks for runs), failing the test on an error. */
  const hourly = (passes: Passes, retryAfter?: (outcome: number) => number | undefined) =>
    new PeriodicTask(
      passes.pass,
      HOUR_MS,
      () => undefined,
      (error) => expect.fail(String(error)),
      retryAfter,
    );

  it('runs a pass at start, and another on runSoon without waiting out the interval', async () => {
    const passes = new Passes();
    const task = hourly(passes);
    task.start();
    await passes.startedCount(1);
    passes.started[0]?.();
    task.runSoon();
    await passes.startedCount(2);
    passes.started[1]?.();
    await task.stop();
    expect(passes.started.length).to.equal(2);
  });

  it('requests while a pass runs make exactly one more pass, right after it', async () => {
    const passes = new Passes();
    const task = hourly(passes);
    task.start();
    await passes.startedCount(1);
    task.runSoon();
    task.runSoon();
    task.runSoon();
    expect(passes.started.length).to.equal(1);
    passes.started[0]?.();
    await passes.startedCount(2);
    passes.started[1]?.();
    // Nothing else is due for an hour: no third pass follows (a coalescing bug would start one at once).
    const third = await passes.startsWithin(3, 50);
    await task.stop();
    expect(third).to.equal(false);
  });

  it("waits retryAfter's answer before the next pass when it is shorter than the interval", async () => {
    const passes = new Passes();
    const task = hourly(passes, (outcome) => (outcome === 1 ? 20 : undefined));
    task.start();
    await passes.startedCount(1);
    passes.started[0]?.();
    // The first outcome asks for 20 ms: a second pass starts well before the hour.
    await passes.startedCount(2);
    passes.started[1]?.();
    const third = await passes.startsWithin(3, 100);
    await task.stop();
    expect(third).to.equal(false);
  });
});
