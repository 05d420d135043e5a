import { encodeSessionCommand } from '../../protocol/group/command-codec.js';
import type { GroupQuery, SessionCommand } from '../../protocol/group/commands.js';
import type { ReadMode } from '../../protocol/read-mode.js';
import type { Actor, ActorContext, ActorFactory, MessageMeta, Replier } from '../../runtime/actor.js';
import { BucketCounts } from '../../runtime/bucket-counts.js';
import type { MessageOf } from '../../runtime/message.js';
import type { ZoneDumpPart, ZoneSync } from '../dns/protocol.js';
import type { ZoneDelta } from '../dns/store/zone-delta.js';
import { encodeZoneDeltas } from '../dns/store/zone-delta-codec.js';
import type { LogMessage, StateMachineSnapshot } from '../log/protocol.js';
import { LOG, STORAGE } from '../raft/actor-names.js';
import type { LogEntry, SnapshotMeta } from '../raft/types.js';
import type { StorageMessage } from '../storage/protocol.js';
import {
  type ApplyOutcome,
  GroupStateMachine,
  type GroupStateMachineOptions,
} from './group-state-machine.js';
import {
  type ReadResult,
  SNAPSHOT_BYTES_BUCKETS,
  SNAPSHOT_SECONDS_BUCKETS,
  type SnapshotWork,
  type StateMachineMessage,
  type StateMachineStatus,
  type SubmitResult,
} from './protocol.js';

/**
 * The state machine actor: applies committed entries in order, exactly once (sessions,
 * thesis §6.3), answers writes once they are applied, and serves reads per their mode.
 */
export interface StateMachineActorOptions {
  readonly stateMachine?: Partial<GroupStateMachineOptions>;
  /** Writes and reads not settled within this are answered `retry: timeout`. */
  readonly waitTimeoutMs: number;
  /** Outstanding writes and reads, each. */
  readonly maxWaiting: number;
  readonly tickMs: number;
  /**
   * The actor that keeps a copy of the zones (the DNS actor), sent a `zone-sync` after
   * every batch of applied entries; absent: none (the Raft-only simulations).
   */
  readonly zoneSink?: string;
  /** Deltas per part of a dump sent to the zone sink ahead of its last (default DUMP_PART_DELTAS). */
  readonly dumpPartDeltas?: number;
}

const LOG_TIMEOUT_MS = 5_000;
/** See `replayWait`: how long a replay may apply nothing before the zone sink gets its copy anyway. */
const REPLAY_WAIT_IDLE_MS = 1_000;
/** See `replayWait`: how long the zone sink's first copy waits for a replay at most. */
const REPLAY_WAIT_MAX_MS = 10_000;
/** Dump asks held while a replay runs (one per DNS actor incarnation; more are answered at once). */
const HELD_DUMP_ASKS_MAX = 4;
/** `zone-dump-part` asks held for the next dump; more are answered null at once. */
const DUMP_PART_ASKS_MAX = 64;
/**
 * Zone deltas (about 150 KB) after which a run of applied entries syncs the DNS actor
 * before going on: a long catch-up (a follower back from a partition) reaches a DNS actor
 * that has a copy in parts, which it applies while the rest are applied here, not in one
 * piece seconds later.
 */
const SYNC_DELTAS_MAX = 4_096;
/**
 * Deltas per part of a dump sent ahead of its last (about 1 MB encoded): the DNS actor's
 * thread applies a part while the next is built here, so at 100,000 records the build and
 * the apply overlap instead of following each other.
 */
const DUMP_PART_DELTAS = 16_384;

/** Sizes and durations of one kind of snapshot work (taking, restoring). */
class SnapshotTally {
  private readonly bytes = new BucketCounts(SNAPSHOT_BYTES_BUCKETS);
  private readonly seconds = new BucketCounts(SNAPSHOT_SECONDS_BUCKETS);

  record(bytes: number, elapsedMs: number): void {
    this.bytes.observe(bytes);
    this.seconds.observe(elapsedMs / 1000);
  }

  reading(): SnapshotWork {
    return { bytes: this.bytes.reading(), seconds: this.seconds.reading() };
  }
}

interface WriteWaiter {
  readonly reply: Replier | undefined;
  readonly sinceMs: number;
}

