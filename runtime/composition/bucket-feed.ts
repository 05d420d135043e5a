/**
 * Keeps a replica up to date with a record set kept in a NATS KV bucket (TSIG keys, zone
 * transfer rules, API keys): it watches the bucket and hands the whole set to `onSet` after
 * every change. The bucket may not exist when the replica starts (JetStream off, or nothing
 * written yet), so opening it is retried every `periodMs` until it works; once open, the
 * same period calls `onPeriod` (a feed into an actor re-sends there, because a restarted
 * actor starts with an empty set).
 */
import type { Logger } from '../log.js';

export interface WatchableRecordSet<T> {
  watch(
    onSet: (records: readonly T[]) => void,
    onInvalid: (bucketKey: string, why: string) => void,
  ): Promise<() => void>;
}

export interface BucketFeedOptions<T> {
  readonly open: () => Promise<WatchableRecordSet<T>>;
  /** What the bucket holds, for the logs ("TSIG keys"); values are never logged. */
  readonly what: string;
  /** The records' names for the logs (key names, zones): never their values. */
  readonly names: (records: readonly T[]) => readonly string[];
  readonly periodMs: number;
  readonly log: Logger;
  readonly onSet: (records: readonly T[]) => void;
  readonly onPeriod?: () => void;
}

/** What the owner of a feed keeps: the means to stop it. */
export interface StoppableFeed {
  stop(): void;
}

export class BucketFeed<T> implements StoppableFeed {
  private stopWatch: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private opening = false;
  private stopped = false;

  private constructor(private readonly options: BucketFeedOptions<T>) {
    this.timer = setInterval(() => this.tick(), options.periodMs);
    this.timer.unref();
  }

  static start<T>(options: BucketFeedOptions<T>): BucketFeed<T> {
    const feed = new BucketFeed(options);
    feed.tick();
    return feed;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopWatch?.();
  }

  private tick(): void {
    if (this.stopWatch === undefined) void this.open();
    else this.options.onPeriod?.();
  }

  private async open(): Promise<void> {
    if (this.opening || this.stopped) return;
    this.opening = true;
    const { log, what } = this.options;
    try {
      const store = await this.options.open();
      const stop = await store.watch(
        (records) => {
          log.info({ names: this.options.names(records) }, `${what} changed`);
          this.options.onSet(records);
        },
        (bucketKey, why) => log.warn({ bucketKey, why }, `ignored a record of the ${what} bucket`),
      );
      if (this.stopped) stop();
      else this.stopWatch = stop;
    } catch (error) {
      log.debug({ err: String(error) }, `the ${what} bucket is not available yet`);
    } finally {
      this.opening = false;
    }
  }
}
