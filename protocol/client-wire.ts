/**
 * The client wire format: what `clients/raft-client.ts` sends a group over NATS and what
 * `runtime/client-intake.ts` answers. UTF-8 JSON, one object per NATS message, every one
 * carrying the format version `v` (this is version 1). Field names are short because every
 * write carries them; values are the store's own (actors/state-machine/commands.ts).
 *
 * Requests (`sid`/`seq`/`ack`: the client session, thesis §6.3 — every retry of a write
 * carries the same `sid` and `seq`, so it executes at most once):
 *
 *   {"v":1,"op":"put","k":KEY,"val":VALUE,"sid":ID,"seq":N,"ack":M}
 *   {"v":1,"op":"del","k":KEY,"sid":ID,"seq":N,"ack":M}
 *   {"v":1,"op":"cas","k":KEY,"rev":REVISION,"val":VALUE,"sid":ID,"seq":N,"ack":M}
 *   {"v":1,"op":"get","k":KEY,"mode":MODE}
 *   {"v":1,"op":"range","pfx":PREFIX,"lim":LIMIT,"after":KEY?,"mode":MODE}
 *   {"v":1,"op":"dns","batch":DnsBatch,"sid":ID,"seq":N,"ack":M}
 *   {"v":1,"op":"dns-zones","mode":MODE}
 *   {"v":1,"op":"dns-rrsets","zone":ZONE,"name":NAME,"mode":MODE}
 *   {"v":1,"op":"dns-import","import":DnsImport,"sid":ID,"seq":N,"ack":M}
 *   {"v":1,"op":"dns-zone-page","zone":ZONE,"off":OFFSET,"lim":LIMIT,"at":CHANGED_INDEX?,"mode":MODE}
 *   {"v":1,"op":"dns-collect","collection":TombstoneCollection,"sid":ID,"seq":N,"ack":M}
 *   {"v":1,"op":"status"}
 *   {"v":1,"op":"sync-roots","mode":MODE}                                  anti-entropy between regions:
 *   {"v":1,"op":"sync-nodes","zone":ZONE,"depth":D,"nodes":[N…],"mode":MODE} only on the group's
 *   {"v":1,"op":"sync-owners","zone":ZONE,"leaves":[L…],"after":{"leaf":L,"owner":KEY}?,"mode":MODE}
 *   {"v":1,"op":"sync-tombstones","zone":ZONE,"before":MS,"from":LEAF,"mode":MODE}
 *                                                                          `…sync` subject (subjects.ts)
 *
 * MODE is a read mode's text (protocol/read-mode.ts; default `linearizable`). `rev` 0 means
 * "the key must not exist". Fields a version-1 reader does not know are ignored. A DNS
 * batch (actors/dns/store/changes.ts) is checked here for shape and bounds only; its
 * names, types and RDATA are checked by `validateBatchSyntax` before it is proposed.
 *
 * Replies (`st` says which):
 *
 *   {"v":1,"st":"applied","idx":N,"res":WireCommandResult} the write executed (or had: a retry)
 *   {"v":1,"st":"ok","idx":N,"res":QueryResult}          the read, served at applied index N
 *   {"v":1,"st":"not-leader","leader":ID|null}           ask the leader (if known) instead
 *   {"v":1,"st":"retry","why":REASON}                    not done (or outcome unknown): retry, same seq
 *   {"v":1,"st":"rejected","why":REASON,"detail":TEXT}   refused by a session rule or as invalid
 *   {"v":1,"st":"stale"}                                  bounded read: no recent leader contact here
 *   {"v":1,"st":"status","status":ReplicaStatus}
 *   {"v":1,"st":"error","code":CODE,"detail":TEXT}       the request itself is wrong (or the intake failed)
 *
 * Error codes: `malformed` (not JSON, not an object, a field missing or of the wrong type),
 * `too-large` (above REQUEST_BYTES_MAX), `unsupported-version` (`v` is not 1: the reply
 * still says `"v":1`, the version the replica speaks), `wrong-subject` (a write sent on a read
 * subject: writes go to `…write` or `…client.<replica>.write`, see subjects.ts; a `sync-…`
 * request off the `…sync` subject, or anything else on it), `internal`.
 *
 * A reply never exceeds the server's max_payload: a `range` page that would is cut short and
 * says `more` (continue with `after` = its last key).
 */
import type { DnsBatch, DnsBatchResult } from './dns/changes.js';
import type { SyncCursor, ZoneAgreement } from './dns/region-repair.js';
import type { TombstoneCollection } from './dns/tombstone-collection.js';
import type { DnsImport } from './dns/zone-import.js';
import type { ElectionRole } from './election-role.js';
import type { CommandResult, GroupCommand, GroupQuery, KvEntryView, QueryResult } from './group/commands.js';
import type { ReadModeText } from './read-mode.js';

