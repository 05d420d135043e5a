/**
 * The DNS actor: the replica's DNS front (UDP and TCP listeners, RFC 1035 §4.2, RFC 7766).
 * It answers from its own copy of the zones, which the state machine keeps current with
 * `zone-sync` messages as entries apply, and lets the read gate decide when each query may
 * be answered under its listener's read mode. The sockets live here, at the edge: this
 * actor never runs in the simulator.
 */

import { RCODE } from '../../protocol/dns/wire/codes.js';
import { EDNS_UDP_PAYLOAD_BYTES_DEFAULT } from '../../protocol/limits.js';
import { formatReadMode } from '../../protocol/read-mode.js';
import type { Actor, ActorContext, ActorFactory, MessageMeta } from '../../runtime/actor.js';
import type { MessageOf } from '../../runtime/message.js';
import { LeaseBoard } from '../log/lease-board.js';
import type { LogMessage } from '../log/protocol.js';
import { LOG, STATE_MACHINE } from '../raft/actor-names.js';
import type { StateMachineMessage } from '../state-machine/protocol.js';
import type { DnsActorMessage, DnsListenerConfig, DnsServerStatus, ZoneSync } from './protocol.js';
import { type Admission, type GateFailure, ReadGate } from './read-gate.js';
import { addressText } from './server/dns-handler.js';
import { DnsListeners, type DnsTransport } from './server/dns-listeners.js';
import { Responder } from './server/responder.js';
import { ZoneReplica } from './store/zone-replica.js';

export interface DnsActorOptions {
  readonly listeners: readonly DnsListenerConfig[];
  /** Served as NSID and CH TXT id.server: which replica answered. */
  readonly identity: string;
  readonly maxUdpPayload: number;
  readonly cacheEntries: number;
  /** Queries held by the read gate at most; beyond, SERVFAIL at once. */
  readonly maxHeldQueries: number;
  /** A held query is answered SERVFAIL after this (resolvers retry after ~1–2 s). */
  readonly holdTimeoutMs: number;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  readonly tickMs: number;
}

export const DEFAULT_DNS_ACTOR: Omit<DnsActorOptions, 'listeners' | 'identity'> = {
  maxUdpPayload: EDNS_UDP_PAYLOAD_BYTES_DEFAULT,
  cacheEntries: 65_536,
  maxHeldQueries: 16_384,
  holdTimeoutMs: 1_000,
  tcpIdleTimeoutMs: 10_000,
  tcpMaxConnections: 256,
  tickMs: 100,
};

const ACTOR_REQUEST_TIMEOUT_MS = 2_000;

interface HeldQuery {
  readonly query: Uint8Array;
  readonly transport: DnsTransport;
  /** Set when the gate holds the query (it never releases one during `admit`). */
  resolve: (answer: Uint8Array | null) => void;
}

const unresolved = (): void => undefined;

class DnsActor implements Actor<DnsActorMessage> {
  private readonly zones = new ZoneReplica();
  private readonly responder: Responder;
  private readonly gate: ReadGate<HeldQuery>;
  private readonly listeners: DnsListeners[] = [];
  /** The log index the copy reflects; null until the first dump arrived. */
  private copyIndex: number | null = null;
  private dumpInFlight = false;
  private readonly counters = {
    served: 0,
    held: 0,
    servfail: 0,
    overloaded: 0,
    dumps: 0,
    syncs: 0,
    leaseBoardReads: 0,
  };
  /** Where the leader's log actor publishes its read lease (lease-board.ts). */
  private readonly leaseBoard = LeaseBoard.create();

  constructor(
    private readonly ctx: ActorContext<DnsActorMessage>,
    private readonly options: DnsActorOptions,
  ) {
    this.responder = new Responder({
      identity: options.identity,
      maxUdpPayload: options.maxUdpPayload,
      cacheEntries: options.cacheEntries,
    });
    this.gate = new ReadGate<HeldQuery>(
      { maxWaiting: options.maxHeldQueries, waitTimeoutMs: options.holdTimeoutMs },
      {
        requestPosition: (mode, round) => {
          this.ctx
            .request<MessageOf<LogMessage, 'read-index'>>(
              LOG,
              { type: 'read-index', mode },
              { timeoutMs: ACTOR_REQUEST_TIMEOUT_MS },
            )
            .then(
              (result) =>
                this.gate.onPosition(
                  mode,
                  round,
                  result.ok
                    ? { ok: true, index: result.readIndex }
                    : { ok: false, why: result.reason === 'not-leader' ? 'not-leader' : 'overloaded' },
                ),
              () => this.gate.onPosition(mode, round, { ok: false, why: 'timeout' }),
            );
        },
        requestContact: () => {
          this.ctx
            .request<MessageOf<LogMessage, 'contact'>>(
              LOG,
              { type: 'contact' },
              { timeoutMs: ACTOR_REQUEST_TIMEOUT_MS },
            )
            .then(
              (contact) =>
                this.gate.onContact(
                  contact.ok
                    ? { ok: true, ageMs: contact.ageMs, commitIndex: contact.commitIndex }
                    : { ok: false, why: 'stale' },
                  this.ctx.clock.nowMs(),
                ),
              () => this.gate.onContact({ ok: false, why: 'timeout' }, this.ctx.clock.nowMs()),
            );
        },
        release: (held) => held.resolve(this.answer(held.query, held.transport)),
        fail: (held, why) => held.resolve(this.fail(held.query, why)),
      },
    );
  }

