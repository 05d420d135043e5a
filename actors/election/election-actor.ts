import type { ElectionRole } from '../../protocol/election-role.js';
import type { Actor, ActorContext, ActorFactory, MessageMeta } from '../../runtime/actor.js';
import type { MessageOf } from '../../runtime/message.js';
import type { PeerTransport } from '../../runtime/transport.js';
import type { LogMessage, LogPosition } from '../log/protocol.js';
import { LOG, STORAGE } from '../raft/actor-names.js';
import { decodeRaftMessage, encodeRaftMessage } from '../raft/codec.js';
import type { PreVote, RaftMessage, RequestVote } from '../raft/peer-messages.js';
import { hasQuorum } from '../raft/quorum.js';
import type { RaftConfig } from '../raft/raft-config.js';
import { type HardState, isUpToDate, type LogTail, type ReplicaId } from '../raft/types.js';
import type { StorageMessage } from '../storage/protocol.js';
import type { ElectionMessage, ElectionStatus, RaftMessageDropReason } from './protocol.js';

/**
 * The election actor: the single writer of (currentTerm, votedFor), and the replica's
 * front door for Raft traffic. Every peer message passes here first and is gated by term
 * (Figure 2, "Rules for all servers") before the log actor sees it; every message the log
 * actor sends leaves through here and is dropped if this actor has moved to another term.
 *
 * Term and vote are durable (storage answered) before any reply that depends on them, and
 * before the log actor is told of a new term. A vote's up-to-date check (§5.4.1) asks the
 * log actor for its tail *after* the log actor entered the vote's term, so it sees every
 * entry the replica acknowledged, and none can be acknowledged in an older term afterwards.
 *
 * Also: randomized election timeouts (§5.2), PreVote (thesis §9.6), CheckQuorum (thesis
 * §6.2), and leader stickiness: a replica that heard from a live leader within the minimum
 * election timeout ignores vote requests (thesis §4.2.3), which leader leases rely on.
 */
export interface ElectionActorOptions {
  readonly raft: RaftConfig;
}

const STORAGE_TIMEOUT_MS = 10_000;
const LOG_TIMEOUT_MS = 5_000;

class ElectionActor implements Actor<ElectionMessage> {
  private readonly raft: RaftConfig;
  private hardState: HardState = { term: 0, votedFor: null };
  private voters: readonly ReplicaId[];
  /** Every replica ever named in a configuration we saw: who may talk to us at all. */
  private readonly knownPeers = new Set<ReplicaId>();
  /**
   * The configuration lives in the log (thesis §4.1). Until the log actor has told us the
   * newest one since we started, we neither campaign nor count votes: a stale configuration
   * could make two majorities that do not overlap.
   */
  private membershipKnown = false;
  private role: ElectionRole = 'follower';
  private leaderId: ReplicaId | null = null;
  private electionElapsed = 0;
  private randomizedTimeout = 0;
  private ticksSinceLeaderContact = Number.MAX_SAFE_INTEGER;
  /**
   * Ticks since this actor started. A restarted replica may have acknowledged a leader's
   * round just before it went down and forgotten it: it grants no vote for a minimum
   * election timeout, so that leader's lease (thesis §6.4.1) holds across the restart.
   */
  private ticksSinceStart = 0;
  private votes = new Set<ReplicaId>();
  private preVotes = new Set<ReplicaId>();
  /** Peers heard from in this term since the last CheckQuorum (leader only). */
  private recentlyActive = new Set<ReplicaId>();
  private transport: PeerTransport | undefined;
  private readonly counters = { framesDropped: 0, elections: 0, preVotes: 0 };
  private readonly messagesDropped: Record<RaftMessageDropReason, number> = {
    'non-member': 0,
    'non-voter': 0,
    'forged-sender': 0,
    misaddressed: 0,
    unencodable: 0,
  };

