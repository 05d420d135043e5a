/**
 * The process's NATS connection, with every option set here rather than left to the
 * library's defaults (nats.js defaults to giving up after 10 reconnect attempts per server
 * and to a 2-minute ping interval, both wrong for Raft).
 *
 * Policy:
 * - The first connect tries each URL once (in random order) with a handshake deadline of
 *   `connectTimeoutMs` and rejects if none answers: a replica that cannot reach NATS at
 *   start-up fails its start, and its supervisor (or systemd) retries with backoff.
 * - Once connected, the client reconnects forever (`maxReconnectAttempts: -1`) and learns
 *   the cluster's other servers from the servers themselves. It waits between dials to the
 *   same server for `reconnectTimeWaitMs` plus a random jitter of up to `reconnectJitterMs`,
 *   so replicas of a restarted server do not reconnect in lockstep; a different server is
 *   dialled at once, and the first dial after losing a server goes to another one
 *   (`skipTheServerJustLost`).
 * - A server that dies without closing the socket (a partition, a frozen host) is detected
 *   by client pings: at most `pingIntervalMs * (maxPingOut + 1)`.
 * - Status changes (disconnect, reconnect, server errors, lame-duck mode, close) are logged
 *   through the injected Logger.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type {
  Authenticator,
  NatsConnection,
  NodeConnectionOptions,
  Server,
  Status,
} from '@nats-io/transport-node';
import type { Logger } from '../log.js';
import { failureReason } from './nats-request.js';
import { connect } from './nats-transport.js';
import { parseCredentials } from './nkey-credentials.js';
import { type NkeySigner, nkeySigner } from './nkey-signer.js';

export interface ConnectNatsOptions {
  /** Client URLs of the NATS cluster (nats:// or tls://), at least one. */
  readonly urls: readonly string[];
  /**
   * NATS credentials file: a user JWT and its nkey seed, or an nkey user's seed alone
   * (nkey-credentials.ts); read now and again on every reconnect.
   */
  readonly credsFile?: string;
  /** The client name servers show in their monitoring pages, e.g. `raftns/<instance>`. */
  readonly name: string;
  readonly log: Logger;
  /** Overrides of the timing constants, for tests; production uses NATS_TIMING. */
  readonly timing?: Partial<NatsTiming>;
}

export interface NatsTiming {
  /** Deadline of one dial (TCP connect and handshake up to the first PONG). */
  readonly connectTimeoutMs: number;
  /** Minimum wait before dialling the same server again. */
  readonly reconnectTimeWaitMs: number;
  /** Upper bound of the random delay added to reconnectTimeWaitMs (plain and TLS alike). */
  readonly reconnectJitterMs: number;
  /** Interval of client pings, which detect a server that went silent. */
  readonly pingIntervalMs: number;
  /** Unanswered pings after which the connection is considered stale and re-dialled. */
  readonly maxPingOut: number;
}

export const NATS_TIMING: NatsTiming = {
  connectTimeoutMs: 5_000,
  reconnectTimeWaitMs: 250,
  reconnectJitterMs: 250,
  pingIntervalMs: 2_000,
  maxPingOut: 2,
};

/** The options `connectNats` passes to the client, every one explicit. */
export function natsConnectionOptions(
  options: Pick<ConnectNatsOptions, 'urls' | 'name' | 'timing'>,
  authenticator?: NodeConnectionOptions['authenticator'],
): NodeConnectionOptions {
  const timing = { ...NATS_TIMING, ...options.timing };
  const connectionOptions: NodeConnectionOptions = {
    servers: [...options.urls],
    name: options.name,
    timeout: timing.connectTimeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: false,
    reconnectTimeWait: timing.reconnectTimeWaitMs,
    reconnectJitter: timing.reconnectJitterMs,
    reconnectJitterTLS: timing.reconnectJitterMs,
    pingInterval: timing.pingIntervalMs,
    maxPingOut: timing.maxPingOut,
    noRandomize: false,
    ignoreClusterUpdates: false,
    noEcho: false,
    verbose: false,
    pedantic: false,
    debug: false,
    ignoreAuthErrorAbort: false,
    reconnectToServer: skipTheServerJustLost,
  };
  if (authenticator !== undefined) connectionOptions.authenticator = authenticator;
  return connectionOptions;
}

/**
 * nats.js's reconnect handler: after a connection is lost, its pool rotation offers the
 * server just lost first (its last dial is old, so no wait applies). That server is most
 * likely still down: dialling it costs a refused connection at best, and when its host is
 * gone (detected by unanswered pings) a whole dial deadline, `connectTimeoutMs`. So while
 * another server has not failed a dial since, that one is dialled instead, at once; the
 * lost server is tried again in the pool's turn.
 *
 * The server just lost is the one connected to most recently: nats.js resets a server's
 * failed-dial count (`reconnects`) when a dial to it succeeds and stamps `lastConnect` at
 * each dial.
 */