  async start(): Promise<void> {
    this.offerLeaseBoard();
    await this.requestDump();
    for (const listener of this.options.listeners) {
      const mode = listener.mode;
      this.listeners.push(
        await DnsListeners.start({
          addresses: [addressText(listener.host, listener.port)],
          handler: (query, transport) => this.query(query, transport, mode),
          logger: this.ctx.log,
          tcpIdleTimeoutMs: this.options.tcpIdleTimeoutMs,
          tcpMaxConnections: this.options.tcpMaxConnections,
        }),
      );
    }
    this.ctx.after(this.options.tickMs, { type: 'tick' });
    this.ctx.log.info(
      { listeners: this.status().listeners, zones: this.zones.zoneCount },
      'dns listeners started',
    );
  }

  async stop(): Promise<void> {
    this.gate.failAll('timeout');
    await Promise.all(this.listeners.map((listeners) => listeners.close()));
  }

  receive(message: DnsActorMessage, meta: MessageMeta): void {
    switch (message.type) {
      case 'zone-sync':
        this.sync(message);
        return;
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'tick':
        this.ctx.after(this.options.tickMs, { type: 'tick' });
        this.gate.expire(this.ctx.clock.nowMs());
        if (this.copyIndex === null) void this.requestDump();
        // Again and again: a restarted log actor has forgotten it (the log keeps the same one).
        this.offerLeaseBoard();
        return;
    }
  }

  inspect(): unknown {
    return this.status();
  }

  // ------------------------------------------------------------------ queries

  private query(
    query: Uint8Array,
    transport: DnsTransport,
    mode: DnsListenerConfig['mode'],
  ): Uint8Array | null | Promise<Uint8Array | null> {
    if (this.copyIndex === null) return this.fail(query, 'stale');
    // The hot path (bounded mode with a fresh contact, lease mode on the leader) answers
    // synchronously: no promise, no message.
    const held: HeldQuery = { query, transport, resolve: unresolved };
    const now = this.ctx.clock.nowMs();
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
    switch (admission ?? this.gate.admit(mode, held, now)) {
      case 'now':
        return this.answer(query, transport);
      case 'held':
        this.counters.held++;
        return new Promise<Uint8Array | null>((resolve) => {
          held.resolve = resolve;
        });
      case 'overloaded':
        this.counters.overloaded++;
        return this.fail(query, 'overloaded');
    }
  }

  private offerLeaseBoard(): void {
    this.ctx.send(LOG, { type: 'lease-board', buffer: this.leaseBoard.buffer });
  }

  private answer(query: Uint8Array, transport: DnsTransport): Uint8Array | null {
    this.counters.served++;
    return this.responder.respond(query, transport, this.zones);
  }

  private fail(query: Uint8Array, why: GateFailure): Uint8Array | null {
    void why;
    this.counters.servfail++;
    return this.responder.errorResponse(query, RCODE.SERVFAIL);
  }

  // ------------------------------------------------------------------ the copy of the zones

  private sync(sync: ZoneSync): void {
    this.counters.syncs++;
    if (sync.reset) {
      this.resetTo(sync);
      return;
    }
    if (this.dumpInFlight || this.copyIndex === null) return;
    if (sync.index <= this.copyIndex) return; // entries this copy already reflects
    if (sync.fromIndex !== this.copyIndex) {
      // A gap (a lost sync, or a restarted state machine replaying): start over from a dump.
      void this.requestDump();
      return;
    }
    this.zones.apply(sync.deltas);
    this.copyIndex = sync.index;
    this.gate.onApplied(sync.index);
  }

  private resetTo(sync: ZoneSync): void {
    this.zones.reset();
    this.zones.apply(sync.deltas);
    this.copyIndex = sync.index;
    this.gate.onReset(sync.index);
  }

  private async requestDump(): Promise<void> {
    if (this.dumpInFlight) return;
    this.dumpInFlight = true;
    this.counters.dumps++;
    try {
      const dump = await this.ctx.request<MessageOf<StateMachineMessage, 'zone-dump'>>(
        STATE_MACHINE,
        { type: 'zone-dump' },
        { timeoutMs: ACTOR_REQUEST_TIMEOUT_MS },
      );
      this.resetTo(dump);
    } catch (error) {
      this.ctx.log.warn({ err: error }, 'zone dump from the state machine failed; retrying on the next sync');
    } finally {
      this.dumpInFlight = false;
    }
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

  private status(): DnsServerStatus {
    return {
      listeners: this.listeners.flatMap((listeners, i) =>
        listeners.bound
          .filter((bound) => bound.transport === 'udp') // TCP is bound to the same port
          .map((bound) => ({
            address: bound.host,
            port: bound.port,
            family: bound.host.includes(':') ? ('IPv6' as const) : ('IPv4' as const),
            mode: modeText(this.options.listeners[i]?.mode),
          })),
      ),
      appliedIndex: this.copyIndex ?? 0,
      zones: this.zones.zoneCount,
      heldQueries: this.gate.held,
      counters: { ...this.counters, ...this.listeners.reduce(sumCounters, {}), ...this.responderCounters() },
    };
  }
}

function modeText(mode: DnsListenerConfig['mode'] | undefined): string {
  if (mode === undefined) return 'unknown';
  return formatReadMode(mode);
}

function sumCounters(total: Record<string, number>, listeners: DnsListeners): Record<string, number> {
  const { udp, tcp } = listeners.counters();
  for (const [prefix, counters] of [
    ['udp', udp],
    ['tcp', tcp],
  ] as const) {
    for (const [name, value] of Object.entries(counters)) {
      const key = `${prefix}.${name}`;
      total[key] = (total[key] ?? 0) + value;
    }
  }
  return total;
}

export const createDnsActor: ActorFactory<DnsActorMessage, DnsActorOptions> = (ctx, options) =>
  new DnsActor(ctx, options);
