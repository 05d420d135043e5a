import type { EntryKind, LogEntry } from './types.js';

/**
 * How one log entry is stored (RocksDB value; its index is the key). Version byte first.
 * Layout: version(1) kind(1) term(f64) timeMs(f64) data(rest).
 */
const ENTRY_FORMAT_VERSION = 1;
const KINDS: readonly EntryKind[] = ['noop', 'command', 'config'];
const HEADER_BYTES = 1 + 1 + 8 + 8;

export function encodeStoredEntry(entry: LogEntry): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + entry.data.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = ENTRY_FORMAT_VERSION;
  bytes[1] = KINDS.indexOf(entry.kind);
  view.setFloat64(2, entry.term);
  view.setFloat64(10, entry.timeMs);
  bytes.set(entry.data, HEADER_BYTES);
  return bytes;
}

export function decodeStoredEntry(index: number, bytes: Uint8Array): LogEntry {
  if (bytes.length < HEADER_BYTES || bytes[0] !== ENTRY_FORMAT_VERSION) {
    throw new Error(`stored entry ${index} is corrupt (length ${bytes.length}, version ${bytes[0]})`);
  }
  const kind = KINDS[bytes[1] as number];
  if (kind === undefined) throw new Error(`stored entry ${index} has unknown kind ${bytes[1]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    index,
    term: view.getFloat64(2),
    kind,
    timeMs: view.getFloat64(10),
    data: bytes.slice(HEADER_BYTES),
  };
}

/** Big-endian index keys sort in index order. */
export function indexKey(prefix: number, index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, BigInt(index));
  return key;
}

export function indexFromKey(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
}

export function entryBytes(entry: LogEntry): number {
  return HEADER_BYTES + entry.data.length;
}
