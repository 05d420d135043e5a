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
 *   version = varint hlcMs, varint counter, string writer (<= 64 bytes)
 *
 * Equal stores give equal bytes: orders are total and `exportZones` is canonical. Reading
 * checks the structure (throwing `ByteReadFailure`, which the snapshot decoder turns into a
 * typed error); `DnsStore.fromZones` then checks the meaning.
 */
import { ByteReader, ByteWriter } from '../../../protocol/binary.js';
import { RRSET_RDATAS_MAX } from '../../../protocol/dns/changes.js';
import { type RecordVersion, VERSION_WRITER_CHARS_MAX } from '../../../protocol/dns/version.js';
import { type Name, parseName } from '../../../protocol/dns/wire/name.js';
import { decodeRdata, encodeRdata, type Rdata } from '../../../protocol/dns/wire/rdata.js';
import {
  DnsStore,
  type DnsStoreLimits,
  type StoredEntry,
  type StoredOwner,
  type StoredZone,
} from './dns-store.js';

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
  }
}

function writeVersion(writer: ByteWriter, v: RecordVersion): void {
  writer.varint(v.hlcMs);
  writer.varint(v.counter);
  writer.string(v.writer);
}

/** Reads what `writeStoredZones` wrote; throws `ByteReadFailure` on bad bytes. */
export function readStoredZones(reader: ByteReader): StoredZone[] {
  const zones: StoredZone[] = [];
  const zoneCount = readCount(reader, 'dns zoneCount');
  for (let z = 0; z < zoneCount; z++) {
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
        const rdatas: Rdata[] = [];
        for (let r = 0; r < count; r++) {
          const at = reader.position;
          const bytes = reader.blob(RDATA_BYTES_MAX, 'dns rdata');
          const decoded = decodeRdata(type, bytes.slice());
          if (!decoded.ok) reader.fail('invalid-value', 'dns rdata', decoded.error.message, at);
          rdatas.push(decoded.rdata);
        }
        entries.push({ type, version, rrset: { type, ttl, rdatas } });
      }
      owners.push({ name, nameVersion, entries });
    }
    zones.push({ apex, serial, owners });
  }
  return zones;
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
  let zones: StoredZone[];
  try {
    zones = readStoredZones(reader);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (reader.remaining !== 0) return { ok: false, message: `${reader.remaining} bytes after the store` };
  return DnsStore.fromZones(zones, limits);
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
