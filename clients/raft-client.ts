/**
 * A client of one raftns group over NATS (wire format: clients/wire.ts).
 *
 *   const client = await RaftClient.connect({ natsUrls: ['nats://127.0.0.1:4222'],
 *     cluster: 'local', region: 'local', group: 'g1' });
 *   const { revision } = await client.put('www', '192.0.2.1');
 *   const entry = await client.get('www');                    // linearizable by default
 *   await client.cas('www', revision, '192.0.2.2');           // a CommandResult: ok or cas-mismatch
 *   await client.close();
 *
 * Routing: writes go to the group's write subject and reads to its read subject, which only
 * the leader's intake listens on. A `not-leader` answer naming the leader sends the next
 * attempt straight to that replica's own subject; "no responders" (no leader at the moment),
 * a timeout, `retry` or a `not-leader` without a hint back off and try the group subject
 * again. `replica` pins a call to one replica: no redirects, and a `not-leader` answer fails
 * the call at once.
 *
 * Retries and exactly-once: every write belongs to the client's session (a random
 * `clientId`, a `seq` per write, and `ackedSeq`, the highest seq below which every write is
 * settled). Every attempt of one write carries the same seq, so a retry of a write that did
 * execute returns its first result instead of executing again (thesis §6.3). Backoff is
 * exponential with full jitter, from `backoffBaseMs` capped at `backoffMaxMs`, and starts
 * again from `backoffBaseMs` after a `not-leader` that names a leader: two live replicas
 * disagree only while leadership moves (a hand-off elects its successor in about one round
 * trip), so the new leader is tried within milliseconds of taking over; each attempt
 * waits at most `requestTimeoutMs`, and the call gives up at its deadline (`deadlineMs`):
 * with `UnknownOutcomeError` if some attempt may have executed, otherwise with
 * `NotLeaderError` or `TimeoutError`. A write given up on is still settled: the next write
 * acknowledges its seq, after which the store refuses any late copy of it, so it executes
 * at most once, ever.
 *
 * Concurrency: calls may overlap. At most `maxPendingWrites` seqs beyond `ackedSeq` are in
 * use at once (the store caches at most 64 unacknowledged results per session); further
 * writes wait for a slot, within their deadline.
 */
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type ClientReply,
  type ClientRequest,
  decodeReply,
  encodeRequest,
  isSyncRequest,
  type ReplicaStatus,
  readRequest,
  resultOfWire,
  writeRequest,
} from '../protocol/client-wire.js';
import type { DnsBatch, DnsBatchResult } from '../protocol/dns/changes.js';
import type { TombstoneCollection } from '../protocol/dns/tombstone-collection.js';
import type { DnsNameView, DnsZoneSummary } from '../protocol/dns/views.js';
import type { DnsImport } from '../protocol/dns/zone-import.js';
import type {
  CommandResult,
  DnsZonePage,
  GroupCommand,
  GroupQuery,
  KvEntryView,
  QueryResult,
} from '../protocol/group/commands.js';
import { isReadModeText, type ReadModeText } from '../protocol/read-mode.js';
import {
  clientSubject,
  clientWriteSubject,
  readSubject,
  syncSubject,
  writeSubject,
} from '../protocol/subjects.js';
import { type Logger, silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { requestUntilReconnect } from '../runtime/nats/request-until-reconnect.js';
import {
  ClientClosedError,
  NotLeaderError,
  ProtocolError,
  RejectedError,
  StaleReadError,
  TimeoutError,
  UnknownOutcomeError,
} from './errors.js';

export const REQUEST_TIMEOUT_MS_DEFAULT = 1_000;
export const DEADLINE_MS_DEFAULT = 10_000;
export const BACKOFF_BASE_MS_DEFAULT = 5;
export const BACKOFF_MAX_MS_DEFAULT = 250;
/** Below the store's 64 cached results per session, with room for writes given up on. */
export const MAX_PENDING_WRITES_DEFAULT = 32;
/**
 * A write attempt is not started with less time left than this (or than the request
 * timeout, if shorter): an answer could not arrive in time, and a timed-out write attempt
 * makes the outcome unknown — the last definite answer is the better report.
 */
export const MIN_WRITE_ATTEMPT_MS = 100;

export interface RaftClientOptions {
  /** NATS servers to connect to; the client owns that connection. Give this or `nc`. */
  readonly natsUrls?: readonly string[];
  readonly natsCredsFile?: string;
  /** A connection to share (benchmarks, tests); the client does not close it. */
  readonly nc?: NatsConnection;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  /** How long one attempt waits for its answer. */
  readonly requestTimeoutMs?: number;
  /** Default deadline of a whole call, retries included. */
  readonly deadlineMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Default read mode: `linearizable` (default), `lease` or `bounded:<ms>`. */
  readonly readMode?: ReadModeText;
  readonly maxPendingWrites?: number;
  readonly log?: Logger;
  /** The connection's name in NATS monitoring, when the client connects itself. */
  readonly name?: string;
}

export interface CallOptions {
  /** This call's deadline in milliseconds from now (default: the client's `deadlineMs`). */
  readonly deadlineMs?: number;
  /** Ask only this replica (its own subject), following no redirects. */
  readonly replica?: string;
}

export interface ReadOptions extends CallOptions {
  readonly mode?: ReadModeText;
}

export interface RangeOptions extends ReadOptions {
  /** Page size (the store caps it, at 1000 by default). */
  readonly limit?: number;
  /** Continue after this key (the last key of the previous page). */
  readonly startAfter?: string;
}

export interface WriteOutcome {
  readonly revision: number;
  readonly previous: KvEntryView | null;
}

export interface RangePage {
  readonly entries: readonly KvEntryView[];
  /** More keys match: ask again with `startAfter` = the last key of this page. */
  readonly more: boolean;
}

export interface RaftClientStats {
  readonly attempts: number;
  readonly redirects: number;
  readonly timeouts: number;
  /** Attempts cut short because the connection reconnected while they waited (retried as timeouts). */
  readonly reconnects: number;
  readonly noResponders: number;
  readonly retries: number;
  readonly sessions: number;
}

type Kind = 'write' | 'read' | 'sync';

/** One session (thesis §6.3): seqs handed out, and which of them are settled. */
class Session {
  readonly id = `c-${randomBytes(12).toString('base64url')}`;
  private nextSeq = 1;
  ackedSeq = 0;
  private readonly settledAbove = new Set<number>();

  /** Seqs in use beyond the acknowledged prefix if one more were handed out. */
  get window(): number {
    return this.nextSeq - this.ackedSeq;
  }

  allocate(): number {
    return this.nextSeq++;
  }

  /** Known, given up on, or refused: either way this client no longer needs its result. */
  settle(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.settledAbove.add(seq);
    while (this.settledAbove.delete(this.ackedSeq + 1)) this.ackedSeq++;
  }
}

/** The store's checks of a write, which a client runs before sending it. */
interface WriteChecks {
  readonly encodeSessionCommand: typeof import('../protocol/group/command-codec.js').encodeSessionCommand;
  readonly validateBatchSyntax: typeof import('../protocol/dns/changes.js').validateBatchSyntax;
}

let writeChecks: Promise<WriteChecks> | undefined;

/**
 * The write checks (the store's command codec and the DNS batch syntax, with the DNS
 * presentation parsers behind them), loaded with a process's first write: a client that only
 * reads (`raftns get`) never loads them.
 */
function loadWriteChecks(): Promise<WriteChecks> {
  writeChecks ??= Promise.all([
    import('../protocol/group/command-codec.js'),
    import('../protocol/dns/changes.js'),
  ]).then(([codec, changes]) => ({
    encodeSessionCommand: codec.encodeSessionCommand,
    validateBatchSyntax: changes.validateBatchSyntax,
  }));
  return writeChecks;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RaftClient {
  private session = new Session();
  private readonly slotWaiters = new Set<() => void>();
  private closed = false;
  private readonly counters = {
    attempts: 0,
    redirects: 0,
    timeouts: 0,
    reconnects: 0,
    noResponders: 0,
    retries: 0,
    sessions: 1,
  };
  private readonly requestTimeoutMs: number;
  private readonly deadlineMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly readMode: ReadModeText;
  private readonly maxPendingWrites: number;
  private readonly writeSubject: string;
  private readonly readSubject: string;
  private readonly syncSubject: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    private readonly options: RaftClientOptions,
  ) {
    this.requestTimeoutMs = positiveInt(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
    );
    this.deadlineMs = positiveInt('deadlineMs', options.deadlineMs ?? DEADLINE_MS_DEFAULT);
    this.backoffBaseMs = positiveInt('backoffBaseMs', options.backoffBaseMs ?? BACKOFF_BASE_MS_DEFAULT);
    this.backoffMaxMs = positiveInt('backoffMaxMs', options.backoffMaxMs ?? BACKOFF_MAX_MS_DEFAULT);
    this.maxPendingWrites = positiveInt(
      'maxPendingWrites',
      options.maxPendingWrites ?? MAX_PENDING_WRITES_DEFAULT,
    );
    const readMode = options.readMode ?? 'linearizable';
    if (!isReadModeText(readMode)) throw new RangeError(`invalid read mode ${String(readMode)}`);
    this.readMode = readMode;
    this.writeSubject = writeSubject(options.cluster, options.region, options.group);
    this.readSubject = readSubject(options.cluster, options.region, options.group);
    this.syncSubject = syncSubject(options.cluster, options.region, options.group);
  }

  /** Connects (or adopts `nc`). Rejects if no NATS server answers (see runtime/nats/nats-connection.ts). */
  static async connect(options: RaftClientOptions): Promise<RaftClient> {
    if (options.nc !== undefined) return new RaftClient(options.nc, false, options);
    if (options.natsUrls === undefined || options.natsUrls.length === 0) {
      throw new RangeError('RaftClient.connect: give natsUrls or nc');
    }
    const nc = await connectNats({
      urls: options.natsUrls,
      ...(options.natsCredsFile === undefined ? {} : { credsFile: options.natsCredsFile }),
      name: options.name ?? 'raftns-client',
      log: options.log ?? silentLogger,
    });
    try {
      return new RaftClient(nc, true, options);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** The session id writes currently carry (it changes if the store expired the session). */
  get clientId(): string {
    return this.session.id;
  }

  stats(): RaftClientStats {
    return { ...this.counters };
  }

  /** Sets `key` to `value`. */
  async put(key: string, value: string, options?: CallOptions): Promise<WriteOutcome> {
    return expectOk(await this.write({ kind: 'kv-put', key, value }, options));
  }

  /** Removes `key`; succeeds whether or not it existed (`previous` says). */
  async delete(key: string, options?: CallOptions): Promise<WriteOutcome> {
    return expectOk(await this.write({ kind: 'kv-delete', key }, options));
  }

  /**
   * Sets `key` to `value` if its revision is `expectedRevision` (0: if it does not exist).
   * A mismatch is a result, not an error: `{ ok: false, error: 'cas-mismatch', current }`.
   */
  cas(key: string, expectedRevision: number, value: string, options?: CallOptions): Promise<CommandResult> {
    return this.write({ kind: 'kv-cas', key, expectedRevision, value }, options);
  }

  /** The entry at `key`, or null. */
  async get(key: string, options?: ReadOptions): Promise<KvEntryView | null> {
    const result = await this.read({ op: 'get', key }, options);
    if (result.op !== 'get') throw new ProtocolError(`a get was answered with a ${result.op}`);
    return result.entry;
  }

  /** One page of the keys starting with `prefix`, in key order. */
  async range(prefix: string, options: RangeOptions = {}): Promise<RangePage> {
    const query: GroupQuery = {
      op: 'range',
      prefix,
      limit: options.limit ?? 1000,
      ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
    };
    const result = await this.read(query, options);
    if (result.op !== 'range') throw new ProtocolError(`a range was answered with a ${result.op}`);
    return { entries: result.entries, more: result.more };
  }

  /**
   * Applies a DNS batch (actors/dns/store/changes.ts) exactly once. The store's verdict is
   * the result: `{ ok: true, serials, outcomes }` when it committed, `{ ok: false, error }`
   * when it was refused (nothing applied): a batch that fails `validateBatchSyntax` is
   * refused here without a round trip. Transport failures throw as for any write.
   */
  async dnsBatch(batch: DnsBatch, options?: CallOptions): Promise<DnsBatchResult> {
    const { validateBatchSyntax } = await loadWriteChecks();
    const syntax = validateBatchSyntax(batch);
    if (!syntax.ok) return { ok: false, error: syntax.error };
    const result = await this.write({ kind: 'dns-batch', batch }, options);
    if (result.kind !== 'dns-batch')
      throw new ProtocolError(`a DNS batch was answered with a ${result.kind} result`);
    return result.dns;
  }

  /**
   * Drops tombstones that every region holds or needs no longer (anti-entropy's collection,
   * protocol/dns/tombstone-collection.ts); the outcomes say which were dropped.
   */
  async collectTombstones(collection: TombstoneCollection, options?: CallOptions): Promise<DnsBatchResult> {
    const result = await this.write({ kind: 'dns-collect-tombstones', collection }, options);
    if (result.kind !== 'dns-batch')
      throw new ProtocolError(`a tombstone collection was answered with a ${result.kind} result`);
    return result.dns;
  }

  /** Every zone of the store with its serial and RRset count, in apex order. */
  async dnsZones(mode?: ReadModeText, options: CallOptions = {}): Promise<readonly DnsZoneSummary[]> {
    const result = await this.read({ op: 'dns-zones' }, mode === undefined ? options : { ...options, mode });
    if (result.op !== 'dns-zones') throw new ProtocolError(`a dns-zones was answered with a ${result.op}`);
    return result.zones;
  }

  /** The RRsets (with versions and tombstones) at `name` in `zone`; null if there is no such zone. */
  async dnsRrsets(
    zone: string,
    name: string,
    mode?: ReadModeText,
    options: CallOptions = {},
  ): Promise<DnsNameView | null> {
    const result = await this.read(
      { op: 'dns-rrsets', zone, name },
      mode === undefined ? options : { ...options, mode },
    );
    if (result.op !== 'dns-rrsets') throw new ProtocolError(`a dns-rrsets was answered with a ${result.op}`);
    return result.view;
  }

  /**
   * Commits a zone import whose chunks this or another client staged with `put`
   * (protocol/dns/zone-import.ts): the zone's content becomes the staged RRsets, in one
   * entry, or nothing changes. The store's verdict is the result, as for `dnsBatch`.
   */
  async dnsImport(request: DnsImport, options?: CallOptions): Promise<DnsBatchResult> {
    const result = await this.write({ kind: 'dns-import', import: request }, options);
    if (result.kind !== 'dns-batch')
      throw new ProtocolError(`a DNS import was answered with a ${result.kind} result`);
    return result.dns;
  }

  /**
   * RRsets `offset ..` of `zone` (at most `limit`, fewer if the reply must be cut); null: no
   * such zone. With `changedIndex` (a first page's), from that state while the replica still
   * holds it: the page's own `changedIndex` says which state it shows.
   */
  async dnsZonePage(
    zone: string,
    offset: number,
    limit: number,
    options: ReadOptions & { readonly changedIndex?: number } = {},
  ): Promise<DnsZonePage | null> {
    const { changedIndex, ...readOptions } = options;
    const result = await this.read(
      { op: 'dns-zone-page', zone, offset, limit, ...(changedIndex === undefined ? {} : { changedIndex }) },
      readOptions,
    );
    if (result.op !== 'dns-zone-page')
      throw new ProtocolError(`a dns-zone-page was answered with a ${result.op}`);
    return result.page;
  }

  /** Any write, exactly once; see the header for retries and errors. */
  async write(command: GroupCommand, options: CallOptions = {}): Promise<CommandResult> {
    this.assertOpen();
    const { encodeSessionCommand } = await loadWriteChecks();
    const startedMs = now();
    const deadlineMs = options.deadlineMs ?? this.deadlineMs;
    const deadline = startedMs + deadlineMs;
    // Refuse what the store would refuse, before it takes a seq.
    const valid = encodeSessionCommand({ clientId: this.session.id, seq: 1, ackedSeq: 0, command });
    if (!valid.ok) throw new RejectedError('invalid', valid.error.message);

    let { session, seq } = await this.acquireSeq(deadline, deadlineMs);
    let maybeExecuted = false;
    let lastFailure = 'none';
    let lastHint: string | null = null;
    let lastWasNotLeader = false;
    let target: string | undefined = options.replica;
    let redirected = false;
    let attempts = 0;
    /** Backoffs since the last `not-leader` naming a leader: the exponent of the next one. */
    let backoffs = 0;
    try {
      for (;;) {
        const remainingMs = Math.floor(deadline - now());
        if (
          remainingMs < 1 ||
          (attempts > 0 && remainingMs < Math.min(this.requestTimeoutMs, MIN_WRITE_ATTEMPT_MS))
        )
          break;
        const request = writeRequest(command, { sid: session.id, seq, ack: session.ackedSeq });
        const answer = await this.attempt('write', target, request, remainingMs);
        attempts++;
        lastWasNotLeader = false;
        let backoff = true;
        if (answer.kind === 'failed') {
          lastFailure = answer.reason;
          if (answer.reason === 'closed') {
            throw new ClientClosedError(
              maybeExecuted ? { cause: new UnknownOutcomeError(attempts, lastFailure) } : undefined,
            );
          }
          if (answer.reason === 'timeout') maybeExecuted = true;
          if (options.replica === undefined) target = undefined;
        } else {
          const reply = answer.reply;
          switch (reply.st) {
            case 'applied':
              return resultOfWire(reply.res);
            case 'not-leader': {
              lastFailure = 'not-leader';
              lastWasNotLeader = true;
              lastHint = reply.leader;
              if (options.replica !== undefined) {
                if (maybeExecuted) throw new UnknownOutcomeError(attempts, lastFailure);
                throw new NotLeaderError(reply.leader, attempts);
              }
              const next = this.redirect(target, reply.leader, redirected);
              redirected = next !== undefined && next !== target;
              backoff = !redirected;
              target = next;
              break;
            }
            case 'retry':
              lastFailure = `retry: ${reply.why}`;
              // Overloaded means not proposed; the others may have executed.
              if (reply.why !== 'overloaded') maybeExecuted = true;
              break;
            case 'rejected':
              if (reply.why === 'too-many-pending') {
                lastFailure = 'too-many-pending';
                break;
              }
              if (reply.why === 'session-expired') {
                // The store forgot the session: an earlier attempt may have executed in it.
                if (maybeExecuted) throw new UnknownOutcomeError(attempts, 'session-expired');
                this.renewSession(session);
                session.settle(seq);
                ({ session, seq } = await this.acquireSeq(deadline, deadlineMs));
                backoff = false;
                break;
              }
              if (reply.why === 'stale-sequence') {
                // Its result was acknowledged and dropped: it executed, or never will.
                throw new UnknownOutcomeError(attempts, 'stale-sequence');
              }
              throw new RejectedError('invalid', reply.detail);
            case 'error':
              if (reply.code === 'internal') {
                lastFailure = 'internal';
                maybeExecuted = true;
                break;
              }
              throw new RejectedError(reply.code, reply.detail);
            default:
              throw new ProtocolError(`a write was answered with ${reply.st}`);
          }
        }
        if (backoff) {
          this.counters.retries++;
          if (lastWasNotLeader && lastHint !== null) backoffs = 0;
          await this.backoff(++backoffs, deadline);
        }
        this.assertOpen();
      }
      if (maybeExecuted) throw new UnknownOutcomeError(attempts, lastFailure);
      if (lastWasNotLeader) throw new NotLeaderError(lastHint, attempts);
      throw new TimeoutError(deadlineMs, attempts, lastFailure);
    } finally {
      session.settle(seq);
      this.wakeSlotWaiters();
    }
  }

  /** Any read; see the header for routing and errors. */
  async read(query: GroupQuery, options: ReadOptions = {}): Promise<QueryResult> {
    this.assertOpen();
    const mode = options.mode ?? this.readMode;
    if (!isReadModeText(mode)) throw new RangeError(`invalid read mode ${String(mode)}`);
    const request = readRequest(query, mode);
    const reply = await this.call('read', request, options, (r) => (r.st === 'ok' ? r.res : undefined));
    return reply;
  }

  /**
   * An anti-entropy read (`dns-digest-roots`, `dns-digest-nodes`, `dns-sync-owners`) of the
   * group's leader, on the group's `…sync` subject (only replicas may use it).
   */
  async syncRead(query: GroupQuery, options: ReadOptions = {}): Promise<QueryResult> {
    this.assertOpen();
    const mode = options.mode ?? this.readMode;
    if (!isReadModeText(mode)) throw new RangeError(`invalid read mode ${String(mode)}`);
    const request = readRequest(query, mode);
    if (!isSyncRequest(request)) throw new RangeError(`a ${query.op} is not an anti-entropy read`);
    return this.call('sync', request, { ...options, replica: undefined }, (r) =>
      r.st === 'ok' ? r.res : undefined,
    );
  }

  /** A replica's status (`replica`), or the leader's. */
  status(replica?: string, options: CallOptions = {}): Promise<ReplicaStatus> {
    this.assertOpen();
    return this.call(
      'read',
      { v: 1, op: 'status' },
      replica === undefined ? options : { ...options, replica },
      (r) => (r.st === 'status' ? r.status : undefined),
    );
  }

  /** Fails calls waiting for a session slot; closes the connection if the client opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeSlotWaiters();
    if (this.ownsConnection) await this.nc.close();
  }

  // ------------------------------------------------------------------ internals

  /** A call that has no effect (reads, status): retried until it succeeds or its deadline. */
  private async call<T>(
    kind: Kind,
    request: ClientRequest,
    options: CallOptions,
    accept: (reply: ClientReply) => T | undefined,
  ): Promise<T> {
    const deadlineMs = options.deadlineMs ?? this.deadlineMs;
    const deadline = now() + deadlineMs;
    let target: string | undefined = options.replica;
    let redirected = false;
    let lastFailure = 'none';
    let lastHint: string | null = null;
    let lastWasNotLeader = false;
    let attempts = 0;
    /** Backoffs since the last `not-leader` naming a leader: the exponent of the next one. */
    let backoffs = 0;
    for (;;) {
      const remainingMs = Math.floor(deadline - now());
      if (remainingMs < 1) break;
      const answer = await this.attempt(kind, target, request, remainingMs);
      attempts++;
      lastWasNotLeader = false;
      let backoff = true;
      if (answer.kind === 'failed') {
        lastFailure = answer.reason;
        if (answer.reason === 'closed') throw new ClientClosedError();
        if (options.replica === undefined) target = undefined;
      } else {
        const reply = answer.reply;
        const accepted = accept(reply);
        if (accepted !== undefined) return accepted;
        switch (reply.st) {
          case 'not-leader': {
            lastFailure = 'not-leader';
            lastWasNotLeader = true;
            lastHint = reply.leader;
            if (options.replica !== undefined) throw new NotLeaderError(reply.leader, attempts);
            // The sync subject has no per-replica form: anti-entropy waits for the new leader there.
            const next: string | undefined =
              kind === 'sync' ? undefined : this.redirect(target, reply.leader, redirected);
            redirected = next !== undefined && next !== target;
            backoff = !redirected;
            target = next;
            break;
          }
          case 'stale':
            if (options.replica !== undefined) throw new StaleReadError(options.replica);
            lastFailure = 'stale';
            target = undefined; // the leader is never stale
            break;
          case 'retry':
            lastFailure = `retry: ${reply.why}`;
            break;
          case 'error':
            if (reply.code === 'internal') {
              lastFailure = 'internal';
              break;
            }
            throw new RejectedError(reply.code, reply.detail);
          default:
            throw new ProtocolError(`a ${request.op} was answered with ${reply.st}`);
        }
      }
      if (backoff) {
        this.counters.retries++;
        if (lastWasNotLeader && lastHint !== null) backoffs = 0;
        await this.backoff(++backoffs, deadline);
      }
      this.assertOpen();
    }
    if (lastWasNotLeader) throw new NotLeaderError(lastHint, attempts);
    throw new TimeoutError(deadlineMs, attempts, lastFailure);
  }

  /** One request; expected failures are values. */
  private async attempt(
    kind: Kind,
    target: string | undefined,
    request: ClientRequest,
    remainingMs: number,
  ): Promise<
    | { readonly kind: 'reply'; readonly reply: ClientReply }
    | { readonly kind: 'failed'; readonly reason: 'timeout' | 'no-responders' | 'closed' }
  > {
    const { cluster, region, group } = this.options;
    const subject =
      target !== undefined
        ? kind === 'write'
          ? clientWriteSubject(cluster, region, group, target)
          : clientSubject(cluster, region, group, target)
        : kind === 'write'
          ? this.writeSubject
          : kind === 'sync'
            ? this.syncSubject
            : this.readSubject;
    this.counters.attempts++;
    if (this.nc.isClosed()) return { kind: 'failed', reason: 'closed' };
    // A reconnect ends the wait at once: what was in flight through the lost server is gone.
    const outcome = await requestUntilReconnect(
      this.nc,
      subject,
      encodeRequest(request),
      Math.min(this.requestTimeoutMs, remainingMs),
    );
    if (!outcome.ok) {
      if (outcome.reason === 'reconnected') {
        // It may have reached the replica: as unknown as a timeout.
        this.counters.reconnects++;
        return { kind: 'failed', reason: 'timeout' };
      }
      if (outcome.reason === 'timeout') this.counters.timeouts++;
      else if (outcome.reason === 'no-responders') this.counters.noResponders++;
      return { kind: 'failed', reason: outcome.reason };
    }
    const decoded = decodeReply(outcome.data);
    if (!decoded.ok) throw new ProtocolError(decoded.detail);
    return { kind: 'reply', reply: decoded.reply };
  }

  /**
   * Where to go after a `not-leader`: the named leader at once, unless that is where we just
   * were or the previous attempt was already such a redirect (two replicas naming each
   * other); otherwise the group subject after a backoff.
   */
  private redirect(
    current: string | undefined,
    hint: string | null,
    redirected: boolean,
  ): string | undefined {
    if (hint === null || hint === current || redirected) return undefined;
    this.counters.redirects++;
    return hint;
  }

  private async backoff(attempt: number, deadline: number): Promise<void> {
    const ceilingMs = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(attempt - 1, 20));
    const delayMs = Math.min(Math.random() * ceilingMs, Math.max(0, deadline - now()));
    if (delayMs >= 1) await sleep(delayMs);
  }

  /** A seq of the current session, waiting (within the deadline) while the session's window is full. */
  private async acquireSeq(deadline: number, deadlineMs: number): Promise<{ session: Session; seq: number }> {
    for (;;) {
      this.assertOpen();
      const session = this.session;
      if (session.window <= this.maxPendingWrites) return { session, seq: session.allocate() };
      const remainingMs = deadline - now();
      if (remainingMs <= 0) throw new TimeoutError(deadlineMs, 0, 'session window full');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remainingMs);
        const waiters = this.slotWaiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  private wakeSlotWaiters(): void {
    for (const wake of [...this.slotWaiters]) wake();
  }

  private renewSession(expired: Session): void {
    if (this.session !== expired) return;
    this.session = new Session();
    this.counters.sessions++;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }
}

function expectOk(result: CommandResult): WriteOutcome {
  if (result.kind !== 'kv-written')
    throw new ProtocolError(`a put or delete was answered with a ${result.kind} result`);
  return { revision: result.revision, previous: result.previous };
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
