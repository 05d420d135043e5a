/**
 * Signs the NATS server's connect nonce with an nkey user seed using Node's native Ed25519
 * (OpenSSL), not the pure-JavaScript implementation nats.js uses: that one derives the key
 * pair from the seed and signs in 20–300 ms when a replica's threads all reconnect at once
 * on a loaded machine (cold JIT, two cores), which alone outlasts Raft's CheckQuorum window
 * (150 ms) after the loss of one NATS server. Native signing takes tens of microseconds.
 *
 * The signature is the same: Ed25519 is deterministic (RFC 8032 §5.1.6), so for one seed
 * and nonce both produce identical bytes (nkey-signer.spec.ts checks it).
 */

import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { nkeys } from './nats-transport.js';

export interface NkeySigner {
  /** The user's public key, `U…`, as the server's authorization lists it. */
  readonly publicKey: string;
  /** The seed this signer was made from (to tell whether a re-read file changed it). */
  readonly seed: string;
  /** The signature of `nonce` in the encoding the NATS CONNECT message carries (base64). */
  signNonce(nonce: string): string;
}

/** PKCS#8 DER prefix of an Ed25519 private key, followed by the 32-byte seed (RFC 8410 §7). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** An encoded nkey seed: two prefix bytes, the 32-byte Ed25519 seed, a CRC-16 (58 base32 characters). */
const SEED_BYTES = 36;
const RAW_SEED_OFFSET = 2;
const RAW_SEED_BYTES = 32;

/**
 * A signer for `seed` (`SU…`). Throws on a malformed seed; nkeys validates its prefix and
 * checksum, once, here (its key derivation is slow, which is why it runs once per seed).
 */
export function nkeySigner(seed: string): NkeySigner {
  const pair = nkeys.fromSeed(new TextEncoder().encode(seed));
  const publicKey = pair.getPublicKey();
  const raw = base32Decode(seed);
  if (raw.length !== SEED_BYTES) throw new RangeError('nkey seed: unexpected length');
  const key: KeyObject = createPrivateKey({
    key: Buffer.concat([
      ED25519_PKCS8_PREFIX,
      raw.subarray(RAW_SEED_OFFSET, RAW_SEED_OFFSET + RAW_SEED_BYTES),
    ]),
    format: 'der',
    type: 'pkcs8',
  });
  return {
    publicKey,
    seed,
    signNonce: (nonce) => sign(null, Buffer.from(nonce, 'utf8'), key).toString('base64'),
  };
}

/** RFC 4648 §6 base32 without padding, as nkeys encode seeds. */
function base32Decode(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const digit = BASE32_ALPHABET.indexOf(char);
    if (digit < 0) throw new RangeError('nkey seed: not base32');
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}