export const WIRE_VERSION = 1;

// ---------------------------------------------------------------------------------------
// Types

export interface WireSession {
  readonly sid: string;
  readonly seq: number;
  readonly ack: number;
}

export type ClientRequest =
  | ({ readonly v: 1; readonly op: 'put'; readonly k: string; readonly val: string } & WireSession)
  | ({ readonly v: 1; readonly op: 'del'; readonly k: string } & WireSession)
  | ({
      readonly v: 1;
      readonly op: 'cas';
      readonly k: string;
      readonly rev: number;
      readonly val: string;
    } & WireSession)
  | { readonly v: 1; readonly op: 'get'; readonly k: string; readonly mode?: ReadModeText }
  | {
      readonly v: 1;
      readonly op: 'range';
      readonly pfx: string;
      readonly lim: number;
      readonly after?: string;
      readonly mode?: ReadModeText;
    }
  | ({ readonly v: 1; readonly op: 'dns'; readonly batch: DnsBatch } & WireSession)
  | { readonly v: 1; readonly op: 'dns-zones'; readonly mode?: ReadModeText }
  | {
      readonly v: 1;
      readonly op: 'dns-rrsets';
      readonly zone: string;
      readonly name: string;
      readonly mode?: ReadModeText;
    }
  | ({ readonly v: 1; readonly op: 'dns-import'; readonly import: DnsImport } & WireSession)
  | {
      readonly v: 1;
      readonly op: 'dns-zone-page';
      readonly zone: string;
      readonly off: number;
      readonly lim: number;
      /** The `changedIndex` of the state to read, while the replica holds it. */
      readonly at?: number;
      readonly mode?: ReadModeText;
    }
  | { readonly v: 1; readonly op: 'status' }
  | { readonly v: 1; readonly op: 'sync-roots'; readonly mode?: ReadModeText }
  | {
      readonly v: 1;
      readonly op: 'sync-nodes';
      readonly zone: string;
      readonly depth: number;
      readonly nodes: readonly number[];
      readonly mode?: ReadModeText;
    }
  | {
      readonly v: 1;
      readonly op: 'sync-owners';
      readonly zone: string;
      readonly leaves: readonly number[];
      readonly after?: SyncCursor;
      readonly mode?: ReadModeText;
    }
  | {
      readonly v: 1;
      readonly op: 'sync-tombstones';
      readonly zone: string;
      readonly before: number;
      readonly from: number;
      readonly mode?: ReadModeText;
    }
  | ({ readonly v: 1; readonly op: 'dns-collect'; readonly collection: TombstoneCollection } & WireSession);

/** Whether a request is one of anti-entropy's, served only on the group's `…sync` subject. */
export function isSyncRequest(request: ClientRequest): boolean {
  return (
    request.op === 'sync-roots' ||
    request.op === 'sync-nodes' ||
    request.op === 'sync-owners' ||
    request.op === 'sync-tombstones'
  );
}

export type RetryReason = 'overloaded' | 'leadership-changed' | 'timeout' | 'unavailable';
export type RejectReason = 'invalid' | 'session-expired' | 'stale-sequence' | 'too-many-pending';
export type WireErrorCode = 'malformed' | 'too-large' | 'unsupported-version' | 'wrong-subject' | 'internal';

/** One replica's view of itself and its group, from `status`. */
export interface ReplicaStatus {
  readonly replica: string;
  readonly group: string;
  readonly term: number;
  readonly role: ElectionRole;
  readonly leaderId: string | null;
  readonly voters: readonly string[];
  /**
   * Whether `voters` is a configuration the group committed (a leader's newest one applies
   * once appended and may still be committing, thesis §4.1); absent when unknown.
   */
  readonly votersCommitted?: boolean;
  /** The highest index this replica knows committed (null: no leader contact yet). */
  readonly commitIndex?: number | null;
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  /** Snapshots this replica received from a leader and restored (InstallSnapshot) since its state machine started. */
  readonly snapshotsInstalled: number;
  readonly recoveredFromSnapshot: number;
  readonly keys: number;
  readonly sessions: number;
  /** Whether this replica's intake listens on the group's shared write/read subjects. */
  readonly servingLeaderSubjects: boolean;
  /**
   * DNS queries (UDP and TCP) its DNS actor received since that actor started; absent when
   * the replica serves no DNS or the actor did not answer. A rate needs two readings.
   */
  readonly dnsQueries?: number;
  /** Client writes this replica's intake saw applied since it started (it applies them only as leader). */
  readonly writesApplied?: number;
  /** Those writes' summed seconds from reaching the intake to applied: with `writesApplied`, a mean. */
  readonly writeSecondsApplied?: number;
  /** On a leader comparing with other regions: per zone and region, the last result (region-repair.ts). */
  readonly regionAgreement?: readonly ZoneAgreement[];
}

