/**
 * The bytes of a state machine snapshot: everything `apply` depends on, so that a replica
 * restored from it behaves exactly like one that applied the log.
 *
 * Format, version 3 (varints are canonical unsigned LEB128, strings a varint byte length
 * then UTF-8; see binary.ts):
 *
 *   4 bytes  magic                "RNSM"
 *   u8       version              3 (2 is still read: its zones have no change history;
 *                                    1 has no DNS part)
 *   varint   appliedIndex, appliedTerm, logTimeMs
 *   varint   keyCount, then per key in strictly ascending key order:
 *              string key (1..=1024 bytes), string value (0..=65536 bytes),
 *              varint revision (1..=appliedIndex)
 *   (version 2 on) the DNS record store (actors/dns/store/store-codec.ts)
 *   varint   sessionCount, then per session, least recently used first:
 *              string clientId (1..=128 bytes, unique), varint lastUsedMs (non-decreasing,
 *              <= logTimeMs), varint ackedSeq, varint resultCount, then per cached result
 *              in strictly ascending seq order (each > ackedSeq):
 *                varint seq, u8 tag, then
 *                  tag 0 (kv-written):   varint revision (1..=appliedIndex), view?
 *                  tag 1 (kv-cas-mismatch): view?
 *                  tag 2 (dns-batch):    varint revision, string JSON of the DnsBatchResult
 *                                        (as JSON.stringify gives it: re-encoding is exact)
 *                view? = u8 0 (null) | u8 1, string key, string value, varint revision
 *   u32 LE   CRC-32 of every byte before it
 *
 * The same state always gives the same bytes (the orders above are total and varints are
 * canonical), and decoding accepts only such bytes: a decoded snapshot re-encodes to the
 * input. The session order is part of the state: it decides which session LRU evicts.
 */
import { crc32 } from 'node:zlib';
import { ByteReader, ByteReadFailure, ByteWriter } from '../../protocol/binary.js';
import type { DnsBatchResult } from '../../protocol/dns/changes.js';
import type { Result } from '../../protocol/group/command-codec.js';
import type { CommandResult, KvEntryView } from '../../protocol/group/commands.js';
import { CLIENT_ID_BYTES_MAX, KEY_BYTES_MAX, VALUE_BYTES_MAX } from '../../protocol/limits.js';
import type { StoredZone } from '../dns/store/dns-store.js';
import { readStoredZones, writeStoredZones } from '../dns/store/store-codec.js';

export const SNAPSHOT_MAGIC = 'RNSM';
export const SNAPSHOT_VERSION = 3;
/** Older versions this code still restores. */
const SNAPSHOT_VERSIONS_READ: ReadonlySet<number> = new Set([1, 2, 3]);
const DNS_RESULT_JSON_BYTES_MAX = 1024 * 1024;

const MAGIC_BYTES = new TextEncoder().encode(SNAPSHOT_MAGIC);
const CRC_BYTES = 4;
const TAG_KV_WRITTEN = 0;
const TAG_CAS_MISMATCH = 1;
const TAG_DNS_BATCH = 2;

export interface SessionSnapshot {
  readonly clientId: string;
  readonly lastUsedMs: number;
  readonly ackedSeq: number;
  /** In ascending `seq` order. */
  readonly results: readonly (readonly [seq: number, result: CommandResult])[];
}

export interface SnapshotState {
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly logTimeMs: number;
  /** In ascending key order. */
  readonly entries: readonly KvEntryView[];
  /** Least recently used first. */
  readonly sessions: readonly SessionSnapshot[];
  /** The DNS record store, in canonical order (`DnsStore.exportZones`). */
  readonly dnsZones?: readonly StoredZone[];
}

export type SnapshotErrorCode =
  | 'bad-magic'
  | 'unsupported-version'
  | 'checksum-mismatch'
  | 'truncated'
  | 'bad-varint'
  | 'invalid-utf8'
  | 'invalid-value'
  | 'trailing-bytes';

/** Why bytes are not a snapshot this code can restore. */
export interface SnapshotError {
  readonly code: SnapshotErrorCode;
  readonly offset: number;
  readonly message: string;
}

function writeView(writer: ByteWriter, view: KvEntryView | null): void {
  if (view === null) {
    writer.u8(0);
    return;
  }
  writer.u8(1);
  writer.string(view.key);
  writer.string(view.value);
  writer.varint(view.revision);
}

