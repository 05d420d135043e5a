import {
  type InspectedLog,
  inspectedChainAt,
  inspectedFirstIndex,
  inspectedLastIndex,
  inspectedTermAt,
  type LogInspection,
} from '../../actors/log/log-inspection.js';
import type { Simulator } from '../../runtime/sim/simulator.js';

interface Committed {
  readonly chain: number;
  /** The term of the replica that first reported it committed: it was committed in that term or earlier. */
  readonly commitTerm: number;
}

/**
 * Raft's safety properties (paper Figure 3), checked after every simulation step from the
 * replicas' inspected logs. The logs' hash chains make each check O(changes), not O(log):
 * equal chains at an index mean equal logs up to it, so only the indexes above the highest
 * one whose chain a replica's previous view shows unchanged need checking.
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
  private readonly seenLog = new Map<string, InspectedLog>();
  private readonly commitSeen = new Map<string, number>();
  private readonly leaderMark = new Map<string, { term: number; index: number; chain: number | undefined }>();
  leadersElected = 0;

  constructor(private readonly replicas: readonly string[]) {}

  check(sim: Simulator): void {
    for (const replica of this.replicas) {
      const view = sim.inspect(replica, 'log') as LogInspection | undefined;
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

  private checkElectionSafety(replica: string, view: LogInspection): void {
    if (view.role !== 'leader') return;
    const leader = this.leaderOfTerm.get(view.term);
    if (leader === undefined) {
      this.leaderOfTerm.set(view.term, replica);
      this.leadersElected++;
    } else if (leader !== replica) {
      throw new Error(`Election Safety: ${leader} and ${replica} both lead term ${view.term}`);
    }
  }

  private checkLogMatching(replica: string, log: InspectedLog): void {
    const seen = this.seenLog.get(replica);
    const from = seen === undefined ? inspectedFirstIndex(log) : firstChangedIndex(seen, log);
    if (seen === undefined) this.commitSeen.set(replica, 0);
    // A changed entry at or below what was checked as committed is checked again.
    else if (from <= (this.commitSeen.get(replica) ?? 0)) this.commitSeen.set(replica, from - 1);
    this.seenLog.set(replica, log);
    for (let index = from; index <= inspectedLastIndex(log); index++) {
      const term = inspectedTermAt(log, index) as number;
      const chain = inspectedChainAt(log, index) as number;
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

  private checkCommitted(replica: string, view: LogInspection): void {
    const log = view.log;
    const from = Math.max((this.commitSeen.get(replica) ?? 0) + 1, inspectedFirstIndex(log));
    const to = Math.min(view.commitIndex, inspectedLastIndex(log));
    for (let index = from; index <= to; index++) {
      const chain = inspectedChainAt(log, index) as number;
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

  private checkLeaderCompleteness(replica: string, view: LogInspection): void {
    if (view.role !== 'leader') return;
    // The newest entry committed in an earlier term: by the chain, everything before it comes too.
    for (let index = this.maxCommitted; index >= 1; index--) {
      const committed = this.committed.get(index);
      if (committed === undefined || committed.commitTerm >= view.term) continue;
      if (index < inspectedFirstIndex(view.log)) return;
      if (inspectedChainAt(view.log, index) !== committed.chain) {
        throw new Error(
          `Leader Completeness: ${replica} leads term ${view.term} without entry ${index} committed in term ${committed.commitTerm}`,
        );
      }
      return;
    }
  }

  private checkLeaderAppendOnly(replica: string, view: LogInspection): void {
    if (view.role !== 'leader') {
      this.leaderMark.delete(replica);
      return;
    }
    const mark = this.leaderMark.get(replica);
    if (mark !== undefined && mark.term === view.term) {
      if (
        inspectedLastIndex(view.log) < mark.index ||
        inspectedChainAt(view.log, mark.index) !== mark.chain
      ) {
        throw new Error(
          `Leader Append-Only: ${replica}, leading term ${view.term}, changed its log at or before ${mark.index}`,
        );
      }
    }
    this.leaderMark.set(replica, {
      term: view.term,
      index: inspectedLastIndex(view.log),
      chain: inspectedChainAt(view.log, inspectedLastIndex(view.log)),
    });
  }
}

/**
 * The lowest index of `now` that may differ from `before`: one above the highest index
 * where both show the same hash chain (equal chains mean equal logs up to there).
 */
function firstChangedIndex(before: InspectedLog, now: InspectedLog): number {
  const first = inspectedFirstIndex(now);
  if (before.entries === now.entries && before.snapshotIndex === now.snapshotIndex) {
    return inspectedLastIndex(now) + 1;
  }
  for (let index = Math.min(inspectedLastIndex(before), inspectedLastIndex(now)); index >= first; index--) {
    const chain = inspectedChainAt(now, index);
    if (chain !== undefined && chain === inspectedChainAt(before, index)) return index + 1;
  }
  return first;
}
