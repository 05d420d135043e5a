/**
 * The DNS actor's handling of UPDATE messages (RFC 2136), from the datagram or TCP frame
 * to the answer:
 *
 *   1. TSIG (RFC 8945 §5.2): an unsigned UPDATE is REFUSED; an unknown key, a wrong MAC or
 *      a skewed time get NOTAUTH with BADKEY, BADSIG or BADTIME; a misplaced TSIG FORMERR.
 *   2. The message is read (update-request.ts); a bad zone section is FORMERR.
 *   3. The UPDATE waits for a linearizable read position (the read gate, as a
 *      `linearizable` query does, forwarded to the leader by a follower's log actor), so
 *      the copy of the zone it is evaluated on holds every write committed before it
 *      arrived: prerequisites are never judged on stale data.
 *   4. It is evaluated (update-evaluate.ts) into an rcode or changes with guards; the
 *      changes go to the replica's main thread (`dns-update-commit`), which commits them
 *      under the guards in this region and then writes them to the other regions.
 *   5. `committed` → NOERROR; `guards-failed` (a concurrent write moved what it read) →
 *      evaluated again from step 3, at most `UPDATE_ATTEMPTS_MAX` times, then SERVFAIL;
 *      `rejected` → REFUSED; `unavailable` or no answer by the deadline → SERVFAIL.
 *
 * Every answer copies the zone section (§3.8) and, for a signed request, is signed. The
 * answer leaves only after the commit: NOERROR means the change is durable in this region.
 *
 * Limits: `UPDATE_IN_FLIGHT_MAX` UPDATEs at once (beyond: SERVFAIL at once, which clients
 * retry), each with a deadline of `UPDATE_DEADLINE_MS`.
 */
import type { ResolvedTsigKey } from '../../../protocol/dns/tsig/cluster-key.js';
import type { TsigKeyring } from '../../../protocol/dns/tsig/key.js';
import { locateTsig } from '../../../protocol/dns/tsig/locate.js';
import { signAnswer } from '../../../protocol/dns/tsig/sign.js';
import { type RequestVerification, verifyRequest } from '../../../protocol/dns/tsig/verify.js';
import { OPCODE, RCODE } from '../../../protocol/dns/wire/codes.js';
import {
  decodeMessage,
  type Edns,
  encodeMessage,
  HEADER_BYTES,
  type Message,
  messageFlags,
} from '../../../protocol/dns/wire/message.js';
import type { DnsUpdateCommit, DnsUpdateOutcome } from '../protocol.js';
import { withoutTsig } from '../server/signed-query.js';
import type { ZoneView } from '../zone/zone-view.js';
import { evaluateUpdate } from './update-evaluate.js';
import { readUpdateRequest, type UpdateRequest } from './update-request.js';

export const UPDATE_IN_FLIGHT_MAX = 256;
/** Longer than the region writer's deadline, so its verdict normally arrives first. */
export const UPDATE_DEADLINE_MS = 15_000;
export const UPDATE_ATTEMPTS_MAX = 4;

export interface UpdateTicket<R> {
  readonly id: number;
  readonly route: R;
  readonly message: Message;
  readonly request: UpdateRequest & { readonly kind: 'update' };
  readonly verification: RequestVerification & { readonly kind: 'verified' };
  readonly key: ResolvedTsigKey;
  readonly deadlineMs: number;
  attempts: number;
}

export interface UpdateDeskPorts<R> {
  nowMs(): number;
  findZone(name: Message['questions'][number]['name'], rrClass: number): ZoneView | undefined;
  keyring(): TsigKeyring;
  resolvedKey(nameKey: string): ResolvedTsigKey | undefined;
  /** Waits for a linearizable read position, then calls `evaluate`; 'overloaded' when it cannot. */
  admit(ticket: UpdateTicket<R>): 'now' | 'held' | 'overloaded';
  /** Hands the changes to the main thread; false when they could not be sent. */
  submit(commit: DnsUpdateCommit): boolean;
  /** Every UPDATE gets exactly one call: null sends nothing (TCP still counts it answered). */
  reply(route: R, answer: Uint8Array | null): void;
  /** Our OPT for a query's OPT (RFC 6891 §6.1.1). */
  ednsFor(asked: Edns): Edns;
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
}

