/**
 * ExternalDNS's webhook data (its `endpoint.Endpoint` and `plan.Changes`, api/webhook.yaml of
 * kubernetes-sigs/external-dns) and its translation to and from the RRsets of the raftns
 * HTTP API (the PowerDNS-compatible one, runtime/composition/http/pdns-api.ts).
 *
 * An endpoint is one RRset: `dnsName` (no final dot), `recordType`, `recordTTL` (0: not
 * set), `targets` (RDATA in presentation form, names without their final dot). raftns has no
 * routing policies, so an endpoint with a `setIdentifier` is refused rather than silently
 * merged with its siblings; `providerSpecific` properties carry nothing here and are dropped.
 */
import { z } from 'zod';
import {
  BATCH_CHANGES_MAX,
  NAME_TEXT_CHARS_MAX,
  RDATA_TEXT_CHARS_MAX,
  RRSET_RDATAS_MAX,
} from '../../protocol/dns/changes.js';
import { TTL_SECONDS_MAX } from '../../protocol/limits.js';

/** The media type of every request and answer body (ExternalDNS's webhook protocol, version 1). */
export const WEBHOOK_MEDIA_TYPE = 'application/external.dns.webhook+json;version=1';

/** The TTL given to an endpoint without one (`recordTTL` 0 or absent). */
export const ENDPOINT_TTL_DEFAULT_S = 300;

/** Endpoints one request may carry, over its four lists. */
export const WEBHOOK_ENDPOINTS_MAX = BATCH_CHANGES_MAX;

export const endpointSchema = z
  .object({
    dnsName: z.string().min(1).max(NAME_TEXT_CHARS_MAX),
    targets: z.array(z.string().min(1).max(RDATA_TEXT_CHARS_MAX)).max(RRSET_RDATAS_MAX).default([]),
    recordType: z.string().min(1).max(16),
    setIdentifier: z.string().max(256).optional(),
    recordTTL: z.number().int().min(0).max(TTL_SECONDS_MAX).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    providerSpecific: z
      .array(z.object({ name: z.string().max(256), value: z.string().max(4096) }).loose())
      .max(64)
      .optional(),
  })
  .loose();

export type Endpoint = z.infer<typeof endpointSchema>;

export const endpointsSchema = z.array(endpointSchema).max(WEBHOOK_ENDPOINTS_MAX);

const endpointListSchema = endpointsSchema.nullish().transform((list) => list ?? []);

export const changesSchema = z
  .object({
    create: endpointListSchema,
    updateOld: endpointListSchema,
    updateNew: endpointListSchema,
    delete: endpointListSchema,
  })
  .loose();

export type Changes = z.infer<typeof changesSchema>;

/** One RRset as the raftns HTTP API lists it. */
export interface ApiRrset {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly records: readonly { readonly content: string; readonly disabled: boolean }[];
}

/** One RRset change of a PATCH to the raftns HTTP API. */
export type ApiRrsetChange =
  | {
      readonly name: string;
      readonly type: string;
      readonly changetype: 'REPLACE';
      readonly ttl: number;
      readonly records: readonly { readonly content: string; readonly disabled: false }[];
    }
  | { readonly name: string; readonly type: string; readonly changetype: 'DELETE' };

/** A change ExternalDNS asked for that raftns cannot express: the webhook answers 400. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

function withoutFinalDot(name: string): string {
  return name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name;
}

function withDot(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** The position of the domain name within a target of these types (0-based field), if any. */
function nameField(type: string): number | undefined {
  switch (type) {
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return 0;
    case 'MX':
      return 1;
    case 'SRV':
      return 3;
    default:
      return undefined;
  }
}

/** Rewrites the domain-name field of a target with `rewrite` (others are kept as they are). */
function mapNameField(type: string, target: string, rewrite: (name: string) => string): string {
  const field = nameField(type);
  if (field === undefined) return target;
  const parts = target.trim().split(/\s+/);
  const name = parts[field];
  if (name === undefined)
    throw new EndpointError(`${type} target "${target}": no name in field ${field + 1}`);
  parts[field] = rewrite(name);
  return parts.join(' ');
}

const TXT_STRING_BYTES_MAX = 255;

/**
 * A TXT target as the master-file text of its strings: kept when ExternalDNS already sent it
 * quoted (its registry records are), else quoted, escaped and split into strings of at most
 * 255 bytes (RFC 1035 §3.3.14) at character boundaries.
 */
export function txtContent(target: string): string {
  if (target.startsWith('"') && target.endsWith('"') && target.length >= 2) return target;
  const strings: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of target) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > TXT_STRING_BYTES_MAX) {
      strings.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  strings.push(current);
  return strings.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(' ');
}

