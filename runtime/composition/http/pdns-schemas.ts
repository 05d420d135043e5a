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
  })
  .strict();

export const searchQuerySchema = z
  .object({
    q: z.string().min(1).max(NAME_TEXT_CHARS_MAX),
    max: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).optional(),
    object_type: z.enum(['all', 'zone', 'record', 'comment']).optional(),
  })
  .strict();