/** Encodes a state (trusted: it comes from a live state machine, whose invariants hold). */
export function encodeSnapshot(state: SnapshotState): Uint8Array {
  const writer = new ByteWriter(64 + state.entries.length * 32 + state.sessions.length * 64);
  writer.raw(MAGIC_BYTES);
  writer.u8(SNAPSHOT_VERSION);
  writer.varint(state.appliedIndex);
  writer.varint(state.appliedTerm);
  writer.varint(state.logTimeMs);
  writer.varint(state.entries.length);
  for (const entry of state.entries) {
    writer.string(entry.key);
    writer.string(entry.value);
    writer.varint(entry.revision);
  }
  writeStoredZones(writer, state.dnsZones ?? []);
  writer.varint(state.sessions.length);
  for (const session of state.sessions) {
    writer.string(session.clientId);
    writer.varint(session.lastUsedMs);
    writer.varint(session.ackedSeq);
    writer.varint(session.results.length);
    for (const [seq, result] of session.results) {
      writer.varint(seq);
      switch (result.kind) {
        case 'kv-written':
          writer.u8(TAG_KV_WRITTEN);
          writer.varint(result.revision);
          writeView(writer, result.previous);
          break;
        case 'kv-cas-mismatch':
          writer.u8(TAG_CAS_MISMATCH);
          writeView(writer, result.current);
          break;
        case 'dns-batch':
          writer.u8(TAG_DNS_BATCH);
          writer.varint(result.revision);
          writer.string(JSON.stringify(result.dns));
          break;
      }
    }
  }
  const body = writer.finish();
  const out = new Uint8Array(body.length + CRC_BYTES);
  out.set(body);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(body.length, crc32(body), true);
  return out;
}

/**
 * Reads and checks a snapshot. Never throws on bad bytes: returns a typed error. With
 * `dnsZone`, each zone of the DNS store goes to it as it is read (returning the zone's
 * problem, which fails the decode) and `dnsZones` stays empty; without, they are collected
 * in `dnsZones`.
 */
export function decodeSnapshot(
  bytes: Uint8Array,
  dnsZone?: (zone: StoredZone) => string | undefined,
): Result<SnapshotState, SnapshotError> {
  if (bytes.length < MAGIC_BYTES.length + 1 + CRC_BYTES) {
    return failure('truncated', 0, `snapshot of ${bytes.length} bytes is shorter than its header`);
  }
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (bytes[i] !== MAGIC_BYTES[i])
      return failure('bad-magic', i, `not a snapshot: magic is not ${SNAPSHOT_MAGIC}`);
  }
  const version = bytes[MAGIC_BYTES.length];
  if (version === undefined || !SNAPSHOT_VERSIONS_READ.has(version)) {
    return failure('unsupported-version', MAGIC_BYTES.length, `unsupported snapshot version ${version}`);
  }
  const bodyLength = bytes.length - CRC_BYTES;
  const body = bytes.subarray(0, bodyLength);
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bodyLength, true);
  const computed = crc32(body);
  if (stored !== computed) {
    return failure(
      'checksum-mismatch',
      bodyLength,
      `checksum ${hex(stored)} does not match contents ${hex(computed)}`,
    );
  }
  const reader = new ByteReader(body);
  try {
    reader.raw(MAGIC_BYTES.length + 1, 'header');
    const state = readState(reader, version, dnsZone);
    if (reader.remaining !== 0) {
      return failure(
        'trailing-bytes',
        reader.position,
        `${reader.remaining} bytes after the snapshot contents`,
      );
    }
    return { ok: true, value: state };
  } catch (e) {
    if (!(e instanceof ByteReadFailure)) throw e;
    const code: SnapshotErrorCode = e.problem === 'too-long' ? 'invalid-value' : e.problem;
    return failure(code, e.offset, e.message);
  }
}

