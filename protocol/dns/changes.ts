/**
 * The admin write model of the DNS record store: batches of changes as plain JSON-able
 * data in presentation form (what clients send and the log carries), their results, and
 * the checks that need no state (`validateBatchSyntax`, run at submit time and again when
 * the batch applies).
 *
 * Names are presentation text, absolute (`www.example.org.`) or relative to the change's
 * zone (`www`, `@`). Types are mnemonics or the RFC 3597 form (`TYPE65534`). RDATA is one
 * presentation string per record (`192.0.2.1`, `10 mail.example.org.`, `\# 2 abcd`);
 * relative names in it are completed with the zone.
 *
 * Every RRset change carries a `version` (version.ts): it takes effect only if newer than
 * what the store holds for that RRset (last writer wins), so changes commute.
 */

import { BATCH_CHANGES_MAX, TTL_SECONDS_MAX } from '../limits.js';
import { isRecordVersion, type RecordVersion } from './version.js';
import { META_TYPES, parseRrType } from './wire/codes.js';
import { type Name, parseName } from './wire/name.js';
import { type Rdata, rdataFromText, rdataKindOf, rdataType } from './wire/rdata.js';

export { BATCH_CHANGES_MAX };
export const BATCH_PREREQUISITES_MAX = 64;
export const RRSET_RDATAS_MAX = 512;
export const ZONE_NS_MAX = 64;
/** One RDATA's presentation text at most (a TXT of 65535 octets fits, escaped or in hex). */
export const RDATA_TEXT_CHARS_MAX = 4 * 65536;
export const NAME_TEXT_CHARS_MAX = 1024;
const U32_MAX = 0xffffffff;

export interface SoaFields {
  readonly mname: string;
  readonly rname: string;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
  readonly ttl: number;
  /** The initial serial; 1 when absent. Later serials are the store's. */
  readonly serial?: number;
}

export type DnsChange =
  | {
      readonly op: 'upsert';
      readonly zone: string;
      readonly name: string;
      readonly type: string;
      readonly ttl: number;
      readonly rdata: readonly string[];
      readonly version: RecordVersion;
    }
  | {
      readonly op: 'delete-rrset';
      readonly zone: string;
      readonly name: string;
      readonly type: string;
      readonly version: RecordVersion;
    }
  | {
      readonly op: 'delete-name';
      readonly zone: string;
      readonly name: string;
      readonly version: RecordVersion;
    }
  | {
      readonly op: 'create-zone';
      readonly zone: string;
      readonly soa: SoaFields;
      readonly ns: readonly string[];
      readonly nsTtl: number;
    }
  | { readonly op: 'delete-zone'; readonly zone: string };

export type DnsPrerequisite =
  | { readonly kind: 'name-exists' | 'name-absent'; readonly zone: string; readonly name: string }
  | {
      readonly kind: 'rrset-exists' | 'rrset-absent';
      readonly zone: string;
      readonly name: string;
      readonly type: string;
    }
  | {
      readonly kind: 'rrset-equals';
      readonly zone: string;
      readonly name: string;
      readonly type: string;
      readonly rdata: readonly string[];
    };

export interface DnsBatch {
  /** 1 ..= 256, applied in order. */
  readonly changes: readonly DnsChange[];
  /** At most 64, all checked against the data before any change. */
  readonly prerequisites?: readonly DnsPrerequisite[];
}

export type ChangeOutcome = 'applied' | 'superseded';

export type DnsWriteErrorCode = DnsWriteError['code'];

