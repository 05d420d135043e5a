/**
 * Runs an async pass now and then every `intervalMs` after the previous one ends (never
 * two at once), until stopped; a failed pass is reported and the next one runs as planned.
 * `runSoon` asks for a pass now (an event such as a leadership change): it replaces the
 * waiting timer, or follows the pass in progress at once; several requests while a pass
 * runs make one pass. The timer does not keep the process alive.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly onDone: (outcome: T) => void,
    private readonly onError: (error: unknown) => void,
    /** A shorter wait before the next pass after this outcome (work waiting on others); undefined: the interval. */
    private readonly retryAfter: (outcome: T) => number | undefined = () => undefined,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** A pass as soon as possible, without waiting out the interval. */
  runSoon(): void {
    if (this.stopped) return;
    if (this.running !== undefined) this.again = true;
    else this.schedule(0);
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      let next = this.intervalMs;
      this.running = this.pass()
        .then((outcome) => {
          next = Math.min(next, this.retryAfter(outcome) ?? next);
          this.onDone(outcome);
        }, this.onError)
        .finally(() => {
          this.running = undefined;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : next);
        });
    }, delayMs);
    this.timer.unref();
  }
}
