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

export class ZoneReplica {
  readonly #zones = new Map<string, LiveZone>();
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
    this.#zoneSetGeneration++;
  }

  apply(deltas: readonly ZoneDelta[]): void {
    for (const delta of deltas) {
      if (!this.#applyOne(delta)) this.#rejectedDeltas++;
    }
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

  /** Every zone held. */
  zones(): IterableIterator<LiveZone> {
    return this.#zones.values();
  }

  #applyOne(delta: ZoneDelta): boolean {
    const apex = parseName(delta.zone);
    if (!apex.ok) return false;
    if (delta.kind === 'zone') {
      this.#zoneSetGeneration++;
      if (delta.present) this.#zones.set(apex.name.key, new LiveZone(apex.name, RR_CLASS.IN));
      else this.#zones.delete(apex.name.key);
      return true;
    }
    const zone = this.#zones.get(apex.name.key);
    const owner = parseName(delta.owner);
    if (zone === undefined || !owner.ok || !zone.contains(owner.name)) return false;
    if (delta.rdatas === null) {
      zone.deleteRRset(owner.name, delta.type);
      return true;
    }
    const rdatas: Rdata[] = [];
    for (const bytes of delta.rdatas) {
      const decoded = decodeRdata(delta.type, bytes);
      if (!decoded.ok) return false;
      rdatas.push(decoded.rdata);
    }
    zone.setRRset(owner.name, { type: delta.type, ttl: delta.ttl, rdatas });
    return true;
  }
}
