/**
 * `Idempotency-Key` for the API's writes, at one replica: the first request with a given
 * (API key, Idempotency-Key) runs; a repeat with the same request (zone, body, If-Match)
 * gets the first one's answer without running again (waiting for it if it is still
 * running); a repeat with another request is refused (422). Answers the client may retry
 * (5xx: the write may not have happened) are forgotten, so the retry runs.
 *
 * Bounded: entries live `TTL_MS` and at most `ENTRIES_MAX` are kept (the oldest go first).
 * The cache is this replica's: a retry sent to another replica runs again (a REPLACE
 * writes the same RRset again; only a retried `If-Match` would then see 412).
 */
import { createHash } from 'node:crypto';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_ENTRIES_MAX = 10_000;
export const IDEMPOTENCY_KEY_CHARS_MAX = 255;

export interface StoredAnswer {
  readonly status: number;
  /** `{"error": …}` for an error, null for 204. */
  readonly body: { readonly error: string } | null;
}

interface Entry {
  readonly fingerprint: string;
  readonly answer: Promise<StoredAnswer>;
  readonly atMs: number;
}

export type IdempotentRun =
  | { readonly kind: 'ran'; readonly answer: StoredAnswer }
  | { readonly kind: 'replayed'; readonly answer: StoredAnswer }
  | { readonly kind: 'mismatch' };

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly nowMs: () => number) {}

  /** Runs `run` once per (`owner`, `key`) and `request` (see the header). */
  async once(
    owner: string,
    key: string,
    request: unknown,
    run: () => Promise<StoredAnswer>,
  ): Promise<IdempotentRun> {
    const id = `${owner}\u0000${key}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const now = this.nowMs();
    const found = this.entries.get(id);
    if (found !== undefined && now - found.atMs < IDEMPOTENCY_TTL_MS) {
      if (found.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return { kind: 'replayed', answer: await found.answer };
    }
    this.entries.delete(id);
    while (this.entries.size >= IDEMPOTENCY_ENTRIES_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const answer = run();
    this.entries.set(id, { fingerprint, answer, atMs: now });
    const settled = await answer.catch((error: unknown) => {
      this.entries.delete(id);
      throw error;
    });
    if (settled.status >= 500) this.entries.delete(id);
    return { kind: 'ran', answer: settled };
  }
}
