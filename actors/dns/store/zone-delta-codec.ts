/**
 * Zone deltas (zone-delta.ts) as one byte string, for the state machine's `zone-sync` and
 * `zone-dump` to the DNS actor's thread. Structured clone would copy every delta, array and
 * RDATA buffer as a separate object, in the sending thread and again in the receiving one:
 * seconds on each side for a dump of 10,000 zones and 100,000 records, most of a restart
 * (ARCHITECTURE §7). One buffer is transferred instead, not copied.
 *
 * Layout (varints are protocol/binary.ts's): a format byte, the delta count, then each
 * delta: its kind (0 zone, 1 rrset, 2 history) and its zone as a reference into a table the
 * message builds as it goes (the index; an index equal to the table's size is followed by
 * the new string), then
 * - zone: `present` as one byte;
 * - rrset: owner, type, TTL, the RDATA count plus one (0: absent), each RDATA a blob;
 * - history: one byte (0: `change` null; 1: a change; 2: a change whose starting SOA is the
 *   ending SOA of the zone's previous history delta in this message, and is left out), then
 *   serials, the SOAs, and the removed and added records, each record as owner, type, TTL
 *   and RDATA blob. A replay's sync is mostly history: each step's starting SOA is the step
 *   before's ending one, the same object in the store (and here, decoded once).
 *
 * Both ends are this process's own threads, but a decoder never trusts its input: bad
 * bytes give an error value, never a throw or a partial result.
 *
 * An `rrset` delta's RDATA are views into the message: the copy of the zones decodes them
 * at once and keeps only what it decoded (a buffer of its own per RDATA costs more in
 * allocation and garbage collection than the rest of the decoding). A history record's
 * RDATA, which the history keeps, is a copy.
 */
import { ByteReader, ByteReadFailure, ByteWriter } from '../../../protocol/binary.js';
import { readExactArray } from '../../../protocol/exact-array.js';
import type { ZoneDelta } from './zone-delta.js';
import {
  type HistoryRecord,
  readHistoryRecord,
  writeHistoryRecord,
  type ZoneChange,
} from './zone-history.js';

const FORMAT = 1;
const KIND_ZONE = 0;
const KIND_RRSET = 1;
const KIND_HISTORY = 2;
const HISTORY_NONE = 0;
const HISTORY_CHANGE = 1;
const HISTORY_CHAINED = 2;
/** A name's presentation text: 255 octets, each at most `\DDD`. */
const NAME_TEXT_MAX_BYTES = 4 * 255;
const RDATA_MAX_BYTES = 0xffff;
const TYPE_MAX = 0xffff;
const TTL_MAX = 0xffff_ffff;

export type ZoneDeltasDecoded =
  | { readonly ok: true; readonly deltas: ZoneDelta[] }
  | { readonly ok: false; readonly error: string };

export function encodeZoneDeltas(deltas: readonly ZoneDelta[]): Uint8Array<ArrayBuffer> {
  const out = new ByteWriter(64 + deltas.length * 48);
  const zones = new Map<string, number>();
  /** Per zone, the ending SOA of its last history delta so far. */
  const lastSoa = new Map<string, HistoryRecord>();
  out.u8(FORMAT);
  out.varint(deltas.length);
  for (const delta of deltas) {
    out.u8(delta.kind === 'zone' ? KIND_ZONE : delta.kind === 'rrset' ? KIND_RRSET : KIND_HISTORY);
    const known = zones.get(delta.zone);
    if (known !== undefined) out.varint(known);
    else {
      out.varint(zones.size);
      out.string(delta.zone);
      zones.set(delta.zone, zones.size);
    }
    switch (delta.kind) {
      case 'zone':
        out.u8(delta.present ? 1 : 0);
        break;
      case 'rrset':
        out.string(delta.owner);
        out.varint(delta.type);
        out.varint(delta.ttl);
        if (delta.rdatas === null) out.varint(0);
        else {
          out.varint(delta.rdatas.length + 1);
          for (const rdata of delta.rdatas) out.blob(rdata);
        }
        break;
      case 'history':
        if (delta.change === null) out.u8(HISTORY_NONE);
        else {
          const chained = lastSoa.get(delta.zone) === delta.change.soaFrom;
          out.u8(chained ? HISTORY_CHAINED : HISTORY_CHANGE);
          writeChange(out, delta.change, chained);
          lastSoa.set(delta.zone, delta.change.soaTo);
        }
        break;
    }
  }
  return out.finish();
}

export function decodeZoneDeltas(bytes: Uint8Array): ZoneDeltasDecoded {
  const deltas: ZoneDelta[] = [];
  const error = forEachZoneDelta(bytes, (delta) => deltas.push(delta));
  return error === undefined ? { ok: true, deltas } : { ok: false, error };
}

