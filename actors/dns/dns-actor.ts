/**
 * The DNS actor: the replica's DNS front (UDP and TCP, RFC 1035 §4.2, RFC 7766). It
 * answers from its own copy of the zones, which the state machine keeps current with
 * `zone-sync` messages as entries apply, and lets the read gate decide when each query may
 * be answered under its listener's read mode.
 *
 * The sockets are not here: the context binds them (`openDnsSocket`; real sockets in a
 * worker, simulated ones in the simulator) and every datagram, connection and TCP frame
 * arrives as a `dns-socket` message, handled in a turn; answers leave through the socket
 * port. Replies to this actor's own requests (read indexes, contacts, dumps) come back as
 * messages too, and every timeout runs on the actor's clock, so the simulator runs this
 * very code.
 *
 * Zone transfers (AXFR, IXFR) never reach the responder either: the transfer desk
 * (transfer/transfer-desk.ts) checks them against the cluster's transfer rules
 * (`transfer-acl`), holds them at the read gate like queries, freezes the zone when the gate
 * releases them and streams it over TCP a few messages per turn (`transfer-continue`).
 *
 * UPDATE messages (opcode 5) never reach the responder: the update desk
 * (update/update-desk.ts) verifies their TSIG against the cluster's keys (`tsig-keys`),
 * evaluates them at a linearizable read position and has the main thread commit them
 * (`dns-update-commit` / `dns-update-committed`).
 */

import { fitsAsCatalog } from '../../protocol/dns/catalog-zone.js';
import { isResponse, notifyReply } from '../../protocol/dns/notify.js';
import { TransferAcl, type TransferRule } from '../../protocol/dns/transfer-acl.js';
import { parseClusterTsigKey, type ResolvedTsigKey } from '../../protocol/dns/tsig/cluster-key.js';
import type { TsigKeyring } from '../../protocol/dns/tsig/key.js';
import { OPCODE, RCODE, RR_CLASS } from '../../protocol/dns/wire/codes.js';
import { HEADER_BYTES } from '../../protocol/dns/wire/message.js';
import { Name, parseName } from '../../protocol/dns/wire/name.js';
import { formatReadMode } from '../../protocol/read-mode.js';
import type { Actor, ActorContext, ActorFactory, MessageMeta } from '../../runtime/actor.js';
import type { DnsRemote, DnsSocket, DnsSocketEvent } from '../../runtime/dns-sockets/dns-socket.js';
import { EXTERNAL_ENDPOINT } from '../../runtime/external-endpoint.js';
import type { MessageOf } from '../../runtime/message.js';
import { LeaseBoard } from '../log/lease-board.js';
import type { LogMessage } from '../log/protocol.js';
import { LOG, STATE_MACHINE } from '../raft/actor-names.js';
import type { StateMachineMessage } from '../state-machine/protocol.js';
import { GroupCatalog } from './catalog/group-catalog.js';
import type { DnsActorOptions } from './dns-actor-options.js';
import { NotifyDesk } from './notify/notify-desk.js';
import type {
  DnsActorMessage,
  DnsListenerConfig,
  DnsServerStatus,
  ZoneDumpPart,
  ZoneSync,
} from './protocol.js';
import { type Admission, type GateFailure, type PositionMode, ReadGate } from './read-gate.js';
import { DnsTraffic } from './server/dns-traffic.js';
import type { DnsTransport, ZoneFinder } from './server/responder.js';
import { Responder } from './server/responder.js';
import { ResponseRateLimit } from './server/response-rate-limit.js';
import { DEFAULT_TCP_LIMITS, TcpConnections, type TcpDnsCounters } from './server/tcp-connections.js';
import { decodeZoneDeltas, forEachZoneDelta } from './store/zone-delta-codec.js';
import { ZoneReplica } from './store/zone-replica.js';
import { TransferDesk, type TransferRoute, type TransferTicket } from './transfer/transfer-desk.js';
import { transferQueryType } from './transfer/transfer-request.js';
import { UpdateDesk, type UpdateTicket } from './update/update-desk.js';
import type { LiveZone } from './zone/live-zone.js';

/**
 * Every request of this actor has this deadline. Its replies come back through `self`,
 * whose queue never holds more than a handful (one round per read mode, one contact, one
 * dump in flight), so none is ever refused.
 */
const ACTOR_REQUEST_TIMEOUT_MS = 2_000;
/**
 * ... except a dump's: building one takes seconds at 100,000 records (ARCHITECTURE §7),
 * and a deadline shorter than that would drop every answer and ask again, forever. Only a
 * state machine that restarted loses a request; it sends a dump of its own once it is back.
 */
