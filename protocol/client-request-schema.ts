/**
 * The replicas' check of client requests (runtime/composition/client-intake.ts): the schema
 * of every request of the client wire format (protocol/client-wire.ts describes it) and
 * `decodeRequest`. Apart from client-wire.ts because clients only encode requests: a client
 * (the `raftns` CLI's reads) loads neither this schema nor zod.
 */
import { z } from 'zod';
import { type ClientRequest, WIRE_VERSION, type WireErrorCode } from './client-wire.js';
import {
  BATCH_CHANGES_MAX,
  BATCH_PREREQUISITES_MAX,
  NAME_TEXT_CHARS_MAX,
  RDATA_TEXT_CHARS_MAX,
  RRSET_RDATAS_MAX,
  ZONE_NS_MAX,
} from './dns/changes.js';
import {
  DIGEST_DEPTH,
  DIGEST_LEAVES,
  DIGEST_NODES_PER_REQUEST_MAX,
  SYNC_LEAVES_PER_REQUEST_MAX,
} from './dns/region-repair.js';
import { COLLECT_TOMBSTONES_MAX } from './dns/tombstone-collection.js';
import { VERSION_WRITER_CHARS_MAX } from './dns/version.js';
import { IMPORT_CHUNKS_MAX, IMPORT_ID_CHARS_MAX } from './dns/zone-import.js';
import {
  CLIENT_ID_BYTES_MAX,
  KEY_BYTES_MAX,
  RANGE_KEYS_MAX,
  REQUEST_BYTES_MAX,
  TTL_SECONDS_MAX,
  VALUE_BYTES_MAX,
  ZONE_PAGE_RRSETS_MAX,
} from './limits.js';
import { isReadModeText, READ_MODE_EXPECTED, type ReadModeText } from './read-mode.js';

// Fields are checked in characters here, a cheap bound that every valid value meets (a
// character takes at least one UTF-8 byte); the store's codec then checks their bytes.
const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const session = {
  sid: z.string().min(1).max(CLIENT_ID_BYTES_MAX),
  seq: seqSchema,
  ack: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
};
const key = z.string().min(1).max(KEY_BYTES_MAX);
const value = z.string().max(VALUE_BYTES_MAX);
const mode = z.custom<ReadModeText>(isReadModeText, READ_MODE_EXPECTED);

const dnsName = z.string().min(1).max(NAME_TEXT_CHARS_MAX);
const u32 = z.number().int().min(0).max(0xffffffff);
const ttl = z.number().int().min(0).max(TTL_SECONDS_MAX);
const dnsVersion = z.object({
  hlcMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  counter: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  writer: z.string().max(VERSION_WRITER_CHARS_MAX),
});
const rdataList = z.array(z.string().max(RDATA_TEXT_CHARS_MAX)).min(1).max(RRSET_RDATAS_MAX);
const dnsChange = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('upsert'),
    zone: dnsName,
    name: dnsName,
    type: z.string().min(1).max(16),
    ttl,
    rdata: rdataList,
    version: dnsVersion,
  }),
  z.object({
    op: z.literal('delete-rrset'),
    zone: dnsName,
    name: dnsName,
    type: z.string().min(1).max(16),
    version: dnsVersion,
  }),
  z.object({ op: z.literal('delete-name'), zone: dnsName, name: dnsName, version: dnsVersion }),
  z.object({
    op: z.literal('create-zone'),
    zone: dnsName,
    soa: z.object({
      mname: dnsName,
      rname: dnsName,
      refresh: u32,
      retry: u32,
      expire: u32,
      minimum: u32,
      ttl,
      serial: u32.optional(),
    }),
    ns: z.array(dnsName).min(1).max(ZONE_NS_MAX),
    nsTtl: ttl,
  }),
  z.object({ op: z.literal('delete-zone'), zone: dnsName }),
]);
const dnsPrerequisite = z.discriminatedUnion('kind', [
  z.object({ kind: z.enum(['name-exists', 'name-absent']), zone: dnsName, name: dnsName }),
  z.object({
    kind: z.enum(['rrset-exists', 'rrset-absent']),
    zone: dnsName,
    name: dnsName,
    type: z.string().min(1).max(16),
  }),
  z.object({
    kind: z.literal('rrset-equals'),
    zone: dnsName,
    name: dnsName,
    type: z.string().min(1).max(16),
    rdata: rdataList,
  }),
]);
const dnsBatch = z.object({
  changes: z.array(dnsChange).min(1).max(BATCH_CHANGES_MAX),
  prerequisites: z.array(dnsPrerequisite).max(BATCH_PREREQUISITES_MAX).optional(),
});

