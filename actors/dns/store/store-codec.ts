/**
 * The record store's part of a state machine snapshot (the bytes go inside the snapshot,
 * whose CRC covers them; see actors/state-machine/snapshot-codec.ts). Varints and strings
 * as in actors/state-machine/binary.ts:
 *
 *   varint zoneCount, then per zone in strictly ascending apex key order:
 *     string apex (presentation), varint serial (< 2^32),
 *     varint ownerCount, then per owner in strictly ascending key order:
 *       string name (presentation), u8 0 | u8 1 + version (the name's tombstone),
 *       varint entryCount, then per entry in strictly ascending type order:
 *         varint type (< 2^16), version, u8 0 (tombstone) | u8 1 + RRset:
 *           varint ttl, varint rdataCount (1..=512), per RDATA a blob (wire form, <= 65535)
 *     then (snapshot version 3 on) the zone's change history (zone-history.ts):
 *     varint changeCount (<= ZONE_HISTORY_VERSIONS_MAX), then per change, oldest first:
 *       varint serialFrom, varint serialTo, record soaFrom, record soaTo,
 *       varint removedCount, records, varint addedCount, records
 *   version = varint hlcMs, varint counter, string writer (<= 64 bytes)
 *   record = string owner (presentation), varint type (< 2^16), varint ttl, blob RDATA
 *
 * Equal stores give equal bytes: orders are total and `exportZones` is canonical. Reading
 * checks the structure (throwing `ByteReadFailure`, which the snapshot decoder turns into a
 * typed error); `DnsStore.builder` checks the meaning, zone by zone as they are read.
 */
import { ByteReader, ByteWriter } from '../../../protocol/binary.js';
import { RRSET_RDATAS_MAX } from '../../../protocol/dns/changes.js';
import { type RecordVersion, VERSION_WRITER_CHARS_MAX } from '../../../protocol/dns/version.js';
import { type Name, parseName } from '../../../protocol/dns/wire/name.js';
import { decodeRdata, encodeRdata, type Rdata } from '../../../protocol/dns/wire/rdata.js';
import { readExactArray } from '../../../protocol/exact-array.js';
import { ZONE_HISTORY_BYTES_MAX, ZONE_HISTORY_VERSIONS_MAX } from '../../../protocol/limits.js';
import {
  DnsStore,
  type DnsStoreLimits,
  type StoredEntry,
  type StoredOwner,
  type StoredZone,
} from './dns-store.js';
import {
  type HistoryRecord,
  readHistoryRecord,
  writeHistoryRecord,
  type ZoneChange,
} from './zone-history.js';

const NAME_TEXT_BYTES_MAX = 1024;
const RDATA_BYTES_MAX = 0xffff;

export function writeStoredZones(writer: ByteWriter, zones: readonly StoredZone[]): void {
  writer.varint(zones.length);
  for (const zone of zones) {
    writer.string(zone.apex.toString());
    writer.varint(zone.serial);
    writer.varint(zone.owners.length);
    for (const owner of zone.owners) {
      writer.string(owner.name.toString());
      if (owner.nameVersion === null) writer.u8(0);
      else {
        writer.u8(1);
        writeVersion(writer, owner.nameVersion);
      }
      writer.varint(owner.entries.length);
      for (const entry of owner.entries) {
        writer.varint(entry.type);
        writeVersion(writer, entry.version);
        if (entry.rrset === null) writer.u8(0);
        else {
          writer.u8(1);
          writer.varint(entry.rrset.ttl);
          writer.varint(entry.rrset.rdatas.length);
          for (const rdata of entry.rrset.rdatas) writer.blob(encodeRdata(rdata));
        }
      }
    }
    writer.varint(zone.history.length);
    for (const change of zone.history) {
      writer.varint(change.serialFrom);
      writer.varint(change.serialTo);
      writeHistoryRecord(writer, change.soaFrom);
      writeHistoryRecord(writer, change.soaTo);
      writer.varint(change.removed.length);
      for (const record of change.removed) writeHistoryRecord(writer, record);
      writer.varint(change.added.length);
      for (const record of change.added) writeHistoryRecord(writer, record);
    }
  }
}

function writeVersion(writer: ByteWriter, v: RecordVersion): void {
  writer.varint(v.hlcMs);
  writer.varint(v.counter);
  writer.string(v.writer);
}

/**
 * Reads what `writeStoredZones` wrote (`withHistory` false: a version 2 snapshot, which has
 * no history), handing each zone to `each` as soon as it is read, so a zone's stored form
 * is garbage before the next is read: collected young, not copied into the old generation
 * with a whole store's worth of others (ARCHITECTURE §7, "What a restart costs"). `each`
 * returns a problem (the zone is not one the store could hold), which
 * fails the read there. Throws `ByteReadFailure` on bad bytes or a problem.
 */