const DUMP_REQUEST_TIMEOUT_MS = 60_000;
/** Parts of the first dump asked for ahead (`takeFirstDump`): at 16,384 deltas a part, 500,000 deltas. */
const DUMP_PART_ASKS = 32;
/**
 * A read round that found no leader is asked again after this: about one election with
 * TimeoutNow (a leadership hand-off), so a hand-off delays held queries by little, while a
 * group without a leader sees at most one request per mode per interval.
 */
const READ_RETRY_MS = 10;

/** One bound address with its read mode. */
interface Listener {
  readonly index: number;
  readonly mode: DnsListenerConfig['mode'];
  readonly socket: DnsSocket;
  readonly tcp: TcpConnections;
}

/** Where an answer goes. */
type Route =
  | { readonly transport: 'udp'; readonly remote: DnsRemote }
  | { readonly transport: 'tcp'; readonly connection: number };

/** Where an UPDATE's answer goes. */
interface UpdateRoute {
  readonly listener: Listener;
  readonly route: Route;
}

/** Where a transfer's messages go. */
interface TransferTarget extends TransferRoute {
  readonly listener: Listener;
  readonly route: Route;
}

/** What the read gate holds: a query to answer, an UPDATE to evaluate (update-desk.ts), a transfer to start. */
type HeldQuery =
  | { readonly kind: 'query'; readonly listener: Listener; readonly route: Route; readonly query: Uint8Array }
  | { readonly kind: 'update'; readonly ticket: UpdateTicket<UpdateRoute> }
  | { readonly kind: 'transfer'; readonly ticket: TransferTicket<TransferTarget> };

const LINEARIZABLE = { kind: 'linearizable' } as const;

/** A dump in parts being built aside (`DnsActor.incomingDump`). */
interface IncomingDump {
  readonly id: number;
  readonly index: number;
  readonly copy: ZoneReplica;
  /** Parts received. */
  parts: number;
  /** A part came out of sequence: the copy misses one, and is not used. */
  partMissing: boolean;
  applyMs: number;
  error: string | undefined;
  /** The dump's last message, once in, and the parts sent ahead of it. */
  last: { readonly sync: ZoneSync; readonly partsAhead: number } | null;
}

class DnsActor implements Actor<DnsActorMessage> {
  private readonly zones = new ZoneReplica();
  private readonly responder: Responder;
  private readonly gate: ReadGate<HeldQuery>;
  private readonly listeners: Listener[] = [];
  /** The log index the copy reflects; null until the first dump arrived. */
  private copyIndex: number | null = null;
  /** When the dump in flight was asked for; null when none is. */
  private dumpAskedAtMs: number | null = null;
  /** The catalog left zones out at its last refresh (see `refreshCatalog`). */
  private catalogOutgrown = false;
  /**
   * A dump arriving in parts (`ZoneSync.partsAhead`), built aside until its last message
   * and every part are in: between parts, queries are answered from the previous copy. The
   * last message may come before the parts (an ask's answer arrives as a message of this
   * actor's own, which the mailbox may take before the state machine's).
   */
  private incomingDump: IncomingDump | null = null;
  private readonly counters = {
    served: 0,
    held: 0,
    servfail: 0,
    overloaded: 0,
    dumps: 0,
    syncs: 0,
    leaseBoardReads: 0,
  };
  private readonly udpCounters = { queries: 0, answers: 0, drops: 0 };
  private readonly traffic = new DnsTraffic();
  private readonly rateLimit: ResponseRateLimit;
  private readonly servfailCounters: Record<GateFailure, number> = {
    stale: 0,
    'not-leader': 0,
    overloaded: 0,
    timeout: 0,
  };
  /** Where the leader's log actor publishes its read lease (lease-board.ts). */
  private readonly leaseBoard = LeaseBoard.create();
  /** The cluster's TSIG keys (the `tsig-keys` message), by key name. */
  private tsigKeys: ReadonlyMap<string, ResolvedTsigKey> = new Map();
  private keyring: TsigKeyring = new Map();
  private readonly updates: UpdateDesk<UpdateRoute>;
  /** The cluster's zone transfer rules (the `transfer-acl` message); none: every transfer is refused. */
  private transferAcl = new TransferAcl();
  private readonly transfers: TransferDesk<TransferTarget>;
  private readonly notifies: NotifyDesk;
  /** The group's catalog zone, generated from the copy; undefined when not configured. */
  private readonly catalog: GroupCatalog | undefined;
  /** The copy of the zones with the catalog beside them: what queries and transfers see. */
  private readonly served: ZoneFinder;
  /** The copy's `zoneSetGeneration` the catalog was last generated from. */
  private catalogSeenGeneration = -1;

