/**
 * Client intake: the edge of a replica (main thread) that serves client requests arriving
 * over NATS (wire format: clients/wire.ts) by asking the state machine actor through the
 * replica's external endpoint.
 *
 * Subjects (protocol/subjects.ts):
 * - every replica listens on its own `clientSubject` (`...<group>.client.<replica>`, reads
 *   and status) and `clientWriteSubject` (`...client.<replica>.write`), so a client can
 *   address one replica: a follower answers a write with `not-leader` and the leader's id
 *   (the state machine says so), serves a linearizable read through the leader's read
 *   index, and a bounded read from its own state;
 * - a write arriving on a read subject (`...read`, `...client.<replica>`) is refused with
 *   `wrong-subject`: NATS permissions grant read-only users those subjects alone
 *   (bootstrap/nats-roles.ts), so the subject a request came on is what it may do;
 * - only the replica that believes it leads listens on the group's shared `writeSubject` and
 *   `readSubject`, so NATS routes those to the leader, and answers "no responders" at once
 *   while no replica leads (the client backs off and retries).
 *
 * Leadership is pushed: the intake follows the log actor's leadership observations
 * (leadership-feed.ts). When one says this replica leads, it subscribes to the shared
 * subjects; when one says it does not, it unsubscribes. A new leader takes them as soon as
 * its log actor leads the term (the observation leaves at the end of that turn), and a
 * deposed one leaves them as soon as its log actor hears of the newer term. A log actor
 * that restarts forgets the feed's subscription until its renewal (LEADERSHIP_RENEW_MS), so
 * a replica whose log actor restarted may keep the shared subjects that long. Neither is a
 * safety problem: a stale leader cannot commit a write (it answers `not-leader` or
 * `retry`), and its reads go through ReadIndex or a lease that it no longer holds. While two replicas listen, NATS delivers a request to both and
 * the client takes the first answer. Plain subscriptions (not a queue group) are used on
 * purpose: with a queue group, a frozen old leader (SIGSTOP, a long GC pause) would still
 * receive its share of the requests and time them out.
 *
 * Limits: a request above REQUEST_BYTES_MAX is refused (`too-large`) without being parsed;
 * at most `maxInFlight` requests are being served at once (beyond that: `retry overloaded`);
 * every ask to an actor has a deadline (`requestTimeoutMs`); a reply never exceeds the
 * server's max_payload (a `range` page is cut short with `more`). A malformed request gets an
 * `error` reply. Nothing thrown while handling a message may reach nats.js: an exception in
 * a subscription callback ends the connection's reader (see nats-peer-transport.ts).
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { DnsActorMessage } from '../../actors/dns/protocol.js';
import type { ElectionMessage, ElectionStatus } from '../../actors/election/protocol.js';
import type { LogMessage } from '../../actors/log/protocol.js';
import { DNS, ELECTION, LOG, STATE_MACHINE } from '../../actors/raft/actor-names.js';
import type { StateMachineMessage, StateMachineStatus } from '../../actors/state-machine/protocol.js';
import { decodeRequest } from '../../protocol/client-request-schema.js';
import {
  type ClientReply,
  type ClientRequest,
  commandOf,
  encodeReply,
  isSyncRequest,
  queryOf,
  type ReplicaStatus,
  wireResult,
} from '../../protocol/client-wire.js';
import type { ZoneAgreement } from '../../protocol/dns/region-repair.js';
import type { QueryResult } from '../../protocol/group/commands.js';
import { parseReadMode, ReadModeError } from '../../protocol/read-mode.js';
import {
  clientSubject,
  clientWriteSubject,
  readSubject,
  syncSubject,
  writeSubject,
} from '../../protocol/subjects.js';
import { RuntimeError } from '../errors.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import type { MessageOf } from '../message.js';
import type { LeadershipSource } from './leadership-feed.js';

export const STATUS_TIMEOUT_MS_DEFAULT = 250;
export const MAX_IN_FLIGHT_DEFAULT = 4_096;
/** Used when the server did not say (nats-server's default max_payload). */
const MAX_PAYLOAD_FALLBACK = 1024 * 1024;

