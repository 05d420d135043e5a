/**
 * Who may transfer a zone (AXFR/IXFR, RFC 5936 §2.2 and §6: a primary decides by policy
 * whom it serves): one rule per zone, as the cluster stores it (one value of the cluster's
 * transfer bucket, bootstrap/transfer-acl-store.ts) and as it reaches every replica's DNS
 * actor. A request is allowed when its verified TSIG key is listed, or its source address
 * is inside a listed prefix. A zone without a rule, or with an empty one, is refused: the
 * default denies.
 *
 * The rule is plain JSON so it can cross NATS KV and an actor message; `parseTransferRule`
 * checks a value read off the wire and never throws; `TransferAcl` answers the one
 * question the DNS actor asks.
 */
import { parseIpv4, parseIpv6 } from './wire/address.js';
import { type Name, parseStoredName } from './wire/name.js';

/** Rules one cluster holds at most (one per zone): every replica keeps them in memory. */
export const TRANSFER_RULES_MAX = 4096;
/** Keys and prefixes one rule may list at most. */
export const TRANSFER_RULE_ENTRIES_MAX = 64;

/** A secondary told of every change of a zone (RFC 1996), and the key its NOTIFYs are signed with. */
export interface NotifyTarget {
  /** An IPv4 or IPv6 address. */
  readonly address: string;
  readonly port: number;
  /** A TSIG key name (absolute) of the cluster's keys; absent: unsigned. */
  readonly key?: string;
}

/** Secondaries one zone notifies at most. */
export const NOTIFY_TARGETS_MAX = 16;

/** A zone's transfer settings: who may transfer it, and whom to notify of its changes. */
export interface TransferRule {
  /** The zone's apex, absolute. */
  readonly zone: string;
  /** TSIG key names (absolute) whose verified requests may transfer the zone. */
  readonly keys: readonly string[];
  /** Source prefixes (`192.0.2.0/24`, `2001:db8::/32`, or one address) that may transfer it. */
  readonly prefixes: readonly string[];
  /** Secondaries to NOTIFY after every committed change (absent: none). */
  readonly notify?: readonly NotifyTarget[];
}

/** A notify target as the DNS actor uses it. */
export interface ParsedNotifyTarget {
  readonly address: string;
  readonly port: number;
  /** The key's name key (lowercased absolute), when signed. */
  readonly keyName: string | undefined;
  /** `address:port` (`[v6]:port`): the target's identity. */
  readonly id: string;
}

export function notifyTargetId(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `ADDR`, `ADDR:PORT` or `[V6]:PORT` (port 53 when absent); undefined when invalid. */
export function parseNotifyAddress(text: string): { address: string; port: number } | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::([0-9]{1,5}))?$/.exec(text);
  const plain = /^([0-9.]+)(?::([0-9]{1,5}))?$/.exec(text);
  const v6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/.test(text) ? [text, text, undefined] : null;
  const match = bracketed ?? plain ?? v6;
  if (match === null) return undefined;
  const address = match[1] as string;
  const port = match[2] === undefined ? 53 : Number(match[2]);
  if (addressOctets(address) === undefined || !(port >= 1 && port <= 65_535)) return undefined;
  return { address, port };
}

/** An address prefix in octets: IPv4 (4 octets) or IPv6 (16). */
export interface AddressPrefix {
  readonly octets: Uint8Array;
  readonly bits: number;
}

export type ParsedRule =
  | {
      readonly ok: true;
      readonly zone: Name;
      readonly keys: ReadonlySet<string>;
      readonly prefixes: readonly AddressPrefix[];
      readonly notify: readonly ParsedNotifyTarget[];
    }
  | { readonly ok: false; readonly message: string };

/** `192.0.2.0/24`, `2001:db8::/32`, or an address alone (all its bits). Undefined when invalid. */
export function parsePrefix(text: string): AddressPrefix | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const octets = address.includes(':') ? parseIpv6(address) : parseIpv4(address);
  if (octets === undefined) return undefined;
  const maxBits = octets.length * 8;
  if (slash < 0) return { octets, bits: maxBits };
  const bitsText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  return bits <= maxBits ? { octets, bits } : undefined;
}

/** The octets of a socket's remote address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4. */
export function addressOctets(address: string): Uint8Array | undefined {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return v4;
  const v6 = parseIpv6(address.replace(/%.*$/, ''));
  if (v6 === undefined) return undefined;
  const mapped = v6.subarray(0, 10).every((o) => o === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

export function prefixContains(prefix: AddressPrefix, octets: Uint8Array): boolean {
  if (prefix.octets.length !== octets.length) return false;
  let bits = prefix.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((prefix.octets[i] as number) & mask) !== ((octets[i] as number) & mask)) return false;
  }
  return true;
}

