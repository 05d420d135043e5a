import type { RaftLog } from '../../actors/log/raft-log.js';
import type { Simulator } from '../../runtime/sim/simulator.js';

/** What the log actor's `inspect()` shows; in the simulator `log` is the live object. */
export interface LogView {
  readonly term: number;
  readonly role: 'follower' | 'leader';
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly log: RaftLog;
}

interface Committed {
  readonly chain: number;
  /** The term of the replica that first reported it committed: it was committed in that term or earlier. */
  readonly commitTerm: number;
}

/**
 * Raft's safety properties (paper Figure 3), checked after every simulation step from the
 * replicas' live logs. The logs' hash chains make each check O(changes), not O(log):
 * equal chains at an index mean equal logs up to it.
 *
 * - Election Safety: at most one leader per term.
 * - Leader Append-Only: a leader never overwrites or deletes entries in its log.
 * - Log Matching: two logs with an entry of the same index and term are identical up to it.
 * - Leader Completeness: a leader holds every entry committed in an earlier term.
 * - State Machine Safety: no two replicas commit (hence apply) different entries at an index.
 */
export class RaftInvariants {
  private readonly leaderOfTerm = new Map<number, string>();
  /** index → term → chain, over every entry any replica ever held. */
  private readonly chains = new Map<number, Map<number, number>>();
  private readonly committed = new Map<number, Committed>();
  private maxCommitted = 0;
  private readonly seenLog = new Map<string, RaftLog>();
  private readonly commitSeen = new Map<string, number>();
  private readonly leaderMark = new Map<string, { term: number; index: number; chain: number | undefined }>();
  leadersElected = 0;

  constructor(private readonly replicas: readonly string[]) {}

  check(sim: Simulator): void {
    for (const replica of this.replicas) {
      const view = sim.inspect(replica, 'log') as LogView | undefined;
      if (view === undefined) {
        this.seenLog.delete(replica);
        this.leaderMark.delete(replica);
        continue;
      }
      this.checkElectionSafety(replica, view);
      this.checkLogMatching(replica, view.log);
      this.checkCommitted(replica, view);
      this.checkLeaderCompleteness(replica, view);
      this.checkLeaderAppendOnly(replica, view);
    }
  }

  private checkElectionSafety(replica: string, view: LogView): void {
    if (view.role !== 'leader') return;
    const leader = this.leaderOfTerm.get(view.term);
    if (leader === undefined) {
      this.leaderOfTerm.set(view.term, replica);
      this.leadersElected++;
    } else if (leader !== replica) {
      throw new Error(`Election Safety: ${leader} and ${replica} both lead term ${view.term}`);
    }
  }

  private checkLogMatching(replica: string, log: RaftLog): void {
    let from: number;
    if (this.seenLog.get(replica) !== log) {
      this.seenLog.set(replica, log);
      log.takeModifiedFrom();
      from = log.firstIndex;
      this.commitSeen.set(replica, 0);
    } else {
      from = Math.max(log.takeModifiedFrom(), log.firstIndex);
    }
    for (let index = from; index <= log.lastIndex; index++) {
      const term = log.termAt(index) as number;
      const chain = log.chainAt(index) as number;
      let byTerm = this.chains.get(index);
      if (byTerm === undefined) {
        byTerm = new Map();
        this.chains.set(index, byTerm);
      }
      const known = byTerm.get(term);
      if (known === undefined) byTerm.set(term, chain);
      else if (known !== chain) {
        throw new Error(
          `Log Matching: ${replica} holds index ${index} term ${term} with a different history before it`,
        );
      }
    }
  }

  private checkCommitted(replica: string, view: LogView): void {
    const log = view.log;
    const from = Math.max((this.commitSeen.get(replica) ?? 0) + 1, log.firstIndex);
    const to = Math.min(view.commitIndex, log.lastIndex);
    for (let index = from; index <= to; index++) {
      const chain = log.chainAt(index) as number;
      const known = this.committed.get(index);
      if (known === undefined) {
        this.committed.set(index, { chain, commitTerm: view.term });
        if (index > this.maxCommitted) this.maxCommitted = index;
      } else if (known.chain !== chain) {
        throw new Error(`State Machine Safety: ${replica} committed a different entry at index ${index}`);
      }
    }
    if (to > (this.commitSeen.get(replica) ?? 0)) this.commitSeen.set(replica, to);
  }

  private checkLeaderCompleteness(replica: string, view: LogView): void {
    if (view.role !== 'leader') return;
    // The newest entry committed in an earlier term: by the chain, everything before it comes too.
    for (let index = this.maxCommitted; index >= 1; index--) {
      const committed = this.committed.get(index);
      if (committed === undefined || committed.commitTerm >= view.term) continue;
      if (index < view.log.firstIndex) return;
      if (view.log.chainAt(index) !== committed.chain) {
        throw new Error(
          `Leader Completeness: ${replica} leads term ${view.term} without entry ${index} committed in term ${committed.commitTerm}`,
        );
      }
      return;
    }
  }

  private checkLeaderAppendOnly(replica: string, view: LogView): void {
    if (view.role !== 'leader') {
      this.leaderMark.delete(replica);
      return;
    }
    const mark = this.leaderMark.get(replica);
    if (mark !== undefined && mark.term === view.term) {
      if (view.log.lastIndex < mark.index || view.log.chainAt(mark.index) !== mark.chain) {
        throw new Error(
          `Leader Append-Only: ${replica}, leading term ${view.term}, changed its log at or before ${mark.index}`,
        );
      }
    }
    this.leaderMark.set(replica, {
      term: view.term,
      index: view.log.lastIndex,
      chain: view.log.chainAt(view.log.lastIndex),
    });
  }
}
