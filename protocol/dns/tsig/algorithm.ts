/**
 * TSIG algorithms (RFC 8945 §6): HMAC with the hash functions of the IANA "TSIG Algorithm
 * Names" registry, computed with `node:crypto`.
 *
 * Each algorithm is named by a domain name on the wire; hmac-sha256 is the default (the
 * one RFC 8945 §6 says implementations MUST support besides hmac-sha1, and the one BIND's
 * `tsig-keygen` picks). A MAC may be truncated (§5.2.2.1) to no fewer octets than the
 * larger of 10 and half the hash's output.
 */
import { createHmac, type Hmac } from 'node:crypto';
import { Name } from '../wire/name.js';

export const TSIG_ALGORITHMS = [
  'hmac-sha256',
  'hmac-sha512',
  'hmac-sha384',
  'hmac-sha224',
  'hmac-sha1',
  'hmac-md5.sig-alg.reg.int',
] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export const DEFAULT_TSIG_ALGORITHM: TsigAlgorithm = 'hmac-sha256';

interface AlgorithmInfo {
  /** The `node:crypto` hash name. */
  readonly hash: string;
  /** Octets of the full MAC. */
  readonly macOctets: number;
  /** The algorithm's name as it appears in the TSIG RDATA. */
  readonly wireName: Name;
}

const INFO: Readonly<Record<TsigAlgorithm, AlgorithmInfo>> = {
  'hmac-sha256': { hash: 'sha256', macOctets: 32, wireName: Name.parse('hmac-sha256.') },
  'hmac-sha512': { hash: 'sha512', macOctets: 64, wireName: Name.parse('hmac-sha512.') },
  'hmac-sha384': { hash: 'sha384', macOctets: 48, wireName: Name.parse('hmac-sha384.') },
  'hmac-sha224': { hash: 'sha224', macOctets: 28, wireName: Name.parse('hmac-sha224.') },
  'hmac-sha1': { hash: 'sha1', macOctets: 20, wireName: Name.parse('hmac-sha1.') },
  'hmac-md5.sig-alg.reg.int': {
    hash: 'md5',
    macOctets: 16,
    wireName: Name.parse('hmac-md5.sig-alg.reg.int.'),
  },
};

const BY_KEY = new Map<string, TsigAlgorithm>(TSIG_ALGORITHMS.map((a) => [INFO[a].wireName.key, a]));

/** The algorithm a wire name denotes (case-insensitive), or undefined for one we do not implement. */
export function algorithmFromName(name: Name): TsigAlgorithm | undefined {
  return BY_KEY.get(name.key);
}

/**
 * The algorithm for its text form as BIND writes it: `hmac-sha256`, with or without the
 * trailing dot, any case; `hmac-md5` is accepted for `hmac-md5.sig-alg.reg.int`.
 */
export function parseTsigAlgorithm(text: string): TsigAlgorithm | undefined {
  const lower = text.toLowerCase().replace(/\.$/, '');
  if (lower === 'hmac-md5') return 'hmac-md5.sig-alg.reg.int';
  return (TSIG_ALGORITHMS as readonly string[]).includes(lower) ? (lower as TsigAlgorithm) : undefined;
}

export function algorithmWireName(algorithm: TsigAlgorithm): Name {
  return INFO[algorithm].wireName;
}

export function fullMacOctets(algorithm: TsigAlgorithm): number {
  return INFO[algorithm].macOctets;
}

/** RFC 8945 §5.2.2.1 rule 3: the shortest MAC that may be sent, max(10, output / 2). */
export function minimumMacOctets(algorithm: TsigAlgorithm): number {
  return Math.max(10, Math.ceil(INFO[algorithm].macOctets / 2));
}

/** A fresh HMAC computation keyed with `secret`. */
export function startMac(algorithm: TsigAlgorithm, secret: Uint8Array): Hmac {
  return createHmac(INFO[algorithm].hash, secret);
}
