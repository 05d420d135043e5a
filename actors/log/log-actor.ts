import type { Actor, ActorContext, ActorFactory, MessageMeta, Replier } from '../../runtime/actor.js';
import type { MessageOf } from '../../runtime/message.js';
import { ELECTION, STATE_MACHINE, STORAGE } from '../raft/actor-names.js';
import { applyChange, encodeMembership, type MembershipChange } from '../raft/membership.js';
import type {
  AppendEntries,
  AppendEntriesResponse,
  InstallSnapshot,
  InstallSnapshotResponse,
  LeaseReadIndexRequest,
  RaftMessage,
  ReadIndexRequest,
  ReadIndexResponse,
} from '../raft/peer-messages.js';
import { quorumMatchIndex } from '../raft/quorum.js';
import type { RaftConfig } from '../raft/raft-config.js';
import type { LogEntry, LogTail, ReplicaId, SnapshotMeta } from '../raft/types.js';
import type { SnapshotChunk, StorageMessage } from '../storage/protocol.js';
import { ForwardedReads, firstRequestId } from './forwarded-reads.js';
import { HeldProposals } from './held-proposals.js';
import { LeadershipObservers } from './leadership-observers.js';
import { chooseSuccessor, decideTransfer, LeadershipTransfer } from './leadership-transfer.js';
import { LeaseBoard } from './lease-board.js';
import { type LogInspection, LogInspector } from './log-inspection.js';
import {
  catchUpStep,
  changeRefusal,
  MembershipChanges,
  removedLeaderStepsDown,
  trackedPeerChanges,
} from './membership-change.js';
import { MembershipLog } from './membership-log.js';
import { Progress } from './progress.js';
import type {
  ApplyMessage,
  ChangeResult,
  ContactResult,
  Leadership,
  LeadershipObserved,
  LogMessage,
  LogPosition,
  ProposeResult,
  ReadIndexMode,
  ReadIndexResult,
  StateMachineSnapshot,
  TransferResult,
} from './protocol.js';
import { LEADERSHIP_SUBSCRIPTION_TTL_MS } from './protocol.js';
import { RaftLog } from './raft-log.js';
import { decideLocalRead, decideRemoteRead, ReadIndexQueue } from './read-index.js';
import { leaseTiming, ReadLease } from './read-lease.js';
import { SnapshotAssembly } from './snapshot-assembly.js';
import { decideChunkRead, snapshotNeeded, snapshotResponseStep } from './snapshot-sending.js';

/**
 * The log actor: entries, replication, commitment, read indexes (paper §5.3–5.4,
 * thesis §6.4).
 *
 * It acts only in the term the election actor last gave it (`enter-term`), and only as
 * leader after `become-leader` for that term: the election actor is the single writer of
 * term and vote, this actor the single writer of the log. Nothing is acknowledged before
 * it is durable: a follower answers an AppendEntries only once storage has synced every
 * entry the answer covers, and the leader counts itself toward a majority only up to its
 * own synced index.
 */
export interface LogActorOptions {
  readonly raft: RaftConfig;
  /**
   * Lease reads: how much shorter than the minimum election timeout a lease is, to cover
   * clock drift between replicas (thesis §6.4.1).
   */
  readonly clockDriftBoundMs: number;
}

const STORAGE_TIMEOUT_MS = 10_000;
const LOAD_CHUNK_BYTES = 4 << 20;
const APPLY_BATCH_ENTRIES = 256;
const FLUSH_EVERY_TURNS = 64;
/** Storage writes of the log in flight at once; more entries wait for one to complete. */
const MAX_INFLIGHT_STORAGE_WRITES = 2;
/**
 * How long a follower's forwarded read waits for the leader's answer, in maximum election
 * timeouts: long enough for a heartbeat round under load, short enough that a lost request
 * is retried well within the DNS actor's hold time.
 */
const FORWARDED_READ_MAX_AGE_ELECTION_TIMEOUTS = 2;

/** Leadership subscribers held at once (a replica has a handful: the main thread, the AWS-lease actor). */
const MAX_LEADERSHIP_SUBSCRIBERS = 16;
/** Proposals held at most while leadership is settled here (held-proposals.ts); more are answered at once. */
const HELD_PROPOSALS_MAX = 1_024;

interface PendingAck {
  readonly leader: ReplicaId;
  readonly term: number;
  readonly round: number;
  readonly matchIndex: number;
  readonly matchTerm: number;
}

interface InflightWrite {
  readonly seq: number;
  /** The lowest index truncated since this write was issued: its durability stops below it. */
  floor: number;
}

class LogActor implements Actor<LogMessage> {
  private readonly raft: RaftConfig;
  private readonly log = new RaftLog();
  private readonly inspector = new LogInspector(this.log);
  private turnsSinceFlush = 0;
  /** Where the read lease is published for the DNS actor (set by its `lease-board` message). */
  private leaseBoard: LeaseBoard | undefined;
  private readonly leadershipObservers: LeadershipObservers;
  private readonly configs: MembershipLog;
  private term = 0;
  private role: 'follower' | 'leader' = 'follower';
  private leaderId: ReplicaId | null = null;
  /**
   * The replica this one handed leadership to, and the term it was told to lead: named in
   * `not-leader` answers while that term's leader is not known here yet, so clients go
   * to it at once rather than back off.
   */
  private handedOver: { readonly term: number; readonly to: ReplicaId } | undefined;
  /** The term this replica campaigns in, while it does (the election actor says so). */
  private campaignTerm = 0;
  /** Proposals held while leadership is being settled here (held-proposals.ts). */
  private readonly held: HeldProposals<Replier | undefined>;
  private commitIndex = 0;
  /** Highest index the state machine has been sent (undefined until it reports where it is). */
  private appliedSent: number | undefined;

  // ---- durability ----
  private persistedIndex = 0;
  /** Lowest index changed in memory since the last storage write was issued. */
  private dirtyFrom = Number.POSITIVE_INFINITY;
  private writeSeq = 0;
  private readonly inflightWrites: InflightWrite[] = [];
  private pendingAcks: PendingAck[] = [];

  // ---- leader state ----
  private readonly progress = new Map<ReplicaId, Progress>();
  private termStartIndex = 0;
  /** Heartbeat rounds and the read lease they establish (thesis §6.4, §6.4.1). */
  private readonly lease: ReadLease;
  private heartbeatWanted = false;
  private replicateWanted = false;
  private readonly reads = new ReadIndexQueue<Replier | undefined>();

  // ---- follower state ----
  private ticksSinceHeartbeat = 0;
  private lastLeaderContactMs: number | undefined;
  private readonly forwardedReads: ForwardedReads<Replier | undefined>;

  // ---- membership changes and leadership transfer ----
  private readonly changes = new MembershipChanges<Replier | undefined>();
  private readonly transfer = new LeadershipTransfer<Replier | undefined>();