type Submit = MessageOf<StateMachineMessage, 'submit'>;
type Read = MessageOf<StateMachineMessage, 'read'>;
type SmStatus = MessageOf<StateMachineMessage, 'status'>;
type ElectionStatusAsk = MessageOf<ElectionMessage, 'status'>;

export interface ClientIntakeOptions {
  /** The process's NATS connection; shared, not owned (stop leaves it open). */
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  /** This replica's id. */
  readonly self: string;
  readonly external: ExternalEndpoint;
  /** This replica's leadership observations: the shared subjects are served while they say it leads. */
  readonly leadership: LeadershipSource;
  readonly log: Logger;
  /** Deadline of each ask to the state machine: a little above its own wait timeout. */
  readonly requestTimeoutMs: number;
  readonly statusTimeoutMs?: number;
  readonly maxInFlight?: number;
  /** Told each write's outcome and how long the state machine took to give it (metrics). */
  readonly observeWrite?: WriteObserver;
  /** Whether the replica runs a DNS actor, whose query count the status then carries. */
  readonly servesDns?: boolean;
  /** The leader's last comparisons with other regions (region-repair.ts), for the status. */
  readonly regionAgreement?: () => readonly ZoneAgreement[];
}

/** How a client write ended: the state machine's answer, or `error` when the ask failed. */
export type WriteOutcome = 'applied' | 'rejected' | 'not-leader' | 'retry' | 'error';
export type WriteObserver = (outcome: WriteOutcome, seconds: number) => void;

export interface ClientIntakeStats {
  readonly requests: number;
  readonly malformed: number;
  readonly overloaded: number;
  readonly internalErrors: number;
  readonly replyFailures: number;
  /** Writes refused because they came on a read subject. */
  readonly wrongSubject: number;
  readonly inFlight: number;
  readonly leading: boolean;
  /** How many times the intake took the shared subjects (became the routed leader). */
  readonly leaderSubscriptions: number;
}

/** Which subject a request came on; `direct` and `read` carry reads and status only. */
type Via = 'direct' | 'direct-write' | 'write' | 'read' | 'sync';

export class ClientIntake {
  private readonly directSubscription: Subscription;
  private readonly directWriteSubscription: Subscription;
  private shared: Subscription[] = [];
  private stopFollowing: (() => void) | undefined;
  private stopped = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly statusTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly counters = {
    requests: 0,
    malformed: 0,
    overloaded: 0,
    internalErrors: 0,
    replyFailures: 0,
    wrongSubject: 0,
    leaderSubscriptions: 0,
  };
  /** Applied client writes and their summed latency, for the status (the page's write latency). */
  private readonly applied = { writes: 0, seconds: 0 };

  private constructor(private readonly options: ClientIntakeOptions) {
    this.statusTimeoutMs = options.statusTimeoutMs ?? STATUS_TIMEOUT_MS_DEFAULT;
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT_DEFAULT;
    const subject = clientSubject(options.cluster, options.region, options.group, options.self);
    this.directSubscription = this.subscribe(subject, 'direct');
    this.directWriteSubscription = this.subscribe(
      clientWriteSubject(options.cluster, options.region, options.group, options.self),
      'direct-write',
    );
  }

  /** Subscribes to this replica's direct subject (confirmed by the server) and starts following leadership. */
  static async start(options: ClientIntakeOptions): Promise<ClientIntake> {
    const intake = new ClientIntake(options);
    await options.nc.flush();
    intake.stopFollowing = options.leadership.onChange((leadership) => {
      if (!intake.stopped) intake.setLeading(leadership.leading);
    });
    options.log.info({ subject: intake.directSubscription.getSubject() }, 'client intake listening');
    return intake;
  }