interface ReadWaiter {
  readonly query: GroupQuery;
  readonly reply: Replier | undefined;
  readonly sinceMs: number;
  /** Serve once applied reaches it; null while the read position is being obtained. */
  position: number | null;
}

class StateMachineActor implements Actor<StateMachineMessage> {
  private machine: GroupStateMachine;
  /** Waiting writes by session key (`clientId:seq`): several retries of one command share the outcome. */
  private readonly writes = new Map<string, WriteWaiter[]>();
  /** Which session key our proposal put at each index, to fail it if another entry lands there. */
  private readonly proposedAt = new Map<number, string>();
  private readonly reads = new Map<number, ReadWaiter>();
  private nextReadId = 1;
  private snapshotsInstalled = 0;
  private readonly snapshotsTaken = new SnapshotTally();
  private readonly snapshotsRestored = new SnapshotTally();
  private recoveredFromSnapshot = 0;
  /** The index the zone sink's copy is at, as far as we know; null: send it a full dump next. */
  private zoneSinkIndex: number | null = null;
  /**
   * While the log replays what it held when this state machine started (up to `index`) and
   * the zone sink has no copy yet: its first copy waits for the end of the replay. One dump
   * of the result costs the DNS actor less than a dump and then the replay's deltas (at
   * 100,000 records, 2.3–2.9 s of applying instead of twice that; ARCHITECTURE §7, "What a
   * restart costs"). Given up after REPLAY_WAIT_IDLE_MS without an entry applied (a tail
   * that does not commit), and after REPLAY_WAIT_MAX_MS in any case (a tail never heard of,
   * under a steady flow of writes).
   */
  private replayWait: { readonly index: number; readonly sinceMs: number; idleSinceMs: number } | null = null;
  /** The zone sink's dump asks held by `replayWait`. */
  private readonly heldDumpAsks: Replier[] = [];
  /** `zone-dump-part` asks: the next dump answers them with its parts, in order. */
  private readonly dumpPartAsks: Replier[] = [];

  constructor(
    private readonly ctx: ActorContext<StateMachineMessage>,
    private readonly options: StateMachineActorOptions,
  ) {
    this.machine = new GroupStateMachine(options.stateMachine);
    this.machine.queueDnsDeltas = false;
  }

  /** Recovers from the latest snapshot; the log actor replays what follows it. */
  async start(): Promise<void> {
    const stored = await this.ctx.request<MessageOf<StorageMessage, 'load-snapshot'>>(
      STORAGE,
      { type: 'load-snapshot' },
      { timeoutMs: LOG_TIMEOUT_MS },
    );
    if (stored !== null) {
      this.restore(stored.meta, stored.data);
      this.recoveredFromSnapshot = stored.meta.lastIndex;
    }
    this.ctx.after(this.options.tickMs, { type: 'tick' });
    // Until the log says how far its replay may go (its `log-tail` answers this), assume it
    // goes on: a zone sink asking meanwhile is held too.
    if (this.options.zoneSink !== undefined)
      this.replayWait = {
        index: Number.POSITIVE_INFINITY,
        sinceMs: this.ctx.clock.nowMs(),
        idleSinceMs: this.ctx.clock.nowMs(),
      };
    this.ctx.send(LOG, { type: 'applied-index', index: this.machine.appliedIndex });
  }