  // ---- snapshots (§7) ----
  private compacting = false;
  /** A received snapshot the state machine has yet to be handed. */
  private pendingRestore: { readonly meta: SnapshotMeta; readonly data: Uint8Array } | undefined;
  private readonly snapshotCounters = { taken: 0, installed: 0, chunksSent: 0 };
  /** A snapshot arriving from the leader, chunk by chunk. */
  private readonly incoming = new SnapshotAssembly();
  /** Set while a received snapshot is being made durable: appends wait (the leader retries). */
  private installing: { readonly leader: ReplicaId; readonly term: number } | undefined;

  constructor(
    private readonly ctx: ActorContext<LogMessage>,
    options: LogActorOptions,
  ) {
    this.raft = options.raft;
    this.lease = new ReadLease(leaseTiming(options.raft, options.clockDriftBoundMs));
    // Fresh request ids per incarnation: an answer to a predecessor's ReadIndex request must
    // not settle this incarnation's read at an older read index (thesis §6.4).
    this.forwardedReads = new ForwardedReads(
      options.raft.maxPendingReads,
      firstRequestId(ctx.random),
      FORWARDED_READ_MAX_AGE_ELECTION_TIMEOUTS * options.raft.electionTicksMax,
    );
    this.configs = new MembershipLog({ voters: [...options.raft.initialVoters] });
    // An election or a hand-off is settled within an election timeout, or it failed.
    this.held = new HeldProposals(HELD_PROPOSALS_MAX, options.raft.electionTicksMax);
    this.leadershipObservers = new LeadershipObservers({
      maxSubscribers: MAX_LEADERSHIP_SUBSCRIBERS,
      subscriptionTtlMs: LEADERSHIP_SUBSCRIPTION_TTL_MS,
      leaseExtensionIntervalMs: options.raft.heartbeatTicks * options.raft.tickMs,
    });
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    const loaded = await this.ctx.request<MessageOf<StorageMessage, 'load'>>(
      STORAGE,
      { type: 'load' },
      { timeoutMs: STORAGE_TIMEOUT_MS },
    );
    if (loaded.membership === null) {
      // A brand-new replica: the configuration it starts from (a joining replica's excludes itself).
      await this.ctx.request<MessageOf<StorageMessage, 'save-membership'>>(
        STORAGE,
        { type: 'save-membership', membership: this.configs.current },
        { timeoutMs: STORAGE_TIMEOUT_MS },
      );
    } else {
      this.configs.reset(loaded.membership);
    }
    if (loaded.snapshot !== null) {
      this.log.resetTo(loaded.snapshot.lastIndex, loaded.snapshot.lastTerm, loaded.snapshot.chain);
      this.commitIndex = loaded.snapshot.lastIndex;
      this.configs.reset(loaded.snapshot.membership);
    }
    for (let from = loaded.firstIndex; from <= loaded.lastIndex; ) {
      const chunk = await this.ctx.request<MessageOf<StorageMessage, 'read-entries'>>(
        STORAGE,
        { type: 'read-entries', from, to: loaded.lastIndex, maxBytes: LOAD_CHUNK_BYTES },
        { timeoutMs: STORAGE_TIMEOUT_MS },
      );
      if (chunk.length === 0)
        throw new Error(`storage returned no entries from ${from} (last ${loaded.lastIndex})`);
      for (const entry of chunk) {
        this.log.append(entry);
        this.configs.onAppend(entry);
      }
      from += chunk.length;
    }
    this.persistedIndex = this.log.lastIndex;
    this.ctx.after(this.raft.tickMs, { type: 'tick' });
    // The election actor answers with `enter-term`; the state machine with `applied-index`.
    this.ctx.send(ELECTION, { type: 'log-started' });
    this.announceMembership();
    this.ctx.send(STATE_MACHINE, { type: 'log-started' } satisfies ApplyMessage);
  }

  receive(message: LogMessage, meta: MessageMeta): void {
    this.handle(message, meta);
    this.settleHeldProposals();
    // Under sustained load the mailbox may never run empty: flush batches every few turns anyway.
    if (++this.turnsSinceFlush >= FLUSH_EVERY_TURNS) this.idle();
    else this.publishLease();
  }

  private handle(message: LogMessage, meta: MessageMeta): void {
    switch (message.type) {
      case 'enter-term':
        this.enterTerm(message.term, message.leaderId);
        if (message.campaigning) this.campaignTerm = message.term;
        // A restarted election actor announces itself this way: tell it the configuration too.
        this.announceMembership();
        meta.reply?.ok(this.position());
        return;
      case 'become-leader':
        this.becomeLeader(message.term);
        return;
      case 'step-down':
        if (message.term === this.term && this.role === 'leader') this.becomeFollower(null);
        return;
      case 'heartbeat-now':
        // idle() at the end of this turn sends the round; the next tick-driven one follows a full interval later.
        if (message.term === this.term && this.role === 'leader') {
          this.heartbeatWanted = true;
          this.ticksSinceHeartbeat = 0;
        }
        return;
      case 'tail':
        meta.reply?.ok(this.position());
        return;
      case 'peer':
        this.onPeer(message.message, message.receivedAtMs);
        return;
      case 'propose':
        if (this.holdsProposals() && this.held.hold(message.data, meta.reply)) return;
        meta.reply?.ok(this.propose(message.data));
        return;
      case 'change-membership':
        this.changeMembership(message.change, meta.reply);
        return;
      case 'transfer-leadership':
        this.transferLeadership(message.to, meta.reply);
        return;
      case 'hand-off-leadership':
        this.handOffLeadership(meta.reply);
        return;
      case 'read-index':
        this.readIndex(message.mode, meta.reply);
        return;
      case 'contact':
        meta.reply?.ok(this.contact());
        return;
      case 'subscribe-leadership':
        if (this.leadershipObservers.subscribe(meta.from, this.ctx.clock.nowMs()) === 'full')
          this.ctx.log.warn({ subscriber: meta.from }, 'too many leadership subscribers; refused one');
        return;
      case 'lease-board':
        if (this.leaseBoard?.buffer !== message.buffer) this.leaseBoard = new LeaseBoard(message.buffer);
        return;
      case 'applied-index':
        this.appliedSent = Math.max(message.index, this.log.snapshotIndex);
        this.ctx.send(STATE_MACHINE, {
          type: 'log-tail',
          lastIndex: this.log.lastIndex,
        } satisfies ApplyMessage);
        this.sendApplies();
        return;
      case 'tick':
        this.ctx.after(this.raft.tickMs, { type: 'tick' });
        this.onTick();
        return;
      case 'persisted':
        this.onPersisted(message.seq, message.tail);
        return;
      case 'storage-failed':
        // Memory may be ahead of disk now: restart from what is durable.
        throw new Error(`log write failed: ${message.error}`);
      case 'snapshot-taken':
        this.onSnapshotTaken(message.snapshot);
        return;
      case 'snapshot-saved':
        this.compacting = false;
        this.snapshotCounters.taken++;
        if (message.meta.lastIndex > this.log.snapshotIndex && message.meta.lastIndex <= this.log.lastIndex) {
          this.log.compactTo(message.meta.lastIndex);
          this.configs.compactTo(message.meta.lastIndex);
        }
        return;
      case 'snapshot-chunk':
        this.onSnapshotChunk(message.peer, message.offset, message.chunk);
        return;
      case 'snapshot-installed':
        this.onSnapshotInstalled(message.meta, message.data, message.discardLog);
        return;
    }
  }

