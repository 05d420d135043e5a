/**
 * An actor's counters start from zero each time the actor restarts; a Prometheus counter
 * must only go up. A `CarriedCounter` turns successive readings of one actor counter into
 * the increments since the previous reading: a reading below the previous one means the
 * actor restarted, and all of it is new. (Prometheus's `rate` handles resets too, but
 * only of the series it sees reset; a process-wide series must not reset with an actor.)
 */
export class CarriedCounter {
  private last = 0;

  /** The increment `reading` adds to the running total. */
  advance(reading: number): number {
    const increment = reading >= this.last ? reading - this.last : reading;
    this.last = reading;
    return increment;
  }
}

/** One `CarriedCounter` per key (an actor counter's name and labels). */
export class CarriedCounters {
  private readonly byKey = new Map<string, CarriedCounter>();

  advance(key: string, reading: number): number {
    let counter = this.byKey.get(key);
    if (counter === undefined) {
      counter = new CarriedCounter();
      this.byKey.set(key, counter);
    }
    return counter.advance(reading);
  }
}