  constructor(
    private readonly ctx: ActorContext<DnsActorMessage>,
    private readonly options: DnsActorOptions,
  ) {
    const catalogApex = options.catalogZone === undefined ? undefined : parseName(options.catalogZone);
    const catalogUsable = catalogApex?.ok === true && fitsAsCatalog(catalogApex.name);
    if (catalogApex !== undefined && !catalogUsable)
      ctx.log.warn({ catalogZone: options.catalogZone }, 'invalid catalog zone name; no catalog is served');
    this.catalog = catalogUsable && catalogApex?.ok === true ? new GroupCatalog(catalogApex.name) : undefined;
    const zones = this.zones;
    const catalog = this.catalog;
    this.served = {
      find: (name, rrClass) =>
        catalog !== undefined && rrClass === RR_CLASS.IN && name.isSubdomainOf(catalog.apex)
          ? catalog.zone
          : zones.find(name, rrClass),
      // The catalog is one object for the actor's life: only the copy's zone set moves.
      get zoneSetGeneration() {
        return zones.zoneSetGeneration;
      },
    };
    this.rateLimit = new ResponseRateLimit(options.rateLimit);
    this.responder = new Responder({
      identity: options.identity,
      maxUdpPayload: options.maxUdpPayload,
      cacheEntries: options.cacheEntries,
    });
    this.gate = new ReadGate<HeldQuery>(
      {
        maxWaiting: options.maxHeldQueries,
        waitTimeoutMs: options.holdTimeoutMs,
        maxRoundsInFlight: options.maxReadRoundsInFlight,
      },
      {
        requestPosition: (mode, round) => this.requestPosition(mode, round),
        retryLater: (mode) => this.ctx.after(READ_RETRY_MS, { type: 'read-retry', mode }),
        requestContact: () => this.requestContact(),
        release: (held) => {
          if (held.kind === 'update') this.updates.evaluate(held.ticket);
          else if (held.kind === 'transfer') this.transfers.release(held.ticket);
          else this.reply(held.listener, held.route, this.answer(held.query, held.route.transport));
        },
        fail: (held, why) => {
          if (held.kind === 'update') this.updates.failed(held.ticket, why);
          else if (held.kind === 'transfer') this.transfers.failed(held.ticket);
          else this.reply(held.listener, held.route, this.fail(held.query, why));
        },
      },
    );
    this.updates = new UpdateDesk<UpdateRoute>({
      nowMs: () => this.ctx.clock.nowMs(),
      findZone: (name, rrClass) => this.zones.find(name, rrClass),
      keyring: () => this.keyring,
      resolvedKey: (nameKey) => this.tsigKeys.get(nameKey),
      admit: (ticket) => this.gate.admit(LINEARIZABLE, { kind: 'update', ticket }, this.ctx.clock.nowMs()),
      submit: (commit) => this.ctx.send(EXTERNAL_ENDPOINT, commit).status === 'sent',
      reply: (to, answer) => this.reply(to.listener, to.route, answer),
      ednsFor: (asked) => this.responder.ednsFor(asked),
      warn: (fields, text) => this.ctx.log.warn(fields, text),
    });
    this.transfers = new TransferDesk<TransferTarget>({
      nowMs: () => this.ctx.clock.nowMs(),
      keyring: () => this.keyring,
      acl: () => this.transferAcl,
      zoneAt: (name) => this.zoneAt(name),
      // The catalog is generated each time its zone set moves: it keeps no history.
      historyAt: (apex) => this.zones.historyAt(apex),
      admit: (ticket) => this.admit(ticket.route.listener, { kind: 'transfer', ticket }),
      send: (to, bytes) =>
        to.route.transport === 'tcp' &&
        to.listener.tcp.sentPart(to.route.connection, bytes, this.ctx.clock.nowMs()),
      finish: (to, bytes) => this.reply(to.listener, to.route, bytes),
      continueLater: (id) => this.ctx.self({ type: 'transfer-continue', id }),
      ednsFor: (asked) => this.responder.ednsFor(asked),
      warn: (fields, text) => this.ctx.log.warn(fields, text),
    });
    this.notifies = new NotifyDesk({
      nowMs: () => this.ctx.clock.nowMs(),
      nextId: () => this.ctx.random.nextUint32() & 0xffff,
      isLeader: () => {
        const lease = this.leaseBoard.read();
        return lease !== null && lease.untilMs > this.ctx.clock.nowMs();
      },
      zone: (apex) => {
        const zone = this.zoneAt(apex);
        const soa = zone?.soa();
        return zone === undefined || soa === undefined ? undefined : { apex: zone.apex, soa };
      },
      keyring: () => this.keyring,
      // From the first listener's UDP socket: secondaries accept NOTIFY from the primary's address.
      send: (target, bytes) =>
        this.listeners[0]?.socket.sendUdp({ address: target.address, port: target.port }, bytes),
      warn: (fields, text) => this.ctx.log.warn(fields, text),
    });
  }

