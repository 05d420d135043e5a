/**
 * A zone's retained change history, for IXFR (RFC 1995): per committed batch that moved
 * the zone's serial, the records it removed and added and the SOA before and after. The
 * record store keeps one per zone in the replicated state (so every replica answers the
 * same IXFR for the same serial, and snapshots carry it); the serving side keeps a copy
 * fed by `history` deltas (zone-delta.ts), bounded the same way, so both hold the same
 * versions.
 *
 * Plain data only (strings, numbers, `Uint8Array`s): changes cross threads in deltas.
 * Bounded by ZONE_HISTORY_VERSIONS_MAX versions and ZONE_HISTORY_BYTES_MAX bytes, the
 * oldest dropped first.
 */
import type { ByteReader, ByteWriter } from '../../../protocol/binary.js';
import { ZONE_HISTORY_BYTES_MAX, ZONE_HISTORY_VERSIONS_MAX } from '../../../protocol/limits.js';

/** One record of a change: owner in presentation form, RDATA in uncompressed wire form. */
export interface HistoryRecord {
  readonly owner: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

/** One version step: `serialFrom` → `serialTo` (= serialFrom + 1 mod 2^32, RFC 1982 §3.1). */
export interface ZoneChange {
  readonly serialFrom: number;
  readonly serialTo: number;
  /** The apex SOA before and after the batch (RFC 1995 §4 brackets each step with them). */
  readonly soaFrom: HistoryRecord;
  readonly soaTo: HistoryRecord;
  /** Records the batch removed and added, SOA excluded, in owner key then type order. */
  readonly removed: readonly HistoryRecord[];
  readonly added: readonly HistoryRecord[];
}

export interface ZoneHistoryLimits {
  readonly versionsMax: number;
  readonly bytesMax: number;
}

export const DEFAULT_ZONE_HISTORY_LIMITS: ZoneHistoryLimits = Object.freeze({
  versionsMax: ZONE_HISTORY_VERSIONS_MAX,
  bytesMax: ZONE_HISTORY_BYTES_MAX,
});

/** A name's presentation text: 255 octets, each at most `\DDD`, with room to spare. */
const OWNER_TEXT_BYTES_MAX = 1024;

/**
 * A record's binary form, in snapshots (store-codec.ts) and in zone deltas
 * (zone-delta-codec.ts): owner (string), type and TTL (varints), RDATA (blob).
 */
export function writeHistoryRecord(writer: ByteWriter, record: HistoryRecord): void {
  writer.string(record.owner);
  writer.varint(record.type);
  writer.varint(record.ttl);
  writer.blob(record.rdata);
}

/** Reads `writeHistoryRecord`'s form; the RDATA is a copy (a history keeps it). Throws `ByteReadFailure`. */
export function readHistoryRecord(reader: ByteReader): HistoryRecord {
  const owner = reader.string(OWNER_TEXT_BYTES_MAX, 'history record owner');
  const typeAt = reader.position;
  const type = reader.varint('history record type');
  if (type > 0xffff) reader.fail('invalid-value', 'history record type', `${type} is not a type`, typeAt);
  const ttlAt = reader.position;
  const ttl = reader.varint('history record ttl');
  if (ttl > 0xffffffff) reader.fail('invalid-value', 'history record ttl', `${ttl}`, ttlAt);
  const rdata = reader.blob(0xffff, 'history record rdata').slice();
  return { owner, type, ttl, rdata };
}

/** Octets a record counts for: its owner text, type, class, TTL and length (10), its RDATA. */
export function historyRecordBytes(record: HistoryRecord): number {
  return record.owner.length + 10 + record.rdata.length;
}

export function zoneChangeBytes(change: ZoneChange): number {
  let bytes = historyRecordBytes(change.soaFrom) + historyRecordBytes(change.soaTo);
  for (const r of change.removed) bytes += historyRecordBytes(r);
  for (const r of change.added) bytes += historyRecordBytes(r);
  return bytes;
}

export class ZoneHistory {
  #changes: ZoneChange[] = [];
  #bytes = 0;

  constructor(readonly limits: ZoneHistoryLimits = DEFAULT_ZONE_HISTORY_LIMITS) {}

  /** Oldest first. */
  get changes(): readonly ZoneChange[] {
    return this.#changes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends the newest change and drops the oldest until both bounds hold. A change that
   * does not follow the newest held (a gap) or is over the byte budget alone empties the
   * history: IXFR must never bridge a version it does not have. Returns the versions dropped.
   */
  append(change: ZoneChange): number {
    const newest = this.#changes[this.#changes.length - 1];
    const bytes = zoneChangeBytes(change);
    if ((newest !== undefined && newest.serialTo !== change.serialFrom) || bytes > this.limits.bytesMax) {
      const dropped = this.#changes.length + (bytes > this.limits.bytesMax ? 1 : 0);
      this.clear();
      if (bytes > this.limits.bytesMax) return dropped;
    }
    this.#changes.push(change);
    this.#bytes += bytes;
    let dropped = 0;
    while (this.#changes.length > this.limits.versionsMax || this.#bytes > this.limits.bytesMax) {
      const oldest = this.#changes.shift() as ZoneChange;
      this.#bytes -= zoneChangeBytes(oldest);
      dropped++;
    }
    return dropped;
  }

  clear(): void {
    this.#changes = [];
    this.#bytes = 0;
  }
}

/**
 * The changes leading from `clientSerial` to `currentSerial`, oldest first; undefined when
 * `changes` does not reach back to `clientSerial` or does not end at `currentSerial`.
 * Serials are matched exactly: a serial the zone never had has no path (RFC 1995 §4 then
 * answers with the whole zone).
 */
export function changesSince(
  changes: readonly ZoneChange[],
  clientSerial: number,
  currentSerial: number,
): readonly ZoneChange[] | undefined {
  const newest = changes[changes.length - 1];
  if (newest === undefined || newest.serialTo !== currentSerial) return undefined;
  const start = changes.findIndex((c) => c.serialFrom === clientSerial);
  return start < 0 ? undefined : changes.slice(start);
}
