/**
 * `PeerTransport` over NATS: one channel of one replica of one group (DESIGN §5).
 *
 * Each replica's channel subscribes to its own subject,
 * `raftns.<cluster>.<region>.<group>.raft.<replica>.<channel>` (see `subjects.ts`), and a
 * frame for a peer is published to the peer's subject. Subjects are scoped by cluster,
 * region and group, so transports of other groups or regions never see these frames even
 * when replica ids repeat.
 *
 * Envelope: the receiver must learn the sender, and NATS does not say who published. The
 * sender's id travels as a prefix of the payload:
 *
 *   byte 0        ENVELOPE_VERSION (1)
 *   byte 1        n = UTF-8 length of the sender's id (1..255)
 *   bytes 2..n+1  the sender's id
 *   the rest      the frame, opaque to the transport
 *
 * A prefix costs 2 + n bytes and one copy of the frame on send; a NATS header
 * (`NATS/1.0\r\nRaftns-From: r1\r\n\r\n`) would cost ~30 bytes and a header parse (string
 * splitting and a map) on every receive, so the prefix is the cheaper of the two. The
 * sender id is not authenticated by the transport: NATS permissions keep everyone but the
 * cluster's replicas off these subjects (bootstrap/nats-roles.ts), and the transport and
 * the election actor drop frames from senders outside the group's configurations.
 *
 * Limits and what is counted (`stats()`):
 * - `send` refuses (returns false) when the transport or the connection is closed, the
 *   peer is unknown, the frame is larger than `frameBytesMax` or the server's
 *   `max_payload` minus the envelope, or the connection is down. Frames are not buffered
 *   while disconnected (nats.js would buffer them without bound and flush stale traffic on
 *   reconnect); Raft retransmits anyway.
 * - Frames are delivered synchronously from the client's socket reader to the handler,
 *   which the actor host feeds into the actor's bounded mailbox: no queue builds up here.
 *   nats.js has no client-side pending limit that drops (its `slow` option only notifies,
 *   and only for iterators), so the one queue the transport owns is bounded explicitly:
 *   frames that arrive before `onFrame` registers a handler, at most `pendingFramesMax`
 *   frames and `pendingBytesMax` bytes; the excess is dropped and counted.
 * - Received frames are dropped and counted when malformed, from a sender that is not a
 *   known peer, when the handler throws (an exception must not reach nats.js: it would end
 *   the connection's reader), and after close.
 */

import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { PEER_FRAME_BYTES_MAX } from '../../protocol/limits.js';
import { checkSubjectToken, peerSubject } from '../../protocol/subjects.js';
import type { Logger } from '../log.js';
import type { PeerTransport } from '../transport.js';
import { type ConnectionTracker, trackConnection } from './nats-connection.js';

export const ENVELOPE_VERSION = 1;
export const PENDING_FRAMES_MAX_DEFAULT = 1024;
export const PENDING_BYTES_MAX_DEFAULT = 8 * 1024 * 1024;
/** How long `open` waits for the server to confirm the subscription. */
export const SUBSCRIBE_CONFIRM_TIMEOUT_MS_DEFAULT = 5_000;
const SENDER_ID_BYTES_MAX = 255;

export type SendRefusal = 'closed' | 'unknown-peer' | 'too-large' | 'disconnected' | 'publish-failed';
export type ReceiveDrop = 'malformed' | 'unknown-sender' | 'pending-overflow' | 'handler-error' | 'closed';

export interface NatsPeerTransportStats {
  readonly sent: number;
  readonly sentBytes: number;
  /** Frames handed to the handler. */
  readonly received: number;
  readonly receivedBytes: number;
  readonly refused: Readonly<Record<SendRefusal, number>>;
  readonly dropped: Readonly<Record<ReceiveDrop, number>>;
}