export interface UpdateCounters {
  received: number;
  committed: number;
  refused: number;
  notauth: number;
  prerequisiteFailed: number;
  retried: number;
  servfail: number;
}

export class UpdateDesk<R> {
  private nextId = 1;
  /** Tickets waiting for a read position or for their commit. */
  private readonly open = new Map<number, UpdateTicket<R>>();
  readonly counters: UpdateCounters = {
    received: 0,
    committed: 0,
    refused: 0,
    notauth: 0,
    prerequisiteFailed: 0,
    retried: 0,
    servfail: 0,
  };

  constructor(private readonly ports: UpdateDeskPorts<R>) {}

  get inFlight(): number {
    return this.open.size;
  }

  /** An UPDATE message (opcode 5) arrived. */
  receive(route: R, bytes: Uint8Array): void {
    this.counters.received++;
    // Too short for a header, or a response: nothing to answer (RFC 1035 §4.1.1).
    if (bytes.length < HEADER_BYTES || ((bytes[2] as number) & 0x80) !== 0) {
      this.ports.reply(route, null);
      return;
    }
    const now = this.ports.nowMs();
    const nowSeconds = Math.floor(now / 1000);
    const located = locateTsig(bytes);
    if (located.kind === 'formerr') {
      const decoded = decodeMessage(bytes);
      if (decoded.ok) this.answer(route, decoded.message, RCODE.FORMERR, undefined, nowSeconds);
      else this.ports.reply(route, formerrHeader(bytes));
      return;
    }
    if (located.kind === 'unsigned') {
      // RFC 2136 §3.3 leaves the policy to the server: only signed UPDATEs are accepted.
      this.counters.refused++;
      this.answer(route, located.message, RCODE.REFUSED, undefined, nowSeconds);
      return;
    }
    const verification = verifyRequest(bytes, this.ports.keyring(), nowSeconds);
    if (verification.kind === 'formerr' || verification.kind === 'unsigned') {
      this.answer(route, located.message, RCODE.FORMERR, undefined, nowSeconds);
      return;
    }
    if (verification.kind === 'rejected') {
      this.counters.notauth++;
      this.answer(route, located.message, RCODE.NOTAUTH, verification, nowSeconds);
      return;
    }
    const decoded = decodeMessage(withoutTsig(bytes, located.tsigStart));
    if (!decoded.ok) {
      this.answer(route, located.message, RCODE.FORMERR, verification, nowSeconds);
      return;
    }
    const request = readUpdateRequest(decoded.message);
    const key = this.ports.resolvedKey(verification.key.name.key);
    if (request.kind === 'formerr' || key === undefined) {
      this.answer(route, decoded.message, RCODE.FORMERR, verification, nowSeconds);
      return;
    }
    if (this.open.size >= UPDATE_IN_FLIGHT_MAX) {
      this.counters.servfail++;
      this.answer(route, decoded.message, RCODE.SERVFAIL, verification, nowSeconds);
      return;
    }
    const ticket: UpdateTicket<R> = {
      id: this.nextId++,
      route,
      message: decoded.message,
      request,
      verification,
      key,
      deadlineMs: now + UPDATE_DEADLINE_MS,
      attempts: 0,
    };
    this.open.set(ticket.id, ticket);
    this.admit(ticket);
  }