  constructor(
    private readonly ctx: ActorContext<ElectionMessage>,
    options: ElectionActorOptions,
  ) {
    this.raft = options.raft;
    this.voters = options.raft.initialVoters;
    for (const voter of this.voters) this.knownPeers.add(voter);
  }

  async start(): Promise<void> {
    const loaded = await this.ctx.request<MessageOf<StorageMessage, 'load'>>(
      STORAGE,
      { type: 'load' },
      {
        timeoutMs: STORAGE_TIMEOUT_MS,
      },
    );
    this.hardState = loaded.hardState;
    // A replica that never left term 0 never acknowledged a leader: nothing to withhold for.
    if (this.hardState.term === 0) this.ticksSinceStart = this.raft.electionTicksMin;
    if (loaded.membership !== null) this.setVoters(loaded.membership.voters);
    this.transport = await this.ctx.openTransport(
      'raft',
      (from, bytes) => ({
        type: 'peer-frame',
        from,
        bytes,
        receivedAtMs: this.ctx.clock.nowMs(),
      }),
      () => ({ type: 'transport-reconnected' }),
    );
    this.resetElectionTimer();
    this.ctx.after(this.raft.tickMs, { type: 'tick' });
    // If the log actor outlived us, it may still lead a term we no longer vouch for.
    this.ctx.send(LOG, { type: 'enter-term', term: this.hardState.term, leaderId: null, campaigning: false });
  }

  async receive(message: ElectionMessage, meta: MessageMeta): Promise<void> {
    switch (message.type) {
      case 'peer-frame':
        await this.onFrame(message.from, message.bytes, message.receivedAtMs);
        return;
      case 'send':
        this.sendFromLog(message.message);
        return;
      case 'hand-over':
        await this.handOver(message.term, message.to);
        return;
      case 'log-started':
        // The log actor lost its volatile state; a leader's state went with it.
        if (this.role === 'leader') this.role = 'follower';
        await this.syncLog(this.leaderId);
        return;
      case 'tick':
        this.ctx.after(this.raft.tickMs, { type: 'tick' });
        await this.onTick();
        return;
      case 'transport-reconnected':
        // Our sends were refused while the connection was down, so followers may have gone
        // a while without a heartbeat and CheckQuorum (thesis §6.2) counts no answers:
        // heartbeat at once rather than at the next heartbeat tick, so the answers reach us
        // and the followers' election timers reset as early as the connection allows.
        if (this.role === 'leader') this.ctx.send(LOG, { type: 'heartbeat-now', term: this.hardState.term });
        return;
      case 'status':
        meta.reply?.ok(this.status());
        return;
      case 'membership':
        this.setVoters(message.membership.voters);
        this.membershipKnown = true;
        return;
      case 'resign':
        if (message.term === this.hardState.term && this.role === 'leader') {
          this.role = 'follower';
          this.leaderId = null;
        }
        return;
      case 'campaign':
        if (this.role === 'leader' || !this.voters.includes(this.raft.self) || !this.membershipKnown) return;
        this.resetElectionTimer();
        if (this.raft.preVote) await this.startPreVote();
        else await this.campaign(false);
        return;
    }
  }

  async stop(): Promise<void> {
    await this.transport?.close();
  }

  inspect(): ElectionStatus {
    return this.status();
  }

  private status(): ElectionStatus {
    const messagesDropped = { ...this.messagesDropped };
    messagesDropped['non-member'] += this.transport?.nonPeerFramesDropped?.() ?? 0;
    return {
      term: this.hardState.term,
      votedFor: this.hardState.votedFor,
      role: this.role,
      leaderId: this.leaderId,
      voters: this.voters,
      messagesDropped,
      ...this.counters,
    };
  }

