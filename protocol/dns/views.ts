import type { RecordVersion } from './version.js';

/** What a client reads back from a group's DNS store: zones, and one name's RRsets with versions. */
export interface DnsZoneSummary {
  readonly zone: string;
  readonly serial: number;
  readonly rrsets: number;
}

export interface DnsRrsetView {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly rdata: readonly string[];
  readonly version: RecordVersion;
}

export interface DnsNameView {
  readonly zone: string;
  readonly name: string;
  /** In ascending type order. */
  readonly rrsets: readonly DnsRrsetView[];
  /** Tombstones: deleted RRsets whose version is kept. */
  readonly deleted: ReadonlyArray<{ readonly type: string; readonly version: RecordVersion }>;
  /** The version of the last `delete-name` here, if any. */
  readonly nameDeleted: RecordVersion | null;
}