  receive(message: StateMachineMessage, meta: MessageMeta): void {
    switch (message.type) {
      case 'submit':
        this.submit(message.command, meta.reply);
        return;
      case 'read':
        this.read(message.query, message.mode, message.minIndex ?? 0, meta.reply);
        return;
      case 'apply':
        this.apply(message.entries);
        if (this.replayWait !== null) {
          this.replayWait.idleSinceMs = this.ctx.clock.nowMs();
          if (this.machine.appliedIndex >= this.replayWait.index) this.endReplayWait();
        }
        return;
      case 'log-tail':
        if (this.options.zoneSink === undefined || this.zoneSinkIndex !== null) return;
        if (message.lastIndex > this.machine.appliedIndex)
          this.replayWait = {
            index: message.lastIndex,
            sinceMs: this.replayWait?.sinceMs ?? this.ctx.clock.nowMs(),
            idleSinceMs: this.ctx.clock.nowMs(),
          };
        else if (this.replayWait !== null) this.endReplayWait();
        return;
      case 'log-started':
        this.ctx.send(LOG, { type: 'applied-index', index: this.machine.appliedIndex });
        return;
      case 'take-snapshot':
        meta.reply?.ok(this.machine.appliedIndex === 0 ? null : this.takeSnapshot());
        return;
      case 'restore':
        if (message.meta.lastIndex > this.machine.appliedIndex) {
          const startedMs = this.ctx.clock.nowMs();
          this.restore(message.meta, message.data);
          this.snapshotsRestored.record(message.data.length, this.ctx.clock.nowMs() - startedMs);
          this.snapshotsInstalled++;
        }
        return;
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'zone-dump-part':
        if (meta.reply === undefined) return;
        if (this.dumpPartAsks.length >= DUMP_PART_ASKS_MAX) meta.reply.ok(null);
        else this.dumpPartAsks.push(meta.reply);
        return;
      case 'zone-dump': {
        if (
          this.replayWait !== null &&
          this.heldDumpAsks.length < HELD_DUMP_ASKS_MAX &&
          meta.reply !== undefined
        ) {
          this.heldDumpAsks.push(meta.reply);
          return;
        }
        const dump = this.zoneDump(undefined);
        meta.reply?.ok(dump, [dump.deltaBytes.buffer]);
        return;
      }
      case 'proposed':
        this.onProposed(message.key, message.index, message.failure);
        return;
      case 'read-position':
        this.onReadPosition(message.readId, message.index, message.failure);
        return;
      case 'tick':
        this.ctx.after(this.options.tickMs, { type: 'tick' });
        this.expire();
        if (this.replayWaitOver(this.ctx.clock.nowMs())) this.endReplayWait();
        if (this.zoneSinkIndex === null) this.syncZones();
        return;
    }
  }

  private status(): StateMachineStatus {
    return {
      appliedIndex: this.machine.appliedIndex,
      appliedTerm: this.machine.appliedTerm,
      snapshotsInstalled: this.snapshotsInstalled,
      recoveredFromSnapshot: this.recoveredFromSnapshot,
      keys: this.machine.keyCount,
      sessions: this.machine.sessionCount,
      waitingWrites: this.writes.size,
      waitingReads: this.reads.size,
      snapshotsTaken: this.snapshotsTaken.reading(),
      snapshotsRestored: this.snapshotsRestored.reading(),
    };
  }

  private takeSnapshot(): StateMachineSnapshot {
    const startedMs = this.ctx.clock.nowMs();
    const data = this.machine.snapshot();
    this.snapshotsTaken.record(data.length, this.ctx.clock.nowMs() - startedMs);
    return { index: this.machine.appliedIndex, term: this.machine.appliedTerm, data };
  }

  inspect(): unknown {
    return {
      appliedIndex: this.machine.appliedIndex,
      appliedTerm: this.machine.appliedTerm,
      keys: this.machine.keyCount,
      sessions: this.machine.sessionCount,
      waitingWrites: this.writes.size,
      waitingReads: this.reads.size,
      digest: this.machine.digest(),
    };
  }

  // ------------------------------------------------------------------ writes

  private submit(command: SessionCommand, reply: Replier | undefined): void {
    const encoded = encodeSessionCommand(command);
    if (!encoded.ok) {
      reply?.ok({
        status: 'rejected',
        reason: 'invalid',
        detail: encoded.error.message,
      } satisfies SubmitResult);
      return;
    }
    const key = `${command.clientId}:${command.seq}`;
    const waiting = this.writes.get(key);
    if (waiting === undefined && this.writes.size >= this.options.maxWaiting) {
      reply?.ok({ status: 'retry', reason: 'overloaded' } satisfies SubmitResult);
      return;
    }
    const waiter = { reply, sinceMs: this.ctx.clock.nowMs() };
    if (waiting !== undefined) waiting.push(waiter);
    else this.writes.set(key, [waiter]);
    this.ctx
      .request<MessageOf<LogMessage, 'propose'>>(
        LOG,
        { type: 'propose', data: encoded.value },
        { timeoutMs: LOG_TIMEOUT_MS },
      )
      .then(
        (result) => {
          if (result.ok) this.ctx.self({ type: 'proposed', key, index: result.index, failure: null });
          else if (result.reason === 'not-leader') {
            this.ctx.self({
              type: 'proposed',
              key,
              index: null,
              failure: { status: 'not-leader', leaderId: result.leaderId },
            });
          } else
            this.ctx.self({
              type: 'proposed',
              key,
              index: null,
              failure: { status: 'retry', reason: 'overloaded' },
            });
        },
        () =>
          this.ctx.self({
            type: 'proposed',
            key,
            index: null,
            failure: { status: 'retry', reason: 'timeout' },
          }),
      );
  }

