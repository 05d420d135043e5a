import { createHash, type Hash } from 'node:crypto';
import { stableSerialize } from './stable-serialize.js';

/** Trace lines kept in memory for a failure report by default; older ones only live on in the hash. */
export const TRACE_LINES_KEPT = 64;
/** A body longer than this is shortened in the recent lines (the hash always sees all of it). */
const RECENT_BODY_CHARS_MAX = 160;

/**
 * The run's fingerprint: one compact canonical line per step (and per crash, log line,
 * fault) fed into an incremental sha256. Two runs with equal hashes took the same steps in
 * the same order with the same message contents; a replayed seed must reproduce it.
 */
export class Trace {
  private readonly hash: Hash = createHash('sha256');
  private readonly recent: string[] = [];
  private next = 0;
  private count = 0;

  constructor(private readonly linesKept: number = TRACE_LINES_KEPT) {
    if (!Number.isInteger(linesKept) || linesKept < 0)
      throw new RangeError(`linesKept must be >= 0, got ${linesKept}`);
  }

  get records(): number {
    return this.count;
  }

  /**
   * Appends one record. Fields are joined with a unit separator; `body` is serialized
   * canonically (sorted keys, bytes in hex).
   */
  record(timeMs: number, kind: string, fields: readonly string[], body?: unknown): void {
    const head = `${timeMs}\x1f${kind}\x1f${fields.join('\x1f')}\x1f`;
    const text = body === undefined ? '' : stableSerialize(body);
    this.hash.update(head);
    this.hash.update(text);
    this.hash.update('\n');
    this.count++;
    if (this.linesKept === 0) return;
    const shown = text.length > RECENT_BODY_CHARS_MAX ? `${text.slice(0, RECENT_BODY_CHARS_MAX)}…` : text;
    const line = `${timeMs}ms ${kind} ${fields.join(' ')} ${shown}`;
    if (this.recent.length < this.linesKept) this.recent.push(line);
    else this.recent[this.next] = line;
    this.next = (this.next + 1) % this.linesKept;
  }

  /** The sha256 of everything recorded so far, as hex; the trace keeps going. */
  hex(): string {
    return this.hash.copy().digest('hex');
  }

  /** The last records, oldest first, human-readable. */
  recentLines(): string[] {
    if (this.recent.length < this.linesKept) return [...this.recent];
    return [...this.recent.slice(this.next), ...this.recent.slice(0, this.next)];
  }
}
