/** The API's Idempotency-Key record: once per key and request, replays, mismatches, 5xx forgotten, bounds. */
import { expect } from 'chai';
import {
  IDEMPOTENCY_ENTRIES_MAX,
  IDEMPOTENCY_TTL_MS,
  IdempotencyCache,
  type StoredAnswer,
} from '../../../../runtime/composition/http/idempotency-cache.js';

const ok: StoredAnswer = { status: 204, body: null };

describe('IdempotencyCache', () => {
  it('runs a request once and replays its answer to a repeat, even one arriving while it runs', async () => {
    const cache = new IdempotencyCache(() => 0);
    let runs = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = async () => {
      runs++;
      await gate;
      return ok;
    };
    const first = cache.once('k', 'op', { a: 1 }, run);
    const second = cache.once('k', 'op', { a: 1 }, run);
    release();
    expect(await first).to.deep.equal({ kind: 'ran', answer: ok });
    expect(await second).to.deep.equal({ kind: 'replayed', answer: ok });
    expect(runs).to.equal(1);
  });

  it('refuses the same key for another request, and keeps keys of different API keys apart', async () => {
    const cache = new IdempotencyCache(() => 0);
    await cache.once('k', 'op', { a: 1 }, async () => ok);
    expect((await cache.once('k', 'op', { a: 2 }, async () => ok)).kind).to.equal('mismatch');
    expect((await cache.once('other', 'op', { a: 2 }, async () => ok)).kind).to.equal('ran');
  });

  it('forgets 5xx answers and expired entries, so the retry runs', async () => {
    let now = 0;
    const cache = new IdempotencyCache(() => now);
    await cache.once('k', 'op', {}, async () => ({ status: 503, body: { error: 'later' } }));
    expect((await cache.once('k', 'op', {}, async () => ok)).kind).to.equal('ran');
    expect((await cache.once('k', 'op', {}, async () => ok)).kind).to.equal('replayed');
    now += IDEMPOTENCY_TTL_MS;
    expect((await cache.once('k', 'op', {}, async () => ok)).kind).to.equal('ran');
  });

  it('keeps at most IDEMPOTENCY_ENTRIES_MAX entries, dropping the oldest', async () => {
    const cache = new IdempotencyCache(() => 0);
    for (let i = 0; i <= IDEMPOTENCY_ENTRIES_MAX; i++) await cache.once('k', `op-${i}`, {}, async () => ok);
    expect((await cache.once('k', 'op-0', {}, async () => ok)).kind).to.equal('ran');
    expect((await cache.once('k', `op-${IDEMPOTENCY_ENTRIES_MAX}`, {}, async () => ok)).kind).to.equal(
      'replayed',
    );
  });
});