/** Why a batch was refused. Nothing of a refused batch is applied. */
export type DnsWriteError =
  | { readonly code: 'malformed'; readonly message: string; readonly change?: number }
  | { readonly code: 'empty-batch'; readonly message: string }
  | { readonly code: 'too-many-changes'; readonly message: string; readonly count: number }
  | { readonly code: 'too-many-prerequisites'; readonly message: string; readonly count: number }
  | { readonly code: 'no-such-zone'; readonly message: string; readonly zone: string }
  | { readonly code: 'zone-exists'; readonly message: string; readonly zone: string }
  /** The zone is frozen while it moves to group `to` (retryable: write it there). */
  | { readonly code: 'zone-moving'; readonly message: string; readonly zone: string; readonly to: string }
  | {
      readonly code: 'bad-name';
      readonly message: string;
      readonly change?: number;
      readonly prerequisite?: number;
    }
  | {
      readonly code: 'bad-type';
      readonly message: string;
      readonly change?: number;
      readonly prerequisite?: number;
    }
  | {
      readonly code: 'bad-rdata';
      readonly message: string;
      readonly change?: number;
      readonly prerequisite?: number;
      /** Index of the RDATA string. */
      readonly record: number;
    }
  | {
      readonly code: 'ttl-out-of-range';
      readonly message: string;
      readonly change: number;
      readonly ttl: number;
    }
  | {
      readonly code: 'outside-zone';
      readonly message: string;
      readonly change?: number;
      readonly prerequisite?: number;
    }
  | { readonly code: 'missing-version'; readonly message: string; readonly change: number }
  | { readonly code: 'prerequisite-failed'; readonly message: string; readonly prerequisite: number }
  | {
      readonly code: 'invalid-zone-data';
      readonly message: string;
      readonly zone: string;
      /** Each `ZoneError` as text. */
      readonly problems: readonly string[];
    }
  | { readonly code: 'limit-exceeded'; readonly message: string };

export type DnsBatchResult =
  | {
      readonly ok: true;
      /** Apex (as written in its create-zone) → the zone's serial after the batch. */
      readonly serials: Readonly<Record<string, number>>;
      /** One per change, in order. Zone creation and deletion are always `applied`. */
      readonly outcomes: readonly ChangeOutcome[];
    }
  | { readonly ok: false; readonly error: DnsWriteError };

// ---------------------------------------------------------------------------------------
// Parsed form: what the store applies.

export type ParsedChange =
  | {
      readonly op: 'upsert';
      readonly zone: Name;
      readonly name: Name;
      readonly type: number;
      readonly ttl: number;
      readonly rdatas: readonly Rdata[];
      readonly version: RecordVersion;
    }
  | {
      readonly op: 'delete-rrset';
      readonly zone: Name;
      readonly name: Name;
      readonly type: number;
      readonly version: RecordVersion;
    }
  | { readonly op: 'delete-name'; readonly zone: Name; readonly name: Name; readonly version: RecordVersion }
  | {
      readonly op: 'create-zone';
      readonly zone: Name;
      readonly soa: Rdata & { readonly kind: 'SOA' };
      readonly soaTtl: number;
      readonly ns: readonly Rdata[];
      readonly nsTtl: number;
    }
  | { readonly op: 'delete-zone'; readonly zone: Name };

export type ParsedPrerequisite =
  | { readonly kind: 'name-exists' | 'name-absent'; readonly zone: Name; readonly name: Name }
  | {
      readonly kind: 'rrset-exists' | 'rrset-absent';
      readonly zone: Name;
      readonly name: Name;
      readonly type: number;
    }
  | {
      readonly kind: 'rrset-equals';
      readonly zone: Name;
      readonly name: Name;
      readonly type: number;
      readonly rdatas: readonly Rdata[];
    };

export interface ParsedBatch {
  readonly changes: readonly ParsedChange[];
  readonly prerequisites: readonly ParsedPrerequisite[];
}

export type BatchSyntaxResult =
  | { readonly ok: true; readonly batch: ParsedBatch }
  | { readonly ok: false; readonly error: DnsWriteError };

class SyntaxFailure extends Error {
  constructor(readonly error: DnsWriteError) {
    super(error.message);
  }
}

type At = { readonly change: number } | { readonly prerequisite: number };

function where(at: At): string {
  return 'change' in at ? `change ${at.change}` : `prerequisite ${at.prerequisite}`;
}

function fail(error: DnsWriteError): never {
  throw new SyntaxFailure(error);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= U32_MAX;
}