  async start(): Promise<void> {
    this.offerLeaseBoard();
    // The first copy before the first socket: a replica that answers at all answers from data.
    try {
      await this.takeFirstDump();
    } catch (error) {
      this.ctx.log.warn({ err: error }, 'zone dump from the state machine failed; retrying on the next tick');
    }
    for (const [index, config] of this.options.listeners.entries()) {
      const socket = await this.ctx.openDnsSocket({ host: config.host, port: config.port }, (event) => ({
        type: 'dns-socket',
        listener: index,
        event,
      }));
      const tcp = new TcpConnections(socket, {
        idleTimeoutMs: this.options.tcpIdleTimeoutMs,
        maxConnections: this.options.tcpMaxConnections,
        maxConnectionsPerClient: this.options.tcpMaxConnectionsPerClient,
        maxInFlightPerConnection: this.options.tcpMaxInFlightPerConnection,
        closeGraceMs: DEFAULT_TCP_LIMITS.closeGraceMs,
      });
      this.listeners.push({ index, mode: config.mode, socket, tcp });
    }
    this.ctx.after(this.options.tickMs, { type: 'tick' });
    this.ctx.log.info(
      { listeners: this.status().listeners, zones: this.zones.zoneCount },
      'dns listeners started',
    );
  }

  stop(): void {
    // Held queries get their SERVFAIL while the sockets are still open (the host closes them next).
    this.gate.failAll('timeout');
    this.transfers.abortAll();
  }

  receive(message: DnsActorMessage, meta: MessageMeta): void {
    switch (message.type) {
      case 'dns-socket': {
        const listener = this.listeners[message.listener];
        if (listener !== undefined) this.onSocketEvent(listener, message.event);
        return;
      }
      case 'zone-sync':
        this.sync(message);
        return;
      case 'zone-dump-part':
        this.dumpPart(message);
        return;
      case 'read-position':
        this.gate.onPosition(message.mode, message.round, message.answer);
        return;
      case 'contact':
        this.gate.onContact(message.answer, message.receivedAtMs);
        return;
      case 'read-retry':
        this.gate.retryRound(message.mode);
        return;
      case 'zone-dump-result':
        this.dumpAskedAtMs = null;
        if (message.dump !== null) this.resetTo(message.dump);
        else this.ctx.log.warn({ err: message.error }, 'zone dump from the state machine failed; retrying');
        return;
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'tsig-keys':
        this.setTsigKeys(message.keys);
        return;
      case 'transfer-acl':
        this.setTransferAcl(message.rules);
        return;
      case 'transfer-continue':
        this.transfers.pump(message.id);
        return;
      case 'dns-update-committed':
        this.updates.committed(message.id, message.outcome, message.message);
        return;
      case 'tick': {
        this.ctx.after(this.options.tickMs, { type: 'tick' });
        const now = this.ctx.clock.nowMs();
        this.gate.expire(now);
        this.updates.sweep(now);
        for (const listener of this.listeners) listener.tcp.sweep(now);
        if (this.dumpAskedAtMs !== null && now - this.dumpAskedAtMs > 2 * DUMP_REQUEST_TIMEOUT_MS)
          this.dumpAskedAtMs = null; // its answer was lost with a restarted state machine: ask again
        if (this.copyIndex === null) this.requestDump();
        // Again and again: a restarted log actor has forgotten it (the log keeps the same one).
        this.offerLeaseBoard();
        this.notifies.pump();
        return;
      }
    }
  }

  inspect(): unknown {
    return this.status();
  }

  // ------------------------------------------------------------------ socket events

  private onSocketEvent(listener: Listener, event: DnsSocketEvent): void {
    switch (event.kind) {
      case 'udp-query':
        this.udpCounters.queries++;
        this.query(listener, { transport: 'udp', remote: event.remote }, event.query);
        return;
      case 'tcp-query':
        if (listener.tcp.queryArrived(event.connection, this.ctx.clock.nowMs()))
          this.query(listener, { transport: 'tcp', connection: event.connection }, event.query);
        return;
      case 'tcp-open':
        listener.tcp.opened(event.connection, this.ctx.clock.nowMs(), event.remote);
        return;
      case 'tcp-read-end':
        listener.tcp.readEnded(event.connection, this.ctx.clock.nowMs());
        return;
      case 'tcp-closed':
        listener.tcp.closed(event.connection);
        return;
    }
  }