export function readStoredZones(
  reader: ByteReader,
  withHistory: boolean,
  each: (zone: StoredZone) => string | undefined,
): void {
  const zoneCount = readCount(reader, 'dns zoneCount');
  for (let z = 0; z < zoneCount; z++) {
    const zoneAt = reader.position;
    const apex = readName(reader, 'dns apex');
    const serialAt = reader.position;
    const serial = reader.varint('dns serial');
    if (serial > 0xffffffff)
      reader.fail('invalid-value', 'dns serial', `${serial} is not a 32-bit serial`, serialAt);
    const owners: StoredOwner[] = [];
    const ownerCount = readCount(reader, 'dns ownerCount');
    for (let o = 0; o < ownerCount; o++) {
      const name = readName(reader, 'dns owner');
      const nameVersion = readPresence(reader, 'dns name version') ? readVersion(reader) : null;
      const entries: StoredEntry[] = [];
      const entryCount = readCount(reader, 'dns entryCount');
      for (let e = 0; e < entryCount; e++) {
        const typeAt = reader.position;
        const type = reader.varint('dns type');
        if (type > 0xffff) reader.fail('invalid-value', 'dns type', `${type} is not a type`, typeAt);
        const version = readVersion(reader);
        if (!readPresence(reader, 'dns rrset')) {
          entries.push({ type, version, rrset: null });
          continue;
        }
        const ttl = reader.varint('dns ttl');
        const countAt = reader.position;
        const count = readCount(reader, 'dns rdataCount');
        if (count < 1 || count > RRSET_RDATAS_MAX)
          reader.fail('invalid-value', 'dns rdataCount', `${count} RDATAs`, countAt);
        const rdatas: Rdata[] = readExactArray(count, () => {
          const at = reader.position;
          const bytes = reader.blob(RDATA_BYTES_MAX, 'dns rdata');
          const decoded = decodeRdata(type, bytes); // what it keeps, it copies
          if (!decoded.ok) return reader.fail('invalid-value', 'dns rdata', decoded.error.message, at);
          return decoded.rdata;
        });
        entries.push({ type, version, rrset: { type, ttl, rdatas } });
      }
      owners.push({ name, nameVersion, entries });
    }
    const problem = each({ apex, serial, owners, history: withHistory ? readHistory(reader) : [] });
    if (problem !== undefined) reader.fail('invalid-value', 'dns zone', problem, zoneAt);
  }
}

function readHistory(reader: ByteReader): ZoneChange[] {
  const countAt = reader.position;
  const count = readCount(reader, 'dns history count');
  if (count > ZONE_HISTORY_VERSIONS_MAX)
    reader.fail('invalid-value', 'dns history count', `${count} versions`, countAt);
  const history: ZoneChange[] = [];
  for (let c = 0; c < count; c++) {
    const serialFrom = readSerial(reader, 'dns history serialFrom');
    const serialTo = readSerial(reader, 'dns history serialTo');
    // A step starts from the SOA the step before ended with: one record serves both.
    const previousSoa = history[history.length - 1]?.soaTo;
    const soaRead = readHistoryRecord(reader);
    const soaFrom = previousSoa !== undefined && sameRecord(previousSoa, soaRead) ? previousSoa : soaRead;
    const soaTo = readHistoryRecord(reader);
    const removed = readRecords(reader, 'dns history removed');
    const added = readRecords(reader, 'dns history added');
    history.push({ serialFrom, serialTo, soaFrom, soaTo, removed, added });
  }
  return history;
}

function sameRecord(a: HistoryRecord, b: HistoryRecord): boolean {
  if (a.owner !== b.owner || a.type !== b.type || a.ttl !== b.ttl || a.rdata.length !== b.rdata.length)
    return false;
  for (let i = 0; i < a.rdata.length; i++) if (a.rdata[i] !== b.rdata[i]) return false;
  return true;
}

function readSerial(reader: ByteReader, what: string): number {
  const at = reader.position;
  const serial = reader.varint(what);
  if (serial > 0xffffffff) reader.fail('invalid-value', what, `${serial} is not a 32-bit serial`, at);
  return serial;
}

function readRecords(reader: ByteReader, what: string): HistoryRecord[] {
  const at = reader.position;
  const count = readCount(reader, what);
  // Each record is at least 11 bytes of budget (zone-history.ts counts 10 + owner + RDATA).
  if (count > ZONE_HISTORY_BYTES_MAX / 11) reader.fail('invalid-value', what, `${count} records`, at);
  return readExactArray(count, () => readHistoryRecord(reader));
}

/** The store's bytes on their own (tests, tools): `writeStoredZones` of `exportZones`. */
export function encodeDnsStore(store: DnsStore): Uint8Array {
  const writer = new ByteWriter(256);
  writeStoredZones(writer, store.exportZones());
  return writer.finish();
}

/** Reads `encodeDnsStore`'s bytes; never throws on bad bytes. */
export function decodeDnsStore(
  bytes: Uint8Array,
  limits: Partial<DnsStoreLimits> = {},
): { ok: true; store: DnsStore } | { ok: false; message: string } {
  const reader = new ByteReader(bytes);
  const builder = DnsStore.builder(limits);
  try {
    readStoredZones(reader, true, builder.add);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (reader.remaining !== 0) return { ok: false, message: `${reader.remaining} bytes after the store` };
  return { ok: true, store: builder.store };
}

function readName(reader: ByteReader, what: string): Name {
  const at = reader.position;
  const text = reader.string(NAME_TEXT_BYTES_MAX, what);
  const parsed = parseName(text);
  if (!parsed.ok) return reader.fail('invalid-value', what, parsed.error.message, at);
  if (parsed.name.toString() !== text)
    reader.fail('invalid-value', what, 'not in canonical presentation form', at);
  return parsed.name;
}

function readVersion(reader: ByteReader): RecordVersion {
  const hlcMs = reader.varint('dns version hlcMs');
  const counter = reader.varint('dns version counter');
  const writer = reader.string(VERSION_WRITER_CHARS_MAX * 4, 'dns version writer');
  if (writer.length > VERSION_WRITER_CHARS_MAX)
    reader.fail('invalid-value', 'dns version writer', 'too long');
  return { hlcMs, counter, writer };
}

function readPresence(reader: ByteReader, what: string): boolean {
  const at = reader.position;
  const byte = reader.u8(what);
  if (byte > 1) reader.fail('invalid-value', what, `presence byte ${byte}`, at);
  return byte === 1;
}

function readCount(reader: ByteReader, what: string): number {
  const at = reader.position;
  const count = reader.varint(what);
  if (count > reader.remaining)
    reader.fail('truncated', what, `${count} items cannot fit in ${reader.remaining} bytes`, at);
  return count;
}
