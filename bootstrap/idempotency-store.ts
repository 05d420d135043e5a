/**
 * The HTTP API's `Idempotency-Key` records, shared by every replica of every region, in a
 * NATS KV bucket next to the plan (`raftns-<cluster>-idempotency`) whose entries expire
 * after 24 h (the bucket's max age). A write with a key first *claims* its record (a KV
 * create: exactly one claimant wins, on whichever replica), runs, then stores its answer;
 * a retry, to any replica, finds the record and gets that answer instead of writing again.
 *
 * Records are keyed by a hash of (API key name, Idempotency-Key), so the bucket's keys obey
 * KV's character rules whatever the client sent, and hold the request's fingerprint, so a
 * key reused for another request is told apart. Whoever may write the bucket may forge an
 * answer: the cluster's NATS credentials guard it, as they guard the API keys.
 */
import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '../runtime/nats/nats-jetstream.js';
import { Kvm } from '../runtime/nats/nats-kv.js';
import { KV_TIMEOUT_MS } from './plan-store.js';

export const IDEMPOTENCY_RECORD_TTL_MS = 24 * 60 * 60 * 1000;
/** A record holds at most this much (an answer's error text is short). */
const RECORD_BYTES_MAX = 8 * 1024;

export function idempotencyBucket(cluster: string): string {
  return `raftns-${cluster}-idempotency`;
}

export interface SharedAnswer {
  readonly status: number;
  readonly body: { readonly error: string } | null;
}

export type IdempotencyRecord =
  | { readonly state: 'running'; readonly fingerprint: string }
  | { readonly state: 'done'; readonly fingerprint: string; readonly answer: SharedAnswer };

export type IdempotencyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'held'; readonly record: IdempotencyRecord };

function parseRecord(text: string): IdempotencyRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (typeof value.fingerprint !== 'string') return undefined;
    if (value.state === 'running') return { state: 'running', fingerprint: value.fingerprint };
    const answer = value.answer as Partial<SharedAnswer> | undefined;
    if (value.state === 'done' && answer !== undefined && Number.isInteger(answer.status))
      return {
        state: 'done',
        fingerprint: value.fingerprint,
        answer: { status: answer.status as number, body: (answer.body as SharedAnswer['body']) ?? null },
      };
  } catch {
    // not a record: treated as absent
  }
  return undefined;
}

export class IdempotencyStore {
  private constructor(readonly kv: KV) {}

  static async open(nc: NatsConnection, cluster: string, options: { replicas?: number } = {}) {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new IdempotencyStore(
      await kvm.create(idempotencyBucket(cluster), {
        history: 1,
        ttl: IDEMPOTENCY_RECORD_TTL_MS,
        replicas: options.replicas ?? 1,
        maxValueSize: RECORD_BYTES_MAX,
      }),
    );
  }

  /** The bucket key of (API key name, Idempotency-Key). */
  static recordKey(owner: string, key: string): string {
    return createHash('sha256').update(`${owner}\u0000${key}`).digest('base64url');
  }

  /** Claims the record for a request with this fingerprint, or returns the record someone holds. */
  async claim(recordKey: string, fingerprint: string): Promise<IdempotencyClaim> {
    try {
      await this.kv.create(recordKey, JSON.stringify({ state: 'running', fingerprint }));
      return { kind: 'claimed' };
    } catch (error) {
      if (!String(error).includes('wrong last sequence')) throw error;
    }
    const record = await this.read(recordKey);
    // Deleted between our create and read (a released claim): claim again once.
    if (record === undefined) {
      await this.kv.create(recordKey, JSON.stringify({ state: 'running', fingerprint }));
      return { kind: 'claimed' };
    }
    return { kind: 'held', record };
  }

  async read(recordKey: string): Promise<IdempotencyRecord | undefined> {
    const entry = await this.kv.get(recordKey);
    return entry === null || entry.operation !== 'PUT' ? undefined : parseRecord(entry.string());
  }

  /** Stores the answer of the claimed request. */
  async finish(recordKey: string, fingerprint: string, answer: SharedAnswer): Promise<void> {
    const body = answer.body === null ? null : { error: answer.body.error.slice(0, 2_000) };
    await this.kv.put(
      recordKey,
      JSON.stringify({ state: 'done', fingerprint, answer: { status: answer.status, body } }),
    );
  }

  /** Gives the claim up (the request may be retried and run). */
  async release(recordKey: string): Promise<void> {
    await this.kv.delete(recordKey);
  }
}