/** Checks a stored rule (anything read from the bucket); never throws. */
export function parseTransferRule(value: unknown): ParsedRule {
  if (typeof value !== 'object' || value === null) return { ok: false, message: 'a rule must be an object' };
  const raw = value as Record<string, unknown>;
  const zone = parseStoredName(raw.zone, 'zone');
  if (typeof zone === 'string') return { ok: false, message: zone };
  if (!Array.isArray(raw.keys) || !Array.isArray(raw.prefixes))
    return { ok: false, message: `zone ${zone}: keys and prefixes must be lists` };
  if (raw.keys.length > TRANSFER_RULE_ENTRIES_MAX || raw.prefixes.length > TRANSFER_RULE_ENTRIES_MAX)
    return { ok: false, message: `zone ${zone}: more than ${TRANSFER_RULE_ENTRIES_MAX} keys or prefixes` };
  const keys = new Set<string>();
  for (const key of raw.keys) {
    const name = parseStoredName(key, 'key');
    if (typeof name === 'string') return { ok: false, message: `zone ${zone}: ${name}` };
    keys.add(name.key);
  }
  const prefixes: AddressPrefix[] = [];
  for (const text of raw.prefixes) {
    const prefix = typeof text === 'string' ? parsePrefix(text) : undefined;
    if (prefix === undefined)
      return { ok: false, message: `zone ${zone}: bad prefix ${JSON.stringify(text)}` };
    prefixes.push(prefix);
  }
  const notify: ParsedNotifyTarget[] = [];
  if (raw.notify !== undefined) {
    if (!Array.isArray(raw.notify)) return { ok: false, message: `zone ${zone}: notify must be a list` };
    if (raw.notify.length > NOTIFY_TARGETS_MAX)
      return { ok: false, message: `zone ${zone}: more than ${NOTIFY_TARGETS_MAX} notify targets` };
    for (const entry of raw.notify as unknown[]) {
      const target = entry as Partial<Record<keyof NotifyTarget, unknown>> | null;
      const address = typeof target?.address === 'string' ? target.address : '';
      const port = target?.port;
      if (
        addressOctets(address) === undefined ||
        !Number.isInteger(port) ||
        !((port as number) >= 1 && (port as number) <= 65_535)
      )
        return { ok: false, message: `zone ${zone}: bad notify target ${JSON.stringify(entry)}` };
      let keyName: string | undefined;
      if (target?.key !== undefined) {
        const name = parseStoredName(target.key, 'notify key');
        if (typeof name === 'string') return { ok: false, message: `zone ${zone}: ${name}` };
        keyName = name.key;
      }
      notify.push({ address, port: port as number, keyName, id: notifyTargetId(address, port as number) });
    }
  }
  return { ok: true, zone, keys, prefixes, notify };
}

/** The rules as a replica holds them, by zone. */
export class TransferAcl {
  readonly #rules = new Map<string, Extract<ParsedRule, { ok: true }>>();

  /** The rules that parsed; the messages of those that did not (logged by the caller). */
  static from(rules: readonly unknown[]): { acl: TransferAcl; problems: string[] } {
    const acl = new TransferAcl();
    const problems: string[] = [];
    for (const raw of rules.slice(0, TRANSFER_RULES_MAX)) {
      const parsed = parseTransferRule(raw);
      if (parsed.ok) acl.#rules.set(parsed.zone.key, parsed);
      else problems.push(parsed.message);
    }
    if (rules.length > TRANSFER_RULES_MAX) problems.push(`more than ${TRANSFER_RULES_MAX} rules`);
    return { acl, problems };
  }

  get size(): number {
    return this.#rules.size;
  }

  /**
   * True when `zone` may be transferred by a request verified with `keyName` (a name key,
   * lowercased absolute; undefined for an unsigned request) from `address`.
   */
  /** Every zone with secondaries to notify, and them. */
  *notifyTargets(): IterableIterator<readonly [Name, readonly ParsedNotifyTarget[]]> {
    for (const rule of this.#rules.values()) if (rule.notify.length > 0) yield [rule.zone, rule.notify];
  }

  allows(zone: Name, keyName: string | undefined, address: string | undefined): boolean {
    const rule = this.#rules.get(zone.key);
    if (rule === undefined) return false;
    if (keyName !== undefined && rule.keys.has(keyName)) return true;
    if (address === undefined || rule.prefixes.length === 0) return false;
    const octets = addressOctets(address);
    return octets !== undefined && rule.prefixes.some((p) => prefixContains(p, octets));
  }
}