  /** The read gate released `ticket`: the copy of the zones is linearizable for it. */
  evaluate(ticket: UpdateTicket<R>): void {
    if (!this.open.has(ticket.id)) return;
    ticket.attempts++;
    const { request } = ticket;
    const verdict = evaluateUpdate(request, this.ports.findZone(request.zone, request.zoneClass), ticket.key);
    switch (verdict.kind) {
      case 'rcode':
        if (verdict.rcode === RCODE.REFUSED) this.counters.refused++;
        else if (verdict.rcode !== RCODE.NOTAUTH) this.counters.prerequisiteFailed++;
        this.finish(ticket, verdict.rcode);
        return;
      case 'no-change':
        this.counters.committed++;
        this.finish(ticket, RCODE.NOERROR);
        return;
      case 'changes': {
        const sent = this.ports.submit({
          type: 'dns-update-commit',
          id: ticket.id,
          zone: verdict.zone,
          changes: verdict.changes,
          guards: verdict.guards,
        });
        if (!sent) this.fail(ticket, 'the main thread did not take the commit');
        return;
      }
    }
  }

  /** The read gate could not give a position (no leader, overloaded, timeout). */
  failed(ticket: UpdateTicket<R>, why: string): void {
    if (this.open.has(ticket.id)) this.fail(ticket, why);
  }

  /** The main thread's verdict on a commit. */
  committed(id: number, outcome: DnsUpdateOutcome, message: string): void {
    const ticket = this.open.get(id);
    if (ticket === undefined) return;
    switch (outcome) {
      case 'committed':
        this.counters.committed++;
        this.finish(ticket, RCODE.NOERROR);
        return;
      case 'guards-failed':
        if (ticket.attempts >= UPDATE_ATTEMPTS_MAX) {
          this.fail(ticket, `still racing other writes after ${ticket.attempts} attempts`);
          return;
        }
        this.counters.retried++;
        this.admit(ticket);
        return;
      case 'rejected':
        this.counters.refused++;
        this.ports.warn({ update: id, reason: message }, 'UPDATE refused by the store');
        this.finish(ticket, RCODE.REFUSED);
        return;
      case 'unavailable':
        this.fail(ticket, message);
        return;
    }
  }

  /** SERVFAIL for every ticket past its deadline. */
  sweep(nowMs: number): void {
    for (const ticket of this.open.values())
      if (ticket.deadlineMs <= nowMs) this.fail(ticket, 'deadline passed');
  }

  private admit(ticket: UpdateTicket<R>): void {
    const admission = this.ports.admit(ticket);
    if (admission === 'now') this.evaluate(ticket);
    else if (admission === 'overloaded') this.fail(ticket, 'read gate overloaded');
  }

  private fail(ticket: UpdateTicket<R>, why: string): void {
    this.counters.servfail++;
    this.ports.warn({ update: ticket.id, reason: why }, 'UPDATE answered SERVFAIL');
    this.finish(ticket, RCODE.SERVFAIL);
  }

  private finish(ticket: UpdateTicket<R>, rcode: number): void {
    this.open.delete(ticket.id);
    this.answer(
      ticket.route,
      ticket.message,
      rcode,
      ticket.verification,
      Math.floor(this.ports.nowMs() / 1000),
    );
  }

  /** RFC 2136 §3.8: the header and zone section, the rcode; signed when the request was. */
  private answer(
    route: R,
    asked: Message,
    rcode: number,
    verification: RequestVerification | undefined,
    nowSeconds: number,
  ): void {
    const message: Message = {
      id: asked.id,
      flags: messageFlags({ qr: true, opcode: OPCODE.UPDATE, rcode }),
      questions: asked.questions.slice(0, 1),
      answers: [],
      authorities: [],
      additionals: [],
      ...(asked.edns === undefined ? {} : { edns: this.ports.ednsFor(asked.edns) }),
    };
    const unsigned = encodeMessage(message, { compress: true }).bytes;
    this.ports.reply(
      route,
      verification === undefined ? unsigned : signAnswer(unsigned, verification, nowSeconds),
    );
  }
}

/** FORMERR for a message that does not decode: its id and opcode, the header alone. */
function formerrHeader(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out[0] = bytes[0] as number;
  out[1] = bytes[1] as number;
  out[2] = 0x80 | (OPCODE.UPDATE << 3);
  out[3] = RCODE.FORMERR;
  return out;
}
