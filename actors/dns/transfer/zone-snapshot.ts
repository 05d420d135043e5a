/**
 * A zone as of one applied index, for a transfer that outlives the turn it started in
 * (RFC 5936 §6: a transfer carries one version of the zone, never a mix). The served
 * `LiveZone` changes in place as entries apply, but its RRset objects never do (every
 * change installs a new one), so copying the references of every node's RRsets in one turn
 * freezes the zone at that turn's index: O(owners), no record is copied.
 */
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import type { ResourceRecord } from '../../../protocol/dns/wire/record.js';
import type { LiveZone } from '../zone/live-zone.js';
import type { RRset } from '../zone/zone-view.js';

export interface SnapshotNode {
  readonly name: Name;
  readonly rrsets: readonly RRset[];
}

export interface ZoneSnapshot {
  readonly apex: Name;
  readonly rrClass: number;
  /** The apex SOA: first and last record of a transfer (RFC 5936 §2.2). */
  readonly soa: ResourceRecord;
  readonly serial: number;
  /** Every owner with data; the apex first, its SOA left out (it opens and closes the transfer). */
  readonly nodes: readonly SnapshotNode[];
  /** Records, the SOA counted once. */
  readonly recordCount: number;
}

/** Precondition: `zone` is valid (it has an SOA); throws otherwise. */
export function snapshotZone(zone: LiveZone): ZoneSnapshot {
  const soa = zone.soaRecord();
  const nodes: SnapshotNode[] = [];
  let recordCount = 1;
  let apexNode: SnapshotNode | undefined;
  for (const node of zone.nodes()) {
    const isApex = node.name.equals(zone.apex);
    const rrsets = [...node.rrsets.values()].filter((set) => !(isApex && set.type === RR_TYPE.SOA));
    for (const set of rrsets) recordCount += set.rdatas.length;
    if (rrsets.length === 0) continue;
    const copy = { name: node.name, rrsets };
    if (isApex) apexNode = copy;
    else nodes.push(copy);
  }
  if (apexNode !== undefined) nodes.unshift(apexNode);
  const serial = soa.rdata.kind === 'SOA' ? soa.rdata.serial : 0;
  return { apex: zone.apex, rrClass: zone.rrClass, soa, serial, nodes, recordCount };
}
