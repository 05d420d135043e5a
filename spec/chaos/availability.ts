/**
 * Write unavailability per fault: the longest stretch without an acknowledged write from
 * the moment a fault was applied until writes flow again after it was healed. A stretch
 * that starts inside the fault's window counts for that fault even when it ends after the
 * window (writes resuming late is the fault's cost); the next fault's window starts its own.
 */
import type { FaultLabel } from './schedule.js';

export interface AppliedFault {
  readonly label: FaultLabel;
  /** What was hit: a replica id, `nats n<i>`, or why nothing was (`skipped: ...`). */
  readonly target: string;
  /** When the fault was applied and healed (same clock as the acknowledgements). */
  readonly appliedAt: number;
  readonly healedAt: number;
  /**
   * The highest Raft term the replicas reported just before the fault and just before the
   * next one (or the end of the run), when they answered: a difference is an election the
   * fault caused.
   */
  readonly termBefore?: number;
  readonly termAfter?: number;
}

/** Longest write gap starting in [fault.appliedAt, windowEnd), in ms. */
export function writeGapMs(acks: readonly number[], from: number, windowEnd: number): number {
  let previous = from;
  let longest = 0;
  for (const at of acks) {
    if (at <= from) continue;
    longest = Math.max(longest, at - previous);
    previous = at;
    if (at >= windowEnd) return longest;
  }
  // Writes never resumed: the gap lasts to the end of the window.
  return Math.max(longest, windowEnd - previous);
}

/**
 * The longest gap per fault label, each fault's window ending where the next fault starts
 * (the last one's at `endedAt`). `acks` must be ascending.
 */
export function longestGapByLabel(
  acks: readonly number[],
  faults: readonly AppliedFault[],
  endedAt: number,
): Map<FaultLabel, number> {
  const longest = new Map<FaultLabel, number>();
  for (const [label, gaps] of gapsByLabel(acks, faults, endedAt)) longest.set(label, Math.max(...gaps));
  return longest;
}

/** Every applied fault's write gap, per label, in the order applied. */
export function gapsByLabel(
  acks: readonly number[],
  faults: readonly AppliedFault[],
  endedAt: number,
): Map<FaultLabel, number[]> {
  const gaps = new Map<FaultLabel, number[]>();
  faults.forEach((fault, i) => {
    if (fault.target.startsWith('skipped')) return;
    const windowEnd = faults[i + 1]?.appliedAt ?? endedAt;
    const gap = writeGapMs(acks, fault.appliedAt, windowEnd);
    gaps.set(fault.label, [...(gaps.get(fault.label) ?? []), gap]);
  });
  return gaps;
}

/** The median (the lower middle of an even count); 0 for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** Per label: how many applied faults were followed by a higher term, of how many whose terms are known. */
export function electionsByLabel(
  faults: readonly AppliedFault[],
): Map<FaultLabel, { elections: number; of: number }> {
  const counts = new Map<FaultLabel, { elections: number; of: number }>();
  for (const fault of faults) {
    if (fault.target.startsWith('skipped') || fault.termBefore === undefined || fault.termAfter === undefined)
      continue;
    const count = counts.get(fault.label) ?? { elections: 0, of: 0 };
    counts.set(fault.label, {
      elections: count.elections + (fault.termAfter > fault.termBefore ? 1 : 0),
      of: count.of + 1,
    });
  }
  return counts;
}

/** The longest stretch between two acknowledgements inside [from, to]: the noise without faults. */
export function longestGapWithin(acks: readonly number[], from: number, to: number): number {
  let previous: number | undefined;
  let longest = 0;
  for (const at of acks) {
    if (at < from) continue;
    if (at > to) break;
    if (previous !== undefined) longest = Math.max(longest, at - previous);
    previous = at;
  }
  return longest;
}
