/**
 * The DNS actor's zone transfers (AXFR, RFC 5936; IXFR, RFC 1995), from the request to the
 * last message:
 *
 *   1. The request is read (transfer-request.ts): TSIG checked, malformed → FORMERR,
 *      AXFR over UDP → NOTIMP (RFC 5936 §4.2).
 *   2. The question must name the apex of a zone this replica serves: NOTAUTH otherwise
 *      (RFC 5936 §2.2.1: "not authoritative for the queried zone").
 *   3. Access control (protocol/dns/transfer-acl.ts): the verified key is listed for the
 *      zone, or the source address is in a listed prefix; otherwise REFUSED (RFC 5936 §6:
 *      the primary's policy). The default denies.
 *   4. At most `TRANSFERS_MAX` transfers at once per replica (held or streaming); one more
 *      gets SERVFAIL at once, which a secondary retries after its retry interval.
 *   5. The request waits at the read gate under its listener's read mode, as a query does:
 *      a `linearizable` listener's transfer holds every write acknowledged before it
 *      arrived. When the gate releases it, the zone is frozen at the copy's index in that
 *      turn (zone-snapshot.ts), so the transfer is one version even while writes continue.
 *      An IXFR takes the zone's retained changes (zone-history.ts) in that same turn:
 *        - the client's serial is not older than ours: our SOA alone (RFC 1995 §2);
 *        - the history leads from the client's serial to ours, and the difference has no
 *          more records than the zone: the difference sequences (ixfr-stream.ts, §4);
 *        - otherwise (too old, a serial we never had, a larger difference): the whole zone
 *          in AXFR form (§4).
 *   6. The messages (axfr-stream.ts, ixfr-stream.ts) leave `MESSAGES_PER_TURN` at a time; the desk asks
 *      for another turn (`continueLater`) until the last, so one large zone does not hold
 *      the actor's turn (queries keep being answered between its messages). A connection
 *      that went away ends the transfer.
 *
 * Over UDP only IXFR is served, in one message: the difference when it fits in the
 * client's UDP payload size, our SOA alone otherwise (RFC 1995 §2: the client then retries
 * over TCP).
 */

import { serialLessThan } from '../../../protocol/dns/serial.js';
import type { TransferAcl } from '../../../protocol/dns/transfer-acl.js';
import type { TsigKeyring } from '../../../protocol/dns/tsig/key.js';
import { signAnswer } from '../../../protocol/dns/tsig/sign.js';
import { TsigStreamSigner } from '../../../protocol/dns/tsig/stream.js';
import { RCODE } from '../../../protocol/dns/wire/codes.js';
import { type Edns, type Message, messageFlags } from '../../../protocol/dns/wire/message.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import { errorAnswer } from '../server/error-answer.js';
import { changesSince, type ZoneChange } from '../store/zone-history.js';
import type { LiveZone } from '../zone/live-zone.js';
import { AxfrStream, TransferTooLargeRecordError } from './axfr-stream.js';
import { IxfrStream, ixfrRecords } from './ixfr-stream.js';
import { readTransferRequest, type TransferRequest } from './transfer-request.js';
import { snapshotZone } from './zone-snapshot.js';

/** Transfers at once per replica, held at the gate or streaming. */
export const TRANSFERS_MAX = 8;
/** Messages sent per actor turn (up to 64 KiB each: a few milliseconds of encoding). */
export const MESSAGES_PER_TURN = 4;
/** The UDP payload a client without EDNS can take (RFC 1035 §4.2.1). */
const CLASSIC_UDP_PAYLOAD_BYTES = 512;

/** Where a transfer's answers go, as the DNS actor knows it. */
export interface TransferRoute {
  readonly transport: 'udp' | 'tcp';
  /** The client's address, for access control. */
  readonly remoteAddress: string | undefined;
}

export interface TransferTicket<R extends TransferRoute> {
  readonly id: number;
  readonly route: R;
  readonly request: TransferRequest;
  readonly apex: Name;
}

