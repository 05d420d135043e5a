/**
 * NOTIFY from the primary (RFC 1996): the replica holding its group's read lease (the
 * leader, lease-board.ts) tells every secondary listed for a zone (`raftns zone notify`)
 * that the zone changed, as soon as its copy of the zone shows a serial the secondary has
 * not acknowledged.
 *
 * Level-triggered: for each (zone, secondary) the desk remembers the last serial the
 * secondary acknowledged, and sends whenever the zone's serial differs. So a change made
 * while another replica led, a NOTIFY lost with a restarted actor, or a leader change
 * between a commit and its NOTIFY all end with the secondary told of the current serial by
 * whoever leads next. At most one NOTIFY is outstanding per secondary and zone (§3.6):
 * a change while one is outstanding rides on its retransmission, which carries the current
 * SOA. Retransmissions back off from 1 s, doubling to at most 60 s, 5 at most (§3.6: "a
 * maximum of 5 retransmissions ... additive or exponential backoff"); then the desk gives
 * up on that serial until the next change. A secondary answering with an error (NOTAUTH,
 * REFUSED: it does not take the zone from us) has answered: it is not retried.
 *
 * Deterministic: time, ids and sending come from the DNS actor.
 */

import { encodeNotify, readNotifyAnswer } from '../../../protocol/dns/notify.js';
import { addressOctets, type ParsedNotifyTarget } from '../../../protocol/dns/transfer-acl.js';
import type { TsigKeyring } from '../../../protocol/dns/tsig/key.js';
import { signRequest } from '../../../protocol/dns/tsig/sign.js';
import { RCODE } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import type { SoaRdata } from '../../../protocol/dns/wire/rdata.js';
import type { LogFields } from '../../../runtime/log.js';

/** The first retransmission's delay; each next one doubles it. */
export const NOTIFY_RETRY_FIRST_MS = 1_000;
export const NOTIFY_RETRY_MAX_MS = 60_000;
/** Retransmissions of one NOTIFY at most (RFC 1996 §3.6). */
export const NOTIFY_RETRANSMISSIONS_MAX = 5;
/** Ids drawn at most for one NOTIFY while the drawn one is outstanding already. */
const ID_DRAWS_MAX = 8;

export interface NotifyZone {
  readonly apex: Name;
  readonly soa: { readonly rdata: SoaRdata; readonly ttl: number };
}

export interface NotifyDeskDeps {
  nowMs(): number;
  /** A fresh 16-bit message id. */
  nextId(): number;
  /** True while this replica may speak for the group (it holds the read lease). */
  isLeader(): boolean;
  /** The zone with this apex in this replica's copy, if it serves it. */
  zone(apex: Name): NotifyZone | undefined;
  keyring(): TsigKeyring;
  send(target: ParsedNotifyTarget, bytes: Uint8Array): void;
  warn(fields: LogFields, text: string): void;
}

interface Outstanding {
  readonly id: number;
  serial: number;
  sentAtMs: number;
  sends: number;
}

interface TargetState {
  readonly apex: Name;
  readonly zoneKey: string;
  readonly target: ParsedNotifyTarget;
  /** The serial the secondary last answered a NOTIFY of. */
  acked: number | undefined;
  /** The serial given up on (retransmissions exhausted, or no key to sign with). */
  gaveUp: number | undefined;
  outstanding: Outstanding | undefined;
}

export interface NotifyCounters {
  sent: number;
  retransmitted: number;
  answered: number;
  refused: number;
  gaveUp: number;
  unmatchedAnswers: number;
}

export class NotifyDesk {
  /** By `zoneKey target-id`. */
  #states = new Map<string, TargetState>();
  /** The states with a NOTIFY outstanding, by its message id: answers and retransmissions look here, not at every state. */
  #inFlight = new Map<number, TargetState>();
  #dirty = false;
  #wasLeader = false;
  readonly counters: NotifyCounters = {
    sent: 0,
    retransmitted: 0,
    answered: 0,
    refused: 0,
    gaveUp: 0,
    unmatchedAnswers: 0,
  };

  constructor(private readonly deps: NotifyDeskDeps) {}

