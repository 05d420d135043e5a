/**
 * The live status behind the page: while at least one viewer is subscribed, the cluster is
 * gathered every `intervalMs` (one gathering at a time, each bounded by `gatherDeadlineMs`)
 * and each snapshot is handed to every subscriber. With no viewer nothing is gathered, so
 * an unwatched page costs the cluster nothing.
 *
 * Limits: at most `subscribersMax` subscribers (a further one is refused); a one-shot read
 * (`current`) reuses a snapshot younger than `intervalMs` or the gathering in flight.
 */
import type { GroupRow } from '../../../clients/cluster-status.js';
import { type Clock, realTimers, type Timers } from '../../clock.js';
import { withTimeout } from '../../control-timeout.js';
import type { Logger } from '../../log.js';
import { SnapshotBuilder, type StatusSnapshot } from './status-snapshot.js';

/** One gathering: the groups, and a note for the page (null: none). */
export interface Gathered {
  readonly groups: readonly GroupRow[];
  readonly note: string | null;
}

/** Gathers the cluster; each status ask within `askDeadlineMs`. */
export type Gather = (askDeadlineMs: number) => Promise<Gathered>;

export interface StatusFeedOptions {
  readonly cluster: string;
  readonly source: string;
  readonly gather: Gather;
  readonly clock: Clock;
  readonly timers?: Timers;
  readonly log: Logger;
  readonly intervalMs?: number;
  readonly gatherDeadlineMs?: number;
  readonly askDeadlineMs?: number;
  readonly subscribersMax?: number;
}

export const STATUS_INTERVAL_MS_DEFAULT = 500;
/** A whole gathering (plan, slot claims, every replica's status) takes at most this long. */
export const GATHER_DEADLINE_MS_DEFAULT = 1_500;
/**
 * Each replica's status ask. A replica answers in milliseconds (its intake gives up on its
 * own actors after 250 ms); a dead one costs the gathering the whole deadline, so it is kept
 * short for the page to follow a failover within a gathering or two.
 */
export const ASK_DEADLINE_MS_DEFAULT = 400;
export const SUBSCRIBERS_MAX_DEFAULT = 32;

export type Subscriber = (snapshot: StatusSnapshot) => void;

export class StatusFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly builder: SnapshotBuilder;
  private readonly timers: Timers;
  private readonly intervalMs: number;
  private readonly gatherDeadlineMs: number;
  private readonly askDeadlineMs: number;
  readonly subscribersMax: number;
  private latest: { readonly snapshot: StatusSnapshot; readonly atMs: number } | undefined;
  private inFlight: Promise<StatusSnapshot> | undefined;
  private looping = false;
  private cancelNext: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: StatusFeedOptions) {
    this.builder = new SnapshotBuilder(options.cluster, options.source);
    this.timers = options.timers ?? realTimers;
    this.intervalMs = options.intervalMs ?? STATUS_INTERVAL_MS_DEFAULT;
    this.gatherDeadlineMs = options.gatherDeadlineMs ?? GATHER_DEADLINE_MS_DEFAULT;
    this.askDeadlineMs = Math.min(options.askDeadlineMs ?? ASK_DEADLINE_MS_DEFAULT, this.gatherDeadlineMs);
    this.subscribersMax = options.subscribersMax ?? SUBSCRIBERS_MAX_DEFAULT;
  }

  get full(): boolean {
    return this.subscribers.size >= this.subscribersMax;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Adds `subscriber` (told every snapshot from now on, the latest one soon if there is
   * one) and returns its unsubscribe; undefined when `subscribersMax` are subscribed already.
   */
  subscribe(subscriber: Subscriber): (() => void) | undefined {
    if (this.stopped || this.full) return undefined;
    this.subscribers.add(subscriber);
    const latest = this.latest;
    if (latest !== undefined)
      queueMicrotask(() => {
        if (this.subscribers.has(subscriber)) subscriber(latest.snapshot);
      });
    if (!this.looping) {
      this.looping = true;
      void this.loop();
    }
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** A snapshot no older than `intervalMs`. */
  current(): Promise<StatusSnapshot> {
    const latest = this.latest;
    if (latest !== undefined && this.options.clock.nowMs() - latest.atMs < this.intervalMs)
      return Promise.resolve(latest.snapshot);
    return this.take();
  }

  /** Stops gathering and drops every subscriber. */
  stop(): void {
    this.stopped = true;
    this.subscribers.clear();
    this.cancelNext?.();
  }

  private async loop(): Promise<void> {
    const startedAtMs = this.options.clock.nowMs();
    const snapshot = await this.take();
    for (const subscriber of [...this.subscribers]) {
      try {
        subscriber(snapshot);
      } catch (error) {
        this.options.log.warn({ err: String(error) }, 'a status subscriber failed');
        this.subscribers.delete(subscriber);
      }
    }
    if (this.stopped || this.subscribers.size === 0) {
      this.looping = false;
      return;
    }
    const waitMs = Math.max(0, this.intervalMs - (this.options.clock.nowMs() - startedAtMs));
    this.cancelNext = this.timers.after(waitMs, () => {
      this.cancelNext = undefined;
      void this.loop();
    });
  }

  private take(): Promise<StatusSnapshot> {
    this.inFlight ??= this.gatherOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async gatherOnce(): Promise<StatusSnapshot> {
    let snapshot: StatusSnapshot;
    try {
      const gathered = await withTimeout(
        'gather the cluster status',
        this.gatherDeadlineMs,
        this.options.gather(this.askDeadlineMs),
        this.timers,
      );
      snapshot = this.builder.build(gathered.groups, this.options.clock.nowMs(), gathered.note);
    } catch (error) {
      snapshot = this.builder.failed(
        this.latest?.snapshot,
        error instanceof Error ? error.message : String(error),
      );
    }
    this.latest = { snapshot, atMs: this.options.clock.nowMs() };
    return snapshot;
  }
}