export interface TransferDeskPorts<R extends TransferRoute> {
  nowMs(): number;
  keyring(): TsigKeyring;
  acl(): TransferAcl;
  /** The zone whose apex is `name`, if this replica serves it. */
  zoneAt(name: Name): LiveZone | undefined;
  /** The retained changes of the zone at `apex`, oldest first, as of the copy `zoneAt` gives now. */
  historyAt(apex: Name): readonly ZoneChange[];
  /** 'now': the copy may serve it at once; 'held': `release` or `failed` follows; 'overloaded': it cannot wait. */
  admit(ticket: TransferTicket<R>): 'now' | 'held' | 'overloaded';
  /** A message that is not the last; false when the connection is gone. */
  send(route: R, bytes: Uint8Array): boolean;
  /** The last (or only) message of the request; null sends nothing. Called once per request. */
  finish(route: R, bytes: Uint8Array | null): void;
  /** Asks for `pump(id)` in a later turn. */
  continueLater(id: number): void;
  ednsFor(asked: Edns): Edns;
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
}

export interface TransferCounters {
  requests: number;
  refused: number;
  notauth: number;
  malformed: number;
  overloaded: number;
  started: number;
  completed: number;
  aborted: number;
  soaOnly: number;
  /** IXFRs answered with difference sequences (the rest of `started` went in AXFR form). */
  incremental: number;
  messages: number;
  octets: number;
}

interface Session<R extends TransferRoute> {
  readonly ticket: TransferTicket<R>;
  readonly stream: AxfrStream | IxfrStream;
}

export class TransferDesk<R extends TransferRoute> {
  readonly counters: TransferCounters = {
    requests: 0,
    refused: 0,
    notauth: 0,
    malformed: 0,
    overloaded: 0,
    started: 0,
    completed: 0,
    aborted: 0,
    soaOnly: 0,
    incremental: 0,
    messages: 0,
    octets: 0,
  };
  /** Admitted and not finished: held at the gate, or streaming. */
  #active = 0;
  #nextId = 1;
  readonly #sessions = new Map<number, Session<R>>();

  constructor(private readonly ports: TransferDeskPorts<R>) {}

  get active(): number {
    return this.#active;
  }