  /** End of a burst: one storage write and one AppendEntries per follower for everything batched. */
  idle(): void {
    this.turnsSinceFlush = 0;
    this.flushToStorage();
    if (this.role === 'leader') {
      if (this.heartbeatWanted) this.broadcast(true);
      else if (this.replicateWanted) this.broadcast(false);
    }
    this.sendApplies();
    // One observation per turn feeds both: the DNS actor's lease board and the subscribers.
    const leadership = this.leadership();
    this.publishLease(leadership);
    this.publishLeadership(leadership);
  }

  /**
   * Writes the lease board (lease-board.ts) at the end of every turn — before the turn's
   * messages leave, so no acknowledgement of a write can overtake the commit index that
   * covers it — only while leading with the term's no-op committed and the lease held.
   */
  private publishLease(leadership: Leadership = this.leadership()): void {
    const board = this.leaseBoard;
    if (board === undefined) return;
    if (
      leadership.leading &&
      leadership.readyIndex !== null &&
      leadership.leaseUntilMs !== null &&
      leadership.leaseUntilMs > this.ctx.clock.nowMs()
    )
      board.publish(leadership.term, this.commitIndex, leadership.leaseUntilMs);
    else board.publish(leadership.term, 0, 0);
  }

  /** Tells leadership subscribers (leadership-observers.ts) what changed, at the end of a burst. */
  private publishLeadership(leadership: Leadership): void {
    if (this.leadershipObservers.size === 0) return;
    this.leadershipObservers.publish(
      leadership,
      this.ctx.clock.nowMs(),
      (name, leadership) =>
        this.ctx.send(name, { type: 'leadership-observed', leadership } satisfies LeadershipObserved)
          .status === 'sent',
    );
  }

  inspect(): LogInspection {
    return {
      term: this.term,
      role: this.role,
      leaderId: this.leaderId,
      commitIndex: this.commitIndex,
      persistedIndex: this.persistedIndex,
      firstIndex: this.log.firstIndex,
      lastIndex: this.log.lastIndex,
      appliedSent: this.appliedSent,
      voters: [...this.configs.current.voters],
      snapshots: { ...this.snapshotCounters },
      log: this.inspector.view(),
    };
  }

  // ------------------------------------------------------------------ terms and roles

  private enterTerm(term: number, leaderId: ReplicaId | null): void {
    if (term < this.term) throw new Error(`log: term went backwards from ${this.term} to ${term}`);
    if (term > this.term || this.role === 'leader') {
      this.term = term;
      this.becomeFollower(leaderId);
    } else if (leaderId !== null) {
      this.leaderId = leaderId;
    }
  }

  private becomeFollower(leaderId: ReplicaId | null): void {
    const wasLeader = this.role === 'leader';
    this.abortMembershipWork();
    this.role = 'follower';
    this.leaderId = leaderId;
    this.progress.clear();
    this.heartbeatWanted = false;
    this.replicateWanted = false;
    this.pendingAcks = this.pendingAcks.filter((ack) => ack.term === this.term);
    if (wasLeader || this.reads.queuedCount > 0) this.failReads();
    for (const reply of this.forwardedReads.takeAll()) reply?.ok(this.notLeader());
  }

  private becomeLeader(term: number): void {
    if (term !== this.term || this.role === 'leader') return;
    this.role = 'leader';
    this.leaderId = this.raft.self;
    this.campaignTerm = 0;
    this.lease.beginLeadership(this.ctx.clock.nowMs());
    for (const peer of this.peers()) {
      this.progress.set(peer, new Progress(this.log.lastIndex + 1, this.raft.maxInflightAppends));
    }
    // §8 / thesis §6.4: a no-op of our own term, so the commit index can move in this term
    // and read indexes become safe once it commits.
    this.appendLocal('noop', new Uint8Array(0));
    this.termStartIndex = this.log.lastIndex;
    this.heartbeatWanted = true;
    this.ctx.log.info({ term, index: this.termStartIndex }, 'leading');
  }

  private peers(): ReplicaId[] {
    return this.configs.current.voters.filter((v) => v !== this.raft.self);
  }

  private notLeader(): { ok: false; reason: 'not-leader'; leaderId: ReplicaId | null } {
    const likely = this.handedOver?.term === this.term ? this.handedOver.to : null;
    return { ok: false, reason: 'not-leader', leaderId: this.leaderId ?? likely };
  }

  // ------------------------------------------------------------------ proposals

  private propose(data: Uint8Array): ProposeResult {
    if (this.role !== 'leader') return this.notLeader();
    // Thesis §3.10: no new entries while leadership is being handed over.
    const transferTo = this.transfer.target;
    if (transferTo !== undefined) return { ok: false, reason: 'not-leader', leaderId: transferTo };
    // Bounded: entries not yet committed, and entries not yet on our own disk.
    if (
      this.log.lastIndex - this.commitIndex >= this.raft.maxPendingProposals ||
      this.log.lastIndex - this.persistedIndex >= this.raft.maxPendingProposals
    ) {
      return { ok: false, reason: 'overloaded' };
    }
    const entry = this.appendLocal('command', data);
    this.replicateWanted = true;
    return { ok: true, index: entry.index, term: entry.term };
  }

  /**
   * Whether a proposal is held rather than answered: this replica campaigns in the current
   * term and no leader of it is known yet, or it leads and hands leadership off.
   */
  private holdsProposals(): boolean {
    if (this.role === 'leader') return this.transfer.underWay;
    return this.campaignTerm === this.term && this.leaderId === null;
  }

  /**
   * Once leadership is settled here, the held proposals are answered as any proposal then:
   * appended after a new leader's no-op, or `not-leader` naming who leads (or the successor
   * this replica voted for when it handed off).
   */
  private settleHeldProposals(): void {
    if (this.held.size === 0 || this.holdsProposals()) return;
    for (const { data, reply } of this.held.takeAll()) reply?.ok(this.propose(data));
  }

  private appendLocal(kind: LogEntry['kind'], data: Uint8Array): LogEntry {
    const entry: LogEntry = {
      index: this.log.lastIndex + 1,
      term: this.term,
      kind,
      timeMs: Math.floor(this.ctx.clock.nowMs()),
      data,
    };
    this.log.append(entry);
    this.dirtyFrom = Math.min(this.dirtyFrom, entry.index);
    if (this.configs.onAppend(entry)) this.onMembershipChanged();
    return entry;
  }

  // ------------------------------------------------------------------ durability

