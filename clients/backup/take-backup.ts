/**
 * `raftns backup`: every zone of every group of one region, each group's zones as they
 * stood at ONE applied index, written as a backup directory (backup-manifest.ts) whose
 * manifest is written last, so a backup that did not finish has no manifest.sha256 and
 * is refused by restore.
 *
 * One region is enough for the data: every admin write goes to every region with the same
 * versions (region-writer.ts), so regions that received the same writes hold the same
 * zones. (A region that missed a write stays behind until it is resent: back up the region
 * that is known to be complete.)
 *
 * One index per group: the group's zones are listed, each zone is read with `readZone`
 * (pages that all show the same `changedIndex`, i.e. one content), then one more page of
 * each zone is read and must show the same `changedIndex` again, and the zones are listed
 * again and must be the same. Reads are linearizable, so their applied indexes never go
 * back; each zone's content then held from its `changedIndex` (at or before its read) up to
 * its check, and so every zone held the content read at the first check's applied index,
 * which is the index the manifest records. A group whose zones keep changing is read again,
 * up to READ_ATTEMPTS_MAX times.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Name, withFinalDot } from '../../protocol/dns/wire/name.js';
import type { GroupPlan } from '../../protocol/plan.js';
import type { ReadModeText } from '../../protocol/read-mode.js';
import type { RaftClient } from '../raft-client.js';
import type { RegionWriter } from '../region-writer.js';
import { READ_ATTEMPTS_MAX, readZone, type ZoneSnapshot } from '../zone-import-export.js';
import { blockSums, encodeZoneData, sha256Hex } from './backup-data-file.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  BLOCK_BYTES,
  type GroupEntry,
  MANIFEST_FILE,
  MANIFEST_SUM_FILE,
  manifestText,
  type ZoneEntry,
} from './backup-manifest.js';
import { writeFileDurably } from './durable-file.js';

const READ_MODE: ReadModeText = 'linearizable';

export class GroupChangingError extends Error {
  constructor(region: string, group: string) {
    super(
      `the zones of group ${group} in ${region} changed during each of ${READ_ATTEMPTS_MAX} reads: try again`,
    );
    this.name = 'GroupChangingError';
  }
}

export class BackupExistsError extends Error {
  constructor(dir: string) {
    super(`${dir} already holds a backup (${MANIFEST_FILE}): give an empty or new directory`);
    this.name = 'BackupExistsError';
  }
}

export interface GroupSnapshot {
  readonly appliedIndex: number | null;
  readonly zones: readonly ZoneSnapshot[];
}

/**
 * The zones a group holds (all, or the one named by `only`), at one applied index (see the
 * header); null when they changed during each of READ_ATTEMPTS_MAX reads.
 */
export async function readGroupAtOneIndex(
  client: RaftClient,
  options: { readonly only?: string; readonly deadlineMs?: number } = {},
): Promise<GroupSnapshot | null> {
  const call = {
    mode: READ_MODE,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
  };
  const listZones = async (): Promise<string[]> => {
    const names = (await client.dnsZones(READ_MODE, call)).map((z) => z.zone);
    if (options.only === undefined) return names;
    const key = Name.parse(options.only).key;
    return names.filter((z) => Name.parse(z).key === key);
  };
  for (let attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
    const names = await listZones();
    const zones: ZoneSnapshot[] = [];
    for (const zone of names) {
      const snapshot = await readZone(client, zone, call);
      if (snapshot === null) break;
      zones.push(snapshot);
    }
    if (zones.length !== names.length) continue;
    if (zones.length === 1) return { appliedIndex: (zones[0] as ZoneSnapshot).appliedIndex, zones };
    let firstCheck: number | null = null;
    let unchanged = true;
    for (const zone of zones) {
      const page = await client.dnsZonePage(zone.zone, 0, 1, call);
      if (page === null || page.changedIndex !== zone.changedIndex) {
        unchanged = false;
        break;
      }
      firstCheck ??= page.appliedIndex;
    }
    if (!unchanged) continue;
    const again = await listZones();
    if (again.length !== names.length || again.some((z, i) => z !== names[i])) continue;
    return { appliedIndex: firstCheck, zones };
  }
  return null;
}

export interface BackupOptions {
  readonly region: string;
  /** Only the group serving this zone, and only this zone. */
  readonly zone?: string;
  readonly deadlineMs?: number;
  /** When the backup started (the manifest's createdAt). */
  readonly createdAt: Date;
}

export interface BackupSummary {
  readonly manifest: BackupManifest;
  readonly bytes: number;
}

/** Writes a backup of the writer's cluster into `dir` (created if absent; refused if it holds one). */
export async function takeBackup(
  writer: RegionWriter,
  dir: string,
  options: BackupOptions,
): Promise<BackupSummary> {
  await mkdir(dir, { recursive: true });
  for (const name of [MANIFEST_FILE, MANIFEST_SUM_FILE])
    if (
      await stat(join(dir, name)).then(
        () => true,
        () => false,
      )
    )
      throw new BackupExistsError(dir);
  let groups: readonly GroupPlan[] = writer.plan.groups;
  if (options.zone !== undefined) groups = [writer.route(options.zone).group];
  const entries: GroupEntry[] = [];
  let total = 0;
  for (const group of groups) {
    const client = await writer.client(options.region, group.id);
    const snapshot = await readGroupAtOneIndex(client, {
      ...(options.zone === undefined ? {} : { only: withFinalDot(options.zone) }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    });
    if (snapshot === null) throw new GroupChangingError(options.region, group.id);
    const zones: ZoneEntry[] = [];
    for (const [n, zone] of snapshot.zones.entries()) {
      const encoded = encodeZoneData(Name.parse(zone.zone), zone.rrsets);
      const file = `${group.id}.zone-${n}.jsonl`;
      await writeFileDurably(dir, file, encoded.bytes);
      total += encoded.bytes.length;
      zones.push({
        zone: zone.zone,
        serial: zone.serial,
        rrsets: encoded.rrsets,
        records: encoded.records,
        file,
        bytes: encoded.bytes.length,
        sha256: sha256Hex(encoded.bytes),
        blockSha256: blockSums(encoded.bytes),
      });
    }
    entries.push({ region: options.region, group: group.id, appliedIndex: snapshot.appliedIndex, zones });
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_FORMAT_VERSION,
    cluster: writer.plan.cluster,
    createdAt: options.createdAt.toISOString(),
    region: options.region,
    blockBytes: BLOCK_BYTES,
    plan: writer.plan,
    groups: entries,
  };
  const text = Buffer.from(manifestText(manifest), 'utf8');
  await writeFileDurably(dir, MANIFEST_FILE, text);
  // Last: its presence says the backup is complete.
  await writeFileDurably(dir, MANIFEST_SUM_FILE, Buffer.from(`${sha256Hex(text)}\n`, 'utf8'));
  return { manifest, bytes: total };
}
