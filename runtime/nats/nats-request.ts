/**
 * A NATS request with an explicit deadline whose expected failures are values, not
 * exceptions (DESIGN §5: every NATS request has an explicit timeout).
 *
 * How nats.js v3 reports each outcome, and what it maps to:
 * - no reply within the deadline: `TimeoutError`, thrown as is            -> 'timeout'
 * - nobody subscribes to the subject: `RequestError` whose `cause` is a
 *   `NoRespondersError` (`isNoResponders()`)                              -> 'no-responders'
 * - the connection is closed or draining when the request starts:
 *   `ClosedConnectionError` / `DrainingConnectionError`                   -> 'closed'
 * - the connection closes while the request waits: `RequestError`
 *   ("connection closed", caused by another such RequestError), raised
 *   before the connection reports `isClosed()`                             -> 'closed'
 * - a request made while the client is reconnecting is buffered and sent on
 *   reconnect; if that takes longer than the deadline                     -> 'timeout'
 *
 * Anything else is a programming or configuration error and is rethrown: an invalid
 * subject, a payload above the server's max_payload (InvalidArgumentError), a permissions
 * violation (RequestError caused by PermissionViolationError).
 */

import type { NatsConnection } from '@nats-io/transport-node';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} from './nats-transport.js';

export type RequestFailure = 'timeout' | 'no-responders' | 'closed';

export type RequestOutcome =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly reason: RequestFailure };

/** The message of the RequestError nats.js fails pending requests with when the connection closes. */
const CONNECTION_CLOSED = 'connection closed';

/** Largest timeout accepted: a timer beyond 2^31 - 1 ms fires at once in Node. */
export const REQUEST_TIMEOUT_MS_MAX = 2 ** 31 - 1;

/**
 * Sends `bytes` to `subject` and waits at most `timeoutMs` for the first reply.
 * `timeoutMs` must be an integer from 1 to REQUEST_TIMEOUT_MS_MAX (RangeError otherwise:
 * nats.js would silently turn 0 into its 1-second default). The reply's `data` is a view
 * of the received message; copy what must be kept.
 */
export async function requestWithTimeout(
  nc: NatsConnection,
  subject: string,
  bytes: Uint8Array,
  timeoutMs: number,
): Promise<RequestOutcome> {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > REQUEST_TIMEOUT_MS_MAX) {
    throw new RangeError(
      `timeoutMs must be an integer from 1 to ${REQUEST_TIMEOUT_MS_MAX}, got ${timeoutMs}`,
    );
  }
  try {
    const reply = await nc.request(subject, bytes, { timeout: timeoutMs, noMux: false });
    return { ok: true, data: reply.data };
  } catch (error) {
    const reason = failureReason(nc, error);
    if (reason === undefined) throw error;
    return { ok: false, reason };
  }
}

/** The expected failure `error` stands for, or undefined for anything else. */
export function failureReason(nc: NatsConnection, error: unknown): RequestFailure | undefined {
  if (error instanceof TimeoutError) return 'timeout';
  if (error instanceof NoRespondersError) return 'no-responders';
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return 'closed';
  if (error instanceof RequestError) {
    if (error.isNoResponders()) return 'no-responders';
    const cause = error.cause;
    if (cause instanceof ClosedConnectionError || cause instanceof DrainingConnectionError) return 'closed';
    if (cause instanceof PermissionViolationError) return undefined;
    // On close, nats.js fails pending requests with RequestError("connection closed")
    // (wrapping another), before `isClosed()` turns true: match both.
    if (error.message === CONNECTION_CLOSED || nc.isClosed() || nc.isDraining()) return 'closed';
  }
  return undefined;
}