  // ------------------------------------------------------------------ queries

  private query(listener: Listener, route: Route, query: Uint8Array): void {
    if (isResponse(query)) {
      // Never answer a response (RFC 1035 §4.1.1 QR): it is an answer to our NOTIFY, or noise.
      // A null answer still settles a TCP query's place in its connection (tcp-connections.ts).
      if (route.transport === 'udp') this.notifies.answer(route.remote.address, route.remote.port, query);
      this.reply(listener, route, null);
      return;
    }
    this.traffic.queryArrived(query);
    if ((((query[2] as number) >>> 3) & 0x0f) === OPCODE.NOTIFY) {
      // We are the primary of every zone we serve: a NOTIFY asks nothing of us (RFC 1996 §3.8).
      this.reply(
        listener,
        route,
        notifyReply(query, (name) => this.zoneAt(name) !== undefined),
      );
      return;
    }
    if (this.copyIndex === null) {
      this.reply(listener, route, this.fail(query, 'stale'));
      return;
    }
    if ((((query[2] as number) >>> 3) & 0x0f) === OPCODE.UPDATE) {
      this.updates.receive({ listener, route }, query);
      return;
    }
    if (transferQueryType(query) !== undefined) {
      const remote = route.transport === 'udp' ? route.remote : listener.tcp.remoteOf(route.connection);
      this.transfers.receive(
        { listener, route, transport: route.transport, remoteAddress: remote?.address },
        query,
      );
      return;
    }
    switch (this.admit(listener, { kind: 'query', listener, route, query })) {
      case 'now':
        this.reply(listener, route, this.answer(query, route.transport));
        return;
      case 'held':
        this.counters.held++;
        return;
      case 'overloaded':
        this.counters.overloaded++;
        this.reply(listener, route, this.fail(query, 'overloaded'));
        return;
    }
  }

  /**
   * Admits `held` under `listener`'s read mode; on 'now' the caller releases it. The hot
   * path (bounded mode with a fresh contact, lease mode on the leader) releases within
   * this turn: no request, no further message.
   */
  private admit(listener: Listener, held: HeldQuery): 'now' | 'held' | 'overloaded' {
    const now = this.ctx.clock.nowMs();
    const mode = listener.mode;
    let admission: Admission | undefined;
    if (mode.kind === 'lease') {
      // Thesis §6.4.1: while the leader's lease holds, its commit index covers every
      // acknowledged write; the board is written before any acknowledgement leaves.
      const lease = this.leaseBoard.read();
      if (lease !== null && lease.untilMs > now) {
        this.counters.leaseBoardReads++;
        admission = this.gate.admitAt(lease.readIndex, held, now);
      }
    }
    return admission ?? this.gate.admit(mode, held, now);
  }

  private reply(listener: Listener, route: Route, answer: Uint8Array | null): void {
    if (route.transport === 'tcp') {
      if (answer !== null) this.traffic.answered(answer, route.transport);
      listener.tcp.answered(route.connection, answer, this.ctx.clock.nowMs());
      return;
    }
    const sent = answer === null ? null : this.rateLimited(route.remote, answer);
    if (sent === null) {
      this.udpCounters.drops++;
      return;
    }
    this.traffic.answered(sent, route.transport);
    this.udpCounters.answers++;
    listener.socket.sendUdp(route.remote, sent);
  }

  /**
   * What response rate limiting lets out of a UDP answer to a query: the answer, its
   * truncated slip, or nothing. Answers to other opcodes (NOTIFY, UPDATE) are not limited:
   * they answer messages a client signs or a primary expects.
   */
  private rateLimited(remote: DnsRemote, answer: Uint8Array): Uint8Array | null {
    if (!this.rateLimit.enabled || answer.length < HEADER_BYTES) return answer;
    if ((((answer[2] as number) >>> 3) & 0x0f) !== OPCODE.QUERY) return answer;
    const verdict = this.rateLimit.decide(remote.address, answer, this.ctx.clock.nowMs(), this.zoneOfAnswer);
    if (verdict.kind === 'send') return answer;
    return verdict.kind === 'slip' ? verdict.bytes : null;
  }

  /** The apex of the zone holding an answer's question name (for rate limiting by zone). */
  private readonly zoneOfAnswer = (answer: Uint8Array, qnameEnd: number): string | undefined => {
    const labels: Uint8Array[] = [];
    for (let p = HEADER_BYTES; p < qnameEnd - 1; p += 1 + (answer[p] as number))
      labels.push(answer.subarray(p + 1, p + 1 + (answer[p] as number)));
    const qclass = ((answer[qnameEnd + 2] as number) << 8) | (answer[qnameEnd + 3] as number);
    try {
      return this.zones.find(Name.fromLabels(labels), qclass)?.apex.key;
    } catch {
      return undefined; // a name our own answer echoed cannot be invalid; no bucket by zone if it were
    }
  };