  /** A query `transferQueryType` recognised. */
  receive(route: R, query: Uint8Array): void {
    this.counters.requests++;
    const nowSeconds = Math.floor(this.ports.nowMs() / 1000);
    const reading = readTransferRequest(query, {
      transport: route.transport,
      keyring: this.ports.keyring(),
      nowSeconds,
      ourEdns: (asked) => this.ports.ednsFor(asked),
    });
    if (reading.kind === 'answer') {
      this.counters.malformed++;
      this.ports.finish(route, reading.bytes);
      return;
    }
    const request = reading.request;
    const zone = this.ports.zoneAt(request.question.name);
    if (zone === undefined) {
      this.counters.notauth++;
      this.ports.finish(route, this.#error(request, RCODE.NOTAUTH, nowSeconds));
      return;
    }
    const keyName = request.verification?.key.name.key;
    if (!this.ports.acl().allows(zone.apex, keyName, route.remoteAddress)) {
      this.counters.refused++;
      this.ports.finish(route, this.#error(request, RCODE.REFUSED, nowSeconds));
      return;
    }
    if (this.#active >= TRANSFERS_MAX) {
      this.counters.overloaded++;
      this.ports.finish(route, this.#error(request, RCODE.SERVFAIL, nowSeconds));
      return;
    }
    const ticket: TransferTicket<R> = { id: this.#nextId++, route, request, apex: zone.apex };
    this.#active++;
    const admitted = this.ports.admit(ticket);
    if (admitted === 'now') this.release(ticket);
    else if (admitted === 'overloaded') this.failed(ticket);
  }

  /** The gate released `ticket`: the copy holds everything its read mode requires. */
  release(ticket: TransferTicket<R>): void {
    const nowSeconds = Math.floor(this.ports.nowMs() / 1000);
    const { request, route } = ticket;
    const zone = this.ports.zoneAt(ticket.apex);
    if (zone === undefined) {
      // Removed while the request waited.
      this.#active--;
      this.counters.notauth++;
      this.ports.finish(route, this.#error(request, RCODE.NOTAUTH, nowSeconds));
      return;
    }
    const snapshot = snapshotZone(zone);
    const history = this.ports.historyAt(zone.apex);
    const clientSerial = request.clientSerial;
    const behind =
      request.type === 'IXFR' && clientSerial !== undefined && serialLessThan(clientSerial, snapshot.serial);
    // RFC 1995 §4: the difference when the history reaches the client and is not larger than the zone.
    const path = behind ? changesSince(history, clientSerial as number, snapshot.serial) : undefined;
    const records = path === undefined ? undefined : ixfrRecords(snapshot.soa, path, snapshot.rrClass);
    const verification = request.verification;
    const ourEdns = request.edns === undefined ? undefined : this.ports.ednsFor(request.edns);
    const common = {
      id: request.id,
      rd: request.rd,
      question: request.question,
      edns: ourEdns,
      signer:
        verification === undefined
          ? undefined
          : new TsigStreamSigner(verification.key, verification.request.rdata.mac),
      reserveBytes: request.reserveBytes,
    };
    let stream: AxfrStream | IxfrStream;
    if (records !== undefined && records.length <= snapshot.recordCount + 1) {
      const udpBytesMax =
        route.transport === 'udp'
          ? Math.max(
              CLASSIC_UDP_PAYLOAD_BYTES,
              Math.min(request.edns?.udpPayloadSize ?? 0, ourEdns?.udpPayloadSize ?? 0),
            )
          : undefined;
      stream = new IxfrStream(records, { ...common, udpBytesMax });
      this.counters.incremental++;
      this.counters.started++;
    } else {
      // RFC 1995 §2: a client as new as we are, or one over UDP we cannot answer in
      // differences, gets our SOA alone.
      const soaOnly = request.type === 'IXFR' && (!behind || route.transport === 'udp');
      stream = new AxfrStream(snapshot, { ...common, soaOnly });
      if (soaOnly) this.counters.soaOnly++;
      else this.counters.started++;
    }
    this.#sessions.set(ticket.id, { ticket, stream });
    this.pump(ticket.id);
  }

  /** The gate could not serve `ticket` (stale copy, no leader, timeout): SERVFAIL. */
  failed(ticket: TransferTicket<R>): void {
    this.#active--;
    this.counters.overloaded++;
    const nowSeconds = Math.floor(this.ports.nowMs() / 1000);
    this.ports.finish(ticket.route, this.#error(ticket.request, RCODE.SERVFAIL, nowSeconds));
  }

  /** Sends the next messages of session `id`. */
  pump(id: number): void {
    const session = this.#sessions.get(id);
    if (session === undefined) return;
    const { stream, ticket } = session;
    try {
      for (let sent = 0; sent < MESSAGES_PER_TURN; sent++) {
        const bytes = stream.next(Math.floor(this.ports.nowMs() / 1000));
        if (bytes === undefined) break;
        this.counters.messages++;
        this.counters.octets += bytes.length;
        if (stream.done) {
          this.#end(id, 'completed');
          this.ports.finish(ticket.route, bytes);
          return;
        }
        if (!this.ports.send(ticket.route, bytes)) {
          this.#end(id, 'aborted');
          this.ports.finish(ticket.route, null);
          return;
        }
      }
    } catch (error) {
      if (!(error instanceof TransferTooLargeRecordError)) throw error;
      this.ports.warn({ zone: ticket.apex.toString(), problem: error.message }, 'zone transfer stopped');
      this.#end(id, 'aborted');
      // Messages went out already: closing without an answer is all that is left (RFC 5936 §2.2: an
      // incomplete transfer is discarded by the client).
      this.ports.finish(ticket.route, null);
      return;
    }
    this.ports.continueLater(id);
  }

  /** Every session ends without its last message (the actor stops). */
  abortAll(): void {
    for (const [id, session] of this.#sessions) {
      this.#end(id, 'aborted');
      this.ports.finish(session.ticket.route, null);
    }
  }

  #end(id: number, how: 'completed' | 'aborted'): void {
    if (!this.#sessions.delete(id)) return;
    this.#active--;
    this.counters[how]++;
  }

  #error(request: TransferRequest, rcode: number, nowSeconds: number): Uint8Array {
    const asked: Message = {
      id: request.id,
      flags: messageFlags({ rd: request.rd }),
      questions: [request.question],
      answers: [],
      authorities: [],
      additionals: [],
      ...(request.edns === undefined ? {} : { edns: request.edns }),
    };
    const bytes = errorAnswer(asked, rcode, (e) => this.ports.ednsFor(e));
    return request.verification === undefined ? bytes : signAnswer(bytes, request.verification, nowSeconds);
  }
}
