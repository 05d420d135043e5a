/**
 * The replicated key-value store with client sessions: the pure, deterministic core the
 * state machine actor wraps. It does no I/O and reads no clock; time is the log's.
 *
 * Contract (hashicorp/raft's FSM seam):
 * - `apply` is deterministic: replicas that apply the same entries in the same order hold
 *   the same state (the same `digest()`) and return the same outcomes.
 * - `snapshot` is a single pass over the state; `restore` builds a fresh machine, so no
 *   previous state survives it.
 * - A broken Raft invariant (a gap in the indexes, a committed entry that changed) throws
 *   `StateMachineInvariantError`: the replica must stop rather than diverge.
 *
 * Sessions (thesis §6.3), as applied to each command entry:
 * 1. Log time `logTimeMs` becomes max(logTimeMs, entry.timeMs): monotonic even when a new
 *    leader's clock is behind. Then every session unused for at least `sessionTimeoutMs` of
 *    log time expires, at every entry kind, so all replicas expire the same sessions at the
 *    same index. The number of entries never expires anything.
 * 2. A payload that does not decode is rejected as `malformed` (nothing else changes).
 * 3. An unknown clientId with seq 1 opens a session (evicting the least recently used
 *    session first if `maxSessions` are open); with seq > 1 it is `session-expired`.
 *    A known session is marked used at the current log time (whatever the outcome below).
 * 4. The command's `ackedSeq` is recorded (it only grows) and cached results at or below it
 *    are dropped. This happens even if the command is then rejected, so that a client
 *    blocked by rule 7 unblocks itself by acknowledging.
 * 5. A cached result for `seq` is returned as a `duplicate`: not executed again.
 * 6. `seq` <= ackedSeq without a cached result is `stale-sequence`.
 * 7. Otherwise the command has never executed. If the session already caches
 *    `maxCachedResultsPerSession` results, it is rejected as `too-many-pending`, not
 *    executed and not cached: the same `seq` may be retried after acknowledging.
 * 8. Otherwise it executes at `entry.index` and its result is cached under `seq`.
 *
 * Limitation: a session that expired or was evicted is forgotten, so a seq-1 command
 * delivered again after that opens a new session and executes again. Clients therefore
 * pick a fresh clientId for each session (a random id), never reuse one after
 * `session-expired`, and keep `sessionTimeoutMs` far above their retry horizon.
 *
 * Command semantics (revisions are log indexes, so they grow with every write):
 * - put: stores the value at revision = entry.index; returns the previous entry or null.
 * - delete: removes the key; succeeds even if the key is absent (previous null), so a
 *   retried delete and a delete that lost a race look alike to the client. The result's
 *   revision is the delete's own index.
 * - cas: if the key's revision equals `expectedRevision` (0: the key must be absent), acts
 *   as put; otherwise returns `{ ok: false, error: 'cas-mismatch', current }`. A mismatch
 *   is the command's result: it consumes the seq and is cached like any other.
 * - dns: applies the batch to the DNS record store (actors/dns/store/dns-store.ts),
 *   atomically; the result carries the store's verdict (`dns`), cached like any other.
 *   The deltas for the serving side queue up until `takeDnsDeltas()`.
 * - dns and dns-import to a zone frozen for a move (a `dns-frozen/` key, zone-freeze.ts)
 *   are refused as `zone-moving`, except changes creating or deleting it; deleting a zone
 *   also unfreezes it.
 * - dns-import: replaces a zone's content with the chunks staged under the import's id in
 *   the key-value store, as one batch, and deletes the chunks (zone-import-commit.ts).
 * - dns-collect-tombstones: drops the listed tombstones of a zone that are still there with
 *   the same version (protocol/dns/tombstone-collection.ts); no data and no serial change.
 */
import { createHash } from 'node:crypto';
import type { DnsBatchResult } from '../../protocol/dns/changes.js';
import { SYNC_REPLY_BYTES_MAX } from '../../protocol/dns/region-repair.js';
import type { DnsNameView, DnsZoneSummary } from '../../protocol/dns/views.js';
import { Name, parseName } from '../../protocol/dns/wire/name.js';
import { frozenZoneKey } from '../../protocol/dns/zone-freeze-key.js';
import {
  type CommandDecodeError,
  type DecodedGroupCommand,
  decodeSessionCommand,
  type Result,
} from '../../protocol/group/command-codec.js';
import type {
  CommandResult,
  GroupQuery,
  QueryResult,
  SessionRejection,
} from '../../protocol/group/commands.js';
import { DnsStore } from '../dns/store/dns-store.js';
import type { ZoneDelta } from '../dns/store/zone-delta.js';
import type { EntryKind, LogEntry } from '../raft/types.js';
import { acknowledge, type Session, SessionTable } from './session-table.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  type SessionSnapshot,
  type SnapshotError,
} from './snapshot-codec.js';
import { SortedKv } from './sorted-kv.js';
import { batchZones, createdOrDeletedZones, deletedZones, frozenZoneRefusal } from './zone-freeze.js';
import { commitZoneImport } from './zone-import-commit.js';
import { ZonePages } from './zone-pages.js';

