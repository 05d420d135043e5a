import type { SnapshotMeta } from '../raft/types.js';

/** A snapshot received from a leader may not exceed this (memory bound while it arrives). */
export const MAX_SNAPSHOT_BYTES = 1 << 30;

/** One InstallSnapshot chunk as the follower receives it. */
export interface ReceivedChunk {
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly chunk: Uint8Array;
  readonly done: boolean;
}

/** What the follower answers a chunk with, and whether the snapshot is whole. */
export type ChunkOutcome =
  /** Everything the snapshot covers is committed here already: answer installed. */
  | { readonly kind: 'already-held' }
  /** Not the chunk expected: ask for `nextOffset` (0 restarts the snapshot). */
  | { readonly kind: 'unexpected'; readonly nextOffset: number }
  /** Past `MAX_SNAPSHOT_BYTES`: dropped; the sender starts over. */
  | { readonly kind: 'too-large'; readonly bytes: number }
  /** Accepted: ask for the chunk at `nextOffset`. */
  | { readonly kind: 'more'; readonly nextOffset: number }
  /** The last chunk: the whole snapshot. */
  | { readonly kind: 'complete'; readonly data: Uint8Array };

/**
 * The follower's side of InstallSnapshot (Figure 13 steps 2–5): chunks arrive in offset
 * order, a chunk at offset 0 starts a new snapshot, and the snapshot is whole when the
 * chunk marked `done` arrives. At most `maxBytes` are held.
 */
export class SnapshotAssembly {
  private incoming: { meta: SnapshotMeta; chunks: Uint8Array[]; bytes: number } | undefined;

  constructor(private readonly maxBytes: number = MAX_SNAPSHOT_BYTES) {}

  /** Takes one chunk; `commitIndex` is this replica's, to skip snapshots it already holds. */
  receive(m: ReceivedChunk, commitIndex: number): ChunkOutcome {
    if (m.meta.lastIndex <= commitIndex) {
      // We already hold everything it covers (committed entries are the same everywhere).
      this.incoming = undefined;
      return { kind: 'already-held' };
    }
    if (m.offset === 0) this.incoming = { meta: m.meta, chunks: [], bytes: 0 };
    const incoming = this.incoming;
    if (
      incoming === undefined ||
      incoming.meta.lastIndex !== m.meta.lastIndex ||
      incoming.bytes !== m.offset
    ) {
      return {
        kind: 'unexpected',
        nextOffset: incoming?.meta.lastIndex === m.meta.lastIndex ? incoming.bytes : 0,
      };
    }
    incoming.chunks.push(m.chunk);
    incoming.bytes += m.chunk.length;
    if (incoming.bytes > this.maxBytes) {
      this.incoming = undefined;
      return { kind: 'too-large', bytes: incoming.bytes };
    }
    if (!m.done) return { kind: 'more', nextOffset: incoming.bytes };
    this.incoming = undefined;
    return { kind: 'complete', data: concat(incoming.chunks, incoming.bytes) };
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