  private requestPosition(mode: PositionMode, round: number): void {
    this.ctx
      .request<MessageOf<LogMessage, 'read-index'>>(
        LOG,
        { type: 'read-index', mode },
        { timeoutMs: ACTOR_REQUEST_TIMEOUT_MS },
      )
      .then(
        (result) =>
          this.ctx.self({
            type: 'read-position',
            mode,
            round,
            answer: result.ok
              ? { ok: true, index: result.readIndex }
              : { ok: false, why: result.reason === 'not-leader' ? 'not-leader' : 'overloaded' },
          }),
        () => this.ctx.self({ type: 'read-position', mode, round, answer: { ok: false, why: 'timeout' } }),
      );
  }

  private requestContact(): void {
    this.ctx
      .request<MessageOf<LogMessage, 'contact'>>(
        LOG,
        { type: 'contact' },
        { timeoutMs: ACTOR_REQUEST_TIMEOUT_MS },
      )
      .then(
        (contact) =>
          this.ctx.self({
            type: 'contact',
            // The contact's age counts from its arrival, not from the turn that handles it.
            receivedAtMs: this.ctx.clock.nowMs(),
            answer: contact.ok
              ? { ok: true, ageMs: contact.ageMs, commitIndex: contact.commitIndex }
              : { ok: false, why: 'stale' },
          }),
        () =>
          this.ctx.self({
            type: 'contact',
            receivedAtMs: this.ctx.clock.nowMs(),
            answer: { ok: false, why: 'timeout' },
          }),
      );
  }

  private offerLeaseBoard(): void {
    this.ctx.send(LOG, { type: 'lease-board', buffer: this.leaseBoard.buffer });
  }

  private answer(query: Uint8Array, transport: DnsTransport): Uint8Array | null {
    this.counters.served++;
    return this.responder.respond(query, transport, this.served, {
      keyring: this.keyring,
      nowSeconds: Math.floor(this.ctx.clock.nowMs() / 1000),
    });
  }

  private fail(query: Uint8Array, why: GateFailure): Uint8Array | null {
    this.counters.servfail++;
    this.servfailCounters[why]++;
    return this.responder.errorResponse(query, RCODE.SERVFAIL);
  }

  /** Replaces the keys; invalid ones are logged by name only (a value may hold a secret). */
  private setTsigKeys(keys: readonly unknown[]): void {
    const resolved = new Map<string, ResolvedTsigKey>();
    for (const raw of keys) {
      const checked = parseClusterTsigKey(raw);
      if (checked.ok) resolved.set(checked.key.key.name.key, checked.key);
      else this.ctx.log.warn({ problem: checked.message }, 'ignored an invalid TSIG key');
    }
    this.tsigKeys = resolved;
    this.keyring = new Map([...resolved].map(([name, key]) => [name, key.key]));
  }

  /** Replaces the transfer rules; invalid ones are logged and left out (their zones refuse). */
  private setTransferAcl(rules: readonly TransferRule[]): void {
    const { acl, problems } = TransferAcl.from(rules);
    for (const problem of problems) this.ctx.log.warn({ problem }, 'ignored an invalid transfer rule');
    this.transferAcl = acl;
    this.notifies.setTargets(acl.notifyTargets());
  }

  // ------------------------------------------------------------------ the copy of the zones

  private sync(sync: ZoneSync): void {
    this.counters.syncs++;
    if (sync.reset) {
      this.resetTo(sync);
      return;
    }
    if (this.dumpAskedAtMs !== null || this.copyIndex === null) return;
    if (sync.index <= this.copyIndex) return; // entries this copy already reflects
    if (sync.fromIndex !== this.copyIndex) {
      // A gap (a lost sync, or a restarted state machine replaying): start over from a dump.
      this.requestDump();
      return;
    }
    const decoded = decodeZoneDeltas(sync.deltaBytes);
    if (!decoded.ok) {
      this.ctx.log.error({ err: decoded.error }, 'undecodable zone sync; asking for a dump');
      this.requestDump();
      return;
    }
    this.zones.apply(decoded.deltas);
    this.copyIndex = sync.index;
    this.refreshCatalog();
    this.gate.onApplied(sync.index);
    this.notifies.zonesChanged();
    this.notifies.pump();
  }