export interface GroupStateMachineOptions {
  /** Open sessions at most; opening one more evicts the least recently used. */
  readonly maxSessions: number;
  /** Unacknowledged results kept per session at most; beyond it commands are `too-many-pending`. */
  readonly maxCachedResultsPerSession: number;
  /** Log time after which an unused session expires. */
  readonly sessionTimeoutMs: number;
  /** The largest page a `range` query returns, whatever `limit` it asks for. */
  readonly rangeLimitMax: number;
}

/**
 * Every replica of a group must use the same options (they shape replicated state). The
 * worst-case memory of cached results is maxSessions × maxCachedResultsPerSession results,
 * each holding at most one previous value.
 */
export const DEFAULT_STATE_MACHINE_OPTIONS: GroupStateMachineOptions = Object.freeze({
  maxSessions: 4096,
  maxCachedResultsPerSession: 64,
  sessionTimeoutMs: 15 * 60 * 1000,
  rangeLimitMax: 1000,
});

export type RejectionReason = 'malformed' | SessionRejection['rejected'];

/** What applying one entry did; `index` is the entry's. */
export type ApplyOutcome =
  /** The entry was at or below `appliedIndex` (a replay after restart): nothing changed. */
  | { readonly kind: 'already-applied'; readonly index: number }
  /** A `noop` or `config` entry: only the applied index and log time moved. */
  | { readonly kind: 'advanced'; readonly index: number; readonly entryKind: Exclude<EntryKind, 'command'> }
  /** The command executed at this index. */
  | {
      readonly kind: 'applied';
      readonly index: number;
      readonly clientId: string;
      readonly seq: number;
      readonly result: CommandResult;
    }
  /** A retry of a command that already executed: its first result, nothing re-executed. */
  | {
      readonly kind: 'duplicate';
      readonly index: number;
      readonly clientId: string;
      readonly seq: number;
      readonly result: CommandResult;
    }
  /** The payload is not a command. Deterministic: every replica rejects it the same way. */
  | {
      readonly kind: 'rejected';
      readonly index: number;
      readonly reason: 'malformed';
      readonly error: CommandDecodeError;
    }
  /** A session rule refused the command (see the rules at the top of this file); nothing executed. */
  | {
      readonly kind: 'rejected';
      readonly index: number;
      readonly reason: SessionRejection['rejected'];
      readonly clientId: string;
      readonly seq: number;
    };

/** A read-only view of one session, for diagnostics and tests. */
export interface SessionInfo {
  readonly clientId: string;
  readonly lastUsedMs: number;
  readonly ackedSeq: number;
  /** Sequence numbers with a cached result, ascending. */
  readonly cachedSeqs: readonly number[];
}

/** A Raft invariant the log broke: the replica must stop, not limp on. */
export class StateMachineInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateMachineInvariantError';
  }
}

function checkOptions(options: GroupStateMachineOptions): GroupStateMachineOptions {
  for (const name of [
    'maxSessions',
    'maxCachedResultsPerSession',
    'sessionTimeoutMs',
    'rangeLimitMax',
  ] as const) {
    const value = options[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`GroupStateMachine: option ${name} must be a positive integer, got ${value}`);
    }
  }
  return Object.freeze({ ...options });
}

function isEntryNumber(n: number, min: number): boolean {
  return Number.isSafeInteger(n) && n >= min;
}

export class GroupStateMachine {
  readonly options: GroupStateMachineOptions;
  private data = new SortedKv();
  private dns = new DnsStore();
  private readonly zonePages = new ZonePages();
  private sessions = new SessionTable();
  private appliedIndexValue = 0;
  private appliedTermValue = 0;
  private logTimeMsValue = 0;