  // ------------------------------------------------------------------ timers

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.randomizedTimeout = this.ctx.random.intBetween(
      this.raft.electionTicksMin,
      this.raft.electionTicksMax,
    );
  }

  private async onTick(): Promise<void> {
    this.electionElapsed++;
    if (this.ticksSinceStart < this.raft.electionTicksMin) this.ticksSinceStart++;
    if (this.ticksSinceLeaderContact < Number.MAX_SAFE_INTEGER) this.ticksSinceLeaderContact++;
    if (this.role === 'leader') {
      if (this.raft.checkQuorum && this.electionElapsed >= this.raft.electionTicksMin) {
        this.electionElapsed = 0;
        const active = new Set(this.recentlyActive).add(this.raft.self);
        this.recentlyActive.clear();
        if (!hasQuorum(this.voters, active)) {
          this.ctx.log.warn({ term: this.hardState.term }, 'check quorum failed: stepping down');
          this.role = 'follower';
          this.leaderId = null;
          this.ctx.send(LOG, { type: 'step-down', term: this.hardState.term });
        }
      }
      return;
    }
    if (!this.voters.includes(this.raft.self) || !this.membershipKnown) return;
    if (this.electionElapsed >= this.randomizedTimeout) {
      this.resetElectionTimer();
      if (this.raft.preVote) await this.startPreVote();
      else await this.campaign(false);
    }
  }

  /** Thesis §4.2.3: within a minimum election timeout of hearing from a leader, we believe in it. */
  private leaderIsLive(): boolean {
    if (this.role === 'leader') return true;
    return this.leaderId !== null && this.ticksSinceLeaderContact < this.raft.electionTicksMin;
  }

  /** Votes (and pre-votes) other than for a leadership transfer are withheld while this holds. */
  private withholdsVote(): boolean {
    return this.leaderIsLive() || this.ticksSinceStart < this.raft.electionTicksMin;
  }

  // ------------------------------------------------------------------ campaigning

  private async startPreVote(): Promise<void> {
    this.role = 'pre-candidate';
    this.leaderId = null;
    this.preVotes = new Set([this.raft.self]);
    this.counters.preVotes++;
    const tail = await this.askTail();
    if (tail === undefined || this.role !== 'pre-candidate') return;
    if (hasQuorum(this.voters, this.preVotes)) {
      await this.campaign(false);
      return;
    }
    for (const peer of this.peers()) {
      this.sendMessage({
        type: 'pre-vote',
        term: this.hardState.term + 1,
        from: this.raft.self,
        to: peer,
        lastLogIndex: tail.lastIndex,
        lastLogTerm: tail.lastTerm,
      });
    }
  }

  /**
   * §5.2: a new term, a vote for ourselves (durable first), then RequestVote to every peer.
   * `votedBy` is a leader that handed over with its vote for us in this new term (handOver).
   */
  private async campaign(transfer: boolean, votedBy?: ReplicaId): Promise<void> {
    const term = this.hardState.term + 1;
    await this.persist({ term, votedFor: this.raft.self });
    this.role = 'candidate';
    this.leaderId = null;
    this.votes = new Set([this.raft.self]);
    if (votedBy !== undefined) this.votes.add(votedBy);
    this.resetElectionTimer();
    this.counters.elections++;
    const tail = await this.syncLog(null, true);
    if (tail === undefined || this.role !== 'candidate' || this.hardState.term !== term) return;
    if (hasQuorum(this.voters, this.votes)) {
      this.becomeLeader();
      return;
    }
    for (const peer of this.peers()) {
      this.sendMessage({
        type: 'request-vote',
        term,
        from: this.raft.self,
        to: peer,
        lastLogIndex: tail.lastIndex,
        lastLogTerm: tail.lastTerm,
        transfer,
      });
    }
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.raft.self;
    this.recentlyActive.clear();
    this.electionElapsed = 0;
    this.ctx.log.info({ term: this.hardState.term }, 'elected leader');
    this.ctx.send(LOG, { type: 'become-leader', term: this.hardState.term });
  }

  // ------------------------------------------------------------------ incoming

  private async onFrame(from: string, bytes: Uint8Array, receivedAtMs: number): Promise<void> {
    const decoded = decodeRaftMessage(bytes);
    if (!decoded.ok) {
      this.counters.framesDropped++;
      this.ctx.log.debug({ from, error: decoded.error.message }, 'dropped an undecodable frame');
      return;
    }
    const m = decoded.message;
    // A frame must say who it is from truthfully, be for us, and come from a replica of one
    // of our configurations (NATS permissions keep strangers off the subject; this keeps a
    // replica of another group, or a forged envelope, out of this one). Only voters may ask
    // for votes, so a removed replica cannot disrupt the group (thesis §4.2.3); a replica
    // still catching up may answer appends.
    const dropped = this.dropReason(from, m);
    if (dropped !== undefined) {
      if (this.messagesDropped[dropped]++ === 0)
        this.ctx.log.warn({ from, type: m.type, reason: dropped }, 'dropping a peer message');
      return;
    }
    await this.onMessage(m, receivedAtMs);
  }

  private dropReason(from: string, m: RaftMessage): RaftMessageDropReason | undefined {
    if (m.from !== from) return 'forged-sender';
    if (m.to !== this.raft.self) return 'misaddressed';
    if (!this.knownPeers.has(m.from)) return 'non-member';
    if ((m.type === 'pre-vote' || m.type === 'request-vote') && !this.voters.includes(m.from))
      return 'non-voter';
    return undefined;
  }

  private async onMessage(m: RaftMessage, receivedAtMs: number): Promise<void> {
    if (m.type === 'pre-vote') {
      await this.onPreVote(m);
      return;
    }
    if (m.type === 'pre-vote-response') {
      if (m.granted) {
        if (this.role === 'pre-candidate' && m.term === this.hardState.term + 1) {
          this.preVotes.add(m.from);
          if (hasQuorum(this.voters, this.preVotes)) await this.campaign(false);
        }
      } else if (m.term > this.hardState.term) {
        await this.adoptTerm(m.term, null);
      }
      return;
    }
    if (m.term > this.hardState.term) {
      if (m.type === 'request-vote' && !m.transfer && this.withholdsVote()) return; // thesis §4.2.3
      const leader =
        m.type === 'append-entries' || m.type === 'install-snapshot' || m.type === 'timeout-now'
          ? m.from
          : null;
      await this.adoptTerm(m.term, leader);
    } else if (m.term < this.hardState.term) {
      this.rejectStale(m);
      return;
    }
    switch (m.type) {
      case 'request-vote':
        await this.onRequestVote(m);
        return;
      case 'request-vote-response':
        if (this.role === 'candidate' && m.granted) {
          this.votes.add(m.from);
          if (hasQuorum(this.voters, this.votes)) this.becomeLeader();
        }
        return;
      case 'append-entries':
      case 'install-snapshot':
        if (this.role === 'leader') {
          throw new Error(`election safety: ${m.from} and ${this.raft.self} both lead term ${m.term}`);
        }
        if (this.role !== 'follower' || this.leaderId !== m.from) {
          this.role = 'follower';
          this.leaderId = m.from;
          this.ctx.send(LOG, {
            type: 'enter-term',
            term: this.hardState.term,
            leaderId: m.from,
            campaigning: false,
          });
        }
        this.electionElapsed = 0;
        this.ticksSinceLeaderContact = 0;
        this.forward(m, receivedAtMs);
        return;
      case 'append-entries-response':
      case 'install-snapshot-response':
      case 'read-index-response':
        if (this.role === 'leader') this.recentlyActive.add(m.from);
        this.forward(m, receivedAtMs);
        return;
      case 'read-index':
      case 'lease-read-index':
        if (this.role === 'leader') this.recentlyActive.add(m.from);
        this.forward(m, receivedAtMs);
        return;
      case 'timeout-now':
        // Thesis §3.10: the leader hands over; campaign at once, past any stickiness. Its
        // vote, when it sends one, is for the term after m.term: the one we campaign in.
        if (this.role === 'follower' && this.voters.includes(this.raft.self) && this.membershipKnown) {
          await this.campaign(true, m.vote ? m.from : undefined);
        }
        return;
    }
  }

  private forward(message: RaftMessage, receivedAtMs: number): void {
    this.ctx.send(LOG, { type: 'peer', message, receivedAtMs });
  }

  private async onPreVote(m: PreVote): Promise<void> {
    let granted = m.term > this.hardState.term && !this.withholdsVote();
    if (granted) {
      const tail = await this.askTail();
      granted =
        tail !== undefined && isUpToDate({ lastIndex: m.lastLogIndex, lastTerm: m.lastLogTerm }, tail);
    }
    this.sendMessage({
      type: 'pre-vote-response',
      term: granted ? m.term : this.hardState.term,
      from: this.raft.self,
      to: m.from,
      granted,
    });
  }

  /** Figure 2, RequestVote receiver implementation; the vote is durable before the answer leaves. */
  private async onRequestVote(m: RequestVote): Promise<void> {
    const deny = () =>
      this.sendMessage({
        type: 'request-vote-response',
        term: this.hardState.term,
        from: this.raft.self,
        to: m.from,
        granted: false,
      });
    const { votedFor } = this.hardState;
    if (votedFor !== null && votedFor !== m.from) return deny();
    if (!m.transfer && this.withholdsVote()) return deny();
    const tail = await this.askTail();
    if (tail === undefined || !isUpToDate({ lastIndex: m.lastLogIndex, lastTerm: m.lastLogTerm }, tail))
      return deny();
    if (votedFor === null) await this.persist({ term: this.hardState.term, votedFor: m.from });
    this.resetElectionTimer();
    this.sendMessage({
      type: 'request-vote-response',
      term: this.hardState.term,
      from: this.raft.self,
      to: m.from,
      granted: true,
    });
  }

  /** Answers a request from an older term so its sender learns ours; stale answers are dropped. */
  private rejectStale(m: RaftMessage): void {
    const term = this.hardState.term;
    const from = this.raft.self;
    const to = m.from;
    switch (m.type) {
      case 'append-entries':
        this.sendMessage({
          type: 'append-entries-response',
          term,
          from,
          to,
          success: false,
          matchIndex: 0,
          conflictTerm: 0,
          conflictIndex: 0,
          round: m.round,
        });
        return;
      case 'request-vote':
        this.sendMessage({ type: 'request-vote-response', term, from, to, granted: false });
        return;
      case 'install-snapshot':
        this.sendMessage({
          type: 'install-snapshot-response',
          term,
          from,
          to,
          nextOffset: 0,
          installed: false,
          lastIndex: 0,
        });
        return;
      case 'read-index':
      case 'lease-read-index':
        this.sendMessage({
          type: 'read-index-response',
          term,
          from,
          to,
          requestId: m.requestId,
          ok: false,
          readIndex: 0,
        });
        return;
      default:
        return;
    }
  }

  // ------------------------------------------------------------------ term changes

  /** Figure 2: a higher term makes us a follower in it; durable before anything depends on it. */
  private async adoptTerm(term: number, leaderId: ReplicaId | null): Promise<void> {
    await this.enterTermDurably({ term, votedFor: null }, leaderId);
    await this.syncLog(leaderId);
  }

  /** A follower in `hardState.term`, durable first; the log actor is not told yet. */
  private async enterTermDurably(hardState: HardState, leaderId: ReplicaId | null): Promise<void> {
    await this.persist(hardState);
    this.role = 'follower';
    this.leaderId = leaderId;
    this.votes.clear();
    this.preVotes.clear();
    this.recentlyActive.clear();
    if (leaderId !== null) this.ticksSinceLeaderContact = 0;
    this.resetElectionTimer();
  }

  private async persist(hardState: HardState): Promise<void> {
    // A failure here throws: the supervisor restarts us from what is durable.
    await this.ctx.request<MessageOf<StorageMessage, 'save-hard-state'>>(
      STORAGE,
      { type: 'save-hard-state', hardState },
      { timeoutMs: STORAGE_TIMEOUT_MS },
    );
    this.hardState = hardState;
  }

  /**
   * Moves the log actor into our term (`campaigning`: as its candidate); its answer is its
   * tail as of that moment. Undefined if it is down.
   */
  private async syncLog(leaderId: ReplicaId | null, campaigning = false): Promise<LogTail | undefined> {
    try {
      const position = await this.ctx.request<MessageOf<LogMessage, 'enter-term'>>(
        LOG,
        { type: 'enter-term', term: this.hardState.term, leaderId, campaigning },
        { timeoutMs: LOG_TIMEOUT_MS },
      );
      this.adoptPosition(position);
      return position;
    } catch (error) {
      this.ctx.log.warn({ err: error, term: this.hardState.term }, 'log actor unavailable');
      return undefined;
    }
  }

  private async askTail(): Promise<LogTail | undefined> {
    try {
      const position = await this.ctx.request<MessageOf<LogMessage, 'tail'>>(
        LOG,
        { type: 'tail' },
        { timeoutMs: LOG_TIMEOUT_MS },
      );
      this.adoptPosition(position);
      return position;
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------ outgoing

  private peers(): ReplicaId[] {
    return this.voters.filter((v) => v !== this.raft.self);
  }

  /** Every answer from the log carries its configuration: we are never behind what it told us. */
  private adoptPosition(position: LogPosition): void {
    this.setVoters(position.voters);
    this.membershipKnown = true;
  }

  /** Thesis §4.1: the newest configuration in the log applies at once. */
  private setVoters(voters: readonly ReplicaId[]): void {
    this.voters = voters;
    for (const voter of voters) this.knownPeers.add(voter);
    this.transport?.setPeers?.([...this.knownPeers].filter((p) => p !== this.raft.self));
  }

  /**
   * The leader hands leadership to `to` (thesis §3.10), sparing the target one round
   * of votes: it durably votes for the target in the next term and steps down into that term
   * before TimeoutNow leaves, and TimeoutNow says so (`vote`), so the target counts the vote
   * as it campaigns. The §5.4.1 check this vote skips holds by construction: the log actor
   * asks for this only once the target's log matches the leader's whole log, and a leader
   * takes no entries while a transfer is under way, so the two logs are the same. The vote is
   * for a term this replica has not voted in (it leads the one before), and once durable it
   * is never given to another candidate of that term, as any vote.
   */
  private async handOver(term: number, to: ReplicaId): Promise<void> {
    if (term !== this.hardState.term || this.role !== 'leader' || !this.voters.includes(to)) return;
    await this.enterTermDurably({ term: term + 1, votedFor: to }, null);
    this.sendMessage({ type: 'timeout-now', term, from: this.raft.self, to, vote: true });
    await this.syncLog(null);
  }

  /** The log actor's messages leave only in our current term, and leader messages only while we lead. */
  private sendFromLog(message: RaftMessage): void {
    if (message.term !== this.hardState.term) return;
    const leaderOnly = message.type === 'append-entries' || message.type === 'install-snapshot';
    if (leaderOnly && this.role !== 'leader') return;
    if (!this.knownPeers.has(message.to)) {
      // The leader replicates to a replica catching up before it joins (thesis §4.2.1).
      this.knownPeers.add(message.to);
      this.transport?.setPeers?.([...this.knownPeers].filter((p) => p !== this.raft.self));
    }
    this.sendMessage(message);
  }

  private sendMessage(message: RaftMessage): void {
    const encoded = encodeRaftMessage(message);
    if (!encoded.ok) {
      this.messagesDropped.unencodable++;
      this.ctx.log.warn({ type: message.type, error: encoded.error.message }, 'could not encode a message');
      return;
    }
    this.transport?.send(message.to, encoded.bytes);
  }
}

export const createElectionActor: ActorFactory<ElectionMessage, ElectionActorOptions> = (ctx, options) =>
  new ElectionActor(ctx, options);
