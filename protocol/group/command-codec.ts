/**
 * The wire form of a `SessionCommand`: the `data` of a `command` log entry.
 *
 * Format, version 1 (varints are canonical unsigned LEB128, see binary.ts; strings are a
 * varint byte length then UTF-8):
 *
 *   u8      version            1
 *   u8      op                 1 kv-put | 2 kv-delete | 3 kv-cas
 *   varint  seq                >= 1
 *   varint  seq - ackedSeq     1 ..= seq (ackedSeq < seq, and usually seq - 1: one byte)
 *   string  clientId           1 ..= 128 bytes
 *   string  key                1 ..= 1024 bytes
 *   kv-put: string value       0 ..= 65536 bytes
 *   kv-cas: varint expectedRevision, string value
 *
 * except op 4 (dns-batch), which has no key: after clientId comes
 *   string  batch              1 ..= 262144 bytes: the JSON of `canonicalBatch(batch)`
 *                              (actors/dns/store/changes.ts), which must pass
 *                              `validateBatchSyntax`; any other spelling is rejected, so
 *                              the encoding stays unique.
 *
 * and op 5 (dns-import), which has no key either: after clientId comes
 *   string  import             1 ..= 2048 bytes: the JSON of the import's commit
 *                              (protocol/dns/zone-import.ts) in its one field order.
 *
 * and op 6 (dns-collect-tombstones), likewise: after clientId comes
 *   string  collection         1 ..= 262144 bytes: the JSON of the collection
 *                              (protocol/dns/tombstone-collection.ts) in its one field order.
 *
 * Nothing may follow. Every valid command has exactly one encoding, so
 * `encode(decode(bytes))` equals `bytes` whenever decoding succeeds.
 *
 * A new version gets a new version byte and a decoder branch; old entries stay in logs and
 * snapshots, so version 1 must stay decodable for as long as they can exist.
 */

import {
  ByteReader,
  ByteReadFailure,
  ByteWriter,
  blobSize,
  isWellFormedString,
  utf8Encode,
} from '../binary.js';
import { canonicalBatch, type DnsBatch, type ParsedBatch, validateBatchSyntax } from '../dns/changes.js';
import { type TombstoneCollection, validateTombstoneCollection } from '../dns/tombstone-collection.js';
import { type DnsImport, validateDnsImport } from '../dns/zone-import.js';
import { CLIENT_ID_BYTES_MAX, DNS_BATCH_BYTES_MAX, KEY_BYTES_MAX, VALUE_BYTES_MAX } from '../limits.js';
import type { GroupCommand, GroupCommandKind, SessionCommand } from './commands.js';

export const COMMAND_CODEC_VERSION = 1;

const OP_PUT = 1;
const OP_DELETE = 2;
const OP_CAS = 3;
const OP_DNS = 4;
const OP_DNS_IMPORT = 5;
const OP_DNS_COLLECT = 6;
/** Bytes of a dns-import's JSON: a name, an id, a count and a version. */
const DNS_IMPORT_BYTES_MAX = 2048;
/** The op byte of each command kind. */
const OP_CODES: Readonly<Record<GroupCommandKind, number>> = {
  'kv-put': OP_PUT,
  'kv-delete': OP_DELETE,
  'kv-cas': OP_CAS,
  'dns-batch': OP_DNS,
  'dns-import': OP_DNS_IMPORT,
  'dns-collect-tombstones': OP_DNS_COLLECT,
};

export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export type CommandField =
  | 'clientId'
  | 'seq'
  | 'ackedSeq'
  | 'command'
  /** The command's `kind` (validation). */
  | 'kind'
  /** The op byte (decoding). */
  | 'op'
  | 'key'
  | 'value'
  | 'expectedRevision'
  | 'batch'
  | 'import'
  | 'collection';

/** A command that breaks a rule of its fields (type, range, byte bound). */
export interface CommandValidationError {
  readonly code: 'invalid-field';
  readonly field: CommandField;
  readonly message: string;
}

