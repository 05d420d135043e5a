/**
 * The serving side's copy of the zones, built only from `ZoneDelta`s (zone-delta.ts): a
 * DNS server on another thread than the state machine keeps one and answers from it.
 * `apply` takes the deltas of committed batches in order; `reset` then the deltas of a
 * dump start it over. Deltas come from the store, which validated the data: a delta that
 * does not decode (which the store never sends) is skipped and counted in `rejectedDeltas`.
 */
import { RR_CLASS } from '../../../protocol/dns/wire/codes.js';
import { type Name, parseName } from '../../../protocol/dns/wire/name.js';
import { decodeRdata, type Rdata } from '../../../protocol/dns/wire/rdata.js';
import { LiveZone } from '../zone/live-zone.js';
import type { ZoneView } from '../zone/zone-view.js';
import type { ZoneDelta } from './zone-delta.js';
import { type ZoneChange, ZoneHistory } from './zone-history.js';

export class ZoneReplica {
  #zones = new Map<string, LiveZone>();
  /** Per zone (apex key), the same bounded change history the store keeps. */
  #histories = new Map<string, ZoneHistory>();
  #rejectedDeltas = 0;
  #zoneSetGeneration = 0;

  /**
   * Moves whenever a zone is added, removed or replaced (not when a zone's content
   * changes: that is the zone's own `generation`). While it stays, `find` returns the same
   * zone objects for the same names, so an answer cache may skip `find`.
   */
  get zoneSetGeneration(): number {
    return this.#zoneSetGeneration;
  }

  get zoneCount(): number {
    return this.#zones.size;
  }

  /** Deltas that did not decode (a bug upstream); they were skipped. */
  get rejectedDeltas(): number {
    return this.#rejectedDeltas;
  }

  /** Forgets every zone. */
  reset(): void {
    this.#zones.clear();
    this.#histories.clear();
    this.#zoneSetGeneration++;
  }

  /** Takes the zones of `other` (a copy built aside) in place of its own; `other` is left empty. */
  replaceWith(other: ZoneReplica): void {
    if (other === this) return;
    this.#zones = other.#zones;
    this.#histories = other.#histories;
    this.#rejectedDeltas += other.#rejectedDeltas;
    other.#zones = new Map();
    other.#histories = new Map();
    other.#rejectedDeltas = 0;
    this.#zoneSetGeneration++;
  }

  apply(deltas: readonly ZoneDelta[]): void {
    for (const delta of deltas) this.applyOne(delta);
  }

  applyOne(delta: ZoneDelta): void {
    if (!this.#applyOne(delta)) this.#rejectedDeltas++;
  }

  /** The zone with the longest apex containing `name`, of class `rrClass` (IN only here). */
  find(name: Name, rrClass: number): ZoneView | undefined {
    if (rrClass !== RR_CLASS.IN) return undefined;
    for (let n: Name | undefined = name; n !== undefined; n = n.parent()) {
      const zone = this.#zones.get(n.key);
      if (zone !== undefined) return zone;
    }
    return undefined;
  }

  /** The zone whose apex is `apex` (a transfer names the apex, RFC 5936 §2.1). */
  zoneAt(apex: Name): LiveZone | undefined {
    return this.#zones.get(apex.key);
  }

  /**
   * The retained changes of the zone at `apex`, oldest first: a copy, which later deltas do
   * not touch (a transfer holds it across turns).
   */
  historyAt(apex: Name): readonly ZoneChange[] {
    return this.#histories.get(apex.key)?.changes.slice() ?? [];
  }

  /** Every zone held. */
  zones(): IterableIterator<LiveZone> {
    return this.#zones.values();
  }

  /** The apex last parsed: a dump's and a batch's deltas come zone by zone. */
  #lastApex: { readonly text: string; readonly name: Name } | undefined;

  #parseApex(text: string): Name | undefined {
    if (this.#lastApex?.text === text) return this.#lastApex.name;
    const parsed = parseName(text);
    if (!parsed.ok) return undefined;
    this.#lastApex = { text, name: parsed.name };
    return parsed.name;
  }

  #applyOne(delta: ZoneDelta): boolean {
    const apex = this.#parseApex(delta.zone);
    if (apex === undefined) return false;
    if (delta.kind === 'zone') {
      this.#zoneSetGeneration++;
      this.#histories.delete(apex.key);
      if (delta.present) {
        this.#zones.set(apex.key, new LiveZone(apex, RR_CLASS.IN));
        this.#histories.set(apex.key, new ZoneHistory());
      } else this.#zones.delete(apex.key);
      return true;
    }
    if (delta.kind === 'history') {
      const history = this.#histories.get(apex.key);
      if (history === undefined) return false;
      if (delta.change === null) history.clear();
      else history.append(delta.change);
      return true;
    }
    const zone = this.#zones.get(apex.key);
    const owner = parseName(delta.owner);
    if (zone === undefined || !owner.ok || !zone.contains(owner.name)) return false;
    if (delta.rdatas === null) {
      zone.deleteRRset(owner.name, delta.type);
      return true;
    }
    // Sized exactly: the copy keeps it (protocol/exact-array.ts).
    const rdatas = new Array<Rdata>(delta.rdatas.length);
    for (let i = 0; i < rdatas.length; i++) {
      const decoded = decodeRdata(delta.type, delta.rdatas[i] as Uint8Array);
      if (!decoded.ok) return false;
      rdatas[i] = decoded.rdata;
    }
    zone.setRRset(owner.name, { type: delta.type, ttl: delta.ttl, rdatas });
    return true;
  }
}
