/**
 * `raftns restore`: check a backup directory whole, then replace each zone's content with
 * the backup's through the zone import path (zone-import-export.ts: staged chunks, one
 * `dns-import` entry per region, atomic in each region, every region of the target plan).
 *
 * Nothing is written until every check passed: manifest.sha256 present (a backup that
 * completed) and equal to manifest.json's SHA-256, the manifest's shape and plan, every
 * data file's length, block checksums, checksum and lines (backup-data-file.ts), and every
 * zone to restore served as a zone by a group of the target cluster's plan. A refusal
 * names the file and, for a data file, the byte offset of the first corruption.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Name } from '../../protocol/dns/wire/name.js';
import type { ZoneRrset } from '../../protocol/dns/zone-content.js';
import type { RegionWriter } from '../region-writer.js';
import { type ImportReport, importZone } from '../zone-import-export.js';
import { checkDataFile, sha256Hex } from './backup-data-file.js';
import {
  type BackupManifest,
  DATA_FILE_BYTES_MAX,
  MANIFEST_BYTES_MAX,
  MANIFEST_FILE,
  MANIFEST_SUM_FILE,
  parseManifest,
  type ZoneEntry,
} from './backup-manifest.js';

/** The backup cannot be restored as it is; nothing was written. */
export class BackupRefusedError extends Error {
  constructor(
    readonly file: string,
    /** Byte offset of the first corruption in `file`, when it can be told. */
    readonly offset: number | null,
    detail: string,
  ) {
    super(`${file}${offset === null ? '' : ` at byte offset ${offset}`}: ${detail}`);
    this.name = 'BackupRefusedError';
  }
}

export interface VerifiedZone {
  readonly entry: ZoneEntry;
  readonly group: string;
  readonly appliedIndex: number | null;
  /** The content to restore, the SOA with the manifest's serial. */
  readonly rrsets: readonly ZoneRrset[];
}

export interface VerifiedBackup {
  readonly manifest: BackupManifest;
  /** Every zone of the backup, or only the one asked for. */
  readonly zones: readonly VerifiedZone[];
}

async function readBounded(dir: string, file: string, bytesMax: number): Promise<Buffer> {
  const path = join(dir, file);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new BackupRefusedError(file, null, `cannot read: ${(error as Error).message}`);
  }
  if (size > bytesMax) throw new BackupRefusedError(file, bytesMax, `larger than ${bytesMax} bytes`);
  return readFile(path);
}

/** Checks the whole backup in `dir` (see the header); `only` picks one zone of it. Throws BackupRefusedError. */
export async function verifyBackup(dir: string, only?: string): Promise<VerifiedBackup> {
  const sum = (
    await readBounded(dir, MANIFEST_SUM_FILE, 1024).catch((error: unknown) => {
      if (error instanceof BackupRefusedError)
        throw new BackupRefusedError(
          MANIFEST_SUM_FILE,
          null,
          `missing: the backup did not complete (${error.message})`,
        );
      throw error;
    })
  ).toString('utf8');
  const manifestBytes = await readBounded(dir, MANIFEST_FILE, MANIFEST_BYTES_MAX);
  if (sum.trim() !== sha256Hex(manifestBytes))
    throw new BackupRefusedError(MANIFEST_FILE, null, `its SHA-256 differs from ${MANIFEST_SUM_FILE}`);
  const parsed = parseManifest(manifestBytes.toString('utf8'));
  if (!parsed.ok) throw new BackupRefusedError(MANIFEST_FILE, null, parsed.message);
  const manifest = parsed.manifest;
  const onlyKey = only === undefined ? undefined : zoneKey(only);
  const zones: VerifiedZone[] = [];
  for (const group of manifest.groups)
    for (const entry of group.zones) {
      const bytes = await readBounded(dir, entry.file, DATA_FILE_BYTES_MAX);
      const checked = checkDataFile(entry, bytes);
      if (!checked.ok) throw new BackupRefusedError(checked.file, checked.offset, checked.message);
      if (onlyKey === undefined || zoneKey(entry.zone) === onlyKey)
        zones.push({ entry, group: group.group, appliedIndex: group.appliedIndex, rrsets: checked.rrsets });
    }
  if (only !== undefined && zones.length === 0)
    throw new BackupRefusedError(MANIFEST_FILE, null, `the backup holds no zone ${only}`);
  return { manifest, zones };
}

function zoneKey(zone: string): string {
  try {
    return Name.parse(zone.endsWith('.') ? zone : `${zone}.`).key;
  } catch (error) {
    throw new BackupRefusedError(
      MANIFEST_FILE,
      null,
      `${zone} is not a zone name: ${(error as Error).message}`,
    );
  }
}

/** Refuses (BackupRefusedError, nothing written) a zone the writer's plan does not serve as a zone. */
export function checkTargets(writer: RegionWriter, backup: VerifiedBackup): void {
  for (const zone of backup.zones) {
    let served: string;
    try {
      served = writer.route(zone.entry.zone).zone;
    } catch (error) {
      throw new BackupRefusedError(
        zone.entry.file,
        null,
        `zone ${zone.entry.zone}: ${(error as Error).message}`,
      );
    }
    if (zoneKey(served) !== zoneKey(zone.entry.zone))
      throw new BackupRefusedError(
        zone.entry.file,
        null,
        `zone ${zone.entry.zone} is not a zone of cluster ${writer.plan.cluster}'s plan (it lies in ${served})`,
      );
  }
}

/** Replaces each verified zone's content in every region of the writer, one zone after another. */
export async function restoreBackup(
  writer: RegionWriter,
  backup: VerifiedBackup,
  options: { readonly deadlineMs?: number } = {},
): Promise<ImportReport[]> {
  checkTargets(writer, backup);
  const reports: ImportReport[] = [];
  for (const zone of backup.zones)
    reports.push(await importZone(writer, zone.entry.zone, zone.rrsets, options));
  return reports;
}
