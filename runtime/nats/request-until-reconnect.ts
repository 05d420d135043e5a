/**
 * A NATS request that also ends when the connection reconnects while it waits.
 *
 * A reconnect means the connection lost its server: a request or reply that was passing
 * through that server is gone (a server holds undelivered messages in memory only), and
 * without this the caller would learn it only at its timeout. With a NATS cluster, losing
 * one server costs a client the reconnect (milliseconds), not a whole request timeout.
 * The request may still have reached its responder, so the caller must treat
 * `reconnected` like a timeout (the outcome is unknown) and retry only what is safe to
 * retry (raftns writes carry a session seq and execute at most once).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { trackConnection } from './nats-connection.js';
import { type RequestOutcome, requestWithTimeout } from './nats-request.js';

export type RequestUntilReconnectOutcome =
  | RequestOutcome
  | { readonly ok: false; readonly reason: 'reconnected' };

export async function requestUntilReconnect(
  nc: NatsConnection,
  subject: string,
  bytes: Uint8Array,
  timeoutMs: number,
): Promise<RequestUntilReconnectOutcome> {
  let stopWatching = () => {};
  const reconnected = new Promise<RequestUntilReconnectOutcome>((resolve) => {
    stopWatching = trackConnection(nc).onReconnect(() => resolve({ ok: false, reason: 'reconnected' }));
  });
  try {
    // The abandoned request settles by itself at its own timeout; its outcome is dropped.
    return await Promise.race([requestWithTimeout(nc, subject, bytes, timeoutMs), reconnected]);
  } finally {
    stopWatching();
  }
}
