/**
 * The order in which two writes of one RRset win (last writer wins), as every region applies
 * it: by version (protocol/dns/version.ts), and for two writes with the very same version but
 * different content, by their content. Versions alone are not enough: a version is unique
 * only while a writer id is used by one clock at a time, and a writer that reuses its id
 * after its clock stepped back (a restart of a process with a fixed id, NTP stepping the
 * clock) can give a second write the version of an earlier one. Without the content order
 * each region would keep whichever of the two it applied first, and anti-entropy could never
 * settle them (docs/ARCHITECTURE.md, "Anti-entropy between regions").
 *
 * The content of an RRset write is its `rrsetContentKey`: the empty string for a deletion (a
 * tombstone), else the TTL and the sorted presentation RDATA, an SOA's serial as 0 (each
 * region counts its own). Keys compare in code-unit order, so a deletion loses a tie to data,
 * and between two data writes the greater key wins. Pure; both the store (at apply) and
 * `repairChanges` (choosing what to take from another region) use it.
 */
import { compareVersions, type RecordVersion } from './version.js';

/** The content key of a deletion. */
export const TOMBSTONE_CONTENT_KEY = '';

/**
 * The content key of an RRset write: `ttl` and `rdata` (presentation form, sorted, an SOA's
 * serial 0) for data, both undefined for a deletion.
 */
export function rrsetContentKey(ttl: number | undefined, rdata: readonly string[] | undefined): string {
  if (ttl === undefined || rdata === undefined) return TOMBSTONE_CONTENT_KEY;
  return `${ttl}\n${rdata.join('\n')}`;
}

/** One write of an RRset: its version and its content key. */
export interface RrsetWrite {
  readonly version: RecordVersion;
  readonly content: string;
}

/** Total order of two writes of one RRset: negative when `a` loses to `b`, 0 only for the same write. */
export function compareRrsetWrites(a: RrsetWrite, b: RrsetWrite): number {
  const byVersion = compareVersions(a.version, b.version);
  if (byVersion !== 0) return byVersion;
  if (a.content === b.content) return 0;
  return a.content < b.content ? -1 : 1;
}
