/**
 * The main thread's subscription to the log actor's leadership observations (the log
 * actor's `subscribe-leadership`, hashicorp/raft's observer channel): one subscription
 * for the process, renewed every LEADERSHIP_RENEW_MS (a restarted log actor forgets its
 * subscribers), fanned out to the process's consumers (the client intake, the group
 * maintenance reconcilers). Consumers get the current observation when they register and
 * every change after it; a renewal that repeats the same observation is not passed on.
 */
import {
  LEADERSHIP_RENEW_MS,
  type Leadership,
  type LeadershipObserved,
  type LogMessage,
  leadsReady,
} from '../../actors/log/protocol.js';
import { LOG } from '../../actors/raft/actor-names.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';

export type LeadershipListener = (leadership: Leadership) => void;

/** What consumers see of the feed (tests may give them a scripted one). */
export interface LeadershipSource {
  /** The latest observation, or undefined before the first arrives. */
  current(): Leadership | undefined;
  /** Calls `listener` with the current observation (if any) and every change; returns the unsubscribe. */
  onChange(listener: LeadershipListener): () => void;
}

/** A subscription that could not be sent (the log actor restarting) is tried again this soon. */
const RESUBSCRIBE_AFTER_FAILURE_MS = 100;

export class LeadershipFeed implements LeadershipSource {
  private latest: Leadership | undefined;
  private readonly listeners = new Set<LeadershipListener>();
  private readonly stopListening: () => void;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly external: ExternalEndpoint,
    private readonly log: Logger,
  ) {
    this.stopListening = external.listen((from, message) => this.onMessage(from, message));
  }

  /** Subscribes to the log actor of the replica behind `external`. */
  static start(external: ExternalEndpoint, log: Logger): LeadershipFeed {
    const feed = new LeadershipFeed(external, log);
    feed.subscribe();
    return feed;
  }

  current(): Leadership | undefined {
    return this.latest;
  }

  onChange(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    if (this.latest !== undefined) listener(this.latest);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopListening();
    this.listeners.clear();
  }

  private subscribe(): void {
    if (this.stopped) return;
    const result = this.external.send(LOG, { type: 'subscribe-leadership' } satisfies LogMessage);
    if (result.status !== 'sent')
      this.log.debug({ status: result.status }, 'leadership subscription not sent');
    this.timer = setTimeout(
      () => this.subscribe(),
      result.status === 'sent' ? LEADERSHIP_RENEW_MS : RESUBSCRIBE_AFTER_FAILURE_MS,
    );
    this.timer.unref();
  }

  private onMessage(from: string, message: Message): void {
    if (from !== LOG || message.type !== 'leadership-observed') return;
    const leadership = (message as LeadershipObserved).leadership;
    if (this.latest !== undefined && sameLeadership(this.latest, leadership)) return;
    this.latest = leadership;
    for (const listener of this.listeners) {
      try {
        listener(leadership);
      } catch (error) {
        this.log.error({ err: String(error) }, 'leadership listener threw');
      }
    }
  }
}

function sameLeadership(a: Leadership, b: Leadership): boolean {
  if (a.term !== b.term || a.leaderId !== b.leaderId || a.leading !== b.leading) return false;
  if (!a.leading || !b.leading) return true;
  return a.readyIndex === b.readyIndex && a.leaseUntilMs === b.leaseUntilMs;
}

/**
 * Calls `onReady` each time `source` shows this replica become the ready leader of a term
 * (leading with the term's no-op committed) — not on lease extensions or repeats.
 */
export function followReadyLeadership(source: LeadershipSource, onReady: () => void): () => void {
  let readyTerm: number | undefined;
  return source.onChange((leadership) => {
    const term = leadsReady(leadership) ? leadership.term : undefined;
    if (term !== undefined && term !== readyTerm) onReady();
    readyTerm = term;
  });
}
