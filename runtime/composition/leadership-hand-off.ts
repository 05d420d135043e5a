/**
 * The first step of a planned stop (SIGTERM, SIGINT): a replica that leads hands leadership
 * to its most caught-up follower before it drains (thesis §3.10), so the group elects its
 * next leader at once instead of waiting an election timeout for a dead one.
 *
 * The log actor chooses the follower (chooseSuccessor), stops taking proposals (they are
 * held, then answered `not-leader` naming the successor once this replica has voted for it),
 * brings it up to date and sends it TimeoutNow with that vote;
 * this step then waits until the leadership feed shows another replica leading a later
 * term. It is bounded by `timeoutMs`: when no follower is eligible, the log actor refuses,
 * or no successor shows up in time, the stop goes on as a plain drain and the group elects
 * a leader as after a crash.
 */
import type { Leadership, LogMessage, TransferResult } from '../../actors/log/protocol.js';
import { LOG } from '../../actors/raft/actor-names.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import type { MessageOf } from '../message.js';
import type { LeadershipSource } from './leadership-feed.js';

/** How long a stopping leader waits for its successor before it drains anyway. */
export const HAND_OFF_TIMEOUT_MS_DEFAULT = 2_000;

export interface HandOffOptions {
  readonly external: ExternalEndpoint;
  readonly leadership: LeadershipSource;
  readonly log: Logger;
  readonly timeoutMs: number;
}

export type HandOffOutcome =
  /** This replica did not lead: nothing to hand over. */
  | { readonly kind: 'not-leading' }
  /** Another replica leads `term`, `elapsedMs` after the hand-off began. */
  | {
      readonly kind: 'handed-off';
      readonly leaderId: string;
      readonly term: number;
      readonly elapsedMs: number;
    }
  /** The log actor did not start a transfer (no eligible follower, busy, not leading any more). */
  | { readonly kind: 'refused'; readonly reason: string }
  /** No other leader showed up within the bound. */
  | { readonly kind: 'timed-out' };

type HandOff = MessageOf<LogMessage, 'hand-off-leadership'>;

/** Hands leadership off if this replica leads; resolves once another leader is seen or the bound passes. Never throws. */
export async function handOffLeadership(options: HandOffOptions): Promise<HandOffOutcome> {
  const before = options.leadership.current();
  if (before?.leading !== true) return { kind: 'not-leading' };
  const startedMs = performance.now();
  const deadlineMs = startedMs + options.timeoutMs;
  // Listen before asking: the successor may be seen before the log actor's answer arrives.
  const successor = waitForSuccessor(options.leadership, before.term, options.timeoutMs);
  try {
    let answer: TransferResult;
    try {
      answer = await options.external.request<HandOff>(
        LOG,
        { type: 'hand-off-leadership' },
        { timeoutMs: options.timeoutMs },
      );
    } catch (error) {
      successor.cancel();
      return refused(options.log, `the log actor did not answer: ${String(error)}`);
    }
    if (!answer.ok) {
      successor.cancel();
      return refused(options.log, answer.reason === 'not-leader' ? 'not leading' : answer.detail);
    }
    const remainingMs = deadlineMs - performance.now();
    const seen = await successor.within(remainingMs);
    if (seen === undefined) {
      options.log.warn(
        { timeoutMs: options.timeoutMs },
        'no successor took leadership in time; draining anyway',
      );
      return { kind: 'timed-out' };
    }
    const elapsedMs = Math.round(performance.now() - startedMs);
    options.log.info({ leaderId: seen.leaderId, term: seen.term, elapsedMs }, 'leadership handed off');
    return { kind: 'handed-off', leaderId: seen.leaderId, term: seen.term, elapsedMs };
  } finally {
    successor.cancel();
  }
}

function refused(log: Logger, reason: string): HandOffOutcome {
  log.warn({ reason }, 'leadership not handed off; draining anyway');
  return { kind: 'refused', reason };
}

interface SuccessorWait {
  /** The first observation of another leader in a later term, or undefined after `ms`. */
  within(ms: number): Promise<{ readonly leaderId: string; readonly term: number } | undefined>;
  cancel(): void;
}

/** Watches `source` for a leader other than this replica in a term after `term`. */
function waitForSuccessor(source: LeadershipSource, term: number, boundMs: number): SuccessorWait {
  let seen: { leaderId: string; term: number } | undefined;
  let wake: (() => void) | undefined;
  const isSuccessor = (l: Leadership) => !l.leading && l.term > term && l.leaderId !== null;
  const stop = source.onChange((leadership) => {
    if (seen !== undefined || !isSuccessor(leadership) || leadership.leaderId === null) return;
    seen = { leaderId: leadership.leaderId, term: leadership.term };
    wake?.();
  });
  let timer: NodeJS.Timeout | undefined;
  return {
    within: (ms) =>
      new Promise((resolve) => {
        if (seen !== undefined || ms <= 0) {
          resolve(seen);
          return;
        }
        wake = () => resolve(seen);
        timer = setTimeout(() => resolve(seen), Math.min(ms, boundMs));
      }),
    cancel: () => {
      clearTimeout(timer);
      stop();
    },
  };
}
