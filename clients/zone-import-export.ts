/**
 * Whole zones in and out of a cluster.
 *
 * Export (`readZone`): the zone's RRsets read in pages (`dns-zone-page`) from one region's
 * group. Every page after the first asks for the first page's content (its `changedIndex`),
 * which the replica keeps listed while writes continue (actors/state-machine/zone-pages.ts);
 * a page that shows another `changedIndex` (the listing was dropped, or another replica
 * answered) starts the read again, so the result is the zone as it stood at one applied
 * index (the first page's), whatever its size. It gives up after READ_ATTEMPTS_MAX restarts.
 *
 * Import (`importZone`): the content goes to the zone's group in every region, each
 * independently and concurrently: stage it in chunks of at most VALUE_BYTES_MAX under a
 * fresh import id (`put`s, at most STAGE_IN_FLIGHT_MAX at once), then commit it with one
 * `dns-import` entry (protocol/dns/zone-import.ts), which replaces the zone's content in
 * that region atomically, with one version from the writer's clock. A region whose staging
 * failed gets its staged chunks deleted and is reported; the others still commit, as
 * `raftns write` does, and the import can be run again for the missing regions.
 */
import { randomBytes } from 'node:crypto';
import type { DnsBatchResult } from '../protocol/dns/changes.js';
import type { RecordVersion } from '../protocol/dns/version.js';
import type { ZoneRrset } from '../protocol/dns/zone-content.js';
import { packChunks, stagedChunkKey } from '../protocol/dns/zone-import.js';
import { VALUE_BYTES_MAX, ZONE_PAGE_RRSETS_MAX } from '../protocol/limits.js';
import type { ReadModeText } from '../protocol/read-mode.js';
import type { RaftClient } from './raft-client.js';
import type { RegionWriter } from './region-writer.js';

/** Restarts of a paged read whose zone kept changing. */
export const READ_ATTEMPTS_MAX = 5;
/** Staging writes outstanding per region (below the client's 32 pending writes). */
export const STAGE_IN_FLIGHT_MAX = 16;

export interface ZoneSnapshot {
  readonly zone: string;
  readonly serial: number;
  /** The applied index of the group the content was read at. */
  readonly appliedIndex: number;
  /** The zone's content is the one it had at every index from this one to `appliedIndex` (DnsZonePage). */
  readonly changedIndex: number;
  readonly rrsets: readonly ZoneRrset[];
}

export class ZoneChangingError extends Error {
  constructor(zone: string) {
    super(`zone ${zone} changed during each of ${READ_ATTEMPTS_MAX} reads: try again`);
    this.name = 'ZoneChangingError';
  }
}

/** The zone as one state (see the header); null when the group holds no such zone. */
export async function readZone(
  client: RaftClient,
  zone: string,
  options: { readonly mode?: ReadModeText; readonly deadlineMs?: number } = {},
): Promise<ZoneSnapshot | null> {
  for (let attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
    const first = await client.dnsZonePage(zone, 0, ZONE_PAGE_RRSETS_MAX, options);
    if (first === null) return null;
    const rrsets: ZoneRrset[] = [...first.rrsets];
    let consistent = true;
    while (rrsets.length < first.total) {
      const page = await client.dnsZonePage(zone, rrsets.length, ZONE_PAGE_RRSETS_MAX, {
        ...options,
        changedIndex: first.changedIndex,
      });
      if (page === null || page.changedIndex !== first.changedIndex || page.rrsets.length === 0) {
        consistent = false;
        break;
      }
      rrsets.push(...page.rrsets);
    }
    if (consistent)
      return {
        zone: first.zone,
        serial: first.serial,
        appliedIndex: first.appliedIndex,
        changedIndex: first.changedIndex,
        rrsets,
      };
  }
  throw new ZoneChangingError(zone);
}

export type ImportOutcome =
  | {
      readonly region: string;
      readonly status: 'applied';
      readonly serial: number | null;
      readonly elapsedMs: number;
    }
  | {
      readonly region: string;
      readonly status: 'rejected';
      readonly message: string;
      readonly elapsedMs: number;
    }
  | {
      readonly region: string;
      readonly status: 'unreachable';
      readonly message: string;
      /** The commit was sent and may have executed. */
      readonly maybeApplied: boolean;
      readonly elapsedMs: number;
    };

export interface ImportReport {
  readonly zone: string;
  readonly group: string;
  readonly chunks: number;
  readonly version: RecordVersion;
  readonly regions: readonly ImportOutcome[];
  readonly complete: boolean;
}

/** Replaces `zone`'s content with `rrsets` in every region of the writer (see the header). */
export async function importZone(
  writer: RegionWriter,
  zone: string,
  rrsets: readonly ZoneRrset[],
  options: { readonly deadlineMs?: number; readonly regions?: readonly string[] } = {},
): Promise<ImportReport> {
  const route = writer.route(zone);
  const chunks = packChunks(rrsets, VALUE_BYTES_MAX);
  const version = writer.nextVersion();
  const regions = options.regions ?? writer.regions;
  const outcomes = await Promise.all(
    regions.map(async (region) => {
      const client = await writer.client(region, route.group.id);
      return importIntoRegion(client, region, route.zone, chunks, version, options.deadlineMs);
    }),
  );
  return {
    zone: route.zone,
    group: route.group.id,
    chunks: chunks.length,
    version,
    regions: outcomes,
    complete: outcomes.every((o) => o.status === 'applied'),
  };
}

async function importIntoRegion(
  client: RaftClient,
  region: string,
  zone: string,
  chunks: readonly string[],
  version: RecordVersion,
  deadlineMs: number | undefined,
): Promise<ImportOutcome> {
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  const importId = randomBytes(12).toString('base64url');
  const call = deadlineMs === undefined ? {} : { deadlineMs };
  let next = 0;
  let stageError: unknown;
  const stager = async () => {
    while (stageError === undefined && next < chunks.length) {
      const index = next++;
      try {
        await client.put(stagedChunkKey(importId, index), chunks[index] as string, call);
      } catch (error) {
        stageError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAGE_IN_FLIGHT_MAX, chunks.length) }, stager));
  if (stageError !== undefined) {
    // Best effort: the chunks are plain keys, and an unreachable region keeps them until
    // the next import's commit or a `kv delete`.
    await Promise.all(
      chunks.map((_, i) => client.delete(stagedChunkKey(importId, i), call).catch(() => undefined)),
    );
    return {
      region,
      status: 'unreachable',
      message: `staging failed: ${(stageError as Error).message ?? String(stageError)}`,
      maybeApplied: false,
      elapsedMs: elapsedMs(),
    };
  }
  let result: DnsBatchResult;
  try {
    result = await client.dnsImport({ zone, importId, chunks: chunks.length, version }, call);
  } catch (error) {
    return {
      region,
      status: 'unreachable',
      message: error instanceof Error ? error.message : String(error),
      maybeApplied: true,
      elapsedMs: elapsedMs(),
    };
  }
  if (!result.ok)
    return {
      region,
      status: 'rejected',
      message: `${result.error.code}: ${result.error.message}`,
      elapsedMs: elapsedMs(),
    };
  const serial = Object.entries(result.serials).find(
    ([apex]) => apex.toLowerCase() === zone.toLowerCase(),
  )?.[1];
  return { region, status: 'applied', serial: serial ?? null, elapsedMs: elapsedMs() };
}