function text(value: unknown, field: string, at: At): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > NAME_TEXT_CHARS_MAX)
    fail({
      code: 'malformed',
      message: `${where(at)}: ${field} must be a string of 1..=${NAME_TEXT_CHARS_MAX} characters`,
      ...at,
    });
  return value;
}

function zoneName(value: unknown, at: At): Name {
  const parsed = parseName(text(value, 'zone', at));
  if (!parsed.ok)
    fail({
      code: 'bad-name',
      message: `${where(at)}: zone ${JSON.stringify(value)}: ${parsed.error.message}`,
      ...at,
    });
  return parsed.name;
}

/** An owner name, absolute or relative to the zone, that must be at or below the apex. */
function ownerName(value: unknown, zone: Name, at: At): Name {
  const parsed = parseName(text(value, 'name', at), zone);
  if (!parsed.ok)
    fail({
      code: 'bad-name',
      message: `${where(at)}: name ${JSON.stringify(value)}: ${parsed.error.message}`,
      ...at,
    });
  if (!parsed.name.isSubdomainOf(zone))
    fail({ code: 'outside-zone', message: `${where(at)}: ${parsed.name} is not in zone ${zone}`, ...at });
  return parsed.name;
}

function rrType(value: unknown, at: At): number {
  const type = typeof value === 'string' ? parseRrType(value) : undefined;
  if (type === undefined)
    fail({ code: 'bad-type', message: `${where(at)}: unknown type ${JSON.stringify(value)}`, ...at });
  if (META_TYPES.has(type))
    fail({ code: 'bad-type', message: `${where(at)}: ${value} is not a type of zone data`, ...at });
  return type;
}

/** RFC 2181 §8: a TTL is an unsigned 31-bit integer. */
function ttl(value: unknown, change: number, what = 'ttl'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > TTL_SECONDS_MAX)
    fail({
      code: 'ttl-out-of-range',
      message: `change ${change}: ${what} ${String(value)} is not in 0..=${TTL_SECONDS_MAX} (RFC 2181 §8)`,
      change,
      ttl: typeof value === 'number' ? value : -1,
    });
  return value;
}

function rdatas(value: unknown, type: number, zone: Name, at: At): Rdata[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > RRSET_RDATAS_MAX)
    fail({
      code: 'malformed',
      message: `${where(at)}: rdata must be a list of 1..=${RRSET_RDATAS_MAX} strings`,
      ...at,
    });
  return value.map((item, record) => rdataOf(item, type, zone, at, record));
}

function rdataOf(item: unknown, type: number, zone: Name, at: At, record: number): Rdata {
  if (typeof item !== 'string' || item.length > RDATA_TEXT_CHARS_MAX)
    fail({
      code: 'bad-rdata',
      message: `${where(at)}: rdata ${record} must be a string of at most ${RDATA_TEXT_CHARS_MAX} characters`,
      ...at,
      record,
    });
  const parsed = rdataFromText(type, item, zone);
  if (!parsed.ok)
    fail({
      code: 'bad-rdata',
      message: `${where(at)}: rdata ${record} ${JSON.stringify(item)}: ${parsed.error.message}`,
      ...at,
      record,
    });
  const kind = rdataType(parsed.rdata);
  // `\# 0` parses as the empty RDATA of an UPDATE deletion (RFC 2136 §2.5): not data.
  if (kind === undefined && rdataKindOf(type) !== undefined)
    fail({
      code: 'bad-rdata',
      message: `${where(at)}: rdata ${record} ${JSON.stringify(item)} is not valid for its type`,
      ...at,
      record,
    });
  return parsed.rdata;
}

function version(value: unknown, change: number): RecordVersion {
  if (!isRecordVersion(value))
    fail({
      code: 'missing-version',
      message: `change ${change}: needs a version {hlcMs, counter, writer}`,
      change,
    });
  return { hlcMs: value.hlcMs, counter: value.counter, writer: value.writer };
}

