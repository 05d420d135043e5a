/**
 * The manifest of a backup directory (`raftns backup`): what was read, from where, at which
 * applied index, and the length and checksums of every data file, so `raftns restore` can
 * check the whole backup before it writes anything.
 *
 *   DIR/manifest.json     this manifest (canonical JSON, one object)
 *   DIR/manifest.sha256   the SHA-256 of manifest.json in hex, written last: a backup
 *                         without it never completed
 *   DIR/<group>.zone-<n>.jsonl   one data file per zone of each group (backup-data-file.ts)
 */
import { z } from 'zod';
import { type ClusterPlan, validatePlan } from '../../protocol/plan.js';

export const BACKUP_FORMAT = 'raftns-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SUM_FILE = 'manifest.sha256';
/** Bytes per checksummed block of a data file: a corruption is located to within one block. */
export const BLOCK_BYTES = 4096;
/** Largest manifest read: 256 groups of one zone with block sums of 100 MB files fit. */
export const MANIFEST_BYTES_MAX = 256 * 1024 * 1024;
/** Largest data file read (a zone of ZONE_RRSETS_MAX short RRsets fits). */
export const DATA_FILE_BYTES_MAX = 1024 * 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DATA_FILE_NAME = /^[A-Za-z0-9_-]{1,64}\.zone-\d{1,6}\.jsonl$/;

export interface ZoneEntry {
  readonly zone: string;
  /** The zone's SOA serial at the applied index (the data file writes it as 0: see backup-data-file.ts). */
  readonly serial: number;
  readonly rrsets: number;
  readonly records: number;
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  /** SHA-256 of each BLOCK_BYTES block of the file, in order (the last may be shorter). */
  readonly blockSha256: readonly string[];
}

export interface GroupEntry {
  readonly region: string;
  readonly group: string;
  /** The one applied index every zone of the group was read at; null when it held no zone. */
  readonly appliedIndex: number | null;
  readonly zones: readonly ZoneEntry[];
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: typeof BACKUP_FORMAT_VERSION;
  readonly cluster: string;
  /** ISO 8601, UTC, when the backup started. */
  readonly createdAt: string;
  readonly region: string;
  readonly blockBytes: typeof BLOCK_BYTES;
  readonly plan: ClusterPlan;
  readonly groups: readonly GroupEntry[];
}

const zoneSchema = z.strictObject({
  zone: z.string().min(1).max(1024),
  serial: z.number().int().min(0).max(0xffffffff),
  rrsets: z.number().int().min(0),
  records: z.number().int().min(0),
  file: z.string().regex(DATA_FILE_NAME),
  bytes: z.number().int().min(0).max(DATA_FILE_BYTES_MAX),
  sha256: z.string().regex(SHA256_HEX),
  blockSha256: z.array(z.string().regex(SHA256_HEX)),
});

const manifestSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_FORMAT_VERSION),
  cluster: z.string().min(1).max(256),
  createdAt: z.iso.datetime(),
  region: z.string().min(1).max(256),
  blockBytes: z.literal(BLOCK_BYTES),
  plan: z.unknown(),
  groups: z.array(
    z.strictObject({
      region: z.string().min(1).max(256),
      group: z.string().min(1).max(256),
      appliedIndex: z.number().int().min(0).nullable(),
      zones: z.array(zoneSchema),
    }),
  ),
});

export type ManifestResult =
  | { readonly ok: true; readonly manifest: BackupManifest }
  | { readonly ok: false; readonly message: string };

/** Parses and checks manifest.json's text: shape, plan, one file per zone, block counts. */
export function parseManifest(text: string): ManifestResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8 names the offset ("... in JSON at position 1234").
    return { ok: false, message: `${MANIFEST_FILE}: not JSON: ${(error as Error).message}` };
  }
  const shape = manifestSchema.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    return {
      ok: false,
      message: `${MANIFEST_FILE}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const plan = validatePlan(shape.data.plan);
  if (!plan.ok) return { ok: false, message: `${MANIFEST_FILE}: plan: ${plan.errors.join('; ')}` };
  const files = new Set<string>();
  for (const group of shape.data.groups)
    for (const zone of group.zones) {
      if (files.has(zone.file)) return { ok: false, message: `${MANIFEST_FILE}: ${zone.file} named twice` };
      files.add(zone.file);
      if (zone.blockSha256.length !== Math.ceil(zone.bytes / BLOCK_BYTES))
        return {
          ok: false,
          message: `${MANIFEST_FILE}: ${zone.file}: ${zone.blockSha256.length} block sums for ${zone.bytes} bytes`,
        };
    }
  return { ok: true, manifest: { ...shape.data, plan: plan.plan } as BackupManifest };
}

/** The manifest as written: two-space JSON in the fields' declared order, one final newline. */
export function manifestText(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