  private onProposed(key: string, index: number | null, failure: SubmitResult | null): void {
    if (failure !== null) {
      this.settleWrite(key, failure);
      return;
    }
    if (index !== null && index > this.machine.appliedIndex && this.writes.has(key))
      this.proposedAt.set(index, key);
  }

  private settleWrite(key: string, result: SubmitResult): void {
    const waiting = this.writes.get(key);
    if (waiting === undefined) return;
    this.writes.delete(key);
    for (const waiter of waiting) waiter.reply?.ok(result);
  }

  // ------------------------------------------------------------------ applying

  private apply(entries: readonly LogEntry[]): void {
    const sink = this.options.zoneSink;
    for (const entry of entries) {
      const outcome = this.machine.apply(entry);
      this.settleApplied(entry.index, outcome);
      if (
        this.machine.pendingDnsDeltaCount >= SYNC_DELTAS_MAX &&
        this.zoneSinkIndex !== null &&
        sink !== undefined &&
        this.ctx.canSend(sink)
      )
        this.syncZones();
    }
    this.syncZones();
    this.serveReads();
  }

  private settleApplied(index: number, outcome: ApplyOutcome): void {
    const proposedKey = this.proposedAt.get(index);
    this.proposedAt.delete(index);
    let key: string | undefined;
    let result: SubmitResult | undefined;
    switch (outcome.kind) {
      case 'applied':
      case 'duplicate':
        key = `${outcome.clientId}:${outcome.seq}`;
        result = { status: 'applied', index: outcome.index, result: outcome.result };
        break;
      case 'rejected':
        if (outcome.reason !== 'malformed') {
          key = `${outcome.clientId}:${outcome.seq}`;
          result = { status: 'rejected', reason: outcome.reason, detail: `session rule: ${outcome.reason}` };
        }
        break;
      default:
        break;
    }
    if (key !== undefined && result !== undefined) this.settleWrite(key, result);
    // Our proposal at this index lost its place (a new leader overwrote it): the client retries.
    if (proposedKey !== undefined && proposedKey !== key) {
      this.settleWrite(proposedKey, { status: 'retry', reason: 'leadership-changed' });
    }
  }

  /** Replaces all state with a snapshot's (restore discards what was there). */
  private restore(meta: SnapshotMeta, data: Uint8Array): void {
    const startedMs = this.ctx.clock.nowMs();
    const restored = GroupStateMachine.restore(data, this.options.stateMachine);
    if (!restored.ok)
      throw new Error(`snapshot ${meta.lastIndex} does not restore: ${restored.error.message}`);
    if (restored.value.appliedIndex !== meta.lastIndex) {
      throw new Error(
        `snapshot claims index ${meta.lastIndex} but holds state at ${restored.value.appliedIndex}`,
      );
    }
    this.machine = restored.value;
    this.machine.queueDnsDeltas = false;
    this.ctx.log.info(
      { index: meta.lastIndex, bytes: data.length, ms: this.ctx.clock.nowMs() - startedMs },
      'state restored from a snapshot',
    );
    this.setZoneSinkIndex(null);
    this.syncZones();
    // Whatever we proposed up to here may or may not be in it: those clients retry (exactly-once holds).
    for (const key of [...this.writes.keys()])
      this.settleWrite(key, { status: 'retry', reason: 'leadership-changed' });
    this.proposedAt.clear();
    this.serveReads();
  }

  // ------------------------------------------------------------------ the zone sink

