/**
 * A TSIG key as the cluster stores it (one value of the cluster's TSIG bucket, see
 * bootstrap/tsig-key-store.ts) with its update policy: which zones it may change and,
 * optionally, which owner names (a subtree, as BIND's `update-policy … subdomain` and
 * Knot's ACL `update-owner`) and which types.
 *
 * The record is plain JSON so it can cross NATS KV and reach the DNS actor as a message;
 * the secret is base64 (RFC 4648 §4), as in BIND key files. `parseClusterTsigKey` checks a
 * value read off the wire and never throws; `policyAllows` is the policy's one test.
 */

import { parseRrType, RR_TYPE } from '../wire/codes.js';
import { type Name, parseStoredName } from '../wire/name.js';
import { parseTsigAlgorithm, TSIG_ALGORITHMS, type TsigAlgorithm } from './algorithm.js';
import { makeTsigKey, TSIG_SECRET_OCTETS_MAX, type TsigKey } from './key.js';

/** Keys one cluster holds at most: each replica keeps them all in memory. */
export const CLUSTER_TSIG_KEYS_MAX = 1024;
/** Zones and types one policy may list at most. */
export const POLICY_ZONES_MAX = 64;
export const POLICY_TYPES_MAX = 32;

export interface TsigKeyPolicy {
  /** Absolute zone apexes the key may update (and query signed). At least one. */
  readonly zones: readonly string[];
  /** If present: every updated owner name must be this name or below it. */
  readonly subtree?: string;
  /** If present: every updated RR type must be one of these mnemonics. */
  readonly types?: readonly string[];
}

export interface ClusterTsigKey {
  /** The key's name, absolute, as both ends know it. */
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  /** Base64 of the shared secret. */
  readonly secret: string;
  readonly policy: TsigKeyPolicy;
}

/** A cluster key ready for verification: the TSIG key and its parsed policy. */
export interface ResolvedTsigKey {
  readonly key: TsigKey;
  readonly zones: readonly Name[];
  readonly subtree: Name | undefined;
  /** Undefined: every type. */
  readonly types: ReadonlySet<number> | undefined;
}

export type ClusterKeyResult =
  | { readonly ok: true; readonly key: ResolvedTsigKey }
  | { readonly ok: false; readonly message: string };

/** Checks a stored key (anything read from the bucket); never throws. */
export function parseClusterTsigKey(value: unknown): ClusterKeyResult {
  if (typeof value !== 'object' || value === null) return { ok: false, message: 'a key must be an object' };
  const raw = value as Record<string, unknown>;
  const name = parseStoredName(raw.name, 'name');
  if (typeof name === 'string') return { ok: false, message: name };
  const algorithm = typeof raw.algorithm === 'string' ? parseTsigAlgorithm(raw.algorithm) : undefined;
  if (algorithm === undefined)
    return { ok: false, message: `algorithm must be one of ${TSIG_ALGORITHMS.join(', ')}` };
  if (typeof raw.secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(raw.secret))
    return { ok: false, message: 'secret must be base64' };
  const secret = Buffer.from(raw.secret, 'base64');
  if (secret.length === 0 || secret.length > TSIG_SECRET_OCTETS_MAX)
    return { ok: false, message: `secret of ${secret.length} octets (1 ..= ${TSIG_SECRET_OCTETS_MAX})` };
  const policy = raw.policy as Record<string, unknown> | null | undefined;
  if (typeof policy !== 'object' || policy === null)
    return { ok: false, message: 'policy must be an object' };
  if (!Array.isArray(policy.zones) || policy.zones.length === 0 || policy.zones.length > POLICY_ZONES_MAX)
    return { ok: false, message: `policy.zones must list 1 ..= ${POLICY_ZONES_MAX} zones` };
  const zones: Name[] = [];
  for (const zone of policy.zones) {
    const parsed = parseStoredName(zone, 'policy zone');
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    zones.push(parsed);
  }
  let subtree: Name | undefined;
  if (policy.subtree !== undefined) {
    const parsed = parseStoredName(policy.subtree, 'policy.subtree');
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    subtree = parsed;
  }
  let types: Set<number> | undefined;
  if (policy.types !== undefined) {
    if (!Array.isArray(policy.types) || policy.types.length === 0 || policy.types.length > POLICY_TYPES_MAX)
      return { ok: false, message: `policy.types must list 1 ..= ${POLICY_TYPES_MAX} types` };
    types = new Set();
    for (const text of policy.types) {
      const type = typeof text === 'string' ? parseRrType(text) : undefined;
      if (type === undefined)
        return { ok: false, message: `policy type ${JSON.stringify(text)} is not a type` };
      types.add(type);
    }
  }
  return { ok: true, key: { key: makeTsigKey(name, secret, algorithm), zones, subtree, types } };
}

/** True when `key` may sign anything for `zone` (a signed query, or an UPDATE of it). */
export function policyCoversZone(key: ResolvedTsigKey, zone: Name): boolean {
  return key.zones.some((z) => z.equals(zone));
}

/**
 * True when `key` may change `type` at `owner` in `zone`. `type` ANY (a whole-name
 * deletion, RFC 2136 §2.5.3) passes a type list only when it holds every type, which no
 * list does: a key limited to types cannot delete whole names.
 */
export function policyAllows(key: ResolvedTsigKey, zone: Name, owner: Name, type: number): boolean {
  if (!policyCoversZone(key, zone)) return false;
  if (key.subtree !== undefined && !owner.isSubdomainOf(key.subtree)) return false;
  if (key.types !== undefined && (type === RR_TYPE.ANY || !key.types.has(type))) return false;
  return true;
}

/** A text of the policy for `tsig list` (no secret). */
export function describePolicy(policy: TsigKeyPolicy): string {
  const parts = [`zones=${policy.zones.join(',')}`];
  if (policy.subtree !== undefined) parts.push(`subtree=${policy.subtree}`);
  if (policy.types !== undefined) parts.push(`types=${policy.types.join(',')}`);
  return parts.join(' ');
}