/** An endpoint's RRset as the raftns API writes it (REPLACE). */
export function replaceChange(endpoint: Endpoint): ApiRrsetChange {
  const type = endpoint.recordType.toUpperCase();
  if (endpoint.setIdentifier !== undefined && endpoint.setIdentifier !== '')
    throw new EndpointError(
      `${endpoint.dnsName} ${type}: setIdentifier "${endpoint.setIdentifier}" asks for a routing policy, which raftns does not have`,
    );
  if (endpoint.targets.length === 0) throw new EndpointError(`${endpoint.dnsName} ${type}: no targets`);
  const ttl =
    endpoint.recordTTL === undefined || endpoint.recordTTL === 0
      ? ENDPOINT_TTL_DEFAULT_S
      : endpoint.recordTTL;
  const contents = new Set(
    endpoint.targets.map((target) =>
      type === 'TXT' ? txtContent(target) : mapNameField(type, target, withDot),
    ),
  );
  return {
    name: withDot(endpoint.dnsName.toLowerCase()),
    type,
    changetype: 'REPLACE',
    ttl,
    records: [...contents].map((content) => ({ content, disabled: false })),
  };
}

/** The deletion of an endpoint's RRset. */
export function deleteChange(endpoint: Endpoint): ApiRrsetChange {
  return {
    name: withDot(endpoint.dnsName.toLowerCase()),
    type: endpoint.recordType.toUpperCase(),
    changetype: 'DELETE',
  };
}

/** Types ExternalDNS is never given: the zone's own SOA belongs to raftns. */
const UNLISTED_TYPES = new Set(['SOA']);

/** An RRset of the raftns API as ExternalDNS expects an endpoint; null for types it must not see. */
export function endpointOf(rrset: ApiRrset): Endpoint | null {
  if (UNLISTED_TYPES.has(rrset.type)) return null;
  return {
    dnsName: withoutFinalDot(rrset.name),
    recordType: rrset.type,
    recordTTL: rrset.ttl,
    targets: rrset.records
      .filter((record) => !record.disabled)
      .map((record) => mapNameField(rrset.type, record.content, withoutFinalDot)),
    labels: {},
  };
}

/**
 * Endpoints as raftns would store them (ExternalDNS's AdjustEndpoints): names in lower case
 * without the final dot, the default TTL where none is set, targets unique, and no
 * `providerSpecific` (nothing here reads it), so ExternalDNS plans against what it will get
 * back from `GET /records` and does not rewrite the same records on every pass.
 */
export function adjustEndpoint(endpoint: Endpoint): Endpoint {
  const type = endpoint.recordType.toUpperCase();
  const { providerSpecific: _dropped, ...rest } = endpoint;
  return {
    ...rest,
    dnsName: withoutFinalDot(endpoint.dnsName.toLowerCase()),
    recordType: type,
    recordTTL:
      endpoint.recordTTL === undefined || endpoint.recordTTL === 0
        ? ENDPOINT_TTL_DEFAULT_S
        : endpoint.recordTTL,
    targets: [...new Set(endpoint.targets.map((t) => mapNameField(type, t, withoutFinalDot)))],
  };
}

/** The zone of `name` among `zones` (absolute, lower case): the longest that contains it, or null. */
export function zoneOf(name: string, zones: readonly string[]): string | null {
  const absolute = withDot(name.toLowerCase());
  let best: string | null = null;
  for (const zone of zones) {
    const contains = absolute === zone || zone === '.' || absolute.endsWith(`.${zone}`);
    if (contains && (best === null || zone.length > best.length)) best = zone;
  }
  return best;
}

/**
 * ExternalDNS's changes as one list of RRset changes per zone, in the order that makes them
 * right when applied together: deletions first, then the new RRsets (an update's new RRset
 * replaces the old one whole, so `updateOld` needs no change of its own unless its name or
 * type moved away: then it is deleted). An RRset both deleted and written ends written.
 */
export function changesByZone(changes: Changes, zones: readonly string[]): Map<string, ApiRrsetChange[]> {
  const total =
    changes.create.length + changes.updateOld.length + changes.updateNew.length + changes.delete.length;
  if (total > WEBHOOK_ENDPOINTS_MAX)
    throw new EndpointError(`${total} endpoints in one request, more than ${WEBHOOK_ENDPOINTS_MAX}`);
  const key = (c: { name: string; type: string }) => `${c.name} ${c.type}`;
  const written = new Map<string, ApiRrsetChange>();
  for (const endpoint of [...changes.create, ...changes.updateNew]) {
    const change = replaceChange(endpoint);
    if (written.has(key(change)))
      throw new EndpointError(`${change.name} ${change.type}: written twice in one request`);
    written.set(key(change), change);
  }
  const deleted = new Map<string, ApiRrsetChange>();
  for (const endpoint of [...changes.delete, ...changes.updateOld]) {
    const change = deleteChange(endpoint);
    if (!written.has(key(change))) deleted.set(key(change), change);
  }
  const byZone = new Map<string, ApiRrsetChange[]>();
  for (const change of [...deleted.values(), ...written.values()]) {
    const zone = zoneOf(change.name, zones);
    if (zone === null)
      throw new EndpointError(`${change.name}: in no zone this webhook serves (${zones.join(', ')})`);
    const list = byZone.get(zone) ?? [];
    list.push(change);
    byZone.set(zone, list);
  }
  return byZone;
}