  /**
   * Tells the zone sink what the entries applied since its last sync changed, or sends it
   * everything when its position is unknown (start, restore, a sync it did not take). The
   * sink asks for a dump itself when it sees a gap, so a lost sync costs one dump.
   */
  private syncZones(): void {
    const sink = this.options.zoneSink;
    if (sink === undefined) return;
    const index = this.machine.appliedIndex;
    // A dump costs about a second per 100,000 records: not built for a sink that would refuse
    // it (not linked yet while a replica starts, or its mailbox full), nor during a replay's
    // wait (its end sends one). The next tick tries again.
    if (this.zoneSinkIndex === null && (this.replayWait !== null || !this.ctx.canSend(sink))) {
      this.machine.takeDnsDeltas(); // the dump that follows covers them
      return;
    }
    const deltas = this.machine.takeDnsDeltas();
    if (this.zoneSinkIndex !== null && this.zoneSinkIndex === index && deltas.length === 0) return;
    const sync: ZoneSync =
      this.zoneSinkIndex === null
        ? this.zoneDump(sink)
        : { reset: false, fromIndex: this.zoneSinkIndex, index, deltaBytes: encodeZoneDeltas(deltas) };
    const sent = this.ctx.send(sink, { type: 'zone-sync', ...sync }, [sync.deltaBytes.buffer]);
    this.setZoneSinkIndex(sent.status === 'sent' ? index : null);
  }

  /**
   * Deltas are built only while the zone sink has a copy to apply them to: without one its
   * next sync is a dump, which covers them (a replay at start builds none).
   */
  private setZoneSinkIndex(index: number | null): void {
    this.zoneSinkIndex = index;
    this.machine.queueDnsDeltas = index !== null && this.options.zoneSink !== undefined;
  }

  private replayWaitOver(nowMs: number): boolean {
    const wait = this.replayWait;
    return (
      wait !== null &&
      (nowMs - wait.idleSinceMs >= REPLAY_WAIT_IDLE_MS || nowMs - wait.sinceMs >= REPLAY_WAIT_MAX_MS)
    );
  }

  /** The replay's wait is over: the held asks get their dump (the first one; any other, its own). */
  private endReplayWait(): void {
    this.replayWait = null;
    for (const reply of this.heldDumpAsks.splice(0)) {
      const dump = this.zoneDump(undefined);
      reply.ok(dump, [dump.deltaBytes.buffer]);
    }
    this.syncZones();
  }

  /**
   * The whole store for the zone sink, at the applied index. Every part but the last goes
   * ahead as it is built, flushed at once, and the returned sync names them: the DNS
   * actor's thread applies them to a copy built aside while the rest is built. They go as
   * the answers to its `zone-dump-part` asks (made while it starts, when it takes no
   * messages), else, with `partsTo` (a dump pushed to the running sink), as `zone-dump-part`
   * messages. A part that cannot go ahead goes into the last part, with all after it.
   */
  private zoneDump(partsTo: string | undefined): ZoneSync {
    const startedMs = this.ctx.clock.nowMs();
    this.machine.takeDnsDeltas();
    const index = this.machine.appliedIndex;
    this.setZoneSinkIndex(index);
    const asked = this.dumpPartAsks.length > 0;
    const dumpId = !asked && partsTo === undefined ? 0 : this.ctx.random.nextUint32();
    let ahead = asked || partsTo !== undefined;
    let sentAhead = 0;
    let rest: ZoneDelta[] = [];
    let held: ZoneDelta[] | undefined;
    for (const part of this.machine.dumpDnsDeltaParts(this.options.dumpPartDeltas ?? DUMP_PART_DELTAS)) {
      if (held !== undefined) {
        if (ahead && this.sendDumpPart(asked ? undefined : partsTo, { dumpId, part: sentAhead, index }, held))
          sentAhead++;
        else {
          ahead = false;
          rest = rest.length === 0 ? held : rest.concat(held);
        }
      }
      held = part;
    }
    if (held !== undefined) rest = rest.length === 0 ? held : rest.concat(held);
    if (asked) for (const reply of this.dumpPartAsks.splice(0)) reply.ok(null);
    const deltaBytes = encodeZoneDeltas(rest);
    this.ctx.log.info(
      { index, bytes: deltaBytes.length, partsAhead: sentAhead, ms: this.ctx.clock.nowMs() - startedMs },
      'zone dump built for the DNS actor',
    );
    return sentAhead === 0
      ? { reset: true, fromIndex: index, index, deltaBytes }
      : { reset: true, fromIndex: index, index, deltaBytes, partsAhead: { id: dumpId, before: sentAhead } };
  }