/**
 * A write's result as version 1 of the wire spells it: by `ok`, where the store's
 * `CommandResult` is tagged by `kind`. `wireResult` and `resultOfWire` convert, so the wire
 * format stays what version-1 clients read:
 *
 *   {"ok":true,"revision":N,"previous":ENTRY|null}             kv-written
 *   {"ok":false,"error":"cas-mismatch","current":ENTRY|null}   kv-cas-mismatch
 *   {"ok":true,"revision":N,"previous":null,"dns":RESULT}      dns-batch
 */
export type WireCommandResult =
  | { readonly ok: true; readonly revision: number; readonly previous: KvEntryView | null }
  | { readonly ok: false; readonly error: 'cas-mismatch'; readonly current: KvEntryView | null }
  | {
      readonly ok: true;
      readonly revision: number;
      readonly previous: null;
      readonly dns: DnsBatchResult;
    };

export type ClientReply =
  | { readonly v: 1; readonly st: 'applied'; readonly idx: number; readonly res: WireCommandResult }
  | { readonly v: 1; readonly st: 'ok'; readonly idx: number; readonly res: QueryResult }
  | { readonly v: 1; readonly st: 'not-leader'; readonly leader: string | null }
  | { readonly v: 1; readonly st: 'retry'; readonly why: RetryReason }
  | { readonly v: 1; readonly st: 'rejected'; readonly why: RejectReason; readonly detail: string }
  | { readonly v: 1; readonly st: 'stale' }
  | { readonly v: 1; readonly st: 'status'; readonly status: ReplicaStatus }
  | { readonly v: 1; readonly st: 'error'; readonly code: WireErrorCode; readonly detail: string };

// ---------------------------------------------------------------------------------------
// Requests (decodeRequest, the replicas' check of them, is in client-request-schema.ts)

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf8Encoder = new TextEncoder();

export function encodeRequest(request: ClientRequest): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(request));
}

/** The request for a write, with its session fields. */
export function writeRequest(command: GroupCommand, sessionFields: WireSession): ClientRequest {
  switch (command.kind) {
    case 'kv-put':
      return { v: 1, op: 'put', k: command.key, val: command.value, ...sessionFields };
    case 'kv-delete':
      return { v: 1, op: 'del', k: command.key, ...sessionFields };
    case 'kv-cas':
      return {
        v: 1,
        op: 'cas',
        k: command.key,
        rev: command.expectedRevision,
        val: command.value,
        ...sessionFields,
      };
    case 'dns-batch':
      return { v: 1, op: 'dns', batch: command.batch, ...sessionFields };
    case 'dns-import':
      return { v: 1, op: 'dns-import', import: command.import, ...sessionFields };
    case 'dns-collect-tombstones':
      return { v: 1, op: 'dns-collect', collection: command.collection, ...sessionFields };
  }
}

/** The request for a read. */
export function readRequest(query: GroupQuery, readMode: ReadModeText): ClientRequest {
  if (query.op === 'get') return { v: 1, op: 'get', k: query.key, mode: readMode };
  if (query.op === 'dns-zones') return { v: 1, op: 'dns-zones', mode: readMode };
  if (query.op === 'dns-rrsets')
    return { v: 1, op: 'dns-rrsets', zone: query.zone, name: query.name, mode: readMode };
  if (query.op === 'dns-digest-roots') return { v: 1, op: 'sync-roots', mode: readMode };
  if (query.op === 'dns-digest-nodes')
    return {
      v: 1,
      op: 'sync-nodes',
      zone: query.zone,
      depth: query.depth,
      nodes: query.nodes,
      mode: readMode,
    };
  if (query.op === 'dns-sync-owners')
    return {
      v: 1,
      op: 'sync-owners',
      zone: query.zone,
      leaves: query.leaves,
      ...(query.after === undefined ? {} : { after: query.after }),
      mode: readMode,
    };
  if (query.op === 'dns-tombstone-scan')
    return {
      v: 1,
      op: 'sync-tombstones',
      zone: query.zone,
      before: query.beforeMs,
      from: query.fromLeaf,
      mode: readMode,
    };
  if (query.op === 'dns-zone-page')
    return {
      v: 1,
      op: 'dns-zone-page',
      zone: query.zone,
      off: query.offset,
      lim: query.limit,
      ...(query.changedIndex === undefined ? {} : { at: query.changedIndex }),
      mode: readMode,
    };
  return {
    v: 1,
    op: 'range',
    pfx: query.prefix,
    lim: query.limit,
    ...(query.startAfter === undefined ? {} : { after: query.startAfter }),
    mode: readMode,
  };
}