/**
 * Hands each delta to `each` as soon as it is decoded, so none outlives its use: a dump's
 * 200,000 deltas decoded at once all live until the last is applied, and each collection
 * copies them. Returns the error of bad bytes (`each` has then seen the deltas before it).
 */
export function forEachZoneDelta(bytes: Uint8Array, each: (delta: ZoneDelta) => void): string | undefined {
  const reader = new ByteReader(bytes);
  try {
    const format = reader.u8('format');
    if (format !== FORMAT) return `zone deltas: unknown format ${format}`;
    // Each delta takes at least 3 bytes: a count beyond that is corrupt, not a reason to allocate.
    const count = bounded(reader, reader.remaining / 3, 'delta count');
    const zones: string[] = [];
    /** By zone reference: the ending SOA of its last history delta so far. */
    const lastSoa: HistoryRecord[] = [];
    for (let i = 0; i < count; i++) {
      const kind = reader.u8('kind');
      const ref = bounded(reader, zones.length, 'zone reference');
      const zone = ref === zones.length ? reader.string(NAME_TEXT_MAX_BYTES, 'zone') : (zones[ref] as string);
      if (ref === zones.length) zones.push(zone);
      if (kind === KIND_ZONE) {
        each({ kind: 'zone', zone, present: flag(reader, 'present') });
      } else if (kind === KIND_RRSET) {
        const owner = reader.string(NAME_TEXT_MAX_BYTES, 'owner');
        const type = bounded(reader, TYPE_MAX, 'type');
        const ttl = bounded(reader, TTL_MAX, 'ttl');
        const countPlusOne = bounded(reader, reader.remaining + 1, 'rdata count');
        let rdatas: Uint8Array[] | null = null;
        if (countPlusOne > 0) {
          rdatas = [];
          for (let r = 1; r < countPlusOne; r++) rdatas.push(reader.blob(RDATA_MAX_BYTES, 'rdata'));
        }
        each({ kind: 'rrset', zone, owner, type, ttl, rdatas });
      } else if (kind === KIND_HISTORY) {
        const form = reader.u8('history form');
        if (form === HISTORY_NONE) {
          each({ kind: 'history', zone, change: null });
          continue;
        }
        if (form !== HISTORY_CHANGE && form !== HISTORY_CHAINED)
          return `zone deltas: unknown history form ${form} at byte ${reader.position - 1}`;
        const previous = lastSoa[ref];
        if (form === HISTORY_CHAINED && previous === undefined)
          return `zone deltas: a chained history step with no step before it in ${zone}`;
        const change = readChange(reader, form === HISTORY_CHAINED ? previous : undefined);
        lastSoa[ref] = change.soaTo;
        each({ kind: 'history', zone, change });
      } else {
        return `zone deltas: unknown delta kind ${kind} at byte ${reader.position - 1}`;
      }
    }
    if (reader.remaining !== 0) return `zone deltas: ${reader.remaining} bytes after the last delta`;
    return undefined;
  } catch (error) {
    if (error instanceof ByteReadFailure) return `zone deltas: ${error.message}`;
    throw error;
  }
}

function writeChange(out: ByteWriter, change: ZoneChange, chained: boolean): void {
  out.varint(change.serialFrom);
  out.varint(change.serialTo);
  if (!chained) writeHistoryRecord(out, change.soaFrom);
  writeHistoryRecord(out, change.soaTo);
  out.varint(change.removed.length);
  for (const record of change.removed) writeHistoryRecord(out, record);
  out.varint(change.added.length);
  for (const record of change.added) writeHistoryRecord(out, record);
}

/** `chainedFrom`: the step's starting SOA, when the message left it out. */
function readChange(reader: ByteReader, chainedFrom: HistoryRecord | undefined): ZoneChange {
  const serialFrom = bounded(reader, TTL_MAX, 'serial');
  const serialTo = bounded(reader, TTL_MAX, 'serial');
  const soaFrom = chainedFrom ?? readHistoryRecord(reader);
  const soaTo = readHistoryRecord(reader);
  const removed = readRecords(reader);
  const added = readRecords(reader);
  return { serialFrom, serialTo, soaFrom, soaTo, removed, added };
}

function readRecords(reader: ByteReader): HistoryRecord[] {
  // A record takes at least 4 bytes.
  const count = bounded(reader, reader.remaining / 4, 'record count');
  return readExactArray(count, () => readHistoryRecord(reader));
}

/** A varint no larger than `max`. */
function bounded(reader: ByteReader, max: number, what: string): number {
  const start = reader.position;
  const value = reader.varint(what);
  if (value > max) reader.fail('invalid-value', what, `${value} is above ${Math.floor(max)}`, start);
  return value;
}

function flag(reader: ByteReader, what: string): boolean {
  const byte = reader.u8(what);
  if (byte > 1) reader.fail('invalid-value', what, `flag byte ${byte}`, reader.position - 1);
  return byte === 1;
}