export interface NatsPeerTransportOptions {
  /** The process's connection; shared, not owned: `close` leaves it open. */
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  /** This replica's id. */
  readonly self: string;
  /** The channel, e.g. `raft`. */
  readonly channel: string;
  /** The group's other replicas; `self` is ignored if listed. See `setPeers`. */
  readonly peers: readonly string[];
  readonly log: Logger;
  /** Largest frame `send` accepts (the server's max_payload may lower it). */
  readonly frameBytesMax?: number;
  /** Bounds on frames held while no handler is registered. */
  readonly pendingFramesMax?: number;
  readonly pendingBytesMax?: number;
  /** For `open`: how long to wait for the server to confirm the subscription. */
  readonly subscribeConfirmTimeoutMs?: number;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class NatsPeerTransport implements PeerTransport {
  readonly self: string;
  /** The subject this channel listens on. */
  readonly subject: string;

  private readonly nc: NatsConnection;
  private readonly tracker: ConnectionTracker;
  private readonly log: Logger;
  private readonly cluster: string;
  private readonly region: string;
  private readonly group: string;
  private readonly channel: string;
  private readonly frameBytesMax: number;
  private readonly pendingFramesMax: number;
  private readonly pendingBytesMax: number;
  /** The envelope prefix of every frame this replica sends. */
  private readonly prefix: Uint8Array;
  private readonly subscription: Subscription;
  /** Peer id to its subject. */
  private peerSubjects = new Map<string, string>();
  private handler: ((from: string, bytes: Uint8Array) => void) | undefined;
  private stopReconnectHandler: (() => void) | undefined;
  private pending: Array<{ readonly from: string; readonly bytes: Uint8Array }> = [];
  private pendingBytes = 0;
  private closed = false;
  private readonly counters = {
    sent: 0,
    sentBytes: 0,
    received: 0,
    receivedBytes: 0,
    refused: { closed: 0, 'unknown-peer': 0, 'too-large': 0, disconnected: 0, 'publish-failed': 0 },
    dropped: { malformed: 0, 'unknown-sender': 0, 'pending-overflow': 0, 'handler-error': 0, closed: 0 },
  };

  /**
   * Subscribes at once; the server learns of the subscription asynchronously. Prefer
   * `open`, which also waits for the server to confirm it. Throws InvalidSubjectTokenError
   * for a name that is not a subject token, and nats.js's ClosedConnectionError when `nc`
   * is closed.
   */
  constructor(options: NatsPeerTransportOptions) {
    this.nc = options.nc;
    this.self = options.self;
    this.cluster = options.cluster;
    this.region = options.region;
    this.group = options.group;
    this.channel = options.channel;
    this.subject = peerSubject(this.cluster, this.region, this.group, this.self, this.channel);
    this.frameBytesMax = positiveInt('frameBytesMax', options.frameBytesMax ?? PEER_FRAME_BYTES_MAX);
    this.pendingFramesMax = positiveInt(
      'pendingFramesMax',
      options.pendingFramesMax ?? PENDING_FRAMES_MAX_DEFAULT,
    );
    this.pendingBytesMax = positiveInt(
      'pendingBytesMax',
      options.pendingBytesMax ?? PENDING_BYTES_MAX_DEFAULT,
    );
    this.log = options.log.child({
      component: 'nats-peer-transport',
      replica: this.self,
      channel: this.channel,
      group: this.group,
    });
    const id = utf8Encoder.encode(this.self);
    if (id.byteLength > SENDER_ID_BYTES_MAX) {
      throw new RangeError(
        `replica id ${JSON.stringify(this.self)} is longer than ${SENDER_ID_BYTES_MAX} bytes`,
      );
    }
    this.prefix = new Uint8Array(2 + id.byteLength);
    this.prefix[0] = ENVELOPE_VERSION;
    this.prefix[1] = id.byteLength;
    this.prefix.set(id, 2);
    this.setPeers(options.peers);
    this.tracker = trackConnection(this.nc);
    this.subscription = this.nc.subscribe(this.subject, {
      callback: (error, msg) => {
        if (error !== null) {
          this.log.error({ subject: this.subject, err: String(error) }, 'peer subscription failed');
          return;
        }
        this.receive(msg.data);
      },
    });
  }

  /** Creates the transport and waits (bounded) until the server has its subscription. */
  static async open(options: NatsPeerTransportOptions): Promise<NatsPeerTransport> {
    const transport = new NatsPeerTransport(options);
    const timeoutMs = options.subscribeConfirmTimeoutMs ?? SUBSCRIBE_CONFIRM_TIMEOUT_MS_DEFAULT;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([options.nc.flush().then(() => 'flushed' as const), timedOut]);
      if (outcome === 'timeout') {
        // Disconnected: nats.js sends the subscription when it reconnects.
        transport.log.warn(
          { subject: transport.subject, timeoutMs },
          'subscription not yet confirmed by NATS',
        );
      }
    } catch (error) {
      await transport.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return transport;
  }

  /**
   * Replaces the set of peers frames may be sent to and accepted from (`self` is ignored).
   * Throws InvalidSubjectTokenError, changing nothing, if an id is not a subject token.
   */
  setPeers(ids: readonly string[]): void {
    const subjects = new Map<string, string>();
    for (const id of ids) {
      checkSubjectToken('replica', id);
      if (id === this.self) continue;
      subjects.set(id, peerSubject(this.cluster, this.region, this.group, id, this.channel));
    }
    this.peerSubjects = subjects;
  }

  /** The current peers, without `self`. */
  peers(): string[] {
    return [...this.peerSubjects.keys()];
  }

  /**
   * Publishes `bytes` to `peer`, fire-and-forget. False when refused locally: transport or
   * connection closed, unknown peer, frame too large, or connection down (see the header).
   * `bytes` is copied; the caller may reuse it.
   */
  send(peer: string, bytes: Uint8Array): boolean {
    const refused = this.counters.refused;
    if (this.closed || this.nc.isClosed()) {
      refused.closed++;
      return false;
    }
    const subject = this.peerSubjects.get(peer);
    if (subject === undefined) {
      refused['unknown-peer']++;
      return false;
    }
    if (bytes.byteLength > this.frameBytesLimit()) {
      refused['too-large']++;
      return false;
    }
    if (!this.tracker.connected) {
      refused.disconnected++;
      return false;
    }
    const frame = new Uint8Array(this.prefix.byteLength + bytes.byteLength);
    frame.set(this.prefix, 0);
    frame.set(bytes, this.prefix.byteLength);
    try {
      this.nc.publish(subject, frame);
    } catch (error) {
      // Closed or draining between the checks above and here, or max_payload changed.
      if (this.nc.isClosed() || this.nc.isDraining()) refused.closed++;
      else refused['publish-failed']++;
      this.log.debug({ peer, err: String(error) }, 'publish refused');
      return false;
    }
    this.counters.sent++;
    this.counters.sentBytes += bytes.byteLength;
    return true;
  }

  /** Largest frame `send` accepts now: `frameBytesMax`, lowered by the server's max_payload. */
  frameBytesLimit(): number {
    const maxPayload = this.nc.info?.max_payload;
    return maxPayload === undefined
      ? this.frameBytesMax
      : Math.min(this.frameBytesMax, maxPayload - this.prefix.byteLength);
  }

  /**
   * Registers the handler (replacing any previous one). Frames that arrived before it are
   * delivered in order on a later microtask. `bytes` is a view of the received message;
   * copy what must outlive the call.
   */
  onFrame(handler: (from: string, bytes: Uint8Array) => void): void {
    if (this.closed) return;
    this.handler = handler;
    if (this.pending.length > 0) queueMicrotask(() => this.flushPending());
  }

  /** Calls `handler` at every reconnect of the connection until closed (replacing any previous handler). */
  onReconnect(handler: () => void): void {
    if (this.closed) return;
    this.stopReconnectHandler?.();
    this.stopReconnectHandler = this.tracker.onReconnect(() => {
      if (this.closed) return;
      try {
        handler();
      } catch (error) {
        // The tracker calls its listeners from nats.js's status loop: nothing may escape.
        this.log.error({ err: String(error) }, 'reconnect handler threw');
      }
    });
  }

  /** Stops listening (unsubscribes; there is nothing worth draining). Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.handler = undefined;
    this.stopReconnectHandler?.();
    this.stopReconnectHandler = undefined;
    this.counters.dropped.closed += this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.nc.isClosed()) {
      try {
        this.subscription.unsubscribe();
      } catch (error) {
        this.log.debug({ err: String(error) }, 'unsubscribe failed');
      }
    }
    return Promise.resolve();
  }

  nonPeerFramesDropped(): number {
    return this.counters.dropped['unknown-sender'];
  }

  stats(): NatsPeerTransportStats {
    const c = this.counters;
    return {
      sent: c.sent,
      sentBytes: c.sentBytes,
      received: c.received,
      receivedBytes: c.receivedBytes,
      refused: { ...c.refused },
      dropped: { ...c.dropped },
    };
  }

  private receive(data: Uint8Array): void {
    const dropped = this.counters.dropped;
    if (this.closed) {
      dropped.closed++;
      return;
    }
    const from = parseSender(data);
    if (from === undefined) {
      dropped.malformed++;
      return;
    }
    if (!this.peerSubjects.has(from)) {
      if (dropped['unknown-sender']++ === 0) {
        this.log.warn({ from, subject: this.subject }, 'dropping frames from a sender that is not a peer');
      }
      return;
    }
    const bytes = data.subarray(2 + (data[1] ?? 0));
    if (this.handler === undefined) {
      if (
        this.pending.length >= this.pendingFramesMax ||
        this.pendingBytes + bytes.byteLength > this.pendingBytesMax
      ) {
        dropped['pending-overflow']++;
        return;
      }
      this.pending.push({ from, bytes });
      this.pendingBytes += bytes.byteLength;
      return;
    }
    this.deliver(from, bytes);
  }

  private deliver(from: string, bytes: Uint8Array): void {
    const handler = this.handler;
    if (handler === undefined || this.closed) {
      this.counters.dropped.closed++;
      return;
    }
    try {
      handler(from, bytes);
    } catch (error) {
      this.counters.dropped['handler-error']++;
      this.log.error(
        { from, err: error instanceof Error ? error.stack : String(error) },
        'frame handler threw',
      );
      return;
    }
    this.counters.received++;
    this.counters.receivedBytes += bytes.byteLength;
  }

  private flushPending(): void {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const { from, bytes } of pending) this.deliver(from, bytes);
  }
}

/** The sender id of an envelope, or undefined if the envelope is malformed. */
function parseSender(data: Uint8Array): string | undefined {
  if (data.byteLength < 3 || data[0] !== ENVELOPE_VERSION) return undefined;
  const length = data[1]!;
  if (length === 0 || 2 + length > data.byteLength) return undefined;
  let id = '';
  for (let i = 2; i < 2 + length; i++) {
    const c = data[i]!;
    if (c >= 0x80) {
      try {
        return utf8Decoder.decode(data.subarray(2, 2 + length));
      } catch {
        return undefined;
      }
    }
    id += String.fromCharCode(c);
  }
  return id;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