export function skipTheServerJustLost(pool: readonly Server[]): Server | null {
  const offered = pool[0];
  if (offered === undefined) return null;
  let lost: Server | undefined;
  for (const server of pool) {
    if (server.didConnect && server.reconnects === 0 && server.lastConnect > (lost?.lastConnect ?? 0))
      lost = server;
  }
  if (lost === undefined || lost.listen !== offered.listen) return null;
  // Another server not dialled since the loss (a failed dial stamps it later than `lost`).
  return (
    pool.find((server) => server.listen !== lost.listen && server.lastConnect <= lost.lastConnect) ?? null
  );
}

/**
 * Connects to NATS with the policy above. Rejects if no server answers within the dial
 * deadline of each URL, or if the credentials file cannot be read.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  if (options.urls.length === 0) throw new RangeError('connectNats: expected at least one NATS URL');
  const log = options.log.child({ component: 'nats', client: options.name });
  const authenticator =
    options.credsFile === undefined ? undefined : await credsFileAuthenticator(options.credsFile, log);
  const nc = await connect(natsConnectionOptions(options, authenticator));
  log.info({ server: nc.getServer(), servers: options.urls }, 'connected to NATS');
  trackConnection(nc, log);
  return nc;
}

/**
 * Reads the credentials file now (so a missing or unreadable file fails the connect with a
 * clear error) and again on every reconnect, so rotated credentials are picked up; if a
 * re-read fails or holds something else, the last good credentials are used. The nonce is
 * signed natively (nkey-signer.ts) with a key derived once per seed: a reconnect costs a
 * small file read and tens of microseconds, never the pure-JavaScript key derivation.
 */