  /** The secondaries per zone (from the transfer rules). Known serials are kept for targets that stay the same. */
  setTargets(targets: Iterable<readonly [Name, readonly ParsedNotifyTarget[]]>): void {
    const next = new Map<string, TargetState>();
    for (const [apex, list] of targets)
      for (const target of list) {
        const key = `${apex.key} ${target.id}`;
        const known = this.#states.get(key);
        next.set(
          key,
          known !== undefined && known.target.keyName === target.keyName
            ? known
            : {
                apex,
                zoneKey: apex.key,
                target,
                acked: undefined,
                gaveUp: undefined,
                outstanding: undefined,
              },
        );
      }
    this.#states = next;
    this.#inFlight = new Map(
      [...next.values()].flatMap((state) =>
        state.outstanding === undefined ? [] : [[state.outstanding.id, state] as const],
      ),
    );
    this.#dirty = true;
  }

  #settle(state: TargetState, outstanding: Outstanding | undefined): void {
    if (state.outstanding !== undefined) this.#inFlight.delete(state.outstanding.id);
    state.outstanding = outstanding;
    if (outstanding !== undefined) this.#inFlight.set(outstanding.id, state);
  }

  /** The copy of the zones changed: serials may have moved. */
  zonesChanged(): void {
    this.#dirty = true;
  }

  get outstanding(): number {
    return this.#inFlight.size;
  }

  /** Sends what is due: first NOTIFYs of new serials, and retransmissions. Cheap when nothing is. */
  pump(): void {
    const leader = this.deps.isLeader();
    if (leader && !this.#wasLeader) this.#dirty = true;
    this.#wasLeader = leader;
    if (!leader) {
      // Another replica leads (or none): it notifies. Forget what is in flight, keep what was acknowledged.
      for (const state of this.#inFlight.values()) state.outstanding = undefined;
      this.#inFlight.clear();
      return;
    }
    const now = this.deps.nowMs();
    for (const state of [...this.#inFlight.values()]) this.#retransmitIfDue(state, now);
    if (!this.#dirty) return;
    this.#dirty = false;
    for (const state of this.#states.values())
      if (state.outstanding === undefined) this.#sendIfBehind(state, now);
  }

  /** A response (QR set) with opcode NOTIFY from `address:port`. Returns true when it answered one of ours. */
  answer(address: string, port: number, bytes: Uint8Array): boolean {
    const parsed = readNotifyAnswer(bytes);
    const from = addressOctets(address);
    const state = parsed === undefined ? undefined : this.#inFlight.get(parsed.id);
    const sent = state?.outstanding;
    const ours =
      parsed !== undefined &&
      state !== undefined &&
      sent !== undefined &&
      from !== undefined &&
      state.zoneKey === parsed.zoneKey &&
      state.target.port === port &&
      sameOctets(addressOctets(state.target.address), from);
    if (!ours) {
      this.counters.unmatchedAnswers++;
      return false;
    }
    this.#settle(state, undefined);
    state.acked = sent.serial;
    this.counters.answered++;
    if (parsed.rcode !== RCODE.NOERROR) {
      this.counters.refused++;
      this.deps.warn(
        { zone: state.zoneKey, secondary: state.target.id, rcode: parsed.rcode },
        'a secondary refused a NOTIFY',
      );
    }
    // A change that landed while this one was out: tell it now.
    this.#sendIfBehind(state, this.deps.nowMs());
    return true;
  }

  #sendIfBehind(state: TargetState, now: number): void {
    const zone = this.deps.zone(state.apex);
    if (zone === undefined) return;
    const serial = zone.soa.rdata.serial;
    if (state.acked === serial || state.gaveUp === serial) return;
    let id = this.deps.nextId();
    // Ids tell outstanding NOTIFYs apart: draw again (a few times) while one is taken.
    for (let draws = 1; this.#inFlight.has(id) && draws < ID_DRAWS_MAX; draws++) id = this.deps.nextId();
    if (this.#inFlight.has(id)) return; // tried again on the next pump
    const outstanding: Outstanding = { id, serial, sentAtMs: now, sends: 0 };
    if (this.#transmit(state, zone, outstanding)) {
      this.#settle(state, outstanding);
      this.counters.sent++;
    }
  }

  #retransmitIfDue(state: TargetState, now: number): void {
    const sent = state.outstanding as Outstanding;
    const delay = Math.min(NOTIFY_RETRY_FIRST_MS * 2 ** (sent.sends - 1), NOTIFY_RETRY_MAX_MS);
    if (now - sent.sentAtMs < delay) return;
    if (sent.sends > NOTIFY_RETRANSMISSIONS_MAX) {
      this.#settle(state, undefined);
      state.gaveUp = sent.serial;
      this.counters.gaveUp++;
      this.deps.warn(
        { zone: state.zoneKey, secondary: state.target.id, serial: sent.serial, sends: sent.sends },
        'a secondary did not answer NOTIFY; giving up until the next change',
      );
      return;
    }
    const zone = this.deps.zone(state.apex);
    if (zone === undefined) {
      this.#settle(state, undefined);
      return;
    }
    sent.serial = zone.soa.rdata.serial;
    sent.sentAtMs = now;
    if (this.#transmit(state, zone, sent)) this.counters.retransmitted++;
  }

  /** Sends (signed when the target has a key); false when it cannot be signed (given up, logged). */
  #transmit(state: TargetState, zone: NotifyZone, sent: Outstanding): boolean {
    let bytes = encodeNotify(sent.id, zone.apex, zone.soa);
    const keyName = state.target.keyName;
    if (keyName !== undefined) {
      const key = this.deps.keyring().get(keyName);
      if (key === undefined) {
        state.gaveUp = sent.serial;
        this.#settle(state, undefined);
        this.counters.gaveUp++;
        this.deps.warn(
          { zone: state.zoneKey, secondary: state.target.id, key: keyName },
          'NOTIFY key unknown; not sent',
        );
        return false;
      }
      bytes = signRequest(bytes, key, Math.floor(this.deps.nowMs() / 1000)).bytes;
    }
    sent.sends++;
    this.deps.send(state.target, bytes);
    return true;
  }
}

function sameOctets(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((octet, i) => octet === b[i]);
}
