/**
 * A TSIG key (RFC 8945 §3): a name both parties know it by, an algorithm, and a shared
 * secret. The key's name is the owner of every TSIG record made with it, and a key is
 * found by that name (compared case-insensitively, RFC 4343).
 */

import type { Name } from '../wire/name.js';
import { DEFAULT_TSIG_ALGORITHM, type TsigAlgorithm } from './algorithm.js';

/** Secrets longer than this are refused: HMAC hashes them down anyway, and a bound keeps key files sane. */
export const TSIG_SECRET_OCTETS_MAX = 1024;

export interface TsigKey {
  readonly name: Name;
  readonly algorithm: TsigAlgorithm;
  readonly secret: Uint8Array;
}

/** Keys by name, as a receiver looks them up. */
export type TsigKeyring = ReadonlyMap<string, TsigKey>;

/** A key; throws `RangeError` for an empty secret or one over `TSIG_SECRET_OCTETS_MAX`. */
export function makeTsigKey(
  name: Name,
  secret: Uint8Array,
  algorithm: TsigAlgorithm = DEFAULT_TSIG_ALGORITHM,
): TsigKey {
  if (secret.length === 0 || secret.length > TSIG_SECRET_OCTETS_MAX)
    throw new RangeError(`TSIG secret of ${secret.length} octets (1 ..= ${TSIG_SECRET_OCTETS_MAX})`);
  return { name, algorithm, secret };
}

/** A keyring holding `keys`, found by their names' canonical keys. */
export function makeKeyring(keys: Iterable<TsigKey>): TsigKeyring {
  const ring = new Map<string, TsigKey>();
  for (const key of keys) ring.set(key.name.key, key);
  return ring;
}