export async function credsFileAuthenticator(path: string, log: Logger): Promise<Authenticator> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read NATS credentials file ${path}: ${String(error)}`, { cause: error });
  }
  const first = credentialsOf(bytes);
  if (first.kind === 'invalid') throw new Error(`NATS credentials file ${path}: ${first.reason}`);
  let good: UsableCredentials = first;
  let signer: NkeySigner;
  try {
    signer = nkeySigner(first.seed);
  } catch (error) {
    throw new Error(`NATS credentials file ${path}: bad nkey seed: ${String(error)}`, { cause: error });
  }
  return (nonce?: string) => {
    const again = reread(path, log);
    const current = again === undefined ? undefined : credentialsOf(again);
    if (current?.kind === 'invalid')
      log.warn(
        { path, reason: current.reason },
        'the NATS credentials file is not usable; using the last good one',
      );
    else if (current !== undefined) {
      try {
        // Key derivation is slow: only for a seed that changed (a rotation).
        if (current.seed !== signer.seed) signer = nkeySigner(current.seed);
        good = current;
      } catch (error) {
        log.warn(
          { path, err: String(error) },
          'the NATS credentials file holds a bad nkey seed; using the last good one',
        );
      }
    }
    const sig = nonce === undefined || nonce === '' ? '' : signer.signNonce(nonce);
    return good.kind === 'jwt'
      ? { jwt: good.jwt, nkey: signer.publicKey, sig }
      : { nkey: signer.publicKey, sig };
  };
}

type UsableCredentials =
  | { readonly kind: 'jwt'; readonly jwt: string; readonly seed: string }
  | { readonly kind: 'nkey'; readonly seed: string };

/** NATS `.creds` armour: a user JWT block, then the seed block (nats.js's credsAuthenticator reads the same). */
const CREDS_BLOCK = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}\n))/gu;

/** The JWT (if any) and seed in `bytes`, or why there are none; the seed is checked by nkeySigner. */
function credentialsOf(
  bytes: Uint8Array,
): UsableCredentials | { readonly kind: 'invalid'; readonly reason: string } {
  const parsed = parseCredentials(bytes);
  if (parsed.kind === 'invalid') return parsed;
  if (parsed.kind === 'nkey') return parsed;
  const blocks = [...new TextDecoder().decode(bytes).matchAll(CREDS_BLOCK)].map((m) => m[1]?.trim() ?? '');
  const [jwt, seed] = blocks;
  if (jwt === undefined || seed === undefined || jwt === '' || seed === '')
    return { kind: 'invalid', reason: 'a JWT credentials file without both a JWT and a seed block' };
  return { kind: 'jwt', jwt, seed };
}

function reread(path: string, log: Logger): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    log.warn(
      { path, err: String(error) },
      'cannot re-read the NATS credentials file; using the last one read',
    );
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Connection state

/** What the connection's status stream last said; shared by everything using the connection. */
export interface ConnectionTracker {
  /** False from a `disconnect` status until the next `reconnect`, and once closed. */
  readonly connected: boolean;
  readonly disconnects: number;
  readonly reconnects: number;
  /** Requests on this connection that failed (JetStream KV calls included), by kind. */
  readonly requestFailures: Readonly<Record<RequestFailureKind, number>>;
  /**
   * Calls `listener` at every `reconnect` status from now on, until the returned function
   * is called. Listeners are held only while registered (one per waiting request).
   */
  onReconnect(listener: () => void): () => void;
}

/** `closed` connections and everything unexpected (permissions, payload size) count as `other`. */
export type RequestFailureKind = 'timeout' | 'no-responders' | 'other';

class Tracker implements ConnectionTracker {
  connected = true;
  disconnects = 0;
  reconnects = 0;
  readonly requestFailures: Record<RequestFailureKind, number> = { timeout: 0, 'no-responders': 0, other: 0 };
  log: Logger | undefined;
  private readonly reconnectListeners = new Set<() => void>();

  onReconnect(listener: () => void): () => void {
    const registered = () => listener();
    this.reconnectListeners.add(registered);
    return () => {
      this.reconnectListeners.delete(registered);
    };
  }

  constructor(readonly nc: NatsConnection) {
    this.countRequestFailures();
    this.watch().catch((error: unknown) => {
      // nats.js ends status iterators without an error on close; this is a safety net.
      this.connected = false;
      this.log?.error({ err: String(error) }, 'NATS status stream failed');
    });
  }

  /**
   * Every request on the connection, whoever makes it (`requestWithTimeout`, the JetStream
   * and KV clients, which call `nc.request` inside), passes through here: wrapping the
   * connection's own method is the one place that sees them all.
   */
  private countRequestFailures(): void {
    const nc = this.nc;
    const request = nc.request.bind(nc);
    nc.request = (subject, payload, options) =>
      request(subject, payload, options).catch((error: unknown) => {
        const reason = failureReason(nc, error);
        this.requestFailures[reason === 'timeout' || reason === 'no-responders' ? reason : 'other']++;
        throw error;
      });
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      this.apply(status);
    }
    this.connected = false;
  }

  private apply(status: Status): void {
    const log = this.log;
    switch (status.type) {
      case 'disconnect':
        this.connected = false;
        this.disconnects++;
        log?.warn({ server: status.server }, 'disconnected from NATS server; reconnecting');
        break;
      case 'reconnect':
        this.connected = true;
        this.reconnects++;
        log?.info({ server: status.server, reconnects: this.reconnects }, 'reconnected to NATS');
        for (const listener of [...this.reconnectListeners]) listener();
        break;
      case 'reconnecting':
        log?.debug({}, 'dialling a NATS server');
        break;
      case 'staleConnection':
        log?.warn({}, 'NATS connection is stale (pings unanswered); re-dialling');
        break;
      case 'forceReconnect':
        log?.info({}, 'NATS reconnect requested');
        break;
      case 'ldm':
        log?.warn({ server: status.server }, 'NATS server entered lame-duck mode; will move to another');
        break;
      case 'error':
        log?.error({ err: String(status.error) }, 'NATS server reported an error');
        break;
      case 'update':
        log?.debug({ added: status.added, deleted: status.deleted }, 'NATS cluster membership changed');
        break;
      case 'slowConsumer':
        log?.warn({ subject: status.sub.getSubject(), pending: status.pending }, 'NATS slow consumer');
        break;
      case 'close':
        this.connected = false;
        log?.info({}, 'NATS connection closed');
        break;
      case 'ping':
        break;
    }
  }
}

const trackers = new WeakMap<NatsConnection, Tracker>();

/**
 * The tracker of `nc`'s status, created on first use (one status listener per connection,
 * however many transports share it). `log`, if given, receives the status changes.
 *
 * Status events reach listeners asynchronously, so `connected` may lag a disconnect by a
 * turn of the event loop.
 */
export function trackConnection(nc: NatsConnection, log?: Logger): ConnectionTracker {
  let tracker = trackers.get(nc);
  if (tracker === undefined) {
    tracker = new Tracker(nc);
    trackers.set(nc, tracker);
  }
  if (log !== undefined) tracker.log = log;
  if (nc.isClosed()) tracker.connected = false;
  return tracker;
}
