/**
 * The status page's routes on an HTTP listener (a replica's `--http`, or `raftns dashboard`):
 *
 *   GET /             the page (status-page-html.ts)
 *   GET /events       server-sent events: one `data:` line of JSON StatusSnapshot per gathering
 *   GET /status.json  one snapshot
 *
 * Read-only and without credentials, like `/metrics`: a snapshot holds names, roles and
 * counters only (status-snapshot.ts), never a key or TSIG material. Outside `/api`, so the
 * API's key check does not apply.
 *
 * Limits: at most the feed's `subscribersMax` streams (a further one gets 503 with
 * Retry-After); a viewer whose socket is not draining skips snapshots instead of buffering
 * them; streams end when the listener closes.
 */
import type { ServerResponse } from 'node:http';
import { type HttpListener, jsonReply } from '../http/http-listener.js';
import type { StatusFeed } from './status-feed.js';
import { STATUS_PAGE_HTML } from './status-page-html.js';

/** How soon a browser reconnects a dropped stream (the SSE `retry:` field). */
const RECONNECT_MS = 1_000;
const FULL_RETRY_AFTER_S = 5;

/** Adds `/`, `/events` and `/status.json` to `listener` (before it listens). */
export function registerStatusPage(listener: HttpListener, feed: StatusFeed): void {
  const streams = new Set<ServerResponse>();
  listener.route('GET', '/', async () => ({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: STATUS_PAGE_HTML,
  }));
  listener.route('GET', '/status.json', async () => jsonReply(200, await feed.current()));
  listener.app.get('/events', (_request, reply) => {
    if (feed.full)
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .header('retry-after', String(FULL_RETRY_AFTER_S))
        .send({ error: `at most ${feed.subscribersMax} live status streams at once` });
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    raw.write(`retry: ${RECONNECT_MS}\n\n`);
    streams.add(raw);
    const unsubscribe = feed.subscribe((snapshot) => {
      if (!raw.writableNeedDrain) raw.write(`data: ${JSON.stringify(snapshot)}\n\n`);
    });
    const end = () => {
      unsubscribe?.();
      streams.delete(raw);
    };
    raw.once('close', end);
    if (unsubscribe === undefined) raw.end();
    return reply;
  });
  listener.app.addHook('preClose', async () => {
    feed.stop();
    for (const stream of streams) stream.end();
  });
}
