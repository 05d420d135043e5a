/**
 * The request schemas of the PowerDNS-compatible API (pdns-api.ts), written for raftns
 * from the field names the clients send (lego's and ExternalDNS's `pdns` providers,
 * lexicon's `powerdns`): objects are strict, so an unknown field is a 400. Fields the
 * clients send that mean nothing here are accepted and must be empty or false (`kind`,
 * the pre-v1 `name`/`type`/`ttl` of a record, `set-ptr`, `comments`).
 */
import { z } from 'zod';
import {
  BATCH_CHANGES_MAX,
  NAME_TEXT_CHARS_MAX,
  RDATA_TEXT_CHARS_MAX,
  RRSET_RDATAS_MAX,
} from '../../../protocol/dns/changes.js';
import { NOTIFY_TARGETS_MAX, TRANSFER_RULE_ENTRIES_MAX } from '../../../protocol/dns/transfer-acl.js';
import { TTL_SECONDS_MAX } from '../../../protocol/limits.js';

/** Longest list page asked for; the default when `limit` is absent. */
export const PAGE_LIMIT_MAX = 1_000;

export const pdnsRecordSchema = z
  .object({
    content: z.string().min(1).max(RDATA_TEXT_CHARS_MAX),
    disabled: z.boolean().optional(),
    // pre-v1 fields lego still sends (empty or equal to the RRset's).
    name: z.string().max(NAME_TEXT_CHARS_MAX).optional(),
    type: z.string().max(16).optional(),
    ttl: z.number().int().min(0).max(TTL_SECONDS_MAX).optional(),
    'set-ptr': z.boolean().optional(),
  })
  .strict();

export const pdnsCommentSchema = z
  .object({
    content: z.string().max(4096),
    account: z.string().max(256).optional(),
    modified_at: z.number().int().optional(),
  })
  .strict();

export const pdnsRrsetChangeSchema = z
  .object({
    name: z.string().min(1).max(NAME_TEXT_CHARS_MAX),
    type: z.string().min(1).max(16),
    changetype: z.enum(['REPLACE', 'DELETE']),
    ttl: z.number().int().min(0).max(TTL_SECONDS_MAX).optional(),
    records: z.array(pdnsRecordSchema).max(RRSET_RDATAS_MAX).optional(),
    comments: z.array(pdnsCommentSchema).max(RRSET_RDATAS_MAX).optional(),
    kind: z.string().max(16).optional(),
  })
  .strict();

export const pdnsPatchBodySchema = z
  .object({
    rrsets: z.array(pdnsRrsetChangeSchema).min(1).max(BATCH_CHANGES_MAX),
  })
  .strict();

export type PdnsPatchBody = z.infer<typeof pdnsPatchBodySchema>;
export type PdnsRrsetChange = z.infer<typeof pdnsRrsetChangeSchema>;

// ------------------------------------------------------------------ zone settings (PUT)
// raftns's own zone settings, as extension fields of the zone object (prefixed `raftns_`
// so no PowerDNS client mistakes them for its own): the records `raftns zone
// allow-transfer` and `raftns zone notify` keep (bootstrap/transfer-acl-store.ts).

/** Who may transfer the zone (AXFR/IXFR): TSIG key names and source prefixes. */
export const allowTransferSchema = z
  .object({
    keys: z.array(z.string().min(1).max(NAME_TEXT_CHARS_MAX)).max(TRANSFER_RULE_ENTRIES_MAX),
    from: z.array(z.string().min(1).max(64)).max(TRANSFER_RULE_ENTRIES_MAX),
  })
  .strict();

/** A secondary NOTIFYed of every change: `ADDR`, `ADDR:PORT` or `[V6]:PORT`, and the TSIG key to sign with. */
export const alsoNotifySchema = z
  .array(
    z
      .object({
        address: z.string().min(1).max(64),
        key: z.string().min(1).max(NAME_TEXT_CHARS_MAX).optional(),
      })
      .strict(),
  )
  .max(NOTIFY_TARGETS_MAX);

/**
 * The body of `PUT …/zones/{zone}`: PowerDNS's zone settings (what they mean here is
 * decided in pdns-api.ts, `settingsOf`), the read-only fields a GET returns (so a GET with
 * `?rrsets=false` can be sent back), and the raftns settings. Every field is optional: an
 * absent one keeps its value.
 */
export const pdnsZonePutBodySchema = z
  .object({
    // read-only (ignored when they match the zone)
    id: z.string().max(1024).optional(),
    name: z.string().max(1024).optional(),
    type: z.literal('Zone').optional(),
    url: z.string().max(2048).optional(),
    serial: z.number().int().optional(),
    edited_serial: z.number().int().optional(),
    notified_serial: z.number().int().optional(),
    last_check: z.number().int().optional(),
    // PowerDNS settings
    kind: z.string().min(1).max(32).optional(),
    masters: z.array(z.string().max(256)).max(64).optional(),
    account: z.string().max(256).optional(),
    soa_edit_api: z.string().max(32).optional(),
    soa_edit: z.string().max(32).optional(),
    api_rectify: z.boolean().optional(),
    dnssec: z.boolean().optional(),
    nsec3param: z.string().max(256).optional(),
    nsec3narrow: z.boolean().optional(),
    presigned: z.boolean().optional(),
    catalog: z.string().max(NAME_TEXT_CHARS_MAX).optional(),
    master_tsig_key_ids: z.array(z.string().max(NAME_TEXT_CHARS_MAX)).max(64).optional(),
    slave_tsig_key_ids: z.array(z.string().max(NAME_TEXT_CHARS_MAX)).max(64).optional(),
    rrsets: z.array(z.unknown()).max(100_000).optional(),
    // raftns settings
    raftns_allow_transfer: allowTransferSchema.optional(),
    raftns_also_notify: alsoNotifySchema.optional(),
  })
  .strict();