  /** Stops taking requests (unsubscribes), then waits at most `drainMs` for those being served. */
  async stop(drainMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopFollowing?.();
    this.setLeading(false);
    this.unsubscribe(this.directSubscription);
    this.unsubscribe(this.directWriteSubscription);
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stats(): ClientIntakeStats {
    return { ...this.counters, inFlight: this.inFlight, leading: this.shared.length > 0 };
  }

  // ------------------------------------------------------------------ leadership

  private setLeading(leading: boolean): void {
    const { cluster, region, group } = this.options;
    if (leading && this.shared.length === 0) {
      this.counters.leaderSubscriptions++;
      this.shared = [
        this.subscribe(writeSubject(cluster, region, group), 'write'),
        this.subscribe(readSubject(cluster, region, group), 'read'),
        this.subscribe(syncSubject(cluster, region, group), 'sync'),
      ];
      this.options.log.info({}, 'leading: serving the group write and read subjects');
    } else if (!leading && this.shared.length > 0) {
      for (const subscription of this.shared) this.unsubscribe(subscription);
      this.shared = [];
      this.options.log.info({}, 'not leading: left the group write and read subjects');
    }
  }

  // ------------------------------------------------------------------ requests

  private subscribe(subject: string, via: Via): Subscription {
    return this.options.nc.subscribe(subject, {
      callback: (error, msg) => {
        // Everything is caught here: an exception must not reach nats.js.
        try {
          if (error !== null) {
            this.options.log.error({ subject, err: String(error) }, 'client subscription failed');
            return;
          }
          this.onMessage(msg, via);
        } catch (thrown) {
          this.counters.internalErrors++;
          this.options.log.error({ subject, err: describeError(thrown) }, 'client request handler threw');
        }
      },
    });
  }

  private unsubscribe(subscription: Subscription): void {
    try {
      if (!this.options.nc.isClosed()) subscription.unsubscribe();
    } catch (error) {
      this.options.log.debug({ err: String(error) }, 'unsubscribe failed');
    }
  }

  private onMessage(msg: Msg, via: Via): void {
    this.counters.requests++;
    if (msg.reply === undefined || msg.reply === '') return; // a publish, not a request: nobody to answer
    if (this.stopped) return;
    const decoded = decodeRequest(msg.data);
    if (!decoded.ok) {
      this.counters.malformed++;
      this.respond(msg, { v: 1, st: 'error', code: decoded.code, detail: decoded.detail });
      return;
    }
    if ((via === 'direct' || via === 'read') && commandOf(decoded.request) !== undefined) {
      this.counters.wrongSubject++;
      this.respond(msg, {
        v: 1,
        st: 'error',
        code: 'wrong-subject',
        detail: `a ${decoded.request.op} is a write: send it on a write subject (…write or …client.<replica>.write)`,
      });
      return;
    }
    if ((via === 'sync') !== isSyncRequest(decoded.request)) {
      this.counters.wrongSubject++;
      this.respond(msg, {
        v: 1,
        st: 'error',
        code: 'wrong-subject',
        detail:
          via === 'sync'
            ? `a ${decoded.request.op} does not belong on the sync subject`
            : `a ${decoded.request.op} is anti-entropy between regions: send it on the group's …sync subject`,
      });
      return;
    }
    if (this.inFlight >= this.maxInFlight) {
      this.counters.overloaded++;
      this.respond(msg, { v: 1, st: 'retry', why: 'overloaded' });
      return;
    }
    this.inFlight++;
    this.serve(decoded.request)
      .catch((error: unknown): ClientReply => {
        this.counters.internalErrors++;
        this.options.log.error({ via, op: decoded.request.op, err: describeError(error) }, 'serving failed');
        return { v: 1, st: 'error', code: 'internal', detail: 'the replica failed to serve the request' };
      })
      .then((reply) => this.respond(msg, reply))
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const waiter of waiters) waiter();
        }
      });
  }

  private async serve(request: ClientRequest): Promise<ClientReply> {
    const command = commandOf(request);
    if (command !== undefined && 'sid' in request) {
      const startedAt = performance.now();
      const observe = (outcome: WriteOutcome) => {
        const seconds = (performance.now() - startedAt) / 1000;
        if (outcome === 'applied') {
          this.applied.writes++;
          this.applied.seconds += seconds;
        }
        this.options.observeWrite?.(outcome, seconds);
      };
      try {
        const result = await this.options.external.request<Submit>(
          STATE_MACHINE,
          {
            type: 'submit',
            command: { clientId: request.sid, seq: request.seq, ackedSeq: request.ack, command },
          },
          { timeoutMs: this.options.requestTimeoutMs },
        );
        observe(result.status);
        switch (result.status) {
          case 'applied':
            return { v: 1, st: 'applied', idx: result.index, res: wireResult(result.result) };
          case 'rejected':
            return { v: 1, st: 'rejected', why: result.reason, detail: result.detail };
          case 'not-leader':
            return { v: 1, st: 'not-leader', leader: result.leaderId };
          case 'retry':
            return { v: 1, st: 'retry', why: result.reason };
        }
      } catch (error) {
        observe('error');
        return retryFor(error);
      }
    }
    const query = queryOf(request);
    if (
      query !== undefined &&
      (request.op === 'get' ||
        request.op === 'range' ||
        request.op === 'dns-zones' ||
        request.op === 'dns-rrsets' ||
        request.op === 'dns-zone-page' ||
        isSyncRequest(request))
    ) {
      const mode = parseReadMode(('mode' in request ? request.mode : undefined) ?? 'linearizable');
      if (mode instanceof ReadModeError)
        return { v: 1, st: 'error', code: 'malformed', detail: mode.message };
      try {
        const result = await this.options.external.request<Read>(
          STATE_MACHINE,
          { type: 'read', query, mode },
          { timeoutMs: this.options.requestTimeoutMs },
        );
        switch (result.status) {
          case 'ok':
            return { v: 1, st: 'ok', idx: result.index, res: result.result };
          case 'not-leader':
            return { v: 1, st: 'not-leader', leader: result.leaderId };
          case 'stale':
            return { v: 1, st: 'stale' };
          case 'retry':
            return { v: 1, st: 'retry', why: result.reason };
        }
      } catch (error) {
        return retryFor(error);
      }
    }
    try {
      return { v: 1, st: 'status', status: await this.status() };
    } catch (error) {
      return retryFor(error);
    }
  }

  private async status(): Promise<ReplicaStatus> {
    const timeoutMs = this.statusTimeoutMs;
    const [election, machine, contact, tail, dns] = await Promise.all([
      this.options.external.request<ElectionStatusAsk>(
        ELECTION,
        { type: 'status' },
        { timeoutMs },
      ) as Promise<ElectionStatus>,
      this.options.external.request<SmStatus>(
        STATE_MACHINE,
        { type: 'status' },
        { timeoutMs },
      ) as Promise<StateMachineStatus>,
      this.options.external
        .request<MessageOf<LogMessage, 'contact'>>(LOG, { type: 'contact' }, { timeoutMs })
        .catch(() => undefined),
      this.options.external
        .request<MessageOf<LogMessage, 'tail'>>(LOG, { type: 'tail' }, { timeoutMs })
        .catch(() => undefined),
      this.options.servesDns === true
        ? this.options.external
            .request<MessageOf<DnsActorMessage, 'status'>>(DNS, { type: 'status' }, { timeoutMs })
            .catch(() => undefined)
        : undefined,
    ]);
    return {
      replica: this.options.self,
      group: this.options.group,
      term: election.term,
      role: election.role,
      leaderId: election.leaderId,
      voters: election.voters,
      // The log's word on the configuration the election actor names (it learns it from the log).
      ...(tail === undefined || !sameVoters(tail.voters, election.voters)
        ? {}
        : { votersCommitted: tail.votersCommitted }),
      commitIndex: contact?.ok === true ? contact.commitIndex : null,
      appliedIndex: machine.appliedIndex,
      appliedTerm: machine.appliedTerm,
      snapshotsInstalled: machine.snapshotsInstalled,
      recoveredFromSnapshot: machine.recoveredFromSnapshot,
      keys: machine.keys,
      sessions: machine.sessions,
      servingLeaderSubjects: this.shared.length > 0,
      ...(dns === undefined
        ? {}
        : { dnsQueries: (dns.counters['udp.queries'] ?? 0) + (dns.counters['tcp.queries'] ?? 0) }),
      writesApplied: this.applied.writes,
      writeSecondsApplied: this.applied.seconds,
      ...(this.options.regionAgreement === undefined
        ? {}
        : { regionAgreement: this.options.regionAgreement() }),
    };
  }

  private respond(msg: Msg, reply: ClientReply): void {
    let bytes = encodeReply(reply);
    const maxPayload = this.options.nc.info?.max_payload ?? MAX_PAYLOAD_FALLBACK;
    if (bytes.byteLength > maxPayload) bytes = this.shrink(reply, maxPayload);
    try {
      if (!msg.respond(bytes)) this.counters.replyFailures++;
    } catch (error) {
      this.counters.replyFailures++;
      this.options.log.debug({ err: describeError(error) }, 'could not send a reply');
    }
  }

  /**
   * A reply too large for NATS: a range page or a zone page is cut to fit (a range page
   * says `more`; a zone page holds fewer RRsets than asked); anything else becomes an error.
   */
  private shrink(reply: ClientReply, maxPayload: number): Uint8Array {
    if (reply.st === 'ok' && reply.res.op === 'range') {
      const entries = reply.res.entries;
      const page = (n: number) =>
        encodeReply({
          ...reply,
          res: { op: 'range', entries: entries.slice(0, n), more: true } satisfies QueryResult,
        });
      // The largest prefix that fits; at least the first entry always fits (64 KiB values).
      let low = 0;
      let high = entries.length;
      while (low < high) {
        const middle = Math.ceil((low + high) / 2);
        if (page(middle).byteLength <= maxPayload) low = middle;
        else high = middle - 1;
      }
      return page(low);
    }
    if (reply.st === 'ok' && reply.res.op === 'dns-zone-page' && reply.res.page !== null) {
      const full = reply.res.page;
      const page = (n: number) =>
        encodeReply({
          ...reply,
          res: {
            op: 'dns-zone-page',
            page: { ...full, rrsets: full.rrsets.slice(0, n) },
          } satisfies QueryResult,
        });
      // The largest prefix that fits; the reader continues at offset + its length. An
      // RRset too large for one message alone cannot be read this way.
      let low = 0;
      let high = full.rrsets.length;
      while (low < high) {
        const middle = Math.ceil((low + high) / 2);
        if (page(middle).byteLength <= maxPayload) low = middle;
        else high = middle - 1;
      }
      if (low > 0) return page(low);
    }
    this.counters.internalErrors++;
    return encodeReply({
      v: 1,
      st: 'error',
      code: 'internal',
      detail: 'reply larger than the NATS payload limit',
    });
  }
}

/** An ask to an actor failed: the request may be retried (a write with the same seq). */
function retryFor(error: unknown): ClientReply {
  if (error instanceof RuntimeError) {
    switch (error.code) {
      case 'REQUEST_TIMEOUT':
        return { v: 1, st: 'retry', why: 'timeout' };
      case 'MAILBOX_FULL':
      case 'TOO_MANY_REQUESTS':
        return { v: 1, st: 'retry', why: 'overloaded' };
      case 'PEER_UNAVAILABLE':
      case 'ACTOR_STOPPED':
      case 'UNKNOWN_ACTOR':
        return { v: 1, st: 'retry', why: 'unavailable' };
      default:
        break;
    }
  }
  throw error;
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function sameVoters(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((voter) => b.includes(voter));
}