const requestSchema = z.discriminatedUnion('op', [
  z.object({ v: z.literal(1), op: z.literal('put'), k: key, val: value, ...session }),
  z.object({ v: z.literal(1), op: z.literal('del'), k: key, ...session }),
  z.object({
    v: z.literal(1),
    op: z.literal('cas'),
    k: key,
    rev: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    val: value,
    ...session,
  }),
  z.object({ v: z.literal(1), op: z.literal('get'), k: key, mode: mode.optional() }),
  z.object({
    v: z.literal(1),
    op: z.literal('range'),
    pfx: z.string().max(KEY_BYTES_MAX),
    lim: z.number().int().min(1).max(RANGE_KEYS_MAX),
    after: key.optional(),
    mode: mode.optional(),
  }),
  z.object({ v: z.literal(1), op: z.literal('dns'), batch: dnsBatch, ...session }),
  z.object({ v: z.literal(1), op: z.literal('dns-zones'), mode: mode.optional() }),
  z.object({
    v: z.literal(1),
    op: z.literal('dns-rrsets'),
    zone: dnsName,
    name: dnsName,
    mode: mode.optional(),
  }),
  z.object({
    v: z.literal(1),
    op: z.literal('dns-import'),
    import: z.object({
      zone: dnsName,
      importId: z.string().min(1).max(IMPORT_ID_CHARS_MAX),
      chunks: z.number().int().min(1).max(IMPORT_CHUNKS_MAX),
      version: dnsVersion,
    }),
    ...session,
  }),
  z.object({
    v: z.literal(1),
    op: z.literal('dns-zone-page'),
    zone: dnsName,
    off: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    lim: z.number().int().min(1).max(ZONE_PAGE_RRSETS_MAX),
    at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    mode: mode.optional(),
  }),
  z.object({ v: z.literal(1), op: z.literal('status') }),
  z.object({ v: z.literal(1), op: z.literal('sync-roots'), mode: mode.optional() }),
  z.object({
    v: z.literal(1),
    op: z.literal('sync-nodes'),
    zone: dnsName,
    depth: z.number().int().min(0).max(DIGEST_DEPTH),
    nodes: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(DIGEST_LEAVES - 1),
      )
      .min(1)
      .max(DIGEST_NODES_PER_REQUEST_MAX),
    mode: mode.optional(),
  }),
  z.object({
    v: z.literal(1),
    op: z.literal('sync-owners'),
    zone: dnsName,
    leaves: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(DIGEST_LEAVES - 1),
      )
      .min(1)
      .max(SYNC_LEAVES_PER_REQUEST_MAX),
    after: z
      .object({
        leaf: z
          .number()
          .int()
          .min(0)
          .max(DIGEST_LEAVES - 1),
        owner: z.string().max(NAME_TEXT_CHARS_MAX),
      })
      .optional(),
    mode: mode.optional(),
  }),
  z.object({
    v: z.literal(1),
    op: z.literal('sync-tombstones'),
    zone: dnsName,
    before: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    from: z
      .number()
      .int()
      .min(0)
      .max(DIGEST_LEAVES - 1),
    mode: mode.optional(),
  }),
  z.object({
    v: z.literal(1),
    op: z.literal('dns-collect'),
    collection: z.object({
      zone: dnsName,
      tombstones: z
        .array(
          z.object({
            name: dnsName,
            type: z.string().min(1).max(16).nullable(),
            version: dnsVersion,
          }),
        )
        .min(1)
        .max(COLLECT_TOMBSTONES_MAX),
    }),
    ...session,
  }),
]);

export type DecodedRequest =
  | { readonly ok: true; readonly request: ClientRequest }
  | { readonly ok: false; readonly code: Exclude<WireErrorCode, 'internal'>; readonly detail: string };

/** Decodes and validates a request; never throws. */
export function decodeRequest(bytes: Uint8Array): DecodedRequest {
  if (bytes.byteLength > REQUEST_BYTES_MAX) {
    return {
      ok: false,
      code: 'too-large',
      detail: `request of ${bytes.byteLength} bytes exceeds ${REQUEST_BYTES_MAX}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    return { ok: false, code: 'malformed', detail: `not UTF-8 JSON: ${errorMessage(error)}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, code: 'malformed', detail: 'expected a JSON object' };
  }
  const version = (json as { v?: unknown }).v;
  if (version !== WIRE_VERSION) {
    return {
      ok: false,
      code: version === undefined ? 'malformed' : 'unsupported-version',
      detail:
        version === undefined
          ? `missing "v" (this replica speaks version ${WIRE_VERSION})`
          : `version ${JSON.stringify(version)} is not supported (this replica speaks version ${WIRE_VERSION})`,
    };
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 4)
      .map((issue) => `${issue.path.length === 0 ? '' : `${issue.path.join('.')}: `}${issue.message}`)
      .join('; ');
    return { ok: false, code: 'malformed', detail };
  }
  return { ok: true, request: parsed.data as ClientRequest };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
