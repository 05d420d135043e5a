import type { SnapshotChunk } from '../storage/protocol.js';

/**
 * The leader's side of InstallSnapshot (§7, Figure 13) for one follower: which snapshot
 * it is sending and the offset the follower expects next. Chunks are read from storage one
 * at a time and sent as each arrives; the follower's answer asks for the next.
 */
export interface SnapshotSending {
  readonly lastIndex: number;
  nextOffset: number;
}

/** §7: the entries a follower needs next are compacted away, so it gets the snapshot instead. */
export function snapshotNeeded(nextIndex: number, snapshotIndex: number): boolean {
  return nextIndex <= snapshotIndex;
}

/** What to do with a chunk storage read for a follower. */
export type ChunkReadDecision =
  /** No snapshot is being sent to it any more (or this replica no longer leads). */
  | { readonly action: 'ignore' }
  /** The snapshot changed meanwhile or could not be read: the next append starts over. */
  | { readonly action: 'restart' }
  | { readonly action: 'send' };

export function decideChunkRead(
  sending: SnapshotSending | undefined,
  chunk: SnapshotChunk | null,
): ChunkReadDecision {
  if (sending === undefined) return { action: 'ignore' };
  if (chunk === null || chunk.meta.lastIndex !== sending.lastIndex) return { action: 'restart' };
  return { action: 'send' };
}

/** What the leader does with a follower's InstallSnapshot response. */
export type SnapshotResponseStep =
  /** It holds everything up to `lastIndex`: replicate from there. */
  | { readonly action: 'installed'; readonly lastIndex: number }
  /** Read and send the chunk of snapshot `lastIndex` at `offset`. */
  | { readonly action: 'next-chunk'; readonly lastIndex: number; readonly offset: number }
  | { readonly action: 'none' };

export function snapshotResponseStep(
  sending: SnapshotSending | undefined,
  response: { readonly installed: boolean; readonly nextOffset: number; readonly lastIndex: number },
): SnapshotResponseStep {
  if (response.installed) return { action: 'installed', lastIndex: response.lastIndex };
  if (sending === undefined) return { action: 'none' };
  return { action: 'next-chunk', lastIndex: sending.lastIndex, offset: response.nextOffset };
}
