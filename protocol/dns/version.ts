/**
 * Record versions: the order in which admin writes to the same RRset win (last writer
 * wins). A version is a hybrid logical clock reading of the writer (wall-clock
 * milliseconds, a counter for writes within one millisecond or while the clock stands
 * behind, and the writer's id to break ties), so versions from different writers are
 * totally ordered and a writer's own versions only grow.
 *
 * The store never reads a clock: versions come inside the changes. `HybridClock` is for
 * writers (clients); its time source is injected.
 */

export interface RecordVersion {
  /** Wall-clock milliseconds as the writer saw them (or the largest it observed). */
  readonly hlcMs: number;
  /** Orders versions within one `hlcMs`. */
  readonly counter: number;
  /** The writer's id: breaks ties between writers. */
  readonly writer: string;
}

export const VERSION_WRITER_CHARS_MAX = 64;

/** The smallest version: what a zone's initial SOA and NS carry, so any write supersedes them. */
export const VERSION_ZERO: RecordVersion = Object.freeze({ hlcMs: 0, counter: 0, writer: '' });

/** Total order: by hlcMs, then counter, then writer (code-unit order). Negative when a < b. */
export function compareVersions(a: RecordVersion, b: RecordVersion): number {
  if (a.hlcMs !== b.hlcMs) return a.hlcMs < b.hlcMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.writer === b.writer) return 0;
  return a.writer < b.writer ? -1 : 1;
}

export function maxVersion(
  a: RecordVersion | undefined,
  b: RecordVersion | undefined,
): RecordVersion | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

/** True for a well-formed version (safe non-negative integers, a writer of 0..=64 chars). */
export function isRecordVersion(value: unknown): value is RecordVersion {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    isSafeNat(v.hlcMs) &&
    isSafeNat(v.counter) &&
    typeof v.writer === 'string' &&
    v.writer.length <= VERSION_WRITER_CHARS_MAX
  );
}

/**
 * Writers whose data each region writes for itself: the delegation reconciler's
 * (`delegation-<instance>`: apex NS, nameserver addresses, glue) and the zone registry
 * reconciler's (`zones-<group>-<region>`: a created zone's SOA and apex NS, the NS at its
 * cut), and the initial SOA and NS of `create-zone` (`VERSION_ZERO`, writer ''). Each region
 * names its own nameservers there, so anti-entropy between regions leaves these versions out
 * (docs/ARCHITECTURE.md, "Anti-entropy between regions").
 */
export const DELEGATION_WRITER_PREFIX = 'delegation-';
export const ZONE_REGISTRY_WRITER_PREFIX = 'zones-';

/** True for a version written by a region for itself (see the prefixes above). */
export function isRegionLocalVersion(v: RecordVersion): boolean {
  return (
    v.writer === '' ||
    v.writer.startsWith(DELEGATION_WRITER_PREFIX) ||
    v.writer.startsWith(ZONE_REGISTRY_WRITER_PREFIX)
  );
}

export function versionToText(v: RecordVersion): string {
  return `${v.hlcMs}.${v.counter}@${v.writer}`;
}

function isSafeNat(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * A writer's hybrid logical clock. `next()` returns a version strictly greater than every
 * version it returned or was shown through `observe()`, even when `nowMs` goes backwards.
 */
export class HybridClock {
  #lastMs = 0;
  #counter = 0;

  constructor(
    readonly writer: string,
    private readonly nowMs: () => number,
  ) {
    if (writer.length === 0 || writer.length > VERSION_WRITER_CHARS_MAX)
      throw new RangeError(`HybridClock: writer must have 1..=${VERSION_WRITER_CHARS_MAX} characters`);
  }

  next(): RecordVersion {
    const now = Math.floor(this.nowMs());
    if (Number.isSafeInteger(now) && now > this.#lastMs) {
      this.#lastMs = now;
      this.#counter = 0;
    } else {
      this.#counter++;
    }
    return { hlcMs: this.#lastMs, counter: this.#counter, writer: this.writer };
  }

  /** Takes in a version seen elsewhere (a read), so the next one is above it. */
  observe(v: RecordVersion): void {
    if (v.hlcMs > this.#lastMs) {
      this.#lastMs = v.hlcMs;
      this.#counter = v.counter;
    } else if (v.hlcMs === this.#lastMs && v.counter > this.#counter) {
      this.#counter = v.counter;
    }
  }
}
