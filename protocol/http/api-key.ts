/**
 * An HTTP API key as the cluster stores it (one value of the `raftns-<cluster>-api-keys`
 * bucket, bootstrap/api-key-store.ts): its name, the SHA-256 of its secret (never the
 * secret), and its scope: every zone or a list of zones, read-write or read-only.
 *
 * A secret is 32 random octets (256 bits: a preimage search is out of reach, so a plain
 * SHA-256 is as good as a slow hash here, and checking a request costs one hash), given to
 * clients as `rns_` + base64url. A request's `X-API-Key` is hashed and looked up by hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Keys one cluster holds at most: each replica keeps them all in memory. */
export const API_KEYS_MAX = 1024;
/** Zones one key may be limited to at most. */
export const API_KEY_ZONES_MAX = 64;
export const API_KEY_SECRET_OCTETS = 32;
const SECRET_PREFIX = 'rns_';
/** Requests per second per key and replica unless the key says otherwise. */
export const API_KEY_RATE_PER_S_DEFAULT = 100;
export const API_KEY_RATE_PER_S_MAX = 100_000;
/** Longest `X-API-Key` value looked at; longer ones are refused without hashing. */
export const API_KEY_HEADER_CHARS_MAX = 256;

/** A key name: also its key in the bucket, so only characters NATS KV keys allow. */
export const API_KEY_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

const apiKeyRecordSchema = z
  .object({
    name: z.string().regex(API_KEY_NAME),
    /** Lowercase hex SHA-256 of the secret's text. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Absolute zone apexes, lowercased; absent: every zone. */
    zones: z.array(z.string().min(1).max(255).endsWith('.')).min(1).max(API_KEY_ZONES_MAX).optional(),
    readOnly: z.boolean(),
    /** Requests per second this key may make at each replica (a burst of twice as many); absent: the default. */
    ratePerS: z.number().int().min(1).max(API_KEY_RATE_PER_S_MAX).optional(),
    /** ISO 8601, for `raftns api-key list`. */
    created: z.string().max(64),
  })
  .strict();

export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

export function parseApiKeyRecord(value: unknown): ApiKeyRecord | undefined {
  const parsed = apiKeyRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A fresh secret and the record that stores its hash. */
export function newApiKey(
  name: string,
  scope: { readonly zones?: readonly string[]; readonly readOnly: boolean; readonly ratePerS?: number },
  created: Date,
): { readonly secret: string; readonly record: ApiKeyRecord } {
  const secret = `${SECRET_PREFIX}${randomBytes(API_KEY_SECRET_OCTETS).toString('base64url')}`;
  const record = parseApiKeyRecord({
    name,
    sha256: hashApiKeySecret(secret),
    ...(scope.zones === undefined
      ? {}
      : { zones: scope.zones.map((z) => (z.endsWith('.') ? z : `${z}.`).toLowerCase()) }),
    readOnly: scope.readOnly,
    ...(scope.ratePerS === undefined ? {} : { ratePerS: scope.ratePerS }),
    created: created.toISOString(),
  });
  if (record === undefined)
    throw new RangeError(
      `invalid API key: the name must match ${API_KEY_NAME}, at most ${API_KEY_ZONES_MAX} zones be given and the rate be 1..${API_KEY_RATE_PER_S_MAX}`,
    );
  return { secret, record };
}

/** Whether `key` may see (and, unless read-only, write) `zone` (absolute, any case). */
export function apiKeyCoversZone(key: ApiKeyRecord, zone: string): boolean {
  return key.zones === undefined || key.zones.includes(zone.toLowerCase());
}