  /** A part of a dump sent ahead of its last one: applied to the copy being built aside. */
  private dumpPart(part: ZoneDumpPart): void {
    const startedMs = this.ctx.clock.nowMs();
    const incoming = this.incomingFor(part.dumpId, part.index);
    if (incoming === null) return;
    if (part.part !== incoming.parts) incoming.partMissing = true; // a part lost with a restarted actor
    incoming.parts++;
    if (!incoming.partMissing && incoming.error === undefined)
      incoming.error = forEachZoneDelta(part.deltaBytes, (delta) => incoming.copy.applyOne(delta));
    incoming.applyMs += this.ctx.clock.nowMs() - startedMs;
    this.completeDump();
  }

  /** The dump being built aside with this id, started if need be; null for one older than it. */
  private incomingFor(id: number, index: number): IncomingDump | null {
    const current = this.incomingDump;
    if (current !== null && current.id === id) return current;
    if (current !== null && current.index > index) return null;
    this.incomingDump = {
      id,
      index,
      copy: new ZoneReplica(),
      parts: 0,
      partMissing: false,
      applyMs: 0,
      error: undefined,
      last: null,
    };
    return this.incomingDump;
  }

  private resetTo(sync: ZoneSync): void {
    const ahead = sync.partsAhead;
    if (ahead !== undefined) {
      const incoming = this.incomingFor(ahead.id, sync.index);
      if (incoming === null) return;
      incoming.last = { sync, partsAhead: ahead.before };
      this.completeDump();
      return;
    }
    const startedMs = this.ctx.clock.nowMs();
    this.incomingDump = null; // a whole dump supersedes one in parts
    // Applied as decoded (zone-delta-codec.ts, `forEachZoneDelta`): a dump is the largest
    // message there is.
    this.zones.reset();
    const error = forEachZoneDelta(sync.deltaBytes, (delta) => this.zones.applyOne(delta));
    this.installDump(sync, error, 0, this.ctx.clock.nowMs() - startedMs);
  }

  /** Swaps in the dump built aside once its last message and every part are in. */
  private completeDump(): void {
    const incoming = this.incomingDump;
    if (incoming === null || incoming.last === null) return;
    if (!incoming.partMissing && incoming.parts < incoming.last.partsAhead) return;
    this.incomingDump = null;
    const { sync, partsAhead } = incoming.last;
    if (incoming.partMissing || incoming.parts !== partsAhead) {
      // This copy stays as it was; the state machine's next sync shows the gap, or the tick asks.
      this.ctx.log.warn(
        { index: sync.index, partsExpected: partsAhead, partsHeld: incoming.parts },
        'zone dump incomplete; asking for another',
      );
      this.requestDump();
      return;
    }
    const startedMs = this.ctx.clock.nowMs();
    const error =
      incoming.error ?? forEachZoneDelta(sync.deltaBytes, (delta) => incoming.copy.applyOne(delta));
    if (error === undefined) this.zones.replaceWith(incoming.copy);
    this.installDump(sync, error, partsAhead, incoming.applyMs + this.ctx.clock.nowMs() - startedMs);
  }

  private installDump(sync: ZoneSync, error: string | undefined, partsAhead: number, ms: number): void {
    if (error !== undefined) {
      // What the copy holds now may be part of a dump: nothing is answered from it (the gate
      // releases nothing, new queries fail as stale) until the next tick's dump replaces it.
      this.ctx.log.error({ err: error }, 'undecodable zone dump');
      this.zones.reset();
      this.copyIndex = null;
      this.gate.onReset(0);
      return;
    }
    this.copyIndex = sync.index;
    this.refreshCatalog();
    this.gate.onReset(sync.index);
    this.notifies.zonesChanged();
    this.ctx.log.info(
      { index: sync.index, bytes: sync.deltaBytes.length, partsAhead, ms },
      'copy of the zones replaced by a dump',
    );
  }

  /** A served zone by its apex: the copy's, or the catalog. */
  private zoneAt(apex: Name): LiveZone | undefined {
    if (this.catalog !== undefined && apex.equals(this.catalog.apex)) return this.catalog.zone;
    return this.zones.zoneAt(apex);
  }

  /** Regenerates the catalog when the copy's zone set moved (before the gate releases anything). */
  private refreshCatalog(): void {
    if (this.catalog === undefined || this.copyIndex === null) return;
    if (this.zones.zoneSetGeneration === this.catalogSeenGeneration) return;
    this.catalogSeenGeneration = this.zones.zoneSetGeneration;
    const members = [...this.zones.zones()].map((zone) => zone.apex);
    this.catalog.refresh(members, this.copyIndex);
    // Once when the group outgrows the catalog, not at every zone added beyond it (the
    // status's `catalog.omitted` has the count throughout).
    const outgrown = this.catalog.omitted > 0;
    const warn = outgrown && !this.catalogOutgrown;
    this.catalogOutgrown = outgrown;
    if (warn)
      this.ctx.log.warn(
        { catalog: this.catalog.apex.toString(), omitted: this.catalog.omitted },
        'the catalog zone leaves out zones beyond its limit',
      );
  }