/** The store command a write request stands for. */
export function commandOf(request: ClientRequest): GroupCommand | undefined {
  switch (request.op) {
    case 'put':
      return { kind: 'kv-put', key: request.k, value: request.val };
    case 'del':
      return { kind: 'kv-delete', key: request.k };
    case 'cas':
      return { kind: 'kv-cas', key: request.k, expectedRevision: request.rev, value: request.val };
    case 'dns':
      return { kind: 'dns-batch', batch: request.batch };
    case 'dns-import':
      return { kind: 'dns-import', import: request.import };
    case 'dns-collect':
      return { kind: 'dns-collect-tombstones', collection: request.collection };
    default:
      return undefined;
  }
}

/** The store query a read request stands for. */
export function queryOf(request: ClientRequest): GroupQuery | undefined {
  switch (request.op) {
    case 'get':
      return { op: 'get', key: request.k };
    case 'range':
      return {
        op: 'range',
        prefix: request.pfx,
        limit: request.lim,
        ...(request.after === undefined ? {} : { startAfter: request.after }),
      };
    case 'dns-zones':
      return { op: 'dns-zones' };
    case 'dns-rrsets':
      return { op: 'dns-rrsets', zone: request.zone, name: request.name };
    case 'sync-roots':
      return { op: 'dns-digest-roots' };
    case 'sync-nodes':
      return { op: 'dns-digest-nodes', zone: request.zone, depth: request.depth, nodes: request.nodes };
    case 'sync-owners':
      return {
        op: 'dns-sync-owners',
        zone: request.zone,
        leaves: request.leaves,
        ...(request.after === undefined ? {} : { after: request.after }),
      };
    case 'sync-tombstones':
      return {
        op: 'dns-tombstone-scan',
        zone: request.zone,
        beforeMs: request.before,
        fromLeaf: request.from,
      };
    case 'dns-zone-page':
      return {
        op: 'dns-zone-page',
        zone: request.zone,
        offset: request.off,
        limit: request.lim,
        ...(request.at === undefined ? {} : { changedIndex: request.at }),
      };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Replies

/** A write's result as the wire spells it. */
export function wireResult(result: CommandResult): WireCommandResult {
  switch (result.kind) {
    case 'kv-written':
      return { ok: true, revision: result.revision, previous: result.previous };
    case 'kv-cas-mismatch':
      return { ok: false, error: 'cas-mismatch', current: result.current };
    case 'dns-batch':
      return { ok: true, revision: result.revision, previous: null, dns: result.dns };
  }
}

/** The store's result a wire result stands for: only a DNS batch's carries `dns`. */
export function resultOfWire(res: WireCommandResult): CommandResult {
  if (!res.ok) return { kind: 'kv-cas-mismatch', current: res.current };
  if ('dns' in res) return { kind: 'dns-batch', revision: res.revision, dns: res.dns };
  return { kind: 'kv-written', revision: res.revision, previous: res.previous };
}

export function encodeReply(reply: ClientReply): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(reply));
}

const REPLY_STATES = new Set([
  'applied',
  'ok',
  'not-leader',
  'retry',
  'rejected',
  'stale',
  'status',
  'error',
]);

export type DecodedReply =
  | { readonly ok: true; readonly reply: ClientReply }
  | { readonly ok: false; readonly detail: string };

/**
 * Decodes a reply; never throws. Checks the envelope (`v`, `st`) and the fields the
 * client acts on; result bodies (`res`, `status`) are the replica's and taken as sent.
 */
export function decodeReply(bytes: Uint8Array): DecodedReply {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    return { ok: false, detail: `reply is not UTF-8 JSON: ${errorMessage(error)}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, detail: 'reply is not a JSON object' };
  }
  const reply = json as Record<string, unknown>;
  if (reply.v !== WIRE_VERSION) return { ok: false, detail: `reply has version ${String(reply.v)}` };
  if (typeof reply.st !== 'string' || !REPLY_STATES.has(reply.st)) {
    return { ok: false, detail: `reply has an unknown status ${JSON.stringify(reply.st)}` };
  }
  const bad = (field: string) => ({ ok: false as const, detail: `reply ${reply.st} lacks a valid ${field}` });
  switch (reply.st) {
    case 'applied':
    case 'ok':
      if (!Number.isInteger(reply.idx)) return bad('idx');
      if (reply.res === null || typeof reply.res !== 'object') return bad('res');
      break;
    case 'not-leader':
      if (reply.leader !== null && typeof reply.leader !== 'string') return bad('leader');
      break;
    case 'retry':
    case 'rejected':
      if (typeof reply.why !== 'string') return bad('why');
      break;
    case 'status':
      if (reply.status === null || typeof reply.status !== 'object') return bad('status');
      break;
    case 'error':
      if (typeof reply.code !== 'string') return bad('code');
      break;
  }
  return { ok: true, reply: json as ClientReply };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