  private flushToStorage(): void {
    if (this.dirtyFrom === Number.POSITIVE_INFINITY) return;
    // Back-pressure: while the disk is busy, later entries wait here and go in one write
    // when an earlier one completes (group commit at this end too).
    if (this.inflightWrites.length >= MAX_INFLIGHT_STORAGE_WRITES) return;
    const from = this.dirtyFrom;
    this.dirtyFrom = Number.POSITIVE_INFINITY;
    const entries =
      from <= this.log.lastIndex
        ? this.log.slice(from, this.log.lastIndex, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
        : [];
    const lastIndex = this.log.lastIndex;
    const seq = ++this.writeSeq;
    this.inflightWrites.push({ seq, floor: Number.POSITIVE_INFINITY });
    this.ctx.request(STORAGE, { type: 'append', entries, lastIndex }, { timeoutMs: STORAGE_TIMEOUT_MS }).then(
      (tail) => this.ctx.self({ type: 'persisted', seq, tail }),
      (error: unknown) => this.ctx.self({ type: 'storage-failed', error: String(error) }),
    );
  }

  private onPersisted(seq: number, tail: LogTail): void {
    const write = this.inflightWrites.shift();
    if (write === undefined || write.seq !== seq) {
      throw new Error(`storage answered write ${seq} out of order (expected ${write?.seq})`);
    }
    // Entries below a later truncation point are what this write made durable.
    const durable = Math.min(tail.lastIndex, write.floor - 1);
    if (durable > this.persistedIndex) this.persistedIndex = durable;
    this.flushToStorage();
    if (this.role === 'leader') this.maybeCommit();
    else this.flushAcks();
  }

  private truncateAfter(index: number): void {
    if (index < this.commitIndex) {
      throw new Error(`log: truncating committed entries (after ${index}, commit ${this.commitIndex})`);
    }
    this.log.truncateAfter(index);
    if (this.configs.truncateAfter(index)) this.onMembershipChanged();
    this.dirtyFrom = Math.min(this.dirtyFrom, index + 1);
    if (this.persistedIndex > index) this.persistedIndex = index;
    for (const write of this.inflightWrites) write.floor = Math.min(write.floor, index + 1);
  }

  // ------------------------------------------------------------------ peer messages

  private onPeer(message: RaftMessage, receivedAtMs: number): void {
    if (message.term !== this.term) return; // the election actor moved on since it forwarded this
    switch (message.type) {
      case 'append-entries':
        this.onAppendEntries(message, receivedAtMs);
        return;
      case 'append-entries-response':
        this.onAppendEntriesResponse(message);
        return;
      case 'read-index':
        this.onReadIndexRequest(message, 'linearizable');
        return;
      case 'lease-read-index':
        this.onReadIndexRequest(message, 'lease');
        return;
      case 'read-index-response':
        this.onReadIndexResponse(message);
        return;
      case 'install-snapshot':
        this.onInstallSnapshot(message);
        return;
      case 'install-snapshot-response':
        this.onInstallSnapshotResponse(message);
        return;
      default:
        return;
    }
  }

  private send(message: RaftMessage): void {
    this.ctx.send(ELECTION, { type: 'send', message });
  }

  /** Figure 2, AppendEntries receiver implementation. */
  private onAppendEntries(m: AppendEntries, receivedAtMs: number): void {
    if (this.role === 'leader') {
      throw new Error(`election safety: ${m.from} and ${this.raft.self} both lead term ${m.term}`);
    }
    this.leaderId = m.from;
    this.ticksSinceHeartbeat = 0;
    if (this.installing !== undefined) return; // the leader retries once the snapshot is in
    if (!wellFormed(m)) {
      this.ctx.log.warn({ from: m.from, prevLogIndex: m.prevLogIndex }, 'dropped a malformed AppendEntries');
      return;
    }
    const reject = (conflictTerm: number, conflictIndex: number) =>
      this.answerAppend(m.from, m.round, { success: false, matchIndex: 0, conflictTerm, conflictIndex });
    // (2) Reply false if the log has no entry at prevLogIndex whose term matches prevLogTerm.
    if (m.prevLogIndex > this.log.lastIndex) {
      reject(0, this.log.lastIndex + 1);
      return;
    }
    let entries = m.entries;
    let prevIndex = m.prevLogIndex;
    if (prevIndex < this.log.snapshotIndex) {
      // Everything up to our snapshot is committed and therefore identical: skip it.
      entries = entries.filter((e) => e.index > this.log.snapshotIndex);
      prevIndex = this.log.snapshotIndex;
    } else {
      const ourTerm = this.log.termAt(prevIndex);
      if (ourTerm !== m.prevLogTerm) {
        const conflictTerm = ourTerm ?? 0;
        reject(conflictTerm, this.log.firstIndexOfTerm(conflictTerm, prevIndex));
        return;
      }
    }
    // (3)(4) Delete a conflicting suffix, then append what is new.
    for (const entry of entries) {
      const existing = this.log.termAt(entry.index);
      if (existing === entry.term) continue;
      if (existing !== undefined) this.truncateAfter(entry.index - 1);
      this.log.append(entry);
      if (this.configs.onAppend(entry)) this.onMembershipChanged();
      this.dirtyFrom = Math.min(this.dirtyFrom, entry.index);
    }
    const matchIndex = m.prevLogIndex + m.entries.length;
    const matchTerm =
      m.entries.length > 0 ? (m.entries[m.entries.length - 1] as LogEntry).term : m.prevLogTerm;
    // (5) Commit up to what the leader committed, within what this request proved we share.
    const committable = Math.min(m.leaderCommit, matchIndex);
    if (committable > this.commitIndex) this.commitIndex = committable;
    // Bounded staleness: we are as fresh as the send time (plus the network delay) only when
    // we hold everything the leader had committed, and only when the leader knew then that
    // no later leader could have acknowledged writes it does not know (`leaderCommitCurrent`:
    // it held its lease, so it was not deposed, and its own no-op was committed, §5.4.2).
    // A message from a deposed leader that has not noticed yet says nothing about freshness.
    // The send time is bounded by the frame's arrival, not by now: it may have waited here.
    if (m.leaderCommitCurrent && this.commitIndex >= m.leaderCommit) {
      this.lastLeaderContactMs = Math.max(this.lastLeaderContactMs ?? receivedAtMs, receivedAtMs);
    }
    this.pendingAcks.push({ leader: m.from, term: this.term, round: m.round, matchIndex, matchTerm });
    this.flushAcks();
  }

  /** Answers the appends whose entries are now durable, if they still hold what was acknowledged. */
  private flushAcks(): void {
    if (this.pendingAcks.length === 0) return;
    const waiting: PendingAck[] = [];
    for (const ack of this.pendingAcks) {
      if (ack.term !== this.term) continue;
      if (ack.matchIndex > this.persistedIndex) {
        waiting.push(ack);
        continue;
      }
      if (ack.matchIndex > this.log.snapshotIndex && this.log.termAt(ack.matchIndex) !== ack.matchTerm)
        continue;
      this.answerAppend(ack.leader, ack.round, {
        success: true,
        matchIndex: ack.matchIndex,
        conflictTerm: 0,
        conflictIndex: 0,
      });
    }
    this.pendingAcks = waiting;
  }

  private answerAppend(
    leader: ReplicaId,
    round: number,
    outcome: Pick<AppendEntriesResponse, 'success' | 'matchIndex' | 'conflictTerm' | 'conflictIndex'>,
  ): void {
    // Field by field, not `...outcome`: a property added after a spread is slow on V8 11 (docs/ARCHITECTURE.md §7, "What a cache miss costs").
    this.send({
      type: 'append-entries-response',
      term: this.term,
      from: this.raft.self,
      to: leader,
      success: outcome.success,
      matchIndex: outcome.matchIndex,
      conflictTerm: outcome.conflictTerm,
      conflictIndex: outcome.conflictIndex,
      round,
    });
  }

  private onAppendEntriesResponse(m: AppendEntriesResponse): void {
    if (this.role !== 'leader') return;
    const progress = this.progress.get(m.from);
    if (progress === undefined) return;
    progress.acknowledgeRound(m.round);
    progress.heard();
    if (m.success) {
      if (progress.onSuccess(m.matchIndex)) this.maybeCommit();
    } else if (m.conflictIndex > progress.match) {
      // Fast back-off (§5.3): when we hold the follower's conflicting term, resume after our last
      // entry of it (looking back from where we probed); otherwise skip the follower's whole term.
      const ours =
        m.conflictTerm === 0 ? undefined : this.log.lastIndexOfTerm(m.conflictTerm, progress.next - 1);
      progress.onReject(ours !== undefined ? ours + 1 : m.conflictIndex);
    }
    this.resolveReads();
    this.sendAppend(m.from, progress, false);
    this.checkCatchUp();
    this.checkTransfer();
  }

  // ------------------------------------------------------------------ replication (leader)

  private broadcast(heartbeat: boolean): void {
    if (heartbeat) {
      this.lease.startRound(this.ctx.clock.nowMs());
      this.lease.prune(this.quorumAckedRound());
    }
    this.heartbeatWanted = false;
    this.replicateWanted = false;
    for (const [peer, progress] of this.progress) this.sendAppend(peer, progress, heartbeat);
    // A single-voter group commits and confirms reads on its own.
    this.maybeCommit();
    this.resolveReads();
  }

  /** Sends what the follower lacks, within flow control; a heartbeat goes even when the window is full. */
  private sendAppend(peer: ReplicaId, progress: Progress, heartbeat: boolean): void {
    if (progress.snapshot !== undefined) return;
    if (snapshotNeeded(progress.next, this.log.snapshotIndex)) {
      // The entries it needs are compacted away: send the snapshot instead (§7).
      progress.beginSnapshot(this.log.snapshotIndex);
      this.requestSnapshotChunk(peer, this.log.snapshotIndex, 0);
      return;
    }
    let sent = false;
    while (progress.canSend() && progress.next <= this.log.lastIndex) {
      const entries = this.log.slice(
        progress.next,
        this.log.lastIndex,
        this.raft.maxEntriesPerAppend,
        this.raft.maxBytesPerAppend,
      );
      if (entries.length === 0) break;
      this.sendAppendMessage(peer, progress.next - 1, entries);
      progress.onSent((entries[entries.length - 1] as LogEntry).index);
      sent = true;
    }
    // Heartbeats, and news of a higher commit index, go even when there is nothing to send:
    // followers learn commits without waiting for the next heartbeat.
    if (!sent && (heartbeat || progress.commitSent < this.commitIndex)) {
      this.sendAppendMessage(peer, progress.next - 1, []);
    }
    progress.commitSent = this.commitIndex;
  }

  private sendAppendMessage(peer: ReplicaId, prevLogIndex: number, entries: LogEntry[]): void {
    const prevLogTerm = this.log.termAt(prevLogIndex);
    if (prevLogTerm === undefined) {
      // The follower needs entries we compacted: InstallSnapshot arrives with log compaction.
      this.ctx.log.warn({ peer, prevLogIndex, firstIndex: this.log.firstIndex }, 'follower needs a snapshot');
      return;
    }
    this.send({
      type: 'append-entries',
      term: this.term,
      from: this.raft.self,
      to: peer,
      prevLogIndex,
      prevLogTerm,
      entries,
      leaderCommit: this.commitIndex,
      leaderCommitCurrent: this.commitIndex >= this.termStartIndex && this.unrivalledForMs() > 0,
      round: this.lease.round,
    });
  }

  /** §5.3–5.4.2: commit the highest index a majority holds durably, if it is of our term. */
  private maybeCommit(): void {
    if (this.role !== 'leader') return;
    const candidate = quorumMatchIndex(this.configs.current.voters, (voter) =>
      voter === this.raft.self ? this.persistedIndex : (this.progress.get(voter)?.match ?? 0),
    );
    if (candidate > this.commitIndex && this.log.termAt(candidate) === this.term) {
      this.commitIndex = candidate;
      this.onLeaderCommitted();
      this.replicateWanted = true; // followers learn the new commit index with the next append
      this.releaseReadsAwaitingNoop();
    }
  }

  private onTick(): void {
    for (const reply of this.forwardedReads.tick()) reply?.ok(this.notLeader());
    for (const { data, reply } of this.held.tick()) reply?.ok(this.propose(data));
    if (this.role === 'leader') this.tickMembershipWork();
    if (this.role === 'leader') {
      this.ticksSinceHeartbeat++;
      for (const progress of this.progress.values()) progress.tick(this.raft.electionTicksMin);
      if (this.ticksSinceHeartbeat >= this.raft.heartbeatTicks) {
        this.ticksSinceHeartbeat = 0;
        this.heartbeatWanted = true;
      }
    }
    this.idle();
  }

  // ------------------------------------------------------------------ applying

  private sendApplies(): void {
    this.maybeCompact();
    if (this.pendingRestore !== undefined) {
      const { meta, data } = this.pendingRestore;
      if (
        this.ctx.send(STATE_MACHINE, { type: 'restore', meta, data } satisfies ApplyMessage).status !== 'sent'
      )
        return;
      this.pendingRestore = undefined;
    }
    if (this.appliedSent === undefined) return;
    const upTo = Math.min(this.commitIndex, this.log.lastIndex);
    while (this.appliedSent < upTo) {
      const entries = this.log.slice(
        this.appliedSent + 1,
        upTo,
        APPLY_BATCH_ENTRIES,
        Number.MAX_SAFE_INTEGER,
      );
      if (entries.length === 0) return;
      const result = this.ctx.send(STATE_MACHINE, { type: 'apply', entries } satisfies ApplyMessage);
      if (result.status !== 'sent') return; // its mailbox is full: the next idle or tick retries
      this.appliedSent = (entries[entries.length - 1] as LogEntry).index;
    }
  }

  // ------------------------------------------------------------------ reads

  private readIndex(mode: ReadIndexMode, reply: Replier | undefined): void {
    const decision = decideLocalRead({
      leading: this.role === 'leader',
      mode,
      queued: this.reads.queuedCount,
      maxPendingReads: this.raft.maxPendingReads,
      commitIndex: this.commitIndex,
      termStartIndex: this.termStartIndex,
      leaseHeld: mode === 'lease' && this.role === 'leader' && this.leaseValid(),
      nextRound: this.lease.round + 1,
    });
    switch (decision.action) {
      case 'forward':
        this.forwardReadIndex(mode, reply);
        return;
      case 'overloaded':
        reply?.ok({ ok: false, reason: 'overloaded' } satisfies ReadIndexResult);
        return;
      case 'await-noop':
        this.reads.awaitNoop({ mode, reply });
        return;
      case 'answer':
        reply?.ok({ ok: true, readIndex: decision.readIndex } satisfies ReadIndexResult);
        return;
      case 'confirm':
        this.reads.add({ kind: 'local', readIndex: decision.readIndex, round: decision.round, reply });
        this.heartbeatWanted = true;
        return;
    }
  }

  private releaseReadsAwaitingNoop(): void {
    if (this.commitIndex < this.termStartIndex) return;
    for (const read of this.reads.takeAwaitingNoop()) this.readIndex(read.mode, read.reply);
  }

  /** Thesis §6.4 steps 3–4: a read is confirmed once a majority acknowledged a round sent after it arrived. */
  private resolveReads(): void {
    if (this.role !== 'leader' || this.reads.pendingCount === 0) return;
    for (const read of this.reads.takeConfirmed(this.quorumAckedRound())) {
      if (read.kind === 'local') {
        read.reply?.ok({ ok: true, readIndex: read.readIndex } satisfies ReadIndexResult);
      } else {
        this.sendReadIndexResponse(read.from, read.requestId, true, read.readIndex);
      }
    }
  }

  private quorumAckedRound(): number {
    return this.lease.confirmedRound(
      this.configs.current.voters,
      this.raft.self,
      (voter) => this.progress.get(voter)?.ackedRound ?? 0,
    );
  }

  /** Thesis §6.4.1: the lease runs from the send time of the newest round a majority acknowledged. */
  private leaseValid(): boolean {
    return this.leaseRemainingMs() > 0;
  }

  /** How much longer our lease holds (thesis §6.4.1); 0 when we hold none. */
  private leaseRemainingMs(): number {
    return this.lease.remainingMs(this.ctx.clock.nowMs(), this.quorumAckedRound());
  }

  /** How much longer no leader of a later term can be elected (read-lease.ts); 0 unless leading. */
  private unrivalledForMs(): number {
    if (this.role !== 'leader') return 0;
    return this.lease.unrivalledForMs(this.ctx.clock.nowMs(), this.quorumAckedRound());
  }

  /** When our lease ends (it may have already), by our clock; null while we hold none. */
  private leaseUntilMs(): number | null {
    return this.lease.untilMs(this.ctx.clock.nowMs(), this.quorumAckedRound());
  }

  private leadership(): Leadership {
    if (this.role !== 'leader') return { leading: false, term: this.term, leaderId: this.leaderId };
    return {
      leading: true,
      term: this.term,
      leaderId: this.raft.self,
      readyIndex: this.commitIndex >= this.termStartIndex ? this.termStartIndex : null,
      leaseUntilMs: this.leaseUntilMs(),
    };
  }

  private failReads(): void {
    const { pending, awaitingNoop } = this.reads.takeAll();
    for (const read of pending) {
      if (read.kind === 'local') read.reply?.ok(this.notLeader());
      else this.sendReadIndexResponse(read.from, read.requestId, false, 0);
    }
    for (const read of awaitingNoop) read.reply?.ok(this.notLeader());
  }

  /** A follower asks the leader for a read index on its client's behalf (thesis §6.4). */
  private forwardReadIndex(mode: ReadIndexMode, reply: Replier | undefined): void {
    const decision = this.forwardedReads.forward(this.leaderId, this.raft.self, mode, reply);
    switch (decision.action) {
      case 'not-leader':
        reply?.ok(this.notLeader());
        return;
      case 'overloaded':
        reply?.ok({ ok: false, reason: 'overloaded' } satisfies ReadIndexResult);
        return;
      case 'send':
        this.send({
          type: decision.lease ? 'lease-read-index' : 'read-index',
          term: this.term,
          from: this.raft.self,
          to: decision.to,
          requestId: decision.requestId,
        });
        return;
    }
  }

  private onReadIndexRequest(m: ReadIndexRequest | LeaseReadIndexRequest, mode: ReadIndexMode): void {
    const decision = decideRemoteRead({
      leading: this.role === 'leader',
      pending: this.reads.pendingCount,
      maxPendingReads: this.raft.maxPendingReads,
      commitIndex: this.commitIndex,
      termStartIndex: this.termStartIndex,
      leaseHeld: mode === 'lease' && this.role === 'leader' && this.leaseValid(),
      nextRound: this.lease.round + 1,
    });
    if (decision.action === 'refuse') {
      this.sendReadIndexResponse(m.from, m.requestId, false, 0);
      return;
    }
    if (decision.action === 'answer') {
      this.sendReadIndexResponse(m.from, m.requestId, true, decision.readIndex);
      return;
    }
    this.reads.add({
      kind: 'remote',
      readIndex: decision.readIndex,
      round: decision.round,
      from: m.from,
      requestId: m.requestId,
    });
    this.heartbeatWanted = true;
  }

  private sendReadIndexResponse(to: ReplicaId, requestId: number, ok: boolean, readIndex: number): void {
    this.send({
      type: 'read-index-response',
      term: this.term,
      from: this.raft.self,
      to,
      requestId,
      ok,
      readIndex,
    });
  }

  private onReadIndexResponse(m: ReadIndexResponse): void {
    const settled = this.forwardedReads.settle(m.requestId);
    if (settled === undefined) return;
    settled.reply?.ok(
      m.ok ? ({ ok: true, readIndex: m.readIndex } satisfies ReadIndexResult) : this.notLeader(),
    );
  }

  /** Bounded staleness: how fresh this replica's knowledge of the leader's commit index is. */
  private contact(): ContactResult {
    const now = this.ctx.clock.nowMs();
    if (this.role === 'leader') {
      const sentAt = this.lease.sentAtMs(this.quorumAckedRound());
      if (sentAt === undefined || this.commitIndex < this.termStartIndex)
        return { ok: false, reason: 'no-contact' };
      return { ok: true, ageMs: now - sentAt, commitIndex: this.commitIndex };
    }
    if (this.lastLeaderContactMs === undefined) return { ok: false, reason: 'no-contact' };
    return { ok: true, ageMs: now - this.lastLeaderContactMs, commitIndex: this.commitIndex };
  }

  // ------------------------------------------------------------------ membership (thesis §4) and transfer (§3.10)

  private position(): LogPosition {
    const tail = this.log.tail;
    return {
      lastIndex: tail.lastIndex,
      lastTerm: tail.lastTerm,
      voters: this.configs.current.voters,
      votersCommitted: this.commitIndex >= this.configs.latestIndex,
    };
  }

  private announceMembership(): void {
    this.ctx.send(ELECTION, { type: 'membership', membership: this.configs.current });
  }

  /** The newest configuration in the log changed: it applies at once (thesis §4.1). */
  private onMembershipChanged(): void {
    this.announceMembership();
    if (this.role !== 'leader') return;
    const { add, remove } = trackedPeerChanges({
      voters: this.configs.current.voters,
      self: this.raft.self,
      tracked: [...this.progress.keys()],
      catchingUp: this.changes.catchingUp,
    });
    for (const voter of add) {
      this.progress.set(voter, new Progress(this.log.lastIndex + 1, this.raft.maxInflightAppends));
    }
    for (const peer of remove) this.progress.delete(peer);
  }

  private changeMembership(change: MembershipChange, reply: Replier | undefined): void {
    const refusal = changeRefusal({
      change,
      leading: this.role === 'leader',
      leaderId: this.leaderId,
      busy: this.changes.underWay || this.transfer.underWay,
      commitIndex: this.commitIndex,
      termStartIndex: this.termStartIndex,
      latestConfigIndex: this.configs.latestIndex,
      current: this.configs.current,
    });
    if (refusal !== undefined) {
      reply?.ok(refusal);
      return;
    }
    this.changes.begin(change, reply, this.log.lastIndex, this.raft.electionTicksMax * 20);
    if (change.op === 'add') {
      // Thesis §4.2.1: a new server catches up as a non-voter before it counts toward majorities.
      this.progress.set(change.replica, new Progress(this.log.lastIndex + 1, this.raft.maxInflightAppends));
      this.replicateWanted = true;
    } else {
      this.proposeConfig();
    }
  }

  private checkCatchUp(): void {
    const change = this.changes.current;
    if (change?.phase !== 'catching-up') return;
    const step = catchUpStep({
      match: this.progress.get(change.change.replica)?.match,
      target: change.target,
      rounds: change.rounds,
      lastIndex: this.log.lastIndex,
      maxEntriesPerAppend: this.raft.maxEntriesPerAppend,
    });
    if (step.action === 'next-round') this.changes.nextRound(step.target);
    else if (step.action === 'propose') this.proposeConfig();
  }

  private proposeConfig(): void {
    const change = this.changes.current;
    if (change === undefined) return;
    const check = applyChange(this.configs.current, change.change);
    if (!check.ok) {
      this.changes.take();
      change.reply?.ok({ ok: false, reason: 'invalid', detail: check.reason } satisfies ChangeResult);
      return;
    }
    // The entry's index is the one appended next; the change is committing from here on.
    this.changes.proposed(this.log.lastIndex + 1);
    const entry = this.appendLocal('config', encodeMembership(check.next));
    this.replicateWanted = true;
    this.ctx.log.info({ index: entry.index, voters: check.next.voters }, 'proposed a configuration');
  }

  private onLeaderCommitted(): void {
    const committed = this.changes.takeCommitted(this.commitIndex);
    committed?.reply?.ok({ ok: true, index: committed.configIndex } satisfies ChangeResult);
    // Thesis §4.2.2: a leader removed from the configuration steps down once that is committed.
    if (
      removedLeaderStepsDown({
        voters: this.configs.current.voters,
        self: this.raft.self,
        commitIndex: this.commitIndex,
        latestConfigIndex: this.configs.latestIndex,
      })
    ) {
      this.ctx.log.info({ term: this.term }, 'removed from the configuration: stepping down');
      this.ctx.send(ELECTION, { type: 'resign', term: this.term });
      this.becomeFollower(null);
    }
  }

  private transferLeadership(to: ReplicaId, reply: Replier | undefined): void {
    const decision = decideTransfer({
      to,
      self: this.raft.self,
      leading: this.role === 'leader',
      leaderId: this.leaderId,
      voters: this.configs.current.voters,
      busy: this.transfer.underWay || this.changes.underWay,
    });
    if (decision.action === 'answer') {
      reply?.ok(decision.result);
      return;
    }
    this.transfer.begin(to, reply, this.raft.electionTicksMax);
    this.replicateWanted = true;
    this.checkTransfer();
  }

  /** A leader about to stop: transfer to the most caught-up follower that answers (chooseSuccessor). */
  private handOffLeadership(reply: Replier | undefined): void {
    if (this.role !== 'leader') {
      reply?.ok(this.notLeader());
      return;
    }
    const to = chooseSuccessor({
      self: this.raft.self,
      voters: this.configs.current.voters,
      followers: [...this.progress].map(([id, progress]) => ({
        id,
        match: progress.match,
        silentTicks: progress.silentTicks,
        installingSnapshot: progress.snapshot !== undefined,
      })),
      silentTicksMax: this.raft.electionTicksMin,
    });
    if (to === undefined) {
      reply?.ok({
        ok: false,
        reason: 'invalid',
        detail: 'no voter follower is eligible',
      } satisfies TransferResult);
      return;
    }
    this.ctx.log.info({ term: this.term, to }, 'handing leadership off');
    this.transferLeadership(to, reply);
  }

  /** Once the target holds our whole log, tell it to campaign now (TimeoutNow). */
  private checkTransfer(): void {
    const target = this.transfer.target;
    if (target === undefined) return;
    const ready = this.transfer.takeReadyToSend(this.progress.get(target)?.match, this.log.lastIndex);
    if (ready === undefined) return;
    this.lease.forfeit();
    this.handedOver = { term: this.term + 1, to: ready.to };
    // The election actor votes for the target in the next term, then sends TimeoutNow.
    this.ctx.send(ELECTION, { type: 'hand-over', term: this.term, to: ready.to });
    ready.reply?.ok({ ok: true } satisfies TransferResult);
  }

  private tickMembershipWork(): void {
    const expired = this.changes.tick();
    if (expired !== undefined) {
      this.progress.delete(expired.change.replica);
      expired.reply?.ok({
        ok: false,
        reason: 'catch-up-timeout',
        detail: `${expired.change.replica} did not catch up in time`,
      } satisfies ChangeResult);
    }
    const abandoned = this.transfer.tick();
    abandoned?.reply?.ok({
      ok: false,
      reason: 'timeout',
      detail: `${abandoned.to} did not catch up in time`,
    } satisfies TransferResult);
  }

  /** Leadership is gone: pending changes and transfers answer not-leader. */
  private abortMembershipWork(): void {
    const change = this.changes.take();
    change?.reply?.ok(this.notLeader());
    const transfer = this.transfer.abort();
    transfer?.reply?.ok(this.notLeader());
  }

  // ------------------------------------------------------------------ snapshots (§7)

  /**
   * Once enough applied entries (by count or by bytes) follow the last snapshot, snapshot
   * the state machine and compact.
   */
  private maybeCompact(): void {
    if (this.compacting || this.installing !== undefined || this.appliedSent === undefined) return;
    const applied = this.appliedSent - this.log.snapshotIndex;
    if (applied <= 0) return;
    if (
      applied < this.raft.snapshotThresholdEntries &&
      this.log.bytesThrough(this.appliedSent) < this.raft.snapshotThresholdBytes
    )
      return;
    this.compacting = true;
    this.ctx
      .request<MessageOf<ApplyMessage, 'take-snapshot'>>(
        STATE_MACHINE,
        { type: 'take-snapshot' },
        { timeoutMs: STORAGE_TIMEOUT_MS },
      )
      .then(
        (snapshot) => this.ctx.self({ type: 'snapshot-taken', snapshot }),
        () => this.ctx.self({ type: 'snapshot-taken', snapshot: null }),
      );
  }

  private onSnapshotTaken(snapshot: StateMachineSnapshot | null): void {
    const chain = snapshot === null ? undefined : this.log.chainAt(snapshot.index);
    // Only what our own disk holds is compacted: a follower may commit and apply entries a
    // majority holds before its own write of them completes, and that write, landing after
    // the snapshot's deletions, would leave entries below the snapshot that no restart reads.
    if (
      snapshot === null ||
      snapshot.index <= this.log.snapshotIndex ||
      snapshot.index > this.commitIndex ||
      snapshot.index > this.persistedIndex ||
      this.log.termAt(snapshot.index) !== snapshot.term ||
      chain === undefined
    ) {
      this.compacting = false;
      return;
    }
    const meta: SnapshotMeta = {
      lastIndex: snapshot.index,
      lastTerm: snapshot.term,
      membership: this.configs.at(snapshot.index),
      chain,
    };
    this.ctx
      .request<MessageOf<StorageMessage, 'save-snapshot'>>(
        STORAGE,
        { type: 'save-snapshot', meta, data: snapshot.data, discardLog: false },
        { timeoutMs: STORAGE_TIMEOUT_MS },
      )
      .then(
        (saved) => this.ctx.self({ type: 'snapshot-saved', meta: saved }),
        (error: unknown) => this.ctx.self({ type: 'storage-failed', error: String(error) }),
      );
  }

  private requestSnapshotChunk(peer: ReplicaId, lastIndex: number, offset: number): void {
    this.ctx
      .request<MessageOf<StorageMessage, 'read-snapshot-chunk'>>(
        STORAGE,
        { type: 'read-snapshot-chunk', lastIndex, offset, maxBytes: this.raft.snapshotChunkBytes },
        { timeoutMs: STORAGE_TIMEOUT_MS },
      )
      .then(
        (chunk) => this.ctx.self({ type: 'snapshot-chunk', peer, offset, chunk }),
        () => this.ctx.self({ type: 'snapshot-chunk', peer, offset, chunk: null }),
      );
  }

  /** Leader: the next chunk of the snapshot a follower is receiving. */
  private onSnapshotChunk(peer: ReplicaId, offset: number, chunk: SnapshotChunk | null): void {
    const progress = this.role === 'leader' ? this.progress.get(peer) : undefined;
    const decision = decideChunkRead(progress?.snapshot, chunk);
    if (decision.action === 'ignore' || progress === undefined) return;
    if (decision.action === 'restart' || chunk === null) {
      progress.abortSnapshot(); // the next append starts over with the current snapshot
      return;
    }
    this.snapshotCounters.chunksSent++;
    this.send({
      type: 'install-snapshot',
      term: this.term,
      from: this.raft.self,
      to: peer,
      meta: chunk.meta,
      offset,
      chunk: chunk.chunk,
      done: chunk.done,
    });
  }

  private onInstallSnapshotResponse(m: InstallSnapshotResponse): void {
    const progress = this.role === 'leader' ? this.progress.get(m.from) : undefined;
    if (progress === undefined) return;
    progress.heard();
    const step = snapshotResponseStep(progress.snapshot, m);
    if (step.action === 'installed') {
      progress.onSnapshotInstalled(step.lastIndex);
      this.maybeCommit();
      this.sendAppend(m.from, progress, false);
      return;
    }
    if (step.action === 'next-chunk' && progress.snapshot !== undefined) {
      progress.snapshot.nextOffset = step.offset;
      this.requestSnapshotChunk(m.from, step.lastIndex, step.offset);
    }
  }

  /** Follower: InstallSnapshot receiver (Figure 13), chunk by chunk. */
  private onInstallSnapshot(m: InstallSnapshot): void {
    if (this.role === 'leader') {
      throw new Error(`election safety: ${m.from} and ${this.raft.self} both lead term ${m.term}`);
    }
    this.leaderId = m.from;
    if (this.installing !== undefined) return;
    const respond = (installed: boolean, nextOffset: number, lastIndex: number) =>
      this.send({
        type: 'install-snapshot-response',
        term: this.term,
        from: this.raft.self,
        to: m.from,
        installed,
        nextOffset,
        lastIndex,
      });
    const outcome = this.incoming.receive(m, this.commitIndex);
    switch (outcome.kind) {
      case 'already-held':
        respond(true, 0, m.meta.lastIndex);
        return;
      case 'unexpected':
        respond(false, outcome.nextOffset, 0);
        return;
      case 'too-large':
        this.ctx.log.error({ bytes: outcome.bytes }, 'snapshot larger than the limit; refusing it');
        respond(false, 0, 0);
        return;
      case 'more':
        respond(false, outcome.nextOffset, 0);
        return;
      case 'complete':
        break;
    }
    const data = outcome.data;
    // Figure 13 (6)-(7): keep the log after the snapshot if it agrees there, else discard it all.
    const discardLog = this.log.termAt(m.meta.lastIndex) !== m.meta.lastTerm;
    this.installing = { leader: m.from, term: this.term };
    this.ctx
      .request<MessageOf<StorageMessage, 'save-snapshot'>>(
        STORAGE,
        { type: 'save-snapshot', meta: m.meta, data, discardLog },
        { timeoutMs: STORAGE_TIMEOUT_MS },
      )
      .then(
        () => this.ctx.self({ type: 'snapshot-installed', meta: m.meta, data, discardLog }),
        (error: unknown) => this.ctx.self({ type: 'storage-failed', error: String(error) }),
      );
  }

  private onSnapshotInstalled(meta: SnapshotMeta, data: Uint8Array, discardLog: boolean): void {
    const installing = this.installing;
    this.installing = undefined;
    if (meta.lastIndex <= this.log.snapshotIndex) return;
    if (discardLog) {
      this.log.resetTo(meta.lastIndex, meta.lastTerm, meta.chain);
      this.persistedIndex = meta.lastIndex;
      for (const write of this.inflightWrites) write.floor = Math.min(write.floor, meta.lastIndex + 1);
    } else {
      this.log.compactTo(meta.lastIndex);
    }
    this.configs.compactTo(meta.lastIndex);
    this.configs.reset(meta.membership);
    this.announceMembership();
    this.snapshotCounters.installed++;
    if (meta.lastIndex > this.commitIndex) this.commitIndex = meta.lastIndex;
    // The state machine replaces its state; applying continues after the snapshot (the
    // restore is retried with the applies if its mailbox is full).
    this.pendingRestore = { meta, data };
    this.appliedSent = meta.lastIndex;
    this.sendApplies();
    if (installing !== undefined && installing.term === this.term) {
      this.send({
        type: 'install-snapshot-response',
        term: this.term,
        from: this.raft.self,
        to: installing.leader,
        installed: true,
        nextOffset: data.length,
        lastIndex: meta.lastIndex,
      });
    }
  }
}

/** Entries must follow prevLogIndex one by one, in terms no later than the message's. */
function wellFormed(m: AppendEntries): boolean {
  let expected = m.prevLogIndex + 1;
  let term = m.prevLogTerm;
  for (const entry of m.entries) {
    if (entry.index !== expected || entry.term < term || entry.term > m.term) return false;
    expected++;
    term = entry.term;
  }
  return true;
}

export const createLogActor: ActorFactory<LogMessage, LogActorOptions> = (ctx, options) =>
  new LogActor(ctx, options);