function readState(
  reader: ByteReader,
  version: number,
  dnsZone: ((zone: StoredZone) => string | undefined) | undefined,
): SnapshotState {
  const appliedIndex = reader.varint('appliedIndex');
  const appliedTerm = reader.varint('appliedTerm');
  if ((appliedIndex === 0) !== (appliedTerm === 0)) {
    reader.fail('invalid-value', 'appliedTerm', 'is 0 exactly when appliedIndex is 0');
  }
  const logTimeMs = reader.varint('logTimeMs');
  const revisionAt = (what: string): number => {
    const at = reader.position;
    const revision = reader.varint(what);
    if (revision < 1 || revision > appliedIndex) {
      reader.fail(
        'invalid-value',
        what,
        `revision ${revision} outside 1 ..= appliedIndex ${appliedIndex}`,
        at,
      );
    }
    return revision;
  };
  const readView = (what: string): KvEntryView | null => {
    const at = reader.position;
    const present = reader.u8(what);
    if (present === 0) return null;
    if (present !== 1) reader.fail('invalid-value', what, `presence byte ${present}`, at);
    const key = readKey(reader, `${what} key`);
    const value = reader.string(VALUE_BYTES_MAX, `${what} value`);
    return { key, value, revision: revisionAt(`${what} revision`) };
  };

  const keyCount = readCount(reader, 'keyCount');
  const entries: KvEntryView[] = [];
  let previousKey: string | undefined;
  for (let i = 0; i < keyCount; i++) {
    const at = reader.position;
    const key = readKey(reader, 'key');
    if (previousKey !== undefined && !(previousKey < key)) {
      reader.fail('invalid-value', 'key', 'keys are not in strictly ascending order', at);
    }
    previousKey = key;
    const value = reader.string(VALUE_BYTES_MAX, 'value');
    entries.push({ key, value, revision: revisionAt('revision') });
  }

  const dnsZones: StoredZone[] = [];
  if (version >= 2)
    readStoredZones(
      reader,
      version >= 3,
      dnsZone ??
        ((zone) => {
          dnsZones.push(zone);
          return undefined;
        }),
    );
  const sessionCount = readCount(reader, 'sessionCount');
  if (sessionCount > 0 && appliedIndex === 0)
    reader.fail('invalid-value', 'sessionCount', 'sessions before any entry');
  const sessions: SessionSnapshot[] = [];
  const clientIds = new Set<string>();
  let previousUsedMs = 0;
  for (let i = 0; i < sessionCount; i++) {
    const at = reader.position;
    const clientId = reader.string(CLIENT_ID_BYTES_MAX, 'clientId');
    if (clientId.length === 0) reader.fail('invalid-value', 'clientId', 'is empty', at);
    if (clientIds.has(clientId)) reader.fail('invalid-value', 'clientId', 'appears twice', at);
    clientIds.add(clientId);
    const usedAt = reader.position;
    const lastUsedMs = reader.varint('lastUsedMs');
    if (lastUsedMs < previousUsedMs || lastUsedMs > logTimeMs) {
      reader.fail('invalid-value', 'lastUsedMs', 'sessions out of LRU order or used after logTimeMs', usedAt);
    }
    previousUsedMs = lastUsedMs;
    const ackedSeq = reader.varint('ackedSeq');
    const resultCount = readCount(reader, 'resultCount');
    const results: [number, CommandResult][] = [];
    let previousSeq = ackedSeq;
    for (let r = 0; r < resultCount; r++) {
      const seqAt = reader.position;
      const seq = reader.varint('seq');
      if (seq <= previousSeq) {
        reader.fail('invalid-value', 'seq', 'cached results not above ackedSeq in ascending order', seqAt);
      }
      previousSeq = seq;
      const tagAt = reader.position;
      const tag = reader.u8('result tag');
      let result: CommandResult;
      if (tag === TAG_KV_WRITTEN) {
        const revision = revisionAt('result revision');
        result = { kind: 'kv-written', revision, previous: readView('result previous') };
      } else if (tag === TAG_CAS_MISMATCH) {
        result = { kind: 'kv-cas-mismatch', current: readView('result current') };
      } else if (tag === TAG_DNS_BATCH && version >= 2) {
        const revision = revisionAt('result revision');
        result = { kind: 'dns-batch', revision, dns: readDnsResult(reader) };
      } else {
        return reader.fail('invalid-value', 'result tag', `unknown result tag ${tag}`, tagAt);
      }
      results.push([seq, result]);
    }
    sessions.push({ clientId, lastUsedMs, ackedSeq, results });
  }
  return { appliedIndex, appliedTerm, logTimeMs, entries, sessions, dnsZones };
}

/** A cached DNS batch result: JSON of the right shape, spelled as JSON.stringify spells it. */
function readDnsResult(reader: ByteReader): DnsBatchResult {
  const at = reader.position;
  const text = reader.string(DNS_RESULT_JSON_BYTES_MAX, 'dns result');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reader.fail('invalid-value', 'dns result', 'not JSON', at);
  }
  if (!isDnsBatchResultShape(json) || JSON.stringify(json) !== text)
    return reader.fail('invalid-value', 'dns result', 'not a DNS batch result in canonical form', at);
  return json;
}

function isDnsBatchResultShape(v: unknown): v is DnsBatchResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (r.ok === true) {
    const serials = r.serials;
    return (
      typeof serials === 'object' &&
      serials !== null &&
      !Array.isArray(serials) &&
      Object.values(serials).every((n) => Number.isInteger(n)) &&
      Array.isArray(r.outcomes) &&
      r.outcomes.every((o) => o === 'applied' || o === 'superseded')
    );
  }
  if (r.ok !== false || typeof r.error !== 'object' || r.error === null) return false;
  const e = r.error as Record<string, unknown>;
  return typeof e.code === 'string' && typeof e.message === 'string';
}

function readKey(reader: ByteReader, what: string): string {
  const at = reader.position;
  const key = reader.string(KEY_BYTES_MAX, what);
  if (key.length === 0) reader.fail('invalid-value', what, 'is empty', at);
  return key;
}

/** A count of items that each take at least one byte: more than the bytes left is corrupt. */
function readCount(reader: ByteReader, what: string): number {
  const at = reader.position;
  const count = reader.varint(what);
  if (count > reader.remaining)
    reader.fail('truncated', what, `${count} items cannot fit in ${reader.remaining} bytes`, at);
  return count;
}

function failure(
  code: SnapshotErrorCode,
  offset: number,
  message: string,
): { ok: false; error: SnapshotError } {
  return { ok: false, error: { code, offset, message } };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