function parseChange(raw: unknown, change: number): ParsedChange {
  const at = { change };
  if (!isObject(raw)) fail({ code: 'malformed', message: `change ${change} is not an object`, change });
  const zone = zoneName(raw.zone, at);
  switch (raw.op) {
    case 'upsert': {
      const name = ownerName(raw.name, zone, at);
      const type = rrType(raw.type, at);
      return {
        op: 'upsert',
        zone,
        name,
        type,
        ttl: ttl(raw.ttl, change),
        rdatas: rdatas(raw.rdata, type, zone, at),
        version: version(raw.version, change),
      };
    }
    case 'delete-rrset':
      return {
        op: 'delete-rrset',
        zone,
        name: ownerName(raw.name, zone, at),
        type: rrType(raw.type, at),
        version: version(raw.version, change),
      };
    case 'delete-name':
      return {
        op: 'delete-name',
        zone,
        name: ownerName(raw.name, zone, at),
        version: version(raw.version, change),
      };
    case 'create-zone': {
      const soa = raw.soa;
      if (!isObject(soa))
        fail({ code: 'malformed', message: `change ${change}: soa must be an object`, change });
      for (const field of ['refresh', 'retry', 'expire', 'minimum'] as const) {
        if (!isU32(soa[field]))
          fail({
            code: 'malformed',
            message: `change ${change}: soa.${field} must be an integer in 0..=2^32-1`,
            change,
          });
      }
      if (soa.serial !== undefined && !isU32(soa.serial))
        fail({
          code: 'malformed',
          message: `change ${change}: soa.serial must be an integer in 0..=2^32-1`,
          change,
        });
      const names = (field: 'mname' | 'rname'): Name => {
        const parsed = parseName(text(soa[field], `soa.${field}`, at), zone);
        if (!parsed.ok)
          fail({
            code: 'bad-name',
            message: `change ${change}: soa.${field}: ${parsed.error.message}`,
            change,
          });
        return parsed.name;
      };
      const ns = raw.ns;
      if (!Array.isArray(ns) || ns.length === 0 || ns.length > ZONE_NS_MAX)
        fail({
          code: 'malformed',
          message: `change ${change}: ns must be a list of 1..=${ZONE_NS_MAX} names`,
          change,
        });
      return {
        op: 'create-zone',
        zone,
        soa: {
          kind: 'SOA',
          mname: names('mname'),
          rname: names('rname'),
          serial: (soa.serial as number | undefined) ?? 1,
          refresh: soa.refresh as number,
          retry: soa.retry as number,
          expire: soa.expire as number,
          minimum: soa.minimum as number,
        },
        soaTtl: ttl(soa.ttl, change, 'soa.ttl'),
        ns: ns.map((target, record) => {
          const parsed = parseName(text(target, `ns ${record}`, at), zone);
          if (!parsed.ok)
            fail({
              code: 'bad-name',
              message: `change ${change}: ns ${record}: ${parsed.error.message}`,
              change,
            });
          return { kind: 'NS', target: parsed.name };
        }),
        nsTtl: ttl(raw.nsTtl, change, 'nsTtl'),
      };
    }
    case 'delete-zone':
      return { op: 'delete-zone', zone };
    default:
      return fail({
        code: 'malformed',
        message: `change ${change}: unknown op ${JSON.stringify(raw.op)}`,
        change,
      });
  }
}

function parsePrerequisite(raw: unknown, prerequisite: number): ParsedPrerequisite {
  const at = { prerequisite };
  if (!isObject(raw)) fail({ code: 'malformed', message: `prerequisite ${prerequisite} is not an object` });
  const zone = zoneName(raw.zone, at);
  const name = ownerName(raw.name, zone, at);
  switch (raw.kind) {
    case 'name-exists':
    case 'name-absent':
      return { kind: raw.kind, zone, name };
    case 'rrset-exists':
    case 'rrset-absent':
      return { kind: raw.kind, zone, name, type: rrType(raw.type, at) };
    case 'rrset-equals': {
      const type = rrType(raw.type, at);
      return { kind: 'rrset-equals', zone, name, type, rdatas: rdatas(raw.rdata, type, zone, at) };
    }
    default:
      return fail({
        code: 'malformed',
        message: `prerequisite ${prerequisite}: unknown kind ${JSON.stringify(raw.kind)}`,
      });
  }
}