export type PdnsZonePutBody = z.infer<typeof pdnsZonePutBodySchema>;

export const serverParamsSchema = z.object({ server: z.string().max(64) }).strict();
export const zoneParamsSchema = z
  .object({ server: z.string().max(64), zone: z.string().min(1).max(1024) })
  .strict();

export const zoneListQuerySchema = z
  .object({
    zone: z.string().max(1024).optional(),
    dnssec: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).optional(),
    cursor: z.string().max(1024).optional(),
  })
  .strict();

export const zoneQuerySchema = z
  .object({
    rrsets: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).optional(),
    cursor: z.string().max(1024).optional(),
  })
  .strict();

export const searchQuerySchema = z
  .object({
    q: z.string().min(1).max(NAME_TEXT_CHARS_MAX),
    max: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).optional(),
    object_type: z.enum(['all', 'zone', 'record', 'comment']).optional(),
  })
  .strict();

// ------------------------------------------------------------------ responses
// What the API answers, also checked at serialization (a reply that does not match is a
// 500, never a malformed answer) and published in /api/openapi.json.

export const errorSchema = z.object({ error: z.string() }).strict();

export const apiVersionsSchema = z.array(z.object({ url: z.string(), version: z.number().int() }).strict());

export const serverSchema = z
  .object({
    type: z.literal('Server'),
    id: z.string(),
    url: z.string(),
    daemon_type: z.literal('authoritative'),
    version: z.string(),
    config_url: z.string(),
    zones_url: z.string(),
  })
  .strict();

export const zoneSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.literal('Zone'),
    url: z.string(),
    kind: z.literal('Native'),
    serial: z.number().int(),
    edited_serial: z.number().int(),
    notified_serial: z.number().int(),
    masters: z.array(z.string()),
    dnssec: z.boolean(),
    nsec3param: z.string(),
    nsec3narrow: z.boolean(),
    presigned: z.boolean(),
    soa_edit: z.string(),
    soa_edit_api: z.string(),
    api_rectify: z.boolean(),
    account: z.string(),
  })
  .strict();

export const rrsetSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    ttl: z.number().int(),
    records: z.array(z.object({ content: z.string(), disabled: z.boolean() }).strict()),
    comments: z.array(pdnsCommentSchema),
  })
  .strict();

export const zoneSchema = zoneSummarySchema
  .extend({
    rrsets: z.array(rrsetSchema),
    raftns_allow_transfer: allowTransferSchema,
    raftns_also_notify: alsoNotifySchema,
  })
  .strict();

export const notifySchema = z.object({ result: z.string() }).strict();

export const searchResultSchema = z.array(
  z.union([
    z.object({ name: z.string(), object_type: z.literal('zone'), zone_id: z.string() }).strict(),
    z
      .object({
        content: z.string(),
        disabled: z.boolean(),
        name: z.string(),
        object_type: z.literal('record'),
        ttl: z.number().int(),
        type: z.string(),
        zone: z.string(),
        zone_id: z.string(),
      })
      .strict(),
  ]),
);

/** The error statuses every /api route may answer. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  429: errorSchema,
  503: errorSchema,
} as const;

/**
 * POST …/zones: PowerDNS's zone creation body. A zone's apex NS are always its group's
 * nameservers (protocol/zone-directory.ts), so `nameservers` is accepted (PowerDNS requires
 * it) and not used; `kind` must be `Native` or `Master` (raftns is every zone's primary);
 * `rrsets` (PowerDNS's initial content, no `changetype`) are written after creation;
 * `raftns_group` picks the group (default: the least-loaded one).
 */
export const pdnsZoneCreateBodySchema = z
  .object({
    name: z.string().min(1).max(NAME_TEXT_CHARS_MAX),
    kind: z.enum(['Native', 'Master', 'native', 'master', 'NATIVE', 'MASTER']).optional(),
    nameservers: z.array(z.string().max(NAME_TEXT_CHARS_MAX)).max(64).optional(),
    masters: z
      .array(z.string())
      .max(0, 'raftns is every zone\'s primary: "masters" must be empty')
      .optional(),
    rrsets: z
      .array(
        pdnsRrsetChangeSchema
          .omit({ changetype: true })
          .extend({ changetype: z.literal('REPLACE').optional() }),
      )
      .max(BATCH_CHANGES_MAX)
      .optional(),
    dnssec: z.literal(false).optional(),
    account: z.string().max(256).optional(),
    soa_edit_api: z.string().max(32).optional(),
    api_rectify: z.boolean().optional(),
    id: z.string().max(NAME_TEXT_CHARS_MAX).optional(),
    type: z.literal('Zone').optional(),
    raftns_group: z.string().min(1).max(64).optional(),
  })
  .strict();

export const zoneCreateQuerySchema = z.object({ rrsets: z.enum(['true', 'false']).optional() }).strict();
