/**
 * A zone's digest tree for anti-entropy between regions (protocol/dns/region-repair.ts has
 * the shape): a fixed tree of DIGEST_FANOUT^DIGEST_DEPTH leaves, each owner name in the leaf
 * its key hashes to, each node's digest the XOR of its owners' 64-bit digests. Setting one
 * owner's digest updates the DIGEST_DEPTH + 1 nodes on its path, so the store keeps the tree
 * current at the cost of the owners a batch touched, never a rehash of the zone.
 *
 * Deterministic: the hash is a fixed function of the text (two 32-bit lanes of a
 * multiply-xorshift mix); nothing here reads a clock or randomness.
 */
import { DIGEST_DEPTH, DIGEST_FANOUT, DIGEST_LEAVES } from '../../../protocol/dns/region-repair.js';

/** Index of the first node of each depth in the flat node array. */
const DEPTH_OFFSET: readonly number[] = (() => {
  const offsets: number[] = [];
  let offset = 0;
  for (let depth = 0; depth <= DIGEST_DEPTH; depth++) {
    offsets.push(offset);
    offset += DIGEST_FANOUT ** depth;
  }
  return offsets;
})();
const NODE_COUNT = (DEPTH_OFFSET[DIGEST_DEPTH] as number) + DIGEST_LEAVES;

/** Two 32-bit lanes of a text's hash (independent seeds), as unsigned integers. */
export function hash64(text: string): readonly [number, number] {
  let h1 = 0xdeadbeef ^ text.length;
  let h2 = 0x41c6ce57 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** The leaf an owner (by its case-folded key) belongs to. */
export function leafOf(ownerKey: string): number {
  return hash64(`leaf ${ownerKey}`)[0] % DIGEST_LEAVES;
}

const ZERO = '0000000000000000';

function hex(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

export class ZoneDigest {
  /** Two lanes per node, root first, then each depth in order. */
  readonly #nodes = new Uint32Array(2 * NODE_COUNT);
  readonly #owners = new Map<string, { readonly leaf: number; readonly hi: number; readonly lo: number }>();
  readonly #leafOwners = new Map<number, Set<string>>();

  /** Owners with a digest (with versions regions compare). */
  get ownerCount(): number {
    return this.#owners.size;
  }

  /**
   * Sets the digest of the owner `ownerKey` from its canonical text, or removes it
   * (`text` undefined: the owner has no version regions compare).
   */
  setOwner(ownerKey: string, text: string | undefined): void {
    const previous = this.#owners.get(ownerKey);
    const leaf = previous?.leaf ?? leafOf(ownerKey);
    let dHi = 0;
    let dLo = 0;
    if (previous !== undefined) {
      dHi ^= previous.hi;
      dLo ^= previous.lo;
    }
    if (text === undefined) {
      if (previous === undefined) return;
      this.#owners.delete(ownerKey);
      const set = this.#leafOwners.get(leaf);
      set?.delete(ownerKey);
      if (set?.size === 0) this.#leafOwners.delete(leaf);
    } else {
      const [hi, lo] = hash64(`${ownerKey}\n${text}`);
      dHi ^= hi;
      dLo ^= lo;
      this.#owners.set(ownerKey, { leaf, hi, lo });
      let set = this.#leafOwners.get(leaf);
      if (set === undefined) {
        set = new Set();
        this.#leafOwners.set(leaf, set);
      }
      set.add(ownerKey);
    }
    let node = leaf;
    for (let depth = DIGEST_DEPTH; depth >= 0; depth--) {
      const at = 2 * ((DEPTH_OFFSET[depth] as number) + node);
      this.#nodes[at] = ((this.#nodes[at] as number) ^ dHi) >>> 0;
      this.#nodes[at + 1] = ((this.#nodes[at + 1] as number) ^ dLo) >>> 0;
      node = Math.floor(node / DIGEST_FANOUT);
    }
  }

  /** The digest of node `node` at `depth` (0: the root), 16 hex digits; all zeros when empty. */
  node(depth: number, node: number): string {
    const at = 2 * ((DEPTH_OFFSET[depth] as number) + node);
    const value = hex(this.#nodes[at] as number, this.#nodes[at + 1] as number);
    return value === ZERO ? ZERO : value;
  }

  /** The owners (case-folded keys) in `leaf`, sorted. */
  ownersOf(leaf: number): string[] {
    return [...(this.#leafOwners.get(leaf) ?? [])].sort();
  }
}