/**
 * Checks everything about a batch that needs no state: shape, counts (1..=256 changes, at
 * most 64 prerequisites), names (in their zone), types, TTLs (RFC 2181 §8), RDATA against
 * its type, versions. `changesMax` is larger only for a zone import's commit, which
 * reaches the store as one log entry naming staged chunks (zone-import.ts), never as a
 * batch on the wire. Accepts anything (input off the wire); never throws. On success
 * gives the batch parsed into names, type codes and RDATA values.
 */
export function validateBatchSyntax(input: unknown, changesMax = BATCH_CHANGES_MAX): BatchSyntaxResult {
  try {
    if (!isObject(input)) fail({ code: 'malformed', message: 'a batch must be an object' });
    const { changes, prerequisites } = input;
    if (!Array.isArray(changes)) fail({ code: 'malformed', message: 'changes must be a list' });
    if (changes.length === 0) fail({ code: 'empty-batch', message: 'a batch needs at least one change' });
    if (changes.length > changesMax)
      fail({
        code: 'too-many-changes',
        message: `${changes.length} changes exceed the maximum ${changesMax}`,
        count: changes.length,
      });
    if (prerequisites !== undefined && !Array.isArray(prerequisites))
      fail({ code: 'malformed', message: 'prerequisites must be a list' });
    const prereqs: readonly unknown[] = prerequisites ?? [];
    if (prereqs.length > BATCH_PREREQUISITES_MAX)
      fail({
        code: 'too-many-prerequisites',
        message: `${prereqs.length} prerequisites exceed the maximum ${BATCH_PREREQUISITES_MAX}`,
        count: prereqs.length,
      });
    return {
      ok: true,
      batch: { changes: changes.map(parseChange), prerequisites: prereqs.map(parsePrerequisite) },
    };
  } catch (error) {
    if (error instanceof SyntaxFailure) return { ok: false, error: error.error };
    return {
      ok: false,
      error: {
        code: 'malformed',
        message: `batch: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
}

/**
 * A copy of a batch that passed `validateBatchSyntax`, holding only the known fields, in
 * a fixed order: its JSON is the batch's one encoding in the log (command-codec.ts).
 */
export function canonicalBatch(batch: DnsBatch): DnsBatch {
  const v = (version: RecordVersion): RecordVersion => ({
    hlcMs: version.hlcMs,
    counter: version.counter,
    writer: version.writer,
  });
  const changes = batch.changes.map((c): DnsChange => {
    switch (c.op) {
      case 'upsert':
        return {
          op: c.op,
          zone: c.zone,
          name: c.name,
          type: c.type,
          ttl: c.ttl,
          rdata: [...c.rdata],
          version: v(c.version),
        };
      case 'delete-rrset':
        return { op: c.op, zone: c.zone, name: c.name, type: c.type, version: v(c.version) };
      case 'delete-name':
        return { op: c.op, zone: c.zone, name: c.name, version: v(c.version) };
      case 'create-zone': {
        const s = c.soa;
        return {
          op: c.op,
          zone: c.zone,
          soa: {
            mname: s.mname,
            rname: s.rname,
            refresh: s.refresh,
            retry: s.retry,
            expire: s.expire,
            minimum: s.minimum,
            ttl: s.ttl,
            ...(s.serial === undefined ? {} : { serial: s.serial }),
          },
          ns: [...c.ns],
          nsTtl: c.nsTtl,
        };
      }
      default:
        return { op: c.op, zone: c.zone };
    }
  });
  if (batch.prerequisites === undefined) return { changes };
  const prerequisites = batch.prerequisites.map((p): DnsPrerequisite => {
    switch (p.kind) {
      case 'name-exists':
      case 'name-absent':
        return { kind: p.kind, zone: p.zone, name: p.name };
      case 'rrset-exists':
      case 'rrset-absent':
        return { kind: p.kind, zone: p.zone, name: p.name, type: p.type };
      default:
        return { kind: p.kind, zone: p.zone, name: p.name, type: p.type, rdata: [...p.rdata] };
    }
  });
  return { changes, prerequisites };
}