export type CommandDecodeErrorCode =
  | 'unsupported-version'
  | 'unknown-op'
  | 'truncated'
  | 'bad-varint'
  | 'invalid-utf8'
  | 'trailing-bytes'
  | 'invalid-field';

/** Why bytes are not a command. `offset` is where the problem starts; `field` names what was being read. */
export interface CommandDecodeError {
  readonly code: CommandDecodeErrorCode;
  readonly field?: CommandField;
  readonly offset: number;
  readonly message: string;
}

function invalid(field: CommandField, message: string): { ok: false; error: CommandValidationError } {
  return { ok: false, error: { code: 'invalid-field', field, message: `${field}: ${message}` } };
}

function isSafeNat(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** A string field as UTF-8 within [minBytes, maxBytes], or why not. */
function encodeStringField(
  input: unknown,
  field: CommandField,
  minBytes: number,
  maxBytes: number,
): Result<{ text: string; bytes: Uint8Array }, CommandValidationError> {
  if (typeof input !== 'string') return invalid(field, 'must be a string');
  // Each UTF-16 unit encodes to at least one byte: rejects a huge string without encoding it.
  if (input.length > maxBytes) return invalid(field, `longer than ${maxBytes} bytes`);
  if (!isWellFormedString(input)) return invalid(field, 'contains a lone surrogate (not valid Unicode)');
  const bytes = utf8Encode(input);
  if (bytes.length > maxBytes) return invalid(field, `${bytes.length} bytes exceeds the maximum ${maxBytes}`);
  if (bytes.length < minBytes) return invalid(field, 'must not be empty');
  return { ok: true, value: { text: input, bytes } };
}

interface PreparedCommand {
  readonly command: SessionCommand;
  readonly clientId: Uint8Array;
  /** The key, or for a DNS batch its canonical JSON. */
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/**
 * The commands whose body is JSON (`dns-batch`, `dns-import`): the body's field, its byte
 * limit, and its validation into the canonical value that is encoded. Encoding writes
 * `JSON.stringify` of the canonical value; decoding accepts only those exact bytes, so
 * every replica applies the command a client's bytes denote.
 */
interface JsonBody<T> {
  readonly field: 'batch' | 'import' | 'collection';
  readonly bytesMax: number;
  readonly canonical: (input: unknown) => Result<T, string>;
  /** What of the validated value is encoded (its JSON). */
  readonly json: (value: T) => unknown;
}

/** A DNS batch checked by `validateBatchSyntax`: its canonical form and what it parsed into. */
interface ValidatedBatch {
  readonly batch: DnsBatch;
  readonly parsed: ParsedBatch;
}

const DNS_BATCH_BODY: JsonBody<ValidatedBatch> = {
  field: 'batch',
  bytesMax: DNS_BATCH_BYTES_MAX,
  canonical: (input) => {
    const checked = validateBatchSyntax(input);
    if (!checked.ok) return { ok: false, error: `${checked.error.code}: ${checked.error.message}` };
    return { ok: true, value: { batch: canonicalBatch(input as DnsBatch), parsed: checked.batch } };
  },
  json: (value) => value.batch,
};

const DNS_IMPORT_BODY: JsonBody<DnsImport> = {
  field: 'import',
  bytesMax: DNS_IMPORT_BYTES_MAX,
  canonical: (input) => {
    const checked = validateDnsImport(input);
    return checked.ok ? { ok: true, value: checked.value } : { ok: false, error: checked.message };
  },
  json: (value) => value,
};

const DNS_COLLECT_BODY: JsonBody<TombstoneCollection> = {
  field: 'collection',
  bytesMax: DNS_BATCH_BYTES_MAX,
  canonical: (input) => {
    const checked = validateTombstoneCollection(input);
    return checked.ok ? { ok: true, value: checked.value } : { ok: false, error: checked.message };
  },
  json: (value) => value,
};

/**
 * A `dns-batch` as decoded from a log entry: besides the canonical batch, the parsed form
 * its validation at decode produced, so the store applies it without parsing it again
 * (`DnsStore.applyParsedBatch`). Decoding is the trust boundary of a log entry.
 */
export interface DecodedDnsBatchCommand {
  readonly kind: 'dns-batch';
  readonly batch: DnsBatch;
  readonly parsed: ParsedBatch;
}

export type DecodedGroupCommand =
  | Exclude<GroupCommand, { readonly kind: 'dns-batch' }>
  | DecodedDnsBatchCommand;

/** A `SessionCommand` as decoded from a log entry (see `DecodedDnsBatchCommand`). */
export interface DecodedSessionCommand extends SessionCommand {
  readonly command: DecodedGroupCommand;
}

/** A JSON body's canonical value and bytes, or why it is refused. */
function encodeJsonBody<T>(
  body: JsonBody<T>,
  input: unknown,
): Result<{ value: T; bytes: Uint8Array }, CommandValidationError> {
  const canonical = body.canonical(input);
  if (!canonical.ok) return invalid(body.field, canonical.error);
  const text = JSON.stringify(body.json(canonical.value));
  if (!isWellFormedString(text)) return invalid(body.field, 'contains a lone surrogate (not valid Unicode)');
  const bytes = utf8Encode(text);
  if (bytes.length > body.bytesMax)
    return invalid(body.field, `${bytes.length} bytes of JSON exceeds the maximum ${body.bytesMax}`);
  return { ok: true, value: { value: canonical.value, bytes } };
}

function prepare(input: unknown): Result<PreparedCommand, CommandValidationError> {
  if (typeof input !== 'object' || input === null)
    return invalid('command', 'session command must be an object');
  const candidate = input as Record<string, unknown>;
  const clientId = encodeStringField(candidate.clientId, 'clientId', 1, CLIENT_ID_BYTES_MAX);
  if (!clientId.ok) return clientId;
  const { seq, ackedSeq } = candidate;
  if (!isSafeNat(seq) || seq < 1) return invalid('seq', 'must be an integer in 1 ..= 2^53 - 1');
  if (!isSafeNat(ackedSeq) || ackedSeq >= seq)
    return invalid('ackedSeq', 'must be an integer in 0 ..= seq - 1');
  const raw = candidate.command;
  if (typeof raw !== 'object' || raw === null) return invalid('command', 'must be an object');
  const body = raw as Record<string, unknown>;
  const kind = body.kind;
  if (kind === 'dns-batch') {
    const dns = encodeJsonBody(DNS_BATCH_BODY, body.batch);
    if (!dns.ok) return dns;
    return {
      ok: true,
      value: {
        command: {
          clientId: clientId.value.text,
          seq,
          ackedSeq,
          command: { kind, batch: dns.value.value.batch },
        },
        clientId: clientId.value.bytes,
        key: dns.value.bytes,
        value: null,
      },
    };
  }
  if (kind === 'dns-import') {
    const encoded = encodeJsonBody(DNS_IMPORT_BODY, body.import);
    if (!encoded.ok) return encoded;
    return {
      ok: true,
      value: {
        command: {
          clientId: clientId.value.text,
          seq,
          ackedSeq,
          command: { kind, import: encoded.value.value },
        },
        clientId: clientId.value.bytes,
        key: encoded.value.bytes,
        value: null,
      },
    };
  }
  if (kind === 'dns-collect-tombstones') {
    const encoded = encodeJsonBody(DNS_COLLECT_BODY, body.collection);
    if (!encoded.ok) return encoded;
    return {
      ok: true,
      value: {
        command: {
          clientId: clientId.value.text,
          seq,
          ackedSeq,
          command: { kind, collection: encoded.value.value },
        },
        clientId: clientId.value.bytes,
        key: encoded.value.bytes,
        value: null,
      },
    };
  }
  if (kind !== 'kv-put' && kind !== 'kv-delete' && kind !== 'kv-cas')
    return invalid(
      'kind',
      "must be 'kv-put', 'kv-delete', 'kv-cas', 'dns-batch', 'dns-import' or 'dns-collect-tombstones'",
    );
  const key = encodeStringField(body.key, 'key', 1, KEY_BYTES_MAX);
  if (!key.ok) return key;
  let command: GroupCommand;
  let value: Uint8Array | null = null;
  if (kind === 'kv-delete') {
    command = { kind, key: key.value.text };
  } else {
    const encodedValue = encodeStringField(body.value, 'value', 0, VALUE_BYTES_MAX);
    if (!encodedValue.ok) return encodedValue;
    value = encodedValue.value.bytes;
    if (kind === 'kv-put') {
      command = { kind, key: key.value.text, value: encodedValue.value.text };
    } else {
      const expectedRevision = body.expectedRevision;
      if (!isSafeNat(expectedRevision))
        return invalid('expectedRevision', 'must be an integer in 0 ..= 2^53 - 1');
      command = { kind, key: key.value.text, expectedRevision, value: encodedValue.value.text };
    }
  }
  return {
    ok: true,
    value: {
      command: { clientId: clientId.value.text, seq, ackedSeq, command },
      clientId: clientId.value.bytes,
      key: key.value.bytes,
      value,
    },
  };
}

/**
 * Checks a session command before it is proposed (it accepts anything, for input that came
 * off the wire as JSON). On success returns a fresh copy holding only the known fields.
 * Rules: clientId 1..=128 UTF-8 bytes; seq an integer >= 1; ackedSeq an integer in
 * 0..=seq-1; key 1..=1024 bytes; value 0..=65536 bytes; expectedRevision an integer >= 0;
 * strings must be valid Unicode (no lone surrogates), since UTF-8 cannot carry them; a
 * DNS batch must pass `validateBatchSyntax` (the error says which change and why).
 */
export function validateSessionCommand(input: unknown): Result<SessionCommand, CommandValidationError> {
  const prepared = prepare(input);
  return prepared.ok ? { ok: true, value: prepared.value.command } : prepared;
}

/** Encodes a command (validating it first: an out-of-bounds command is an error, never truncated). */
export function encodeSessionCommand(input: SessionCommand): Result<Uint8Array, CommandValidationError> {
  const prepared = prepare(input);
  if (!prepared.ok) return prepared;
  const { command, clientId, key, value } = prepared.value;
  const body = command.command;
  const writer = new ByteWriter(
    2 + 16 + blobSize(clientId) + blobSize(key) + (value ? blobSize(value) + 8 : 0),
  );
  writer.u8(COMMAND_CODEC_VERSION);
  writer.u8(OP_CODES[body.kind]);
  writer.varint(command.seq);
  writer.varint(command.seq - command.ackedSeq);
  writer.blob(clientId);
  writer.blob(key);
  if (body.kind === 'kv-cas') writer.varint(body.expectedRevision);
  if (value) writer.blob(value);
  return { ok: true, value: writer.finish() };
}

function decodeError(
  code: CommandDecodeErrorCode,
  offset: number,
  message: string,
  field?: CommandField,
): { ok: false; error: CommandDecodeError } {
  return {
    ok: false,
    error: field === undefined ? { code, offset, message } : { code, field, offset, message },
  };
}

/** The rest of a frame as a JSON body: it must be the canonical encoding of a valid value. */
function decodeJsonBody<T>(
  reader: ByteReader,
  body: JsonBody<T>,
): { ok: true; value: T } | { ok: false; error: CommandDecodeError } {
  const at = reader.position;
  const text = reader.string(body.bytesMax, body.field);
  if (reader.remaining !== 0)
    return decodeError('trailing-bytes', reader.position, `${reader.remaining} bytes after the command`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return decodeError('invalid-field', at, `${body.field} is not JSON`, body.field);
  }
  const encoded = encodeJsonBody(body, json);
  if (!encoded.ok) return decodeError('invalid-field', at, encoded.error.message, body.field);
  if (JSON.stringify(body.json(encoded.value.value)) !== text)
    return decodeError('invalid-field', at, `${body.field} is not in canonical form`, body.field);
  return { ok: true, value: encoded.value.value };
}

/** Decodes an entry's payload. Never throws: bad bytes give a typed error. */
export function decodeSessionCommand(bytes: Uint8Array): Result<DecodedSessionCommand, CommandDecodeError> {
  const reader = new ByteReader(bytes);
  try {
    if (bytes.length === 0) return decodeError('truncated', 0, 'empty payload');
    const version = reader.u8('version');
    if (version !== COMMAND_CODEC_VERSION) {
      return decodeError('unsupported-version', 0, `unsupported command version ${version}`);
    }
    const op = reader.u8('op');
    if (
      op !== OP_PUT &&
      op !== OP_DELETE &&
      op !== OP_CAS &&
      op !== OP_DNS &&
      op !== OP_DNS_IMPORT &&
      op !== OP_DNS_COLLECT
    ) {
      return decodeError('unknown-op', 1, `unknown op ${op}`, 'op');
    }
    const seqAt = reader.position;
    const seq = reader.varint('seq');
    if (seq < 1) return decodeError('invalid-field', seqAt, 'seq must be >= 1', 'seq');
    const deltaAt = reader.position;
    const delta = reader.varint('ackedSeq');
    if (delta < 1 || delta > seq) {
      return decodeError('invalid-field', deltaAt, 'ackedSeq must be in 0 ..= seq - 1', 'ackedSeq');
    }
    const clientIdAt = reader.position;
    const clientId = reader.string(CLIENT_ID_BYTES_MAX, 'clientId');
    if (clientId.length === 0)
      return decodeError('invalid-field', clientIdAt, 'clientId is empty', 'clientId');
    if (op === OP_DNS) {
      const batch = decodeJsonBody(reader, DNS_BATCH_BODY);
      if (!batch.ok) return batch;
      const command: DecodedDnsBatchCommand = {
        kind: 'dns-batch',
        batch: batch.value.batch,
        parsed: batch.value.parsed,
      };
      return { ok: true, value: { clientId, seq, ackedSeq: seq - delta, command } };
    }
    if (op === OP_DNS_IMPORT) {
      const imported = decodeJsonBody(reader, DNS_IMPORT_BODY);
      if (!imported.ok) return imported;
      const command: GroupCommand = { kind: 'dns-import', import: imported.value };
      return { ok: true, value: { clientId, seq, ackedSeq: seq - delta, command } };
    }
    if (op === OP_DNS_COLLECT) {
      const collection = decodeJsonBody(reader, DNS_COLLECT_BODY);
      if (!collection.ok) return collection;
      const command: GroupCommand = { kind: 'dns-collect-tombstones', collection: collection.value };
      return { ok: true, value: { clientId, seq, ackedSeq: seq - delta, command } };
    }
    const keyAt = reader.position;
    const key = reader.string(KEY_BYTES_MAX, 'key');
    if (key.length === 0) return decodeError('invalid-field', keyAt, 'key is empty', 'key');
    let command: GroupCommand;
    if (op === OP_DELETE) {
      command = { kind: 'kv-delete', key };
    } else if (op === OP_PUT) {
      command = { kind: 'kv-put', key, value: reader.string(VALUE_BYTES_MAX, 'value') };
    } else {
      const expectedRevision = reader.varint('expectedRevision');
      command = { kind: 'kv-cas', key, expectedRevision, value: reader.string(VALUE_BYTES_MAX, 'value') };
    }
    if (reader.remaining !== 0) {
      return decodeError('trailing-bytes', reader.position, `${reader.remaining} bytes after the command`);
    }
    return { ok: true, value: { clientId, seq, ackedSeq: seq - delta, command } };
  } catch (e) {
    if (!(e instanceof ByteReadFailure)) throw e;
    const field = asField(e.what);
    const code: CommandDecodeErrorCode =
      e.problem === 'too-long' || e.problem === 'invalid-value' ? 'invalid-field' : e.problem;
    return decodeError(code, e.offset, e.message, field);
  }
}

const FIELDS: ReadonlySet<string> = new Set<CommandField>([
  'clientId',
  'seq',
  'ackedSeq',
  'command',
  'op',
  'key',
  'value',
  'expectedRevision',
  'batch',
  'import',
  'collection',
]);

function asField(what: string): CommandField | undefined {
  return FIELDS.has(what) ? (what as CommandField) : undefined;
}