  /** One part ahead: the answer to the oldest part ask, or (none asked) a message to `to`. */
  private sendDumpPart(
    to: string | undefined,
    where: { readonly dumpId: number; readonly part: number; readonly index: number },
    deltas: ZoneDelta[],
  ): boolean {
    const reply = to === undefined ? this.dumpPartAsks.shift() : undefined;
    if (reply === undefined && (to === undefined || !this.ctx.canSend(to))) return false;
    const deltaBytes = encodeZoneDeltas(deltas);
    const part: ZoneDumpPart = { dumpId: where.dumpId, part: where.part, index: where.index, deltaBytes };
    if (reply !== undefined) reply.ok(part, [deltaBytes.buffer]);
    else if (
      this.ctx.send(to as string, { type: 'zone-dump-part', ...part }, [deltaBytes.buffer]).status !== 'sent'
    )
      return false;
    this.ctx.flush();
    return true;
  }

  // ------------------------------------------------------------------ reads

  private read(query: GroupQuery, mode: ReadMode, minIndex: number, reply: Replier | undefined): void {
    if (this.reads.size >= this.options.maxWaiting) {
      reply?.ok({ status: 'retry', reason: 'overloaded' } satisfies ReadResult);
      return;
    }
    const readId = this.nextReadId++;
    this.reads.set(readId, { query, reply, sinceMs: this.ctx.clock.nowMs(), position: null });
    const settle = (index: number | null, failure: ReadResult | null) =>
      this.ctx.self({
        type: 'read-position',
        readId,
        index: index === null ? null : Math.max(index, minIndex),
        failure,
      });
    if (mode.kind === 'bounded') {
      this.ctx
        .request<MessageOf<LogMessage, 'contact'>>(LOG, { type: 'contact' }, { timeoutMs: LOG_TIMEOUT_MS })
        .then(
          (contact) =>
            contact.ok && contact.ageMs <= mode.maxStaleMs
              ? settle(contact.commitIndex, null)
              : settle(null, { status: 'stale' }),
          () => settle(null, { status: 'retry', reason: 'timeout' }),
        );
      return;
    }
    this.ctx
      .request<MessageOf<LogMessage, 'read-index'>>(
        LOG,
        { type: 'read-index', mode: mode.kind },
        { timeoutMs: LOG_TIMEOUT_MS },
      )
      .then(
        (result) => {
          if (result.ok) settle(result.readIndex, null);
          else if (result.reason === 'not-leader')
            settle(null, { status: 'not-leader', leaderId: result.leaderId });
          else settle(null, { status: 'retry', reason: 'overloaded' });
        },
        () => settle(null, { status: 'retry', reason: 'timeout' }),
      );
  }

  private onReadPosition(readId: number, index: number | null, failure: ReadResult | null): void {
    const read = this.reads.get(readId);
    if (read === undefined) return;
    if (failure !== null || index === null) {
      this.reads.delete(readId);
      read.reply?.ok(failure ?? ({ status: 'retry', reason: 'timeout' } satisfies ReadResult));
      return;
    }
    read.position = index;
    this.serveReads();
  }

  /** Thesis §6.4 step 4: a read runs once the state machine has applied up to its read index. */
  private serveReads(): void {
    for (const [readId, read] of this.reads) {
      if (read.position === null || read.position > this.machine.appliedIndex) continue;
      this.reads.delete(readId);
      read.reply?.ok({
        status: 'ok',
        index: this.machine.appliedIndex,
        result: this.machine.query(read.query),
      } satisfies ReadResult);
    }
  }

  private expire(): void {
    const cutoff = this.ctx.clock.nowMs() - this.options.waitTimeoutMs;
    for (const [key, waiting] of this.writes) {
      if ((waiting[0]?.sinceMs ?? cutoff) < cutoff)
        this.settleWrite(key, { status: 'retry', reason: 'timeout' });
    }
    for (const [readId, read] of this.reads) {
      if (read.sinceMs < cutoff) {
        this.reads.delete(readId);
        read.reply?.ok({ status: 'retry', reason: 'timeout' } satisfies ReadResult);
      }
    }
    for (const [index, key] of this.proposedAt) if (!this.writes.has(key)) this.proposedAt.delete(index);
  }
}

export const createStateMachineActor: ActorFactory<StateMachineMessage, StateMachineActorOptions> = (
  ctx,
  options,
) => new StateMachineActor(ctx, options);