  /**
   * The first copy, while this actor starts (it takes no messages then): the parts of the
   * dump are asked for ahead (`zone-dump-part`), each answered as soon as the state machine
   * has built it and applied here while it builds the next; then the dump's last part.
   */
  private async takeFirstDump(): Promise<void> {
    const partAsks = Array.from({ length: DUMP_PART_ASKS }, (_, part) =>
      this.ctx
        .request<MessageOf<StateMachineMessage, 'zone-dump-part'>>(
          STATE_MACHINE,
          { type: 'zone-dump-part', part },
          { timeoutMs: DUMP_REQUEST_TIMEOUT_MS },
        )
        .catch(() => null),
    );
    const last = this.askDump();
    last.catch(() => undefined); // awaited below, after the parts
    for (const ask of partAsks) {
      const part = await ask;
      if (part === null) break;
      this.dumpPart(part);
    }
    this.resetTo(await last);
  }

  private askDump(): Promise<ZoneSync> {
    this.counters.dumps++;
    return this.ctx.request<MessageOf<StateMachineMessage, 'zone-dump'>>(
      STATE_MACHINE,
      { type: 'zone-dump' },
      { timeoutMs: DUMP_REQUEST_TIMEOUT_MS },
    );
  }

  /** Asks for a dump unless one is in flight; it arrives as a `zone-dump-result` message. */
  private requestDump(): void {
    if (this.dumpAskedAtMs !== null) return;
    this.dumpAskedAtMs = this.ctx.clock.nowMs();
    this.askDump().then(
      (dump) => this.ctx.self({ type: 'zone-dump-result', dump, error: null }),
      (error: unknown) => this.ctx.self({ type: 'zone-dump-result', dump: null, error: String(error) }),
    );
  }

  private responderCounters(): Record<string, number> {
    const stats = this.responder.stats();
    return {
      'cache.hits': stats.cacheHits,
      'cache.misses': stats.cacheMisses,
      'cache.entries': stats.cacheEntries,
      'responder.internalErrors': stats.internalErrors,
    };
  }

  private socketCounters(): Record<string, number> {
    const total: Record<string, number> = {};
    const add = (prefix: string, counters: object) => {
      for (const [name, value] of Object.entries(counters)) {
        const key = `${prefix}.${name}`;
        total[key] = (total[key] ?? 0) + (value as number);
      }
    };
    add('udp', this.udpCounters);
    add('rrl', this.rateLimit.counters());
    add('servfail', this.servfailCounters);
    for (const listener of this.listeners) {
      add('tcp', listener.tcp.counters() satisfies TcpDnsCounters);
      add('socket', listener.socket.counters());
    }
    return total;
  }

  private status(): DnsServerStatus {
    return {
      listeners: this.listeners.map((listener) => {
        const udp = listener.socket.bound[0]; // TCP is bound to the same port
        return {
          address: udp.host,
          port: udp.port,
          family: udp.host.includes(':') ? ('IPv6' as const) : ('IPv4' as const),
          mode: modeText(listener.mode),
        };
      }),
      appliedIndex: this.copyIndex ?? 0,
      zones: this.zones.zoneCount,
      heldQueries: this.gate.held,
      traffic: this.traffic.reading(),
      counters: {
        ...this.counters,
        ...this.socketCounters(),
        ...this.responderCounters(),
        ...Object.fromEntries(Object.entries(this.updates.counters).map(([k, v]) => [`update.${k}`, v])),
        ...Object.fromEntries(Object.entries(this.transfers.counters).map(([k, v]) => [`transfer.${k}`, v])),
        'transfer.active': this.transfers.active,
        'rrl.entries': this.rateLimit.size,
        ...Object.fromEntries(Object.entries(this.notifies.counters).map(([k, v]) => [`notify.${k}`, v])),
        'notify.outstanding': this.notifies.outstanding,
        transferRules: this.transferAcl.size,
        'catalog.members': this.catalog?.members ?? 0,
        'catalog.serial': this.catalog?.serial ?? 0,
        'catalog.omitted': this.catalog?.omitted ?? 0,
        tsigKeys: this.tsigKeys.size,
      },
    };
  }
}

function modeText(mode: DnsListenerConfig['mode']): string {
  return formatReadMode(mode);
}

export const createDnsActor: ActorFactory<DnsActorMessage, DnsActorOptions> = (ctx, options) =>
  new DnsActor(ctx, options);