  constructor(options: Partial<GroupStateMachineOptions> = {}) {
    this.options = checkOptions({ ...DEFAULT_STATE_MACHINE_OPTIONS, ...options });
  }

  /** The index of the last applied entry (0 before any). */
  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  /** The term of the last applied entry (0 before any). */
  get appliedTerm(): number {
    return this.appliedTermValue;
  }

  /** The largest `timeMs` of any applied entry: the clock sessions expire by. */
  get logTimeMs(): number {
    return this.logTimeMsValue;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get keyCount(): number {
    return this.data.size;
  }

  /**
   * Applies the next committed entry. Precondition: `entry.index` is `appliedIndex + 1`;
   * an entry at or below `appliedIndex` returns `already-applied` (after checking, for the
   * last applied index, that its term has not changed). Anything else throws
   * `StateMachineInvariantError`, as does a malformed entry header (non-integer index, term
   * or time, a term lower than the last applied one, an unknown kind). A malformed
   * command payload never throws: it is rejected.
   */
  apply(entry: LogEntry): ApplyOutcome {
    const { index, term, kind, timeMs } = entry;
    if (!isEntryNumber(index, 1) || !isEntryNumber(term, 1) || !isEntryNumber(timeMs, 0)) {
      throw new StateMachineInvariantError(
        `state machine: malformed entry header (index ${index}, term ${term}, timeMs ${timeMs})`,
      );
    }
    if (kind !== 'noop' && kind !== 'command' && kind !== 'config') {
      throw new StateMachineInvariantError(`state machine: entry ${index} has unknown kind ${String(kind)}`);
    }
    const applied = this.appliedIndexValue;
    if (index <= applied) {
      if (index === applied && term !== this.appliedTermValue) {
        throw new StateMachineInvariantError(
          `state machine: entry ${index} arrived again with term ${term}, but was applied with term ${this.appliedTermValue}`,
        );
      }
      return { kind: 'already-applied', index };
    }
    if (index !== applied + 1) {
      throw new StateMachineInvariantError(
        `state machine: gap: got entry ${index} but the next to apply is ${applied + 1} (applied ${applied})`,
      );
    }
    if (term < this.appliedTermValue) {
      throw new StateMachineInvariantError(
        `state machine: entry ${index} has term ${term}, below term ${this.appliedTermValue} of entry ${applied}`,
      );
    }

    // From here nothing throws: the entry is applied whatever it carries.
    this.appliedIndexValue = index;
    this.appliedTermValue = term;
    if (timeMs > this.logTimeMsValue) this.logTimeMsValue = timeMs;
    this.sessions.expire(this.logTimeMsValue, this.options.sessionTimeoutMs);
    if (kind !== 'command') return { kind: 'advanced', index, entryKind: kind };
    return this.applyCommand(index, entry.data);
  }

  private applyCommand(index: number, data: Uint8Array): ApplyOutcome {
    const decoded = decodeSessionCommand(data);
    if (!decoded.ok) return { kind: 'rejected', index, reason: 'malformed', error: decoded.error };
    const { clientId, seq, ackedSeq, command } = decoded.value;
    const now = this.logTimeMsValue;

    let session = this.sessions.get(clientId);
    if (session === undefined) {
      if (seq !== 1) return { kind: 'rejected', index, reason: 'session-expired', clientId, seq };
      session = this.sessions.open(clientId, now, this.options.maxSessions);
    } else {
      this.sessions.touch(session, now);
    }
    acknowledge(session, ackedSeq);

    const cached = session.results.get(seq);
    if (cached !== undefined) return { kind: 'duplicate', index, clientId, seq, result: cached };
    if (seq <= session.ackedSeq) return { kind: 'rejected', index, reason: 'stale-sequence', clientId, seq };
    if (session.results.size >= this.options.maxCachedResultsPerSession) {
      return { kind: 'rejected', index, reason: 'too-many-pending', clientId, seq };
    }
    const result = this.execute(command, index);
    session.results.set(seq, result);
    return { kind: 'applied', index, clientId, seq, result };
  }

  private execute(command: DecodedGroupCommand, index: number): CommandResult {
    switch (command.kind) {
      case 'kv-put':
        return Object.freeze({
          kind: 'kv-written',
          revision: index,
          previous: this.data.set(command.key, command.value, index),
        });
      case 'kv-delete':
        return Object.freeze({
          kind: 'kv-written',
          revision: index,
          previous: this.data.delete(command.key),
        });
      case 'kv-cas': {
        const current = this.data.get(command.key);
        if ((current?.revision ?? 0) !== command.expectedRevision) {
          return Object.freeze({ kind: 'kv-cas-mismatch', current });
        }
        return Object.freeze({
          kind: 'kv-written',
          revision: index,
          previous: this.data.set(command.key, command.value, index),
        });
      }
      case 'dns-batch': {
        // A write to a zone frozen for a move is refused (zone-freeze.ts); creating or
        // deleting it is not.
        const deleted = deletedZones(command.batch);
        const exempt = createdOrDeletedZones(command.batch);
        const refusal = frozenZoneRefusal(
          this.data,
          batchZones(command.batch).filter((zone) => !exempt.includes(zone as string)),
        );
        // Validated and parsed once, when the entry was decoded.
        const dns = refusal ?? this.dns.applyParsedBatch(command.parsed);
        if (dns.ok)
          for (const zone of deleted) {
            try {
              this.data.delete(frozenZoneKey(zone));
            } catch {
              // a name the store accepted always parses; nothing to unfreeze otherwise
            }
          }
        return Object.freeze({ kind: 'dns-batch', revision: index, dns: this.noteDnsChanges(index, dns) });
      }
      case 'dns-collect-tombstones':
        return Object.freeze({
          kind: 'dns-batch',
          revision: index,
          // A zone being moved keeps its tombstones until the move is done (zone-freeze.ts).
          dns:
            frozenZoneRefusal(this.data, [command.collection.zone]) ??
            this.dns.collectTombstones(command.collection),
        });
      case 'dns-import':
        return Object.freeze({
          kind: 'dns-batch',
          revision: index,
          dns: this.noteDnsChanges(
            index,
            frozenZoneRefusal(this.data, [command.import.zone]) ??
              commitZoneImport(this.data, this.dns, command.import),
          ),
        });
    }
  }

  /** Records which zones a committed DNS write changed, for paged reads (zone-pages.ts). */
  private noteDnsChanges(index: number, result: DnsBatchResult): DnsBatchResult {
    if (result.ok)
      for (const apex of Object.keys(result.serials)) this.zonePages.changed(Name.parse(apex).key, index);
    return result;
  }

  /** The DNS deltas of the entries applied since the last call (drains them). */
  takeDnsDeltas(): ZoneDelta[] {
    return this.dns.takeDeltas();
  }

  get pendingDnsDeltaCount(): number {
    return this.dns.pendingDeltaCount;
  }

  /** The whole DNS store as deltas, for a copy that starts from nothing. */
  dumpDnsDeltas(): ZoneDelta[] {
    return this.dns.dumpDeltas();
  }

  /** `DnsStore.dumpDeltaParts`. */
  dumpDnsDeltaParts(deltasPerPart: number): Generator<ZoneDelta[]> {
    return this.dns.dumpDeltaParts(deltasPerPart);
  }

  /** `DnsStore.queueDeltas`: whether applied batches queue deltas for the serving side. */
  set queueDnsDeltas(on: boolean) {
    this.dns.queueDeltas = on;
  }

  get dnsZoneCount(): number {
    return this.dns.zoneCount;
  }

  /**
   * Reads the state as of `appliedIndex` (the caller decides whether that is fresh enough:
   * ReadIndex, lease or bounded staleness). `range` returns at most
   * min(limit, rangeLimitMax) entries (a limit below 1 or not an integer returns none);
   * `more` says whether further matching keys follow, to continue with `startAfter`.
   */
  query(q: GroupQuery): QueryResult {
    if (q.op === 'get') {
      return { op: 'get', entry: this.data.get(q.key) };
    }
    if (q.op === 'dns-zones') {
      const zones: DnsZoneSummary[] = this.dns.zones();
      return { op: 'dns-zones', zones };
    }
    if (q.op === 'dns-rrsets') {
      const view: DnsNameView | null = this.dns.rrsets(q.zone, q.name);
      return { op: 'dns-rrsets', view };
    }
    if (q.op === 'dns-digest-roots') return { op: 'dns-digest-roots', zones: this.dns.digestRoots() };
    if (q.op === 'dns-digest-nodes')
      return { op: 'dns-digest-nodes', digests: this.dns.digestNodes(q.zone, q.depth, q.nodes) };
    if (q.op === 'dns-sync-owners')
      return {
        op: 'dns-sync-owners',
        page: this.dns.syncOwners(q.zone, q.leaves, q.after, SYNC_REPLY_BYTES_MAX),
      };
    if (q.op === 'dns-tombstone-scan')
      return { op: 'dns-tombstone-scan', scan: this.dns.tombstoneScan(q.zone, q.beforeMs, q.fromLeaf) };
    if (q.op === 'dns-zone-page') {
      const apex = parseName(q.zone);
      const live = apex.ok ? this.dns.zone(apex.name) : undefined;
      const serial = live?.soa()?.rdata.serial;
      if (live === undefined || serial === undefined) return { op: 'dns-zone-page', page: null };
      return {
        op: 'dns-zone-page',
        page: this.zonePages.page(live, serial, this.appliedIndexValue, q.offset, q.limit, q.changedIndex),
      };
    }
    const limit = Number.isSafeInteger(q.limit)
      ? Math.min(Math.max(q.limit, 0), this.options.rangeLimitMax)
      : 0;
    const { entries, more } = this.data.range(q.prefix, limit, q.startAfter);
    return { op: 'range', entries, more };
  }

  /** One session's bookkeeping, or null if there is no such open session. */
  session(clientId: string): SessionInfo | null {
    const session = this.sessions.get(clientId);
    if (session === undefined) return null;
    return {
      clientId,
      lastUsedMs: session.lastUsedMs,
      ackedSeq: session.ackedSeq,
      cachedSeqs: [...session.results.keys()].sort((a, b) => a - b),
    };
  }

  /** Open sessions, least recently used first. */
  sessionIds(): string[] {
    return [...this.sessions.inOrder()].map((s) => s.clientId);
  }

  /**
   * The whole state as bytes (format in snapshot-codec.ts): data, sessions with their
   * cached results and order, applied index and term, log time. Deterministic: equal states
   * give equal bytes. Options are not included: every replica is configured alike.
   */
  snapshot(): Uint8Array {
    const sessions: SessionSnapshot[] = [];
    for (const session of this.sessions.inOrder()) {
      sessions.push({
        clientId: session.clientId,
        lastUsedMs: session.lastUsedMs,
        ackedSeq: session.ackedSeq,
        results: [...session.results].sort((a, b) => a[0] - b[0]),
      });
    }
    return encodeSnapshot({
      appliedIndex: this.appliedIndexValue,
      appliedTerm: this.appliedTermValue,
      logTimeMs: this.logTimeMsValue,
      entries: this.data.all(),
      sessions,
      dnsZones: this.dns.exportZones(),
    });
  }

  /** sha256 (hex) of `snapshot()`: replicas with equal state have equal digests. */
  digest(): string {
    return createHash('sha256').update(this.snapshot()).digest('hex');
  }

  /**
   * A new state machine holding exactly the snapshot's state: nothing of any previous
   * machine carries over. Checks the bytes thoroughly (magic, version, checksum, orders,
   * bounds, revisions against the applied index); never throws on bad bytes.
   * Throws only a RangeError for invalid `options`, as the constructor does.
   */
  static restore(
    bytes: Uint8Array,
    options: Partial<GroupStateMachineOptions> = {},
  ): Result<GroupStateMachine, SnapshotError> {
    const machine = new GroupStateMachine(options);
    const dns = DnsStore.builder();
    const decoded = decodeSnapshot(bytes, dns.add);
    if (!decoded.ok) return decoded;
    const state = decoded.value;
    machine.dns = dns.store;
    machine.zonePages.restored(state.appliedIndex);
    machine.appliedIndexValue = state.appliedIndex;
    machine.appliedTermValue = state.appliedTerm;
    machine.logTimeMsValue = state.logTimeMs;
    machine.data = new SortedKv(state.entries);
    machine.sessions = new SessionTable();
    for (const s of state.sessions) {
      const session: Session = {
        clientId: s.clientId,
        lastUsedMs: s.lastUsedMs,
        ackedSeq: s.ackedSeq,
        results: new Map(s.results.map(([seq, result]) => [seq, freezeResult(result)])),
      };
      machine.sessions.restore(session);
    }
    return { ok: true, value: machine };
  }
}

function freezeResult(result: CommandResult): CommandResult {
  switch (result.kind) {
    case 'kv-written':
      return Object.freeze({ ...result, previous: result.previous && Object.freeze({ ...result.previous }) });
    case 'kv-cas-mismatch':
      return Object.freeze({ ...result, current: result.current && Object.freeze({ ...result.current }) });
    case 'dns-batch':
      return Object.freeze({ ...result });
  }
}
