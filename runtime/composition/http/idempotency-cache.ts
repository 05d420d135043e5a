/**
 * `Idempotency-Key` for the API's writes: the first request with a given (API key,
 * Idempotency-Key) runs; a repeat with the same request (zone, body, If-Match) gets the
 * first one's answer without running again (waiting for it if it is still running); a
 * repeat with another request is refused (422). Answers the client may retry (5xx: the
 * write may not have happened) are forgotten, so the retry runs.
 *
 * Two layers. This replica's cache answers repeats that reach it, and waits on a first
 * request still running here. The cluster's shared records (bootstrap/idempotency-store.ts,
 * when given) make it exactly-once across replicas and regions: a request claims the
 * shared record before it runs, so a retry sent to another replica finds the claim and
 * waits for the answer (at most `SHARED_WAIT_MS`, then 409: still running) instead of
 * writing again. When the shared records cannot be reached the request is not run (503):
 * running it could write twice.
 *
 * Bounded: local entries live `IDEMPOTENCY_TTL_MS` and at most `IDEMPOTENCY_ENTRIES_MAX` are
 * kept (the oldest go first); shared records expire after the same 24 h.
 */
import { createHash } from 'node:crypto';
import { IdempotencyStore } from '../../../bootstrap/idempotency-store.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_ENTRIES_MAX = 10_000;
export const IDEMPOTENCY_KEY_CHARS_MAX = 255;
/** How long a repeat waits for a first request running on another replica. */
export const SHARED_WAIT_MS = 10_000;
const SHARED_POLL_MS = 100;
/** Claims tried per request when earlier claimants keep releasing theirs. */
const SHARED_ATTEMPTS_MAX = 3;

export interface StoredAnswer {
  readonly status: number;
  /** `{"error": …}` for an error, null for 204. */
  readonly body: { readonly error: string } | null;
}

interface Outcome {
  readonly answer: StoredAnswer;
  /** True when the answer is an earlier request's (no write ran for this one). */
  readonly replayed: boolean;
  readonly mismatch: boolean;
}

interface Entry {
  readonly fingerprint: string;
  readonly outcome: Promise<Outcome>;
  readonly atMs: number;
}

export type IdempotentRun =
  | { readonly kind: 'ran'; readonly answer: StoredAnswer }
  | { readonly kind: 'replayed'; readonly answer: StoredAnswer }
  | { readonly kind: 'mismatch' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly nowMs: () => number,
    /** Opens the cluster's shared records (rejects when it cannot); absent: this replica's cache alone. */
    private readonly shared?: () => Promise<IdempotencyStore>,
  ) {}

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
      const outcome = await found.outcome;
      return outcome.mismatch ? { kind: 'mismatch' } : { kind: 'replayed', answer: outcome.answer };
    }
    this.entries.delete(id);
    while (this.entries.size >= IDEMPOTENCY_ENTRIES_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const outcome = this.runShared(IdempotencyStore.recordKey(owner, key), fingerprint, run);
    this.entries.set(id, { fingerprint, outcome, atMs: now });
    const settled = await outcome.catch((error: unknown) => {
      this.entries.delete(id);
      throw error;
    });
    // 5xx and 409 (still running elsewhere) are worth retrying: not kept.
    if (settled.answer.status >= 500 || settled.answer.status === 409 || settled.mismatch)
      this.entries.delete(id);
    if (settled.mismatch) return { kind: 'mismatch' };
    return settled.replayed
      ? { kind: 'replayed', answer: settled.answer }
      : { kind: 'ran', answer: settled.answer };
  }

  private async runShared(
    recordKey: string,
    fingerprint: string,
    run: () => Promise<StoredAnswer>,
    attempt = 1,
  ): Promise<Outcome> {
    if (this.shared === undefined) return { answer: await run(), replayed: false, mismatch: false };
    const unavailable = (error: unknown): Outcome => ({
      answer: {
        status: 503,
        body: { error: `Idempotency-Key records unavailable, not run: ${String(error)}` },
      },
      replayed: false,
      mismatch: false,
    });
    let store: IdempotencyStore;
    let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
    try {
      store = await this.shared();
      claim = await store.claim(recordKey, fingerprint);
    } catch (error) {
      return unavailable(error);
    }
    if (claim.kind === 'claimed') {
      let answer: StoredAnswer;
      try {
        answer = await run();
      } catch (error) {
        await store.release(recordKey).catch(() => undefined);
        throw error;
      }
      // A 5xx may not have written: let a retry run. Otherwise keep the answer for retries.
      if (answer.status >= 500) await store.release(recordKey).catch(() => undefined);
      else await store.finish(recordKey, fingerprint, answer).catch(() => undefined);
      return { answer, replayed: false, mismatch: false };
    }
    let record = claim.record;
    const deadline = this.nowMs() + SHARED_WAIT_MS;
    for (;;) {
      if (record.fingerprint !== fingerprint)
        return { answer: { status: 422, body: null }, replayed: false, mismatch: true };
      if (record.state === 'done') return { answer: record.answer, replayed: true, mismatch: false };
      if (this.nowMs() >= deadline)
        return {
          answer: {
            status: 409,
            body: { error: 'a request with this Idempotency-Key is still running: retry later' },
          },
          replayed: false,
          mismatch: false,
        };
      await sleep(SHARED_POLL_MS);
      let next: Awaited<ReturnType<IdempotencyStore['read']>>;
      try {
        next = await store.read(recordKey);
      } catch (error) {
        return unavailable(error);
      }
      // Released (the first request failed with a 5xx): this one may run now.
      if (next === undefined && attempt < SHARED_ATTEMPTS_MAX)
        return this.runShared(recordKey, fingerprint, run, attempt + 1);
      if (next === undefined) return unavailable('claims released again and again');
      record = next;
    }
  }
}
